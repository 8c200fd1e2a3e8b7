"""An import mapping: how someone else's recording folder becomes a run store.

A mapping is YAML of ``ImportMapping``. It names, per stream, the file it comes from, the reader
(format), the columns/channels with their units and scale, where each sample's time comes from,
and how the stream's clock is aligned to the run time base. Run-manifest fields and labels are
templates over named groups of a regular expression matched against the run folder's path.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ._errors import WeldctlError
from ._stream import STREAM_NAME, StreamKind

Reader = Literal["csv", "audio", "video", "images", "tdms", "hdf5"]


class ImportSourceError(WeldctlError):
    """A mapping that does not validate, or a source file that cannot be read as the mapping says."""


class Channel(BaseModel):
    """One column (CSV), channel (TDMS) or dataset (HDF5) that becomes one channel of a stream."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    source: str = Field(description="column name / TDMS 'group/channel' / HDF5 dataset path")
    name: str = Field(pattern=STREAM_NAME, description="channel name in the run store")
    units: str
    scale: float = Field(default=1.0, description="physical = raw * scale + offset")
    offset: float = 0.0


class TimeSpec(BaseModel):
    """Where each sample's time comes from."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    source: Literal["column", "filename", "rate", "frames"] = Field(
        description="column: wall-clock/relative time column(s); filename: a timestamp in each file name; "
        "rate: start time + fixed rate (the file's own rate unless rate_hz is given); frames: the "
        "container's per-frame timestamps (video)"
    )
    columns: list[str] = Field(default_factory=list, description="time column(s), joined with a space")
    format: str | None = Field(
        default=None,
        description="strptime format of the joined columns / file-name "
        "stamp; None with source=column means numeric seconds",
    )
    pattern: str | None = Field(default=None, description="regex with one group: the stamp in a file name")
    rate_hz: float | None = Field(default=None, gt=0)
    timezone: str = Field(default="UTC", description="zone of naive wall-clock times")

    @model_validator(mode="after")
    def _complete(self) -> TimeSpec:
        if self.source == "column" and not self.columns:
            raise ValueError("time source 'column' needs columns")
        if self.source == "filename" and not (self.pattern and self.format):
            raise ValueError("time source 'filename' needs pattern and format")
        if self.pattern is not None:
            re.compile(self.pattern)
        return self


class Align(BaseModel):
    """How a stream's clock meets the run time base.

    wall_clock: its times are absolute and shared with the other wall_clock streams; the earliest
    wall_clock sample is run time 0. start_at: its first sample is placed at ``to``'s start (or end)
    plus ``offset_s``, keeping its own spacing -- for clocks that share nothing with the reference.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    mode: Literal["wall_clock", "start_at"] = "wall_clock"
    to: str | None = Field(default=None, description="reference stream for start_at")
    anchor: Literal["start", "end"] = "start"
    offset_s: float = 0.0

    @model_validator(mode="after")
    def _needs_ref(self) -> Align:
        if self.mode == "start_at" and not self.to:
            raise ValueError("align mode 'start_at' needs 'to' (a reference stream)")
        return self


class StreamMapping(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    name: str = Field(pattern=STREAM_NAME)
    kind: StreamKind
    reader: Reader
    file: str = Field(description="path under the run folder; may use {fields}; a glob for images")
    optional: bool = Field(default=False, description="a run without this file simply lacks the stream")
    channels: list[Channel] = Field(default_factory=list, description="csv/tdms/hdf5 channels")
    time: TimeSpec
    align: Align = Field(default_factory=Align)
    dtype: str = "float32"
    units: str | None = Field(default=None, description="units of the stored values (audio: 'FS')")
    resize: tuple[int, int] | None = Field(default=None, description="frames: (width, height) after resizing")
    color: Literal["gray"] = Field(default="gray", description="frames are stored as 8-bit gray")


class FieldRule(BaseModel):
    """A manifest field or label taken from a path group: mapped, or matched by substring."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    group: str = Field(alias="from")
    map: dict[str, str] = Field(default_factory=dict)
    contains: dict[str, str] = Field(default_factory=dict, description="first substring found wins")
    default: str | None = None

    def resolve(self, groups: dict[str, str]) -> str | None:
        value = groups.get(self.group)
        if value is None:
            return self.default
        if self.map:
            return self.map.get(value, self.default)
        if self.contains:
            low = value.lower()
            return next((v for k, v in self.contains.items() if k.lower() in low), self.default)
        return value


FieldValue = str | float | FieldRule


class RunRule(BaseModel):
    """Which folders are runs and what their path says about them."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    pattern: str = Field(
        description="regex searched in the run folder path (with '/' separators); "
        "its named groups feed run_id, manifest and labels"
    )
    run_id: str = "{run_id}"
    manifest: dict[str, FieldValue] = Field(default_factory=dict)
    weld: dict[str, FieldValue] = Field(default_factory=dict, description="WeldPlan fields of weld 0")
    labels: dict[str, FieldValue] = Field(default_factory=dict, description="label name -> value")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, v: str) -> str:
        re.compile(v)
        return v

    @field_validator("weld")
    @classmethod
    def _weld_fields(cls, v: dict) -> dict:
        from ._manifest import WeldPlan

        unknown = sorted(set(v) - set(WeldPlan.model_fields))
        if unknown:
            raise ValueError(f"not a weld field: {', '.join(unknown)} (fields: {', '.join(WeldPlan.model_fields)})")
        return v


class ImportMapping(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    name: str
    description: str = ""
    run: RunRule
    streams: list[StreamMapping] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> ImportMapping:
        names = [s.name for s in self.streams]
        if len(set(names)) != len(names):
            raise ValueError(f"stream names repeat: {names}")
        for s in self.streams:
            if s.align.to is not None and s.align.to not in names:
                raise ValueError(f"stream {s.name!r} aligns to unknown stream {s.align.to!r}")
        if not any(s.align.mode == "wall_clock" and not s.optional for s in self.streams):
            raise ValueError(
                "at least one required stream must be aligned by wall_clock (it defines run time 0)"
            )
        return self


def render(value: FieldValue, groups: dict[str, str]) -> str | float | None:
    """A manifest/label value: a template string over path groups, a number, or a rule."""
    if isinstance(value, FieldRule):
        return value.resolve(groups)
    if isinstance(value, str):
        try:
            return value.format(**groups)
        except KeyError as exc:
            raise ImportSourceError(
                f"template {value!r} uses {exc} which the run pattern does not capture"
            ) from None
    return value


def load_mapping(path: str | Path) -> ImportMapping:
    p = Path(path)
    try:
        doc = yaml.safe_load(p.read_text())
    except FileNotFoundError:
        raise ImportSourceError(
            f"no mapping file {p}", "see examples/import/ for a mapping to start from"
        ) from None
    except yaml.YAMLError as exc:
        raise ImportSourceError(f"{p}: not valid YAML ({exc})") from None
    try:
        return ImportMapping.model_validate(doc)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        raise ImportSourceError(
            f"{p}: {where}: {err['msg']}", "fix the mapping; fields are in schema/_import_mapping.py"
        ) from None
