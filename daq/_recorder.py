"""The recorder: one acquisition thread per device, bounded queues, one writer, always finalized."""

from __future__ import annotations

import errno
import queue
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from weldctl.schema import RunManifest, RunWriter, StreamSpec

from ._block import Block
from ._device import Device
from ._errors import RecordingError
from ._finalize import finalize_run

IDLE_SLEEP_S = 0.002
READ_TIMEOUT_S = 0.2


@dataclass
class StreamStats:
    name: str
    kind: str
    nominal_rate_hz: float
    bytes_per_sample: int
    samples: int = 0  # written to the store
    received: int = 0  # read from the device
    lost: int = 0
    gaps: int = 0
    bytes: int = 0
    queue_fill: float = 0.0
    state: str = "starting"
    error: str = ""


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


class _Pipe:
    """One device's path to the writer."""

    def __init__(self, device: Device, spec: StreamSpec, queue_seconds: float) -> None:
        self.device = device
        self.spec = spec
        per_block = max(1, getattr(device, "block_samples", 1))
        blocks = max(4, int(queue_seconds * spec.nominal_rate_hz / per_block))
        self.queue: queue.Queue[Block] = queue.Queue(maxsize=blocks)
        self.stats = StreamStats(spec.name, spec.kind.value, spec.nominal_rate_hz, spec.bytes_per_sample)
        self.expected_seq: int | None = None
        self.provisional: int | None = None
        self.last_dev_ns: int | None = None
        self.finished = threading.Event()
        self.obs_dev: list[int] = []
        self.obs_host: list[int] = []
        self.gap_rows: list[dict[str, object]] = []
        self.lock = threading.Lock()

    def device_ns(self, block: Block) -> np.ndarray:
        """Device time of each sample: its timestamps, or sequence number over the nominal rate."""
        if block.t_dev_ns is not None:
            return np.asarray(block.t_dev_ns, dtype=np.int64)
        return np.round(block.seq.astype(np.float64) * (1e9 / self.spec.nominal_rate_hz)).astype(np.int64)


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
        self.pipes: list[_Pipe] = []
        self.writer: RunWriter | None = None
        self.t0_ns = 0

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
        self.pipes = [_Pipe(d, s, self.queue_seconds) for d, s in zip(self.devices, specs, strict=True)]
        self.writer = RunWriter.create(self.out, self.manifest, specs, overwrite=self.overwrite)
        old_handler = None
        if threading.current_thread() is threading.main_thread():
            old_handler = signal.signal(signal.SIGINT, lambda *_: self.stop("interrupted (Ctrl-C)"))
            signal.signal(signal.SIGTERM, lambda *_: self.stop("terminated"))
        self.t0_ns = time.monotonic_ns()
        threads = [threading.Thread(target=self._acquire, args=(p,), name=f"acq-{p.spec.name}", daemon=True)
                   for p in self.pipes]
        writer_thread = threading.Thread(target=self._write_loop, name="writer", daemon=True)
        try:
            for p in self.pipes:
                p.device.start(self.t0_ns)
            for t in threads:
                t.start()
            writer_thread.start()
            while not self._stop.wait(tick_s):
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
        duration = self.elapsed_s()
        writer_load = self.writer.load()
        fits: dict[str, object] = {}
        try:
            truth = self.truth() if self.truth else None
            fits = dict(finalize_run(self.writer, status="finalized", truth=truth))
        except OSError as exc:
            self._error = self._error or f"could not finalize the store: {exc}"
        if on_tick:
            on_tick(self)
        return RecordResult(self.writer.uri, self.stats, duration, self._stop_reason, self._error, fits,
                            writer_load)

    # -- acquisition -------------------------------------------------------------------------
    def _acquire(self, pipe: _Pipe) -> None:
        dev, st = pipe.device, pipe.stats
        st.state = "recording"
        try:
            while not self._stop.is_set():
                block = dev.read(READ_TIMEOUT_S)
                if block is None:
                    if dev.done:
                        break
                    continue
                self._account(pipe, block)
                try:
                    pipe.queue.put_nowait(block)
                except queue.Full:
                    self._record_gap(pipe, int(block.seq[0]), len(block), "queue_overflow",
                                     pipe.device_ns(block)[0], "writer behind: block dropped")
                st.queue_fill = pipe.queue.qsize() / pipe.queue.maxsize
            st.state = "done" if dev.done else "stopped"
        except Exception as exc:
            st.state = "failed"
            st.error = f"{type(exc).__name__}: {exc}"
            t_dev = (pipe.last_dev_ns or 0) + int(1e9 / pipe.spec.nominal_rate_hz)
            self._record_gap(pipe, pipe.expected_seq or 0, 0, "disconnect", t_dev, st.error)
        finally:
            pipe.finished.set()

    def _account(self, pipe: _Pipe, block: Block) -> None:
        """Sequence checks, clock observations; every missing sample becomes a gap row."""
        st = pipe.stats
        dev_ns = pipe.device_ns(block)
        period = int(round(1e9 / pipe.spec.nominal_rate_hz))
        if pipe.provisional is None:
            pipe.provisional = int(block.t_host_ns - dev_ns[-1])
        reported = {g.seq_start: g for g in block.gaps}
        seq = block.seq
        prev = np.concatenate([[pipe.expected_seq if pipe.expected_seq is not None else seq[0]], seq[:-1] + 1])
        for i in np.flatnonzero(seq != prev):
            start, count = int(prev[i]), int(seq[i] - prev[i])
            g = reported.get(start)
            kind, note = (g.kind, g.note) if g else ("seq_gap", "sequence number jumped")
            self._record_gap(pipe, start, count, kind, int(dev_ns[i]) - count * period, note)
        pipe.expected_seq = int(seq[-1]) + 1
        pipe.last_dev_ns = int(dev_ns[-1])
        st.received += len(block)
        with pipe.lock:
            pipe.obs_dev.append(int(dev_ns[-1]))
            pipe.obs_host.append(int(block.t_host_ns))

    def _record_gap(self, pipe: _Pipe, seq_start: int, count: int, kind: str, t_dev_ns: int, note: str) -> None:
        period = 1e9 / pipe.spec.nominal_rate_hz
        t0 = int(t_dev_ns) + (pipe.provisional or 0)
        row = {"t_ns": t0, "t_end_ns": t0 + int(round(count * period)), "stream": pipe.spec.name, "kind": "gap",
               "value": float(seq_start), "count": int(count), "note": f"{kind}: {note}".strip(": ")}
        with pipe.lock:
            pipe.gap_rows.append(row)
        pipe.stats.lost += count
        pipe.stats.gaps += 1

    # -- writing -----------------------------------------------------------------------------
    def _write_loop(self) -> None:
        assert self.writer is not None
        last_flush = time.monotonic()
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
                if time.monotonic() - last_flush >= self.flush_interval_s:
                    self._flush()
                    last_flush = time.monotonic()
                if not busy:
                    if self._stop.is_set() and all(p.finished.is_set() and p.queue.empty() for p in self.pipes):
                        break
                    time.sleep(IDLE_SLEEP_S)
            self._flush()
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                self.fail(f"disk full while writing {self.writer.uri}: recording stopped; "
                          "data up to the last flush is kept — free space, then `weldctl recover`")
            else:
                self.fail(f"write failed: {exc}")
            self._drain_after_failure()

    def _drain_after_failure(self) -> None:
        for pipe in self.pipes:
            pipe.finished.wait(timeout=5)
            while not pipe.queue.empty():
                b = pipe.queue.get_nowait()
                self._record_gap(pipe, int(b.seq[0]), len(b), "write_failed", pipe.device_ns(b)[0], "not written")

    def _write_block(self, pipe: _Pipe, block: Block) -> None:
        assert self.writer is not None
        t_prov = pipe.device_ns(block) + (pipe.provisional or 0)
        self.writer.streams[pipe.spec.name].append(block.data, t_prov, block.seq)
        pipe.stats.samples += len(block)
        pipe.stats.bytes += block.nbytes

    def _flush(self) -> None:
        assert self.writer is not None
        for pipe in self.pipes:
            with pipe.lock:
                dev, host, gaps = pipe.obs_dev, pipe.obs_host, pipe.gap_rows
                pipe.obs_dev, pipe.obs_host, pipe.gap_rows = [], [], []
            if dev:
                self.writer.append_clock_observations(pipe.spec.name, dev, host, pipe.provisional or 0)
            if gaps:
                self.writer.add_events(gaps)
        # Bounded-interval commit, no wait for the disk: finalize's flush writes the rest.
        self.writer.checkpoint(self.flush_interval_s)


def raise_on_failure(result: RecordResult) -> None:
    if result.error:
        raise RecordingError(result.error, f"the store at {result.uri} keeps everything written before the failure")
