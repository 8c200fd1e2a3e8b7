"""The recorder: one acquisition thread per device, bounded queues, one writer, always finalized."""

from __future__ import annotations

import errno
import os
import queue
import shutil
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from weldctl.schema import Durability, RunManifest, RunWriter, is_url

from ._block import Block
from ._device import Device
from ._errors import RecordingError
from ._finalize import finalize_run
from ._pipe import Pipe, StreamStats
from ._timing import stated_timing
from ._view_tap import ViewTap

IDLE_SLEEP_S = 0.002
READ_TIMEOUT_S = 0.2
MIN_FLUSH_GAP_S = 0.05
IO_BACKLOG = 2  # queued disk writes beyond which the next checkpoint waits (see _write_loop)
RESERVE_MAX_BYTES = 16 << 20
RESERVE_SHARE = 0.05


def _is_disk_full(exc: BaseException | None) -> bool:
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


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
    def __init__(self, devices: list[Device], manifest: RunManifest, out: str, *, overwrite: bool = False,
                 queue_seconds: float = 4.0, flush_interval_s: float = 0.5, max_at_risk_s: float = 1.0,
                 nice: int | None = None, durability: Durability = "none",
                 truth: Callable[[], dict[str, tuple[dict, dict]]] | None = None) -> None:
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
        self._writer_done = threading.Event()
        self.truth = truth
        self._stop = threading.Event()
        self._stop_reason = ""
        self._error = ""
        self.pipes: list[Pipe] = []
        self.writer: RunWriter | None = None
        self.t0_ns = 0
        self.end_ns: int | None = None  # run-time end of a --duration recording: samples after it are not kept
        self._write_failed = False
        self.tap: ViewTap | None = None  # the live view's copy of references (never waits)

    def _reserve_bytes(self) -> int:
        """Disk held back for finalizing (sample times, events, checksums) when the disk fills up."""
        if is_url(self.out):
            return 0
        free = shutil.disk_usage(self.out).free
        return int(min(RESERVE_MAX_BYTES, RESERVE_SHARE * free))

    # -- control -------------------------------------------------------------------------
    def stop(self, reason: str) -> None:
        if not self._stop.is_set():
            self._stop_reason = reason
            self._stop.set()

    def fail(self, message: str) -> None:
        self._error = self._error or message
        self.stop("error")

    @property
    def stats(self) -> dict[str, StreamStats]:
        return {p.spec.name: p.stats for p in self.pipes}

    def elapsed_s(self) -> float:
        return (time.monotonic_ns() - self.t0_ns) / 1e9 if self.t0_ns else 0.0

    def run(self, duration_s: float | None = None, stop_after_sequence: bool = True,
            on_tick: Callable[[Recorder], None] | None = None, tick_s: float = 0.25) -> RecordResult:
        """Record until the duration, the end of the weld sequence, Ctrl-C/SIGTERM or a failure; finalize.

        A stop at any instant ends in one of two stores: none (nothing was recorded: the start failed or was
        interrupted before the first sample) or a finalized one.
        """
        old_handlers = None
        if threading.current_thread() is threading.main_thread():
            # First of all, so a Ctrl-C while devices are opened or the store is made is a stop, not an exception.
            old_handlers = (signal.signal(signal.SIGINT, lambda *_: self.stop("interrupted (Ctrl-C)")),
                            signal.signal(signal.SIGTERM, lambda *_: self.stop("terminated")))
        restore_nice = self._raise_priority()
        try:
            return self._run(duration_s, stop_after_sequence, on_tick, tick_s)
        except BaseException:
            if self.writer is not None:
                self.writer.unlock()  # as the OS would for a dead process: the store is left for `recover`
            raise
        finally:
            self._close_devices()
            if restore_nice is not None:
                os.setpriority(os.PRIO_PROCESS, 0, restore_nice)
            if old_handlers is not None:
                signal.signal(signal.SIGINT, old_handlers[0])
                signal.signal(signal.SIGTERM, old_handlers[1])

    def _raise_priority(self) -> int | None:
        """Ask for the rig's CPU priority before any recorder thread exists (threads inherit it); returns the
        value to restore. A loaded PC otherwise starves the writer, and what waits in memory is what a crash
        loses."""
        if self.nice is None or not hasattr(os, "setpriority"):
            return None
        before = os.getpriority(os.PRIO_PROCESS, 0)
        if self.nice >= before:
            return None
        try:
            os.setpriority(os.PRIO_PROCESS, 0, self.nice)
        except OSError:
            self.priority_note = f"normal CPU priority (nice {before}): raising it to {self.nice} needs root"
            return None
        return before

    def _close_devices(self) -> None:
        for d in self.devices:
            try:
                d.close()
            except Exception as exc:  # a device that fails to close must not cost the recording
                for p in self.pipes:
                    if p.device is d:
                        p.stats.error = p.stats.error or f"close failed: {exc}"

    def _create_store(self, specs: list) -> None:  # type: ignore[type-arg]
        try:
            self.writer = RunWriter.create(self.out, self.manifest, specs, overwrite=self.overwrite,
                                          durability=self.durability)
            for d in self.devices:  # the stated latencies and delays finalize applies (recover too)
                self.writer.set_clock_attrs(d.name, stated_timing(d.config))
            # Sim truth is known before the run (and on the run time base), so a recovered store has it too.
            for name, (tbl, dtypes) in (self.truth() if self.truth else {}).items():
                self.writer.write_truth(name, tbl, dtypes)
            self.writer.reserve_space(self._reserve_bytes())
        except OSError as exc:
            where = self.writer.uri if self.writer else self.out
            if self.writer is not None:
                self.writer.discard()
                self.writer = None
            if _is_disk_full(exc):
                raise RecordingError(f"disk full before recording started ({where})",
                                     "free space or record to another --out") from None
            raise RecordingError(f"cannot write the run store at {where}: {exc.strerror or exc}",
                                 "check the --out folder exists, is a folder and is writable") from None

    def _not_started(self, reason: str, error: str = "") -> RecordResult:
        """Nothing was recorded: no store is kept (the run id stays free)."""
        uri = ""
        if self.writer is not None:
            uri = self.writer.uri
            self.writer.discard()
        self._stop_reason = reason
        return RecordResult(uri, self.stats, 0.0, reason, error, kept=False)

    def _run(self, duration_s: float | None, stop_after_sequence: bool,
             on_tick: Callable[[Recorder], None] | None, tick_s: float) -> RecordResult:
        specs = []
        for d in self.devices:
            if self._stop.is_set():
                return self._not_started(f"{self._stop_reason} before recording started")
            specs.append(d.configure())
        self.pipes = [Pipe(d, s, self.queue_seconds)
                      for d, s in zip(self.devices, specs, strict=True)]
        if self._stop.is_set():
            return self._not_started(f"{self._stop_reason} before recording started")
        self._create_store(specs)
        assert self.writer is not None
        # Known up front, so no sample past the end is written while the stop is still being noticed.
        self.end_ns = int(duration_s * 1e9) if duration_s is not None else None
        self.t0_ns = time.monotonic_ns()
        # start_utc is the run's t = 0 (the trigger): what a crash test or a log line is compared with.
        self.writer.set_manifest(self.manifest.model_copy(update={"start_utc": datetime.now(UTC)}))
        threads = [threading.Thread(target=self._acquire, args=(p,), name=f"acq-{p.spec.name}", daemon=True)
                   for p in self.pipes]
        writer_thread = threading.Thread(target=self._write_loop, name="writer", daemon=True)
        # Tables (clock observations, gap rows) go through zarr-python, whose small writes take a second or more
        # on a loaded machine: on a thread of their own, they never hold the samples up.
        table_thread = threading.Thread(target=self._table_loop, name="tables", daemon=True)
        started: list[threading.Thread] = []
        try:
            for p in self.pipes:
                if self._stop.is_set():
                    break
                try:
                    p.device.start(self.t0_ns)
                except Exception as exc:
                    p.stats.state, p.stats.error = "failed", str(getattr(exc, "message", exc))
                    self.fail(f"{p.spec.name} did not start: {p.stats.error}")
                    break
            if not self._stop.is_set():
                for t in [*threads, writer_thread, table_thread]:
                    t.start()
                    started.append(t)
            while not self._stop.wait(tick_s if duration_s is None else
                                      max(0.001, min(tick_s, duration_s - self.elapsed_s()))):
                self.update_at_risk()
                if on_tick:
                    on_tick(self)
                if duration_s is not None and self.elapsed_s() >= duration_s:
                    self.stop(f"duration {duration_s:g} s reached")
                elif stop_after_sequence and all(p.finished.is_set() for p in self.pipes):
                    self.stop("weld sequence finished")
                elif all(p.finished.is_set() for p in self.pipes):
                    self.stop("all streams ended")
        except KeyboardInterrupt:
            self.stop("interrupted (Ctrl-C)")
        finally:
            self._stop.set()
            for t in started:
                t.join(timeout=5 if t not in (writer_thread, table_thread) else None)
        if writer_thread not in started:
            return self._not_started(self._stop_reason if self._error else
                                     f"{self._stop_reason} before recording started", self._error)
        self._close_devices()
        by_duration = self.end_ns is not None and self._stop_reason.startswith("duration")
        duration = self.end_ns / 1e9 if by_duration and self.end_ns is not None else self.elapsed_s()
        writer_load = self.writer.load()
        fits: dict[str, object] = {}
        try:
            if self._write_failed:
                # Give back the reserved space, cut every array to what really reached the disk.
                self.writer.release_space()
                self.writer = RunWriter.reopen(self.writer.uri, self.writer.lock)
                self._account_unwritten()
            self._flush_tables()  # what the table thread had not written yet
            fits = dict(finalize_run(self.writer, status="finalized"))
        except OSError as exc:
            self.writer.unlock()
            self._error = self._error or f"could not finalize the store: {exc}"
            self._error += " — free space, then `weldctl recover` finalizes it"
        # The summary reports what is in the store, not what was handed to the writer.
        for p in self.pipes:
            app = self.writer.streams[p.spec.name]
            p.stats.samples, p.stats.bytes = app.n, app.n * p.spec.bytes_per_sample
        if on_tick:
            on_tick(self)
        notes = [self.priority_note] if self.priority_note else []
        shed = {p.spec.name: p.stats.shed for p in self.pipes if p.stats.shed}
        if shed:
            notes.append("the writer fell behind: dropped (and recorded as writer_behind gaps) "
                         + ", ".join(f"{n} {k}" for k, n in shed.items()))
        return RecordResult(self.writer.uri, self.stats, duration, self._stop_reason, self._error, fits,
                            writer_load, notes=notes)

    # -- acquisition -------------------------------------------------------------------------
    def _acquire(self, pipe: Pipe) -> None:
        dev, st = pipe.device, pipe.stats
        st.state = "recording"
        try:
            while not self._stop.is_set() or self._short_of_end(pipe):
                block = dev.read(READ_TIMEOUT_S)
                if block is None:
                    if dev.done:
                        break
                    continue
                block.recv_mono_ns = time.monotonic_ns()
                pipe.account(block)
                if not block.queue_faults:
                    pipe.enqueue(block)
                else:
                    pipe.enqueue_with_faults(block)
                if self.tap is not None:
                    self.tap.offer(pipe, block)
                st.queue_fill = pipe.queue.qsize() / pipe.queue.maxsize
            st.state = "done" if dev.done else "stopped"
        except Exception as exc:
            st.state = "failed"
            st.error = f"{type(exc).__name__}: {exc}"
            t_dev = (pipe.last_dev_ns or 0) + int(1e9 / pipe.spec.nominal_rate_hz)
            pipe.record_gap(pipe.expected_seq or 0, 0, "disconnect", t_dev, st.error)
        finally:
            # Losses the device reported with no sample after them (at the very end) still count.
            pipe.record_reported()
            pipe.finished.set()

    def _short_of_end(self, pipe: Pipe) -> bool:
        """After a --duration stop, keep reading until this stream has covered the whole duration."""
        if self.end_ns is None or not self._stop_reason.startswith("duration"):
            return False
        if pipe.last_dev_ns is None or pipe.device.done:
            return False
        grace_ns = int(1e9)  # a stalled device must not hold the stop up
        if time.monotonic_ns() - self.t0_ns > self.end_ns + grace_ns:
            return False
        return pipe.last_dev_ns + (pipe.provisional or 0) < self.end_ns

    # -- writing -----------------------------------------------------------------------------
    def _write_loop(self) -> None:
        assert self.writer is not None
        last_flush = time.monotonic()
        flush_cost = 0.0
        try:
            while True:
                busy = False
                for pipe in self.pipes:
                    # Everything queued now, at least 8 blocks: a stream of many small blocks (IR, one
                    # frame each) must not starve behind one of large blocks (camera) when appends wait.
                    for _ in range(max(8, pipe.queue.qsize())):
                        try:
                            block = pipe.queue.get_nowait()
                        except queue.Empty:
                            break
                        busy = True
                        waited = (time.monotonic_ns() - block.recv_mono_ns) / 1e9
                        if waited > self._shed_after_s:
                            pipe.shed(block, waited)
                            pipe.appended(self.writer.streams[pipe.spec.name].n, int(block.seq[-1]))
                            continue
                        self._write_block(pipe, block)
                    pipe.stats.queue_fill = pipe.queue.qsize() / pipe.queue.maxsize
                # What is at risk in a crash is the time between flushes plus one flush: start the next
                # one early by what flushes cost lately, so the sum stays near flush_interval_s.
                # While the I/O thread still works through earlier writes, a new round of partial-shard
                # rewrites would only queue behind them and repeat their bytes: wait until it has caught up.
                due = time.monotonic() - last_flush >= max(MIN_FLUSH_GAP_S, self.flush_interval_s - 1.5 * flush_cost)
                if due and self.writer.pool.io_queue <= IO_BACKLOG:
                    last_flush = time.monotonic()
                    self._flush()
                    took = time.monotonic() - last_flush
                    flush_cost = took if took > flush_cost else 0.8 * flush_cost + 0.2 * took
                if not busy:
                    if self._stop.is_set() and all(p.finished.is_set() and p.queue.empty() for p in self.pipes):
                        break
                    time.sleep(IDLE_SLEEP_S)
            self._flush()
        except Exception as exc:
            self._write_failed = True
            self._writer_done.set()
            self._fail_write(exc, "write failed")
            self._drain_after_failure()
        finally:
            self._writer_done.set()

    @property
    def _shed_after_s(self) -> float:
        """A block that waited this long for the writer is dropped (as a gap): memory never holds more than
        max_at_risk_s of samples the writer has not even taken yet."""
        return self.max_at_risk_s

    def _table_loop(self) -> None:
        assert self.writer is not None
        try:
            while not self._writer_done.wait(self.flush_interval_s):
                self._flush_tables()
                self.writer.flush_events()
        except Exception as exc:  # the writer thread sees the same disk and reports it; stop either way
            self._write_failed = True
            self._fail_write(exc, "writing tables failed")

    def _fail_write(self, exc: BaseException, what: str) -> None:
        # Whichever thread meets a full disk first says so in the same words.
        if _is_disk_full(exc):
            assert self.writer is not None
            self.fail(f"disk full while writing {self.writer.uri}: recording stopped cleanly; everything "
                      "flushed before it is kept and finalized")
        else:
            self.fail(f"{what} ({type(exc).__name__}: {exc}): recording stopped")

    def update_at_risk(self) -> None:
        """What a crash now would lose, per stream (see Pipe.at_risk)."""
        if self.writer is None or not self.t0_ns:
            return
        now = time.monotonic_ns() - self.t0_ns
        for pipe in self.pipes:
            pipe.at_risk(now, self.writer.streams[pipe.spec.name].durable)

    def _drain_after_failure(self) -> None:
        """Keep taking blocks off the queues until acquisition has stopped, so nothing blocks."""
        for pipe in self.pipes:
            while not pipe.finished.wait(timeout=0.05):
                while not pipe.queue.empty():
                    pipe.queue.get_nowait()
            while not pipe.queue.empty():
                pipe.queue.get_nowait()

    def _account_unwritten(self) -> None:
        """After a failed write: every received sample past what reached the disk becomes a gap."""
        assert self.writer is not None
        for pipe in self.pipes:
            app = self.writer.streams[pipe.spec.name]
            if pipe.first_seq is not None:
                pipe.account_unwritten(int(app.seq[app.n - 1]) + 1 if app.n else pipe.first_seq)

    def _write_block(self, pipe: Pipe, block: Block) -> None:
        assert self.writer is not None
        dev_ns = pipe.device_ns(block)
        t_prov = dev_ns + (pipe.provisional or 0)
        data, seq = block.data, block.seq
        app = self.writer.streams[pipe.spec.name]
        if self.end_ns is not None and t_prov[-1] >= self.end_ns:
            keep = int(np.searchsorted(t_prov, self.end_ns))
            data, seq, t_prov = data[:keep], seq[:keep], t_prov[:keep]
            if not keep:
                pipe.appended(app.n, int(block.seq[-1]))
                return
        app.append(data, t_prov, seq)
        pipe.appended(app.n, int(block.seq[-1]))
        pipe.stats.samples += len(data)
        pipe.stats.bytes += data.nbytes

    def _flush_tables(self) -> None:
        assert self.writer is not None
        for pipe in self.pipes:
            with pipe.lock:
                dev, host, gaps = pipe.obs_dev, pipe.obs_host, pipe.gap_rows
                pipe.obs_dev, pipe.obs_host, pipe.gap_rows = [], [], []
            if dev:
                self.writer.append_clock_observations(pipe.spec.name, dev, host, pipe.provisional or 0)
            if gaps:
                self.writer.add_events(gaps)

    def _flush(self) -> None:
        assert self.writer is not None
        # Everything appended goes to the I/O queue (no wait for the disk: finalize's flush writes the rest),
        # so a sample waits at most one flush interval plus the queue ahead of it.
        self.writer.checkpoint(0.0, events=False)
        self.update_at_risk()


def raise_on_failure(result: RecordResult) -> None:
    if result.error:
        raise RecordingError(result.error, f"the store at {result.uri} keeps everything written before the failure")
