"""Cutting welds out of a gate signal: hysteresis, gap merging, minimum length, padding.

A pure function on (t_ns, values) arrays, so recorded runs and imported logs share it.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator


class GateThresholds(BaseModel):
    """Open at the first sample >= on_threshold, closed at the next sample < off_threshold (hysteresis)."""

    model_config = ConfigDict(extra="forbid")
    on_threshold: float
    off_threshold: float
    min_length_s: float = Field(default=0.05, ge=0, description="drop shorter segments (tack spots)")
    merge_gap_s: float = Field(default=0.02, ge=0, description="join segments separated by at most this")
    pad_s: float = Field(default=0.0, ge=0, description="widen each segment by this on both sides")
    debounce_s: float = Field(default=0.0, ge=0, description="ignore shorter openings (spikes)")

    @model_validator(mode="after")
    def _hysteresis(self) -> GateThresholds:
        if self.off_threshold > self.on_threshold:
            raise ValueError(f"off_threshold {self.off_threshold} must not exceed on_threshold "
                             f"{self.on_threshold}")
        return self


class GateSegment(NamedTuple):
    t_start_ns: int  # first sample at or above on_threshold
    t_end_ns: int  # first sample below off_threshold after it (exclusive end)
    confidence: float  # share of the segment's samples at or above on_threshold


def _hysteresis_state(values: np.ndarray, on: float, off: float) -> np.ndarray:
    """True where the gate is open. NaNs and samples between the thresholds keep the previous state."""
    above = values >= on
    below = values < off
    decisive = np.where(above | below, np.arange(len(values)), -1)
    np.maximum.accumulate(decisive, out=decisive)
    return np.where(decisive >= 0, above[np.maximum(decisive, 0)], False)


def _merge(starts: np.ndarray, ends: np.ndarray, gap_ns: int) -> tuple[np.ndarray, np.ndarray]:
    if len(starts) < 2:
        return starts, ends
    # A segment starts a new group when it begins more than gap_ns after every earlier one ended.
    new_group = np.concatenate([[True], starts[1:] - np.maximum.accumulate(ends)[:-1] > gap_ns])
    group = np.cumsum(new_group) - 1
    merged_ends = np.full(group[-1] + 1, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(merged_ends, group, ends)
    return starts[new_group], merged_ends


def gate_segments(t_ns: np.ndarray, values: np.ndarray, gate: GateThresholds) -> list[GateSegment]:
    """Segments where ``values`` (sampled at ascending ``t_ns``) hold the gate open."""
    t = np.asarray(t_ns, dtype=np.int64)
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    if len(t) != len(v):
        raise ValueError(f"t_ns has {len(t)} samples, values {len(v)}")
    if len(t) == 0:
        return []
    state = _hysteresis_state(v, gate.on_threshold, gate.off_threshold).astype(np.int8)
    edges = np.diff(state, prepend=np.int8(0), append=np.int8(0))
    i_start = np.flatnonzero(edges == 1)
    i_end = np.flatnonzero(edges == -1)  # exclusive sample index
    if not len(i_start):
        return []
    dt = int(np.median(np.diff(t))) if len(t) > 1 else 0
    t_after = np.append(t, t[-1] + dt)  # a weld still on at the end closes one sample period later
    starts, ends = t[i_start], t_after[i_end]
    # Spikes go first: merged into a neighbour they would stretch its edges by up to merge_gap_s.
    real = (ends - starts) >= round(gate.debounce_s * 1e9)
    starts, ends = _merge(starts[real], ends[real], round(gate.merge_gap_s * 1e9))
    keep = (ends - starts) >= round(gate.min_length_s * 1e9)
    starts, ends = starts[keep], ends[keep]
    on = v >= gate.on_threshold
    conf = []
    for s, e in zip(starts, ends, strict=True):
        i0, i1 = np.searchsorted(t, [s, e])
        conf.append(float(on[i0:i1].mean()) if i1 > i0 else 0.0)
    lo, hi = int(t[0]), int(t_after[-1])
    pad = round(gate.pad_s * 1e9)
    out: list[GateSegment] = []
    for s, e, c in zip(np.maximum(starts - pad, lo), np.minimum(ends + pad, hi), conf, strict=True):
        if out and s <= out[-1].t_end_ns:  # padding made neighbours overlap: one segment, weakest confidence
            prev = out.pop()
            s, e, c = prev.t_start_ns, max(int(e), prev.t_end_ns), min(c, prev.confidence)
        out.append(GateSegment(int(s), int(e), round(float(c), 6)))
    return out
