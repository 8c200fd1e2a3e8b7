"""The live page's data during a recording, made in the view's own thread a few times a second.

The thread drains the tap (signal blocks into min/max rings, the newest frame of each camera into a PNG) and
reads the recorder's counters, then publishes one JSON snapshot that every viewer gets as is: a viewer costs a
socket write, and the recording never waits for any of it. Frames are rendered only while someone looks.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections import deque
from collections.abc import Iterable
from typing import Any

from weldctl.schema import StreamSpec, is_url

from .._recorder import Recorder
from ._image import Preview, render_frame
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
from ._tap import ViewTap

POINTS = 500  # buckets per trace: about one per pixel of a trace on a laptop screen
IDLE_S = 3.0  # no viewer polled for this long: stop rendering frames and snapshots
QUEUE_WARN = 0.25  # same threshold as the terminal's "writer behind"
DISK_WARN_S = 120.0  # warn when the disk fills up within this many seconds at the current ingest


def stream_alerts(streams: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The banner: losses and failures first (red), then what will turn into losses (yellow)."""
    alerts = []
    for s in streams:
        if s["lost"]:
            alerts.append({"level": "error", "text": f"{s['name']}: {s['lost']:,} samples lost in {s['gaps']} "
                                                     f"gap{'s' if s['gaps'] != 1 else ''}"})
        if s.get("error"):
            alerts.append({"level": "error", "text": f"{s['name']}: {s['error']}"})
    for s in streams:
        if s.get("queue", 0.0) > QUEUE_WARN:
            alerts.append({"level": "warn", "text": f"{s['name']}: writer behind (queue {s['queue']:.0%})"})
    return alerts


