"""The live page over a finished run: the same picture at any moment of it, for scrubbing through welds.

At start every signal stream is read once, in pieces, into a min/max ring as long as the run (a few MB for
an hour), so moving the cursor costs a slice, not a read of the window's raw samples. Frames are read one at
a time, at the cursor.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from weldctl.schema import RunReader

from ._image import Preview, render_frame
from ._live import frame_entry, panel_order, stream_alerts
from ._signal import (
    LASER_MIN_HIGH,
    LaserState,
    TraceRing,
    is_level,
    laser_channel,
    trace_channels,
    trace_values,
    trace_width,
)

POINTS = 500
READ_PIECE = 1 << 20  # samples per read while building the overview
FRAME_CACHE = 32


class ReplayView:
    mode = "replay"

    def __init__(self, reader: RunReader, welds: Sequence[tuple[int, int, int]], *, window_s: float = 2.0,
                 points: int = POINTS) -> None:
        self.r = reader
        self.welds = [(int(w), int(a), int(b)) for w, a, b in welds]
        self.window_s, self.points = window_s, points
        self.bucket_ns = max(1, int(window_s * 1e9 / points))
        self.specs = reader.specs
        self.lengths = {n: reader.length(n) for n in self.specs}
        self.frame_t = {n: reader.t_ns(n) for n, s in self.specs.items() if s.is_frames and self.lengths[n]}
        starts = [int(t[0]) for t in self.frame_t.values()]
        ends = [int(t[-1]) for t in self.frame_t.values()]
        self.rings: dict[str, TraceRing] = {}
        self.laser_stream: tuple[str, int] | None = None
        self.laser_peak = 0.0
        for name, spec in self.specs.items():
            if spec.is_frames or not self.lengths[name]:
                continue
            first, last = self._overview(name)
            starts.append(first)
            ends.append(last)
        self.t_start_ns = min(starts, default=0)
        self.t_end_ns = max(ends, default=0)
        gaps = reader.gaps()
        self.gaps: list[dict[str, Any]] = [{"t_s": int(t) / 1e9, "stream": str(s), "count": int(c)}
                     for t, s, c in zip(gaps["t_ns"], gaps["stream"], gaps["count"], strict=True)]
        self._cache: OrderedDict[tuple[str, int], Preview] = OrderedDict()
        self._lock = threading.Lock()  # zarr reads and the cache, from several viewers' handler threads

    def _overview(self, name: str) -> tuple[int, int]:
        spec = self.specs[name]
        n = self.lengths[name]
        t_first = int(self.r.read_many([(name, "t_ns", slice(0, 1))])[0][0])
        t_last = int(self.r.read_many([(name, "t_ns", slice(n - 1, n))])[0][0])
        slots = (t_last - t_first) // self.bucket_ns + self.points + 2
        ring = self.rings[name] = TraceRing(trace_width(spec), self.bucket_ns, slots, level=is_level(spec))
        j = laser_channel(spec)
        laser = LaserState() if j is not None else None
        for i0 in range(0, n, READ_PIECE):
            sel = slice(i0, min(n, i0 + READ_PIECE))
            t, data = self.r.read_many([(name, "t_ns", sel), (name, "data", sel)])
            ring.add(t, trace_values(spec, data))
            if laser is not None and j is not None:
                laser.add(t, data[:, j])
        if laser is not None and j is not None and self.laser_stream is None:
            self.laser_stream, self.laser_peak = (name, j), laser.peak
        return t_first, t_last

    def _cursor(self, query: dict[str, str]) -> int:
        try:
            t = int(float(query.get("t", "")) * 1e9)
        except ValueError:
            t = self.t_start_ns  # a new page starts at the beginning; the weld buttons go from there
        return int(np.clip(t, self.t_start_ns, self.t_end_ns))

    def _frame_at(self, name: str, t_ns: int) -> tuple[int, float, Preview] | None:
        t = self.frame_t.get(name)
        if t is None:
            return None
        i = int(np.clip(np.searchsorted(t, t_ns, side="right") - 1, 0, len(t) - 1))
        key = (name, i)
        with self._lock:
            p = self._cache.get(key)
            if p is None:
                p = render_frame(self.specs[name], np.asarray(self.r.data(name)[i]))
                self._cache[key] = p
                if len(self._cache) > FRAME_CACHE:
                    self._cache.popitem(last=False)
            else:
                self._cache.move_to_end(key)
        return i, float(t[i]) / 1e9, p

    def state(self, query: dict[str, str]) -> bytes:
        t = self._cursor(query)
        frames = []
        for name in panel_order(self.specs, self.frame_t):
            got = self._frame_at(name, t)
            if got is not None:
                frames.append(frame_entry(name, self.specs[name], *got))
        traces = [c for n in panel_order(self.specs, self.rings)
                  for c in trace_channels(self.specs[n], self.rings[n], t, self.points)]
        streams = []
        for n, spec in self.specs.items():
            lost = [g for g in self.gaps if g["stream"] == n]
            streams.append({"name": n, "kind": spec.kind.value, "nominal_hz": spec.nominal_rate_hz,
                            "samples": self.lengths[n], "rate_hz": None, "mb_s": None,
                            "lost": sum(g["count"] for g in lost), "gaps": len(lost), "queue": 0.0,
                            "at_risk_s": None, "state": "recorded", "error": ""})
        threshold = 0.5 * self.laser_peak if self.laser_peak >= LASER_MIN_HIGH else None
        laser: dict[str, Any] = {"present": self.laser_stream is not None, "on": False, "welds": 0,
                                 "since_s": None, "threshold": threshold}
        if self.laser_stream is not None and threshold is not None:
            name, j = self.laser_stream
            _, _lo, hi, _ = self.rings[name].window(t, 1)
            laser["on"] = bool(hi[0, j] > threshold)
        inside = [w for w, a, b in self.welds if a <= t <= b]
        laser["welds"] = sum(1 for _w, a, _b in self.welds if a <= t)
        lo_s = t / 1e9 - self.window_s
        state = {
            "mode": "replay", "run_id": self.r.run_id, "t_s": t / 1e9, "t_end_s": t / 1e9,
            "start_s": self.t_start_ns / 1e9, "end_s": self.t_end_ns / 1e9, "window_s": self.window_s,
            "alerts": stream_alerts(streams), "streams": streams, "frames": frames, "traces": traces,
            "laser": laser, "weld": inside[0] if inside else None,
            "welds": [{"id": w, "t0_s": a / 1e9, "t1_s": b / 1e9} for w, a, b in self.welds],
            "gaps": [g for g in self.gaps if lo_s <= g["t_s"] <= t / 1e9],
        }
        return json.dumps(state, allow_nan=False).encode()

    def frame(self, name: str, query: dict[str, str]) -> bytes | None:
        got = self._frame_at(name, self._cursor(query))
        return got[2].png if got else None
