"""Segmenting a recorded run: pick the gate signal, apply the thresholds, build the segments table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from weldctl.schema import RunReader, StreamKind, StreamSpec, WeldctlError

from ..core import channels_of
from ._gate import GateScanner, GateThresholds
from ._segments_io import SEGMENT_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

GateSource = Literal["laser_on", "photodiode", "arc_current", "oct_valid"]

# Thresholds in the channel's physical units; each can be overridden from params.yaml or the CLI.
DEFAULT_GATES: dict[str, GateThresholds] = {
    # TTL laser-on line: 0 / 5 V.
    "laser_on": GateThresholds(on_threshold=2.5, off_threshold=1.0, min_length_s=0.02, merge_gap_s=0.005),
    # Plume emission: a cold (conduction) weld still gives a few tens of mV over a ~10 mV noise floor.
    "photodiode": GateThresholds(on_threshold=0.04, off_threshold=0.025, min_length_s=0.05, merge_gap_s=0.03,
                                 debounce_s=0.001),
    # Arc current: short-circuit transfer and arc restarts dip for a few hundred ms.
    "arc_current": GateThresholds(on_threshold=30.0, off_threshold=10.0, min_length_s=0.5, merge_gap_s=1.0),
    # OCT signal quality / validity flag (0 or 1).
    "oct_valid": GateThresholds(on_threshold=0.5, off_threshold=0.5, min_length_s=0.05, merge_gap_s=0.02),
}
_QUALITY_CHANNELS = ("quality", "valid", "oct_valid")


class SegmentParams(BaseModel):
    """`segment:` in params.yaml; CLI options override field by field. Unset fields are auto-picked."""

    model_config = ConfigDict(extra="forbid")
    stream: str | None = None
    channel: str | None = None
    source: GateSource | None = Field(default=None, description="what the gate signal is; sets thresholds")
    on_threshold: float | None = None  # not `on`/`off`: YAML reads those keys as booleans
    off_threshold: float | None = None
    min_length_s: float | None = Field(default=None, ge=0)
    merge_gap_s: float | None = Field(default=None, ge=0)
    pad_s: float | None = Field(default=None, ge=0)
    debounce_s: float | None = Field(default=None, ge=0)
    out: str = "segments"

    def merged(self, overrides: dict[str, Any]) -> SegmentParams:
        given = {k: v for k, v in overrides.items() if v is not None}
        base = self.model_dump()
        if "stream" in given:  # another stream: the file's channel and source were for the old one
            base.update(channel=None, source=None)
        return self.model_validate({**base, **given})

    def thresholds(self, source: str) -> GateThresholds:
        base = DEFAULT_GATES[source].model_dump()
        mine = {k: getattr(self, k) for k in base if getattr(self, k) is not None}
        if "on_threshold" in mine and "off_threshold" not in mine:
            mine["off_threshold"] = min(mine["on_threshold"], base["off_threshold"])
        try:
            return GateThresholds.model_validate({**base, **mine})
        except ValidationError as exc:
            raise WeldctlError(f"{source} gate: {exc.errors()[0]['msg']}",
                               "check on_threshold/off_threshold (--on/--off) in params.yaml and the options"
                               ) from None


class GateChoice(BaseModel):
    stream: str
    channel: str | None
    source: GateSource


def _source_of(spec: StreamSpec, channel: str | None) -> GateSource | None:
    name = (channel or spec.name).lower()
    if name == "laser_on":
        return "laser_on"
    if "photodiode" in name:
        return "photodiode"
    if "current" in name:
        return "arc_current"
    if spec.kind == StreamKind.oct and name in _QUALITY_CHANNELS:
        return "oct_valid"
    return None


def pick_gate(specs: dict[str, StreamSpec], params: SegmentParams) -> GateChoice:
    """The stream/channel to gate on: as given, else laser-on, photodiode, a current, OCT quality."""
    if params.stream is not None:
        if params.stream not in specs:
            raise WeldctlError(f"no stream {params.stream!r} in the run", f"streams: {', '.join(specs)}")
        spec = specs[params.stream]
        channel = params.channel
        if channel is None and spec.channels:
            found = [c for c in spec.channels if _source_of(spec, c)]
            channel = found[0] if found else None
            if channel is None:
                raise WeldctlError(f"cannot tell which channel of stream {spec.name!r} gates the weld",
                                   f"pass --channel, one of: {', '.join(spec.channels)}")
        if channel is not None and channel not in spec.channels:
            raise WeldctlError(f"stream {spec.name!r} has no channel {channel!r}",
                               f"channels: {', '.join(spec.channels)}")
        source = params.source or _source_of(spec, channel)
        if source is None:
            raise WeldctlError(f"cannot tell what {spec.name}/{channel} measures",
                               "pass --source laser_on|photodiode|arc_current|oct_valid")
        return GateChoice(stream=spec.name, channel=channel, source=source)
    candidates: list[GateChoice] = []
    for spec in specs.values():
        if spec.is_frames:
            continue
        for ch in channels_of(spec):
            src = _source_of(spec, ch)
            if src is not None:
                candidates.append(GateChoice(stream=spec.name, channel=ch, source=src))
    wanted = [params.source] if params.source else list(DEFAULT_GATES)
    for want in wanted:
        for c in candidates:
            if c.source == want:
                return c
    raise WeldctlError("found no gate signal (laser-on line, photodiode, arc current or OCT quality)",
                       "name one with --stream/--channel and --source")


GATE_CHUNK = 1 << 22  # samples gated per read: an hour at 100 kS/s stays ~100 MB of memory, not ~10 GB


def gate_signal(reader: RunReader, choice: GateChoice, chunk: int = GATE_CHUNK
                ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(t_ns, values in physical units) of the chosen stream/channel, piece by piece."""
    spec = reader.specs[choice.stream]
    n = reader.length(choice.stream)
    cal = spec.calibration.get(choice.channel or "*") or spec.calibration.get("*")
    for i0 in range(0, n, chunk):
        rows = slice(i0, min(n, i0 + chunk))
        sel = (rows, spec.channel_index(choice.channel)) if choice.channel else rows
        raw, t_ns = reader.read_many([(choice.stream, "data", sel), (choice.stream, "t_ns", rows)])
        yield t_ns, (cal.apply(raw) if cal else raw.astype(np.float64))


def segment_run(reader: RunReader, params: SegmentParams) -> pd.DataFrame:
    """The segments table of one run (columns of SEGMENT_COLUMNS, one row per weld, in time order)."""
    import pandas as pd

    choice = pick_gate(reader.specs, params)
    scanner = GateScanner(params.thresholds(choice.source))
    for t_ns, values in gate_signal(reader, choice):
        scanner.feed(t_ns, values)
    segs = scanner.segments()
    return pd.DataFrame({
        "run_id": [reader.run_id] * len(segs),
        "weld_id": np.arange(len(segs), dtype=np.int64),
        "t_start_ns": np.array([s.t_start_ns for s in segs], dtype=np.int64),
        "t_end_ns": np.array([s.t_end_ns for s in segs], dtype=np.int64),
        "source": [choice.source] * len(segs),
        "confidence": np.array([s.confidence for s in segs], dtype=np.float64),
    }, columns=list(SEGMENT_COLUMNS))


def segment_uri(uri: str, params: SegmentParams) -> pd.DataFrame:
    """``segment_run`` on a run named by URI, the table carrying its run id: one Dask task per run."""
    reader = RunReader(uri)
    df = segment_run(reader, params)
    df.attrs["run_id"] = reader.run_id
    return df