class LiveView:
    mode = "live"

    def __init__(self, rec: Recorder, tap: ViewTap, *, window_s: float = 10.0, refresh_hz: float = 4.0,
                 points: int = POINTS) -> None:
        self.rec, self.tap = rec, tap
        self.window_s, self.points = window_s, points
        self.period_s = 1.0 / refresh_hz
        self.bucket_ns = int(window_s * 1e9 / points)
        self.rings: dict[str, TraceRing] = {}
        self.specs: dict[str, StreamSpec] = {}
        self.laser = LaserState()
        self.has_laser = False
        self.previews: dict[str, tuple[int, float, Preview]] = {}  # name -> (frame seq, run time s, preview)
        self.taken: dict[str, int] = {}
        self.snapshot = b"{}"
        self.last_poll = 0.0
        self.cpu_s = 0.0  # this thread's CPU time
        self.error = ""
        self._counts: deque[tuple[float, dict[str, tuple[int, int]]]] = deque(maxlen=int(2 * refresh_hz) + 2)
        self._disk = (0.0, float("nan"))  # (when read, free bytes)
        self._fresh = threading.Event()  # set each time a snapshot is published
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="live-view", daemon=True)

    # -- the view thread ---------------------------------------------------------------------
    def start(self) -> LiveView:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.period_s):
            c0 = time.thread_time()
            try:
                self.tick()
            except Exception as exc:  # the view must never take the recording with it
                self.error = f"{type(exc).__name__}: {exc}"
                self.snapshot = json.dumps({"mode": "live", "run_id": self.rec.manifest.run_id,
                                            "alerts": [{"level": "warn", "text": f"live view: {self.error}"}]}).encode()
                self._fresh.set()
            self.cpu_s += time.thread_time() - c0

    def tick(self) -> None:
        self._drain()
        if time.monotonic() - self.last_poll < IDLE_S:
            self._render_frames()
            self.snapshot = json.dumps(self._state(), allow_nan=False).encode()
            self._fresh.set()
        self.error = ""  # a failure that went away is no longer news

    def _drain(self) -> None:
        for name in list(self.tap.recent):
            for item in self.tap.take_recent(name):
                spec = item.spec
                ring = self.rings.get(name)
                if ring is None:
                    ch = trace_width(spec)
                    slots = 2 * self.points  # a window plus room for streams that run ahead of the others
                    ring = self.rings[name] = TraceRing(ch, self.bucket_ns, slots, level=is_level(spec))
                    self.specs[name] = spec
                t = item.run_ns()
                ring.add(t, trace_values(spec, item.block.data))
                j = laser_channel(spec)
                if j is not None:
                    self.has_laser = True
                    self.laser.add(t, item.block.data[:, j])
                self.taken[name] = self.taken.get(name, 0) + 1

    def _render_frames(self) -> None:
        for name, item in list(self.tap.latest.items()):
            seq = int(item.block.seq[-1])
            if name in self.previews and self.previews[name][0] == seq:
                continue
            self.specs[name] = item.spec
            t_s = float(item.run_ns()[-1]) / 1e9
            self.previews[name] = (seq, t_s, render_frame(item.spec, item.block.data[-1]))

    # -- the snapshot --------------------------------------------------------------------------
    def _streams(self) -> list[dict[str, Any]]:
        now = time.monotonic()
        stats = self.rec.stats
        self._counts.append((now, {n: (s.samples, s.bytes) for n, s in stats.items()}))
        t_old, old = self._counts[0]
        dt = now - t_old
        out = []
        for n, s in stats.items():
            s0, b0 = old.get(n, (s.samples, s.bytes))
            out.append({"name": n, "kind": s.kind, "nominal_hz": s.nominal_rate_hz, "samples": s.samples,
                        "rate_hz": (s.samples - s0) / dt if dt > 0 else 0.0,
                        "mb_s": (s.bytes - b0) / dt / 1e6 if dt > 0 else 0.0, "lost": s.lost, "gaps": s.gaps,
                        "queue": s.queue_fill, "at_risk_s": s.at_risk_s, "state": s.state, "error": s.error})
        return out

    def _disk_free(self) -> float:
        when, free = self._disk
        if not is_url(self.rec.out) and time.monotonic() - when > 1.0:
            free = float(shutil.disk_usage(self.rec.out).free)
            self._disk = (time.monotonic(), free)
        return free

    def _state(self) -> dict[str, Any]:
        streams = self._streams()
        ingest = sum(s["mb_s"] for s in streams)
        free = self._disk_free()
        alerts = stream_alerts(streams)
        if ingest > 0 and free == free and free / (ingest * 1e6) < DISK_WARN_S:
            alerts.append({"level": "warn", "text": f"disk full in {free / (ingest * 1e6):.0f} s at this rate"})
        if self.error:
            alerts.append({"level": "warn", "text": f"live view: {self.error}"})
        ends = [r.last_t_ns for r in self.rings.values() if r.last_t_ns is not None]
        t_end = max(ends) if ends else int(self.rec.elapsed_s() * 1e9)
        traces = [c for n in panel_order(self.specs, self.rings)
                  for c in trace_channels(self.specs[n], self.rings[n], t_end, self.points)]
        load = self.rec.writer.load(window_s=2.0) if self.rec.writer is not None else {}
        dropped = sum(max(0, self.tap.offered.get(n, 0) - self.taken.get(n, 0) - len(self.tap.recent.get(n, ())))
                      for n in self.rings)
        return {
            "mode": "live", "run_id": self.rec.manifest.run_id, "elapsed_s": self.rec.elapsed_s(),
            "t_end_s": t_end / 1e9, "window_s": self.window_s, "alerts": alerts, "streams": streams,
            "frames": [frame_entry(n, self.specs[n], *self.previews[n])
                       for n in panel_order(self.specs, self.previews)],
            "traces": traces,
            "laser": {"present": self.has_laser, "on": self.laser.on, "welds": self.laser.welds,
                      "threshold": 0.5 * self.laser.peak if self.laser.peak >= LASER_MIN_HIGH else None,
                      "since_s": None if self.laser.since_ns is None else self.laser.since_ns / 1e9},
            "disk": {"free_gb": free / 1e9 if free == free else None, "ingest_mb_s": ingest,
                     "headroom": load.get("headroom")},
            "view": {"cpu_s": self.cpu_s, "preview_blocks_skipped": dropped},
        }

    # -- what the server asks ----------------------------------------------------------------------
    def state(self, query: dict[str, str]) -> bytes:
        idle = time.monotonic() - self.last_poll >= IDLE_S
        self.last_poll = time.monotonic()
        if idle:  # the first viewer after a pause waits one tick for a fresh picture, not one from minutes ago
            self._fresh.clear()
            self._fresh.wait(3 * self.period_s)
        return self.snapshot

    def frame(self, name: str, query: dict[str, str]) -> bytes | None:
        got = self.previews.get(name)
        return got[2].png if got else None


KIND_ORDER = ("camera", "ir", "daq", "oct", "audio")


def panel_order(specs: dict[str, StreamSpec], names: Iterable[str]) -> list[str]:
    """Streams in the order a monitor shows them: cameras before IR, DAQ signals before OCT and sound."""
    rank = {k: i for i, k in enumerate(KIND_ORDER)}
    return sorted(names, key=lambda n: (rank.get(specs[n].kind.value, len(rank)), n))


def frame_entry(name: str, spec: StreamSpec, seq: int, t_s: float, p: Preview) -> dict[str, Any]:
    return {"name": name, "kind": spec.kind.value, "seq": seq, "t_s": t_s, "width": p.width, "height": p.height,
            "lo": p.lo, "hi": p.hi, "units": p.units, "saturated": p.saturated}
