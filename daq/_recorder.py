"""The recorder: one acquisition thread per device, bounded queues, one writer, always finalized.

Composed of small parts, each in its own module: the stop flag (``_stop``), signal handling (``_signals``)
and CPU priority (``_priority``), the store's lifecycle (``_store_lifecycle``), the threads and stop rules
(``_supervisor``), per-device acquisition (``_acquisition``) and the writer loop with its pacing
(``_writer_loop``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from weldctl.schema import Durability, RunManifest, RunWriter

from ._acquisition import Tap
from ._device import Device
from ._errors import RecordingError
from ._pipe import Pipe, StreamStats
from ._priority import raised_priority
from ._signals import stop_on_signals
from ._stop import StopFlag
from ._store_lifecycle import RECOVER_HINT, Truth, create_store, finalize_store
from ._supervisor import Supervisor
from ._writer_loop import WriterLoop, update_at_risk


@dataclass
class RecordResult:
    uri: str
    stats: dict[str, StreamStats]
    duration_s: float
    stop_reason: str
    error: str = ""
    fits: dict[str, object] = field(default_factory=dict)
    writer: dict[str, float] = field(default_factory=dict)  # writer load over the run (RunWriter.load)
    kept: bool = True  # False: nothing was recorded and no store was left
    notes: list[str] = field(default_factory=list)  # what the operator should know (priority, writer behind)

    @property
    def ok(self) -> bool:
        return not self.error


class Recorder:
    def __init__(
        self,
        devices: list[Device],
        manifest: RunManifest,
        out: str,
        *,
        overwrite: bool = False,
        queue_seconds: float = 4.0,
        flush_interval_s: float = 0.5,
        max_at_risk_s: float = 1.0,
        nice: int | None = None,
        durability: Durability = "shard",
        truth: Truth | None = None,
    ) -> None:
        self.devices = devices
        self.manifest = manifest
        self.out = out
        self.overwrite = overwrite
        self.queue_seconds = queue_seconds
        self.flush_interval_s = flush_interval_s
        self.max_at_risk_s = max_at_risk_s
        self.nice = nice
        self.durability = durability
        self.priority_note = ""
        self.truth = truth
        self._flag = StopFlag()
        self.pipes: list[Pipe] = []
        self.writer: RunWriter | None = None
        self.t0_ns = 0
        self.end_ns: int | None = None  # run-time end of a --duration recording: samples after it are not kept
        self.tap: Tap | None = None  # the live view's copy of references (never waits)

    # -- control -------------------------------------------------------------------------
    def stop(self, reason: str) -> None:
        self._flag.stop(reason)

    def fail(self, message: str) -> None:
        self._flag.fail(message)

    @property
    def stats(self) -> dict[str, StreamStats]:
        return {p.spec.name: p.stats for p in self.pipes}

    def elapsed_s(self) -> float:
        return (time.monotonic_ns() - self.t0_ns) / 1e9 if self.t0_ns else 0.0

    def update_at_risk(self) -> None:
        """What a crash now would lose, per stream (see Pipe.at_risk)."""
        if self.writer is not None and self.t0_ns:
            update_at_risk(self.writer, self.pipes, self.t0_ns)

    def run(
        self,
        duration_s: float | None = None,
        stop_after_sequence: bool = True,
        on_tick: Callable[[Recorder], None] | None = None,
        tick_s: float = 0.25,
    ) -> RecordResult:
        """Record until the duration, the end of the weld sequence, Ctrl-C/SIGTERM or a failure; finalize.

        A stop at any instant ends in one of two stores: none (nothing was recorded: the start failed or was
        interrupted before the first sample) or a finalized one.
        """
        with stop_on_signals(self.stop), raised_priority(self.nice) as note:
            self.priority_note = self.priority_note or note
            try:
                return self._record(duration_s, stop_after_sequence, on_tick, tick_s)
            except BaseException:
                if self.writer is not None:
                    self.writer.unlock()  # as the OS would for a dead process: the store is left for `recover`
                raise
            finally:
                self._close_devices()

    def _record(
        self,
        duration_s: float | None,
        stop_after_sequence: bool,
        on_tick: Callable[[Recorder], None] | None,
        tick_s: float,
    ) -> RecordResult:
        specs = []
        for d in self.devices:
            if self._flag.is_set():
                return self._not_started(f"{self._flag.reason} before recording started")
            specs.append(d.configure())
        self.pipes = [Pipe(d, s, self.queue_seconds) for d, s in zip(self.devices, specs, strict=True)]
        if self._flag.is_set():
            return self._not_started(f"{self._flag.reason} before recording started")
        self.writer = create_store(
            self.out, self.manifest, specs, self.devices, overwrite=self.overwrite, durability=self.durability,
            truth=self.truth
        )
        # Known up front, so no sample past the end is written while the stop is still being noticed.
        self.end_ns = int(duration_s * 1e9) if duration_s is not None else None
        self.t0_ns = time.monotonic_ns()
        # start_utc is the run's t = 0 (the trigger): what a crash test or a log line is compared with.
        self.writer.set_manifest(self.manifest.model_copy(update={"start_utc": datetime.now(UTC)}))
        loop = self._writer_loop(self.writer)
        supervisor = Supervisor(self.pipes, self._flag, loop, t0_ns=self.t0_ns, end_ns=self.end_ns, tap=self.tap)

        def tick() -> None:
            self.update_at_risk()
            if on_tick:
                on_tick(self)

        if not supervisor.run(duration_s, stop_after_sequence, tick, tick_s):
            reason = self._flag.reason
            return self._not_started(
                reason if self._flag.error else f"{reason} before recording started", self._flag.error
            )
        self._close_devices()
        return self._finish(loop, on_tick)

    def _writer_loop(self, writer: RunWriter) -> WriterLoop:
        """The writer thread's loop (a benchmark puts another library in the store's place here)."""
        return WriterLoop(
            writer,
            self.pipes,
            self._flag,
            t0_ns=self.t0_ns,
            end_ns=self.end_ns,
            flush_interval_s=self.flush_interval_s,
            max_at_risk_s=self.max_at_risk_s,
        )

    def _finish(self, loop: WriterLoop, on_tick: Callable[[Recorder], None] | None) -> RecordResult:
        assert self.writer is not None
        by_duration = self.end_ns is not None and self._flag.reason.startswith("duration")
        duration = self.end_ns / 1e9 if by_duration and self.end_ns is not None else self.elapsed_s()
        writer_load = self.writer.load()
        self.writer, fits, not_finalized = finalize_store(self.writer, self.pipes, write_failed=loop.failed)
        if not_finalized:
            self._flag.error = (self._flag.error or not_finalized) + RECOVER_HINT
        # The summary reports what is in the store, not what was handed to the writer.
        for p in self.pipes:
            app = self.writer.streams[p.spec.name]
            p.stats.samples, p.stats.bytes = app.n, app.n * p.spec.bytes_per_sample
        if on_tick:
            on_tick(self)
        notes = [self.priority_note] if self.priority_note else []
        shed = {p.spec.name: p.stats.shed for p in self.pipes if p.stats.shed}
        if shed:
            notes.append(
                "the writer fell behind: dropped (and recorded as writer_behind gaps) "
                + ", ".join(f"{n} {k}" for k, n in shed.items())
            )
        return RecordResult(
            self.writer.uri, self.stats, duration, self._flag.reason, self._flag.error, fits, writer_load, notes=notes
        )

    def _not_started(self, reason: str, error: str = "") -> RecordResult:
        """Nothing was recorded: no store is kept (the run id stays free)."""
        uri = ""
        if self.writer is not None:
            uri = self.writer.uri
            self.writer.discard()
        self._flag.reason = reason
        return RecordResult(uri, self.stats, 0.0, reason, error, kept=False)

    def _close_devices(self) -> None:
        for d in self.devices:
            try:
                d.close()
            except Exception as exc:  # a device that fails to close must not cost the recording
                for p in self.pipes:
                    if p.device is d:
                        p.stats.error = p.stats.error or f"close failed: {exc}"


def raise_on_failure(result: RecordResult) -> None:
    if result.error:
        raise RecordingError(result.error, f"the store at {result.uri} keeps everything written before the failure")
