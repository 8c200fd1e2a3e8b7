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


class GateScanner:
    """``gate_segments`` fed in pieces: a long recording is gated chunk by chunk in bounded memory.

    Only the gate's edges are kept (time, sample index, samples at or above on_threshold before it), so the
    result is the same as gating the whole signal at once.
    """

    def __init__(self, gate: GateThresholds) -> None:
        self.gate = gate
        self.open = False  # gate state after the last sample fed
        self.n = 0  # samples fed
        self.n_on = 0  # of them at or above on_threshold
        self.t_first: int | None = None
        self.t_last = 0
        self.dt: int | None = None  # median sample period of the first piece: a weld on at the end closes one
        # sample period after the last sample
        self._edges: list[np.ndarray] = []  # rows (t_ns, sample index, on-count before it, +1 open / -1 close)

    def feed(self, t_ns: np.ndarray, values: np.ndarray) -> None:
        t = np.asarray(t_ns, dtype=np.int64)
        v = np.asarray(values, dtype=np.float64).reshape(-1)
        if len(t) != len(v):
            raise ValueError(f"t_ns has {len(t)} samples, values {len(v)}")
        if not len(t):
            return
        if self.dt is None:
            ts = t if self.t_first is None else np.concatenate([[self.t_last], t])
            self.dt = int(np.median(np.diff(ts))) if len(ts) > 1 else None
        if self.t_first is None:
            self.t_first = int(t[0])
        g = self.gate
        above, below = v >= g.on_threshold, v < g.off_threshold
        # NaNs and samples between the thresholds keep the previous state (hysteresis).
        decisive = np.where(above | below, np.arange(len(v)), -1)
        np.maximum.accumulate(decisive, out=decisive)
        state = np.where(decisive >= 0, above[np.maximum(decisive, 0)], self.open).astype(np.int8)
        edges = np.diff(state, prepend=np.int8(self.open))
        at = np.flatnonzero(edges)
        on_before = np.concatenate([[0], np.cumsum(above)])[at]
        self._edges.append(np.stack([t[at], self.n + at, self.n_on + on_before, edges[at]], axis=1))
        self.open = bool(state[-1])
        self.n += len(v)
        self.n_on += int(above.sum())
        self.t_last = int(t[-1])

    def segments(self) -> list[GateSegment]:
        if self.t_first is None:
            return []
        edges = np.concatenate([*self._edges, np.zeros((0, 4), np.int64)])
        t_end = self.t_last + (self.dt or 0)
        if self.open:
            edges = np.concatenate([edges, [[t_end, self.n, self.n_on, -1]]])
        opens, closes = edges[edges[:, 3] == 1], edges[edges[:, 3] == -1]
        g = self.gate
        # Spikes go first: merged into a neighbour they would stretch its edges by up to merge_gap_s.
        real = (closes[:, 0] - opens[:, 0]) >= round(g.debounce_s * 1e9)
        opens, closes = opens[real], closes[real]
        if len(opens) > 1:
            # Openings never overlap: a group of them ends where its last one closes.
            first = np.concatenate([[True], opens[1:, 0] - closes[:-1, 0] > round(g.merge_gap_s * 1e9)])
            opens, closes = opens[first], closes[np.append(np.flatnonzero(first)[1:] - 1, len(first) - 1)]
        keep = (closes[:, 0] - opens[:, 0]) >= round(g.min_length_s * 1e9)
        opens, closes = opens[keep], closes[keep]
        pad = round(g.pad_s * 1e9)
        out: list[GateSegment] = []
        for o, c in zip(opens, closes, strict=True):
            n = int(c[1] - o[1])
            conf = (c[2] - o[2]) / n if n > 0 else 0.0
            s, e = max(int(o[0]) - pad, self.t_first), min(int(c[0]) + pad, t_end)
            if out and s <= out[-1].t_end_ns:  # padding made neighbours overlap: one segment, weakest confidence
                prev = out.pop()
                s, e, conf = prev.t_start_ns, max(e, prev.t_end_ns), min(conf, prev.confidence)
            out.append(GateSegment(int(s), int(e), round(float(conf), 6)))
        return out


def gate_segments(t_ns: np.ndarray, values: np.ndarray, gate: GateThresholds) -> list[GateSegment]:
    """Segments where ``values`` (sampled at ascending ``t_ns``) hold the gate open."""
    scanner = GateScanner(gate)
    scanner.feed(t_ns, values)
    return scanner.segments()
