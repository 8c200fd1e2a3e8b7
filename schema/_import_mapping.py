"""An import mapping: how someone else's recording folder becomes a run store.

A mapping is YAML of ``ImportMapping``. It names, per stream, the file it comes from, the reader
(format), the columns/channels with their units and scale, where each sample's time comes from,
and how the stream's clock is aligned to the run time base. Run-manifest fields and labels are
templates over named groups of a regular expression matched against the run folder's path.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ._errors import WeldctlError
from ._stream import STREAM_NAME, StreamKind
from ._yaml_file import load_yaml

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
    plus ``offset_s``, keeping its own spacing -- for clocks that share nothing with the reference;
    an assumption, stored as such. event: placed first as start_at, then shifted so a physical event
    both streams see (the arc striking and going out: the current of ``to``'s ``channel`` against
    this stream's sound envelope or picture brightness) lines up; the offset and its uncertainty are
    estimated from the data and stored under ``clock/<stream>``.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    mode: Literal["wall_clock", "start_at", "event"] = "wall_clock"
    to: str | None = Field(default=None, description="reference stream for start_at and event")
    anchor: Literal["start", "end"] = "start"
    offset_s: float = 0.0
    channel: str | None = Field(default=None, description="event: the reference stream's channel that shows "
                                "the event (e.g. the arc current)")
    events: list[Literal["start", "end"]] = Field(
        default_factory=lambda: ["start"], min_length=1,  # type: ignore[arg-type]
        description="event: which edges are matched: start (the arc strikes), end (it goes out)")
    envelope_s: float = Field(default=0.05, gt=0, description="event: window of a sound stream's RMS envelope")
    levels: tuple[float, float] = Field(
        default=(0.1, 0.3), description="event: off/on thresholds as fractions of the way from the 5th to the "
        "95th percentile of the signal: low, so the first strike counts, not the loudest stretch")
    min_on_s: float = Field(default=1.0, ge=0, description="event: shorter 'on' stretches are noise, not a weld")
    min_gap_s: float = Field(default=0.5, ge=0, description="event: shorter dips inside a weld are bridged")
    max_lag_s: float = Field(default=10.0, gt=0, description="event: the largest offset looked for")
    on_failure: Literal["assumed", "fail"] = Field(
        default="assumed", description="event: when the event is not found in a run, keep the start_at "
        "placement and store it as assumed, or stop the import of that run")

    @model_validator(mode="after")
    def _needs_ref(self) -> Align:
        if self.mode in ("start_at", "event") and not self.to:
            raise ValueError(f"align mode '{self.mode}' needs 'to' (a reference stream)")
        if self.mode == "event" and not self.channel:
            raise ValueError("align mode 'event' needs 'channel' (the reference channel that shows the event)")
        if not 0 <= self.levels[0] < self.levels[1] <= 1:
            raise ValueError("align levels must be two fractions, low < high, between 0 and 1")
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


class AttachmentMapping(BaseModel):
    """Files that belong to a run but not to its time base, e.g. photos of the finished part taken
    hours later. Stored as they are under ``attachments/<name>/`` with their own capture time; never
    placed on the run time axis, and not put into samples unless asked for."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=STREAM_NAME)
    file: str = Field(description="glob under the run folder; may use {fields}")
    optional: bool = Field(default=True, description="a run without such files simply has none")
    time: TimeSpec | None = Field(default=None, description="capture time (source: filename); None: unknown")
    shows_outcome: bool = Field(
        default=True, description="the file shows the result of the weld (and may show the label itself)")
    description: str = ""


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
    taxonomy: str | None = Field(
        default=None, description="taxonomy (shipped name or YAML) the labels belong to: their names and "
        "mapped values are checked against it, and its from_manifest fields are filled from them")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, v: str) -> str:
        re.compile(v)
        return v

    @field_validator("weld")
    @classmethod
    def _weld_fields(cls, v: dict[str, Any]) -> dict[str, Any]:
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
    attachments: list[AttachmentMapping] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> ImportMapping:
        names = [s.name for s in self.streams]
        if len(set(names)) != len(names):
            raise ValueError(f"stream names repeat: {names}")
        for s in self.streams:
            if s.align.to is not None and s.align.to not in names:
                raise ValueError(f"stream {s.name!r} aligns to unknown stream {s.align.to!r}")
        attached = [a.name for a in self.attachments]
        if len(set(attached)) != len(attached):
            raise ValueError(f"attachment names repeat: {attached}")
        if self.run.taxonomy is not None:
            _check_labels(self.run.labels, self.run.taxonomy)
        if not any(s.align.mode == "wall_clock" and not s.optional for s in self.streams):
            raise ValueError(
                "at least one required stream must be aligned by wall_clock (it defines run time 0)"
            )
        return self


def _check_labels(labels: dict[str, FieldValue], taxonomy: str) -> None:
    """Imported labels must be answers to the taxonomy's questions, or no other command can use them."""
    from ._taxonomy import load_taxonomy

    tax = load_taxonomy(taxonomy)
    groups = {g.name: g for g in tax.choices}
    for key, value in labels.items():
        if key not in groups:
            raise ValueError(f"label {key!r} is not a group of taxonomy {tax.name!r} (groups: {sorted(groups)})")
        if isinstance(value, FieldRule):
            bad = sorted({v for v in [*value.map.values(), *value.contains.values(), value.default]
                          if v is not None and v not in groups[key].classes})
            if bad:
                raise ValueError(f"label {key!r} maps to {bad}, not classes of taxonomy {tax.name!r} "
                                 f"({groups[key].classes})")


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
        doc = load_yaml(p.read_text())
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
