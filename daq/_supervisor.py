"""The recording's threads and stop rules: start the devices and the threads, watch, stop, join."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ._acquisition import Tap, acquire, short_of_end
from ._pipe import Pipe
from ._stop import StopFlag
from ._writer_loop import WriterLoop

DEVICE_JOIN_S = 5.0  # an acquisition thread stuck in a driver call must not hold the finalize up


class Supervisor:
    def __init__(
        self, pipes: list[Pipe], stop: StopFlag, loop: WriterLoop, *, t0_ns: int, end_ns: int | None, tap: Tap | None
    ) -> None:
        self.pipes, self.stop, self.loop = pipes, stop, loop
        self.t0_ns, self.end_ns = t0_ns, end_ns

        def keep_reading(pipe: Pipe) -> bool:
            return short_of_end(pipe, stop, end_ns, t0_ns)

        self.acquisition = [
            threading.Thread(target=acquire, args=(p, stop, keep_reading, tap), name=f"acq-{p.spec.name}", daemon=True)
            for p in pipes
        ]
        self.writing = [
            threading.Thread(target=loop.run, name="writer", daemon=True),
            threading.Thread(target=loop.table_loop, name="tables", daemon=True),
        ]

    def elapsed_s(self) -> float:
        return (time.monotonic_ns() - self.t0_ns) / 1e9

    def run(self, duration_s: float | None, stop_after_sequence: bool, tick: Callable[[], None], tick_s: float) -> bool:
        """Record until a stop; False when it stopped before the writer ever ran (nothing was recorded)."""
        started: list[threading.Thread] = []
        try:
            if self._start_devices():
                for t in [*self.acquisition, *self.writing]:
                    t.start()
                    started.append(t)
            while not self.stop.wait(
                tick_s if duration_s is None else max(0.001, min(tick_s, duration_s - self.elapsed_s()))
            ):
                tick()
                self._apply_stop_rules(duration_s, stop_after_sequence)
        except KeyboardInterrupt:
            self.stop.stop("interrupted (Ctrl-C)")
        finally:
            self.stop.set()
            for t in started:
                t.join(timeout=None if t in self.writing else DEVICE_JOIN_S)
        return self.writing[0] in started

    def _start_devices(self) -> bool:
        """Start every device on the run's t = 0; a device that does not start fails the recording."""
        for p in self.pipes:
            if self.stop.is_set():
                break
            try:
                p.device.start(self.t0_ns)
            except Exception as exc:
                p.stats.state, p.stats.error = "failed", str(getattr(exc, "message", exc))
                self.stop.fail(f"{p.spec.name} did not start: {p.stats.error}")
                break
        return not self.stop.is_set()

    def _apply_stop_rules(self, duration_s: float | None, stop_after_sequence: bool) -> None:
        ended = all(p.finished.is_set() for p in self.pipes)
        if duration_s is not None and self.elapsed_s() >= duration_s:
            self.stop.stop(f"duration {duration_s:g} s reached")
        elif stop_after_sequence and ended:
            self.stop.stop("weld sequence finished")
        elif ended:
            self.stop.stop("all streams ended")
