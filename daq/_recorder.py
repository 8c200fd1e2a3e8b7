"""The recorder: one acquisition thread per device, bounded queues, one writer, always finalized."""

from __future__ import annotations

import errno
import queue
import shutil
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from weldctl.schema import RunManifest, RunWriter, is_url

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

    @property
    def ok(self) -> bool:
        return not self.error


class Recorder:
    def __init__(self, devices: list[Device], manifest: RunManifest, out: str, *, overwrite: bool = False,
                 queue_seconds: float = 4.0, flush_interval_s: float = 0.5,
                 truth: Callable[[], dict[str, tuple[dict, dict]]] | None = None) -> None:
        self.devices = devices
        self.manifest = manifest
        self.out = out
        self.overwrite = overwrite
        self.queue_seconds = queue_seconds
        self.flush_interval_s = flush_interval_s
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
        specs = [d.configure() for d in self.devices]
        self.pipes = [Pipe(d, s, self.queue_seconds) for d, s in zip(self.devices, specs, strict=True)]
        try:
            self.writer = RunWriter.create(self.out, self.manifest, specs, overwrite=self.overwrite)
            for d in self.devices:  # the stated latencies and delays finalize applies (recover too)
                self.writer.set_clock_attrs(d.name, stated_timing(d.config))
            # Sim truth is known before the run (and on the run time base), so a recovered store has it too.
            for name, (tbl, dtypes) in (self.truth() if self.truth else {}).items():
                self.writer.write_truth(name, tbl, dtypes)
            self.writer.reserve_space(self._reserve_bytes())
        except OSError as exc:
            where = self.writer.uri if self.writer else self.out
            if _is_disk_full(exc):
                raise RecordingError(f"disk full before recording started ({where})",
                                     "free space or record to another --out") from None
            raise RecordingError(f"cannot write the run store at {where}: {exc}",
                                 "check the --out folder is writable") from None
        old_handler = None
        if threading.current_thread() is threading.main_thread():
            old_handler = signal.signal(signal.SIGINT, lambda *_: self.stop("interrupted (Ctrl-C)"))
            signal.signal(signal.SIGTERM, lambda *_: self.stop("terminated"))
        # Known up front, so no sample past the end is written while the stop is still being noticed.
        self.end_ns = int(duration_s * 1e9) if duration_s is not None else None
        self.t0_ns = time.monotonic_ns()
        # start_utc is the run's t = 0 (the trigger): what a crash test or a log line is compared with.
        self.writer.set_manifest(self.manifest.model_copy(update={"start_utc": datetime.now(UTC)}))
        threads = [threading.Thread(target=self._acquire, args=(p,), name=f"acq-{p.spec.name}", daemon=True)
                   for p in self.pipes]
        writer_thread = threading.Thread(target=self._write_loop, name="writer", daemon=True)
        try:
            for p in self.pipes:
                p.device.start(self.t0_ns)
            for t in threads:
                t.start()
            writer_thread.start()
            while not self._stop.wait(tick_s if duration_s is None else
                                      max(0.001, min(tick_s, duration_s - self.elapsed_s()))):
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
            for t in threads:
                t.join(timeout=5)
            writer_thread.join()
            for p in self.pipes:
                try:
                    p.device.close()
                except Exception as exc:  # a device that fails to close must not cost the recording
                    p.stats.error = p.stats.error or f"close failed: {exc}"
            if old_handler is not None:
                signal.signal(signal.SIGINT, old_handler)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
        by_duration = self.end_ns is not None and self._stop_reason.startswith("duration")
        duration = self.end_ns / 1e9 if by_duration and self.end_ns is not None else self.elapsed_s()
        writer_load = self.writer.load()
        fits: dict[str, object] = {}
        try:
            if self._write_failed:
                # Give back the reserved space, cut every array to what really reached the disk.
                self.writer.release_space()
                self.writer = RunWriter.reopen(self.writer.uri)
                self._account_unwritten()
                self._flush_tables()
            fits = dict(finalize_run(self.writer, status="finalized"))
        except OSError as exc:
            self._error = self._error or f"could not finalize the store: {exc}"
            self._error += " — free space, then `weldctl recover` finalizes it"
        if on_tick:
            on_tick(self)
        return RecordResult(self.writer.uri, self.stats, duration, self._stop_reason, self._error, fits,
                            writer_load)

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
                        self._write_block(pipe, block)
                    pipe.stats.queue_fill = pipe.queue.qsize() / pipe.queue.maxsize
                # What is at risk in a crash is the time between flushes plus one flush: start the next
                # one early by what flushes cost lately, so the sum stays near flush_interval_s.
                if time.monotonic() - last_flush >= max(MIN_FLUSH_GAP_S, self.flush_interval_s - 1.5 * flush_cost):
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
            if _is_disk_full(exc):
                self.fail(f"disk full while writing {self.writer.uri}: recording stopped cleanly; everything "
                          "flushed before it is kept and finalized")
            else:
                self.fail(f"write failed ({type(exc).__name__}: {exc}): recording stopped")
            self._drain_after_failure()

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
        if self.end_ns is not None and t_prov[-1] >= self.end_ns:
            keep = int(np.searchsorted(t_prov, self.end_ns))
            data, seq, t_prov = data[:keep], seq[:keep], t_prov[:keep]
            if not keep:
                return
        self.writer.streams[pipe.spec.name].append(data, t_prov, seq)
        if pipe.oldest_unflushed_ns is None:
            # The block's first sample waited in the device for one block before it was read.
            pipe.oldest_unflushed_ns = block.recv_mono_ns - int(len(block) * 1e9 / pipe.spec.nominal_rate_hz)
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
        self._flush_tables()
        # Bounded-interval commit, no wait for the disk: finalize's flush writes the rest.
        self.writer.checkpoint(self.flush_interval_s)
        now = time.monotonic_ns()
        for pipe in self.pipes:
            if pipe.oldest_unflushed_ns is not None:
                pipe.stats.at_risk_s = max(pipe.stats.at_risk_s, (now - pipe.oldest_unflushed_ns) / 1e9)
            pipe.oldest_unflushed_ns = None


def raise_on_failure(result: RecordResult) -> None:
    if result.error:
        raise RecordingError(result.error, f"the store at {result.uri} keeps everything written before the failure")
