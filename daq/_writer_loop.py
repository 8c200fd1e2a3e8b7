"""The writer thread: blocks from every pipe into the run store, flushed at a pace; tables on a thread of
their own. On a failed write it stops the recording and keeps the queues moving until acquisition ends."""

from __future__ import annotations

import queue
import threading
import time

import numpy as np

from weldctl.schema import RunWriter

from ._block import Block
from ._errors import is_disk_full
from ._pipe import Pipe
from ._stop import StopFlag

IDLE_SLEEP_S = 0.002
MIN_FLUSH_GAP_S = 0.05
IO_BACKLOG = 2  # queued disk writes beyond which the next checkpoint waits (see FlushPacer)
MIN_TAKE = 8  # blocks taken per pipe and round at least


class FlushPacer:
    """When to hand what was appended to the I/O queue.

    What is at risk in a crash is the time between flushes plus one flush: start the next one early by what
    flushes cost lately, so the sum stays near ``interval_s``. While the I/O thread still works through
    earlier writes, a new round of partial-shard rewrites would only queue behind them and repeat their
    bytes: wait until it has caught up.
    """

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self.last = time.monotonic()
        self.cost = 0.0

    def due(self, io_queue: int) -> bool:
        since = time.monotonic() - self.last
        return since >= max(MIN_FLUSH_GAP_S, self.interval_s - 1.5 * self.cost) and io_queue <= IO_BACKLOG

    def started(self) -> None:
        self.last = time.monotonic()

    def took(self) -> None:
        took = time.monotonic() - self.last
        self.cost = took if took > self.cost else 0.8 * self.cost + 0.2 * took


class WriterLoop:
    def __init__(
        self,
        writer: RunWriter,
        pipes: list[Pipe],
        stop: StopFlag,
        *,
        t0_ns: int,
        end_ns: int | None,
        flush_interval_s: float,
        max_at_risk_s: float,
    ) -> None:
        self.writer = writer
        self.pipes = pipes
        self.stop = stop
        self.t0_ns = t0_ns
        self.end_ns = end_ns  # run-time end of a --duration recording: samples after it are not kept
        self.flush_interval_s = flush_interval_s
        # A block that waited this long for the writer is dropped (as a gap): memory never holds more than
        # max_at_risk_s of samples the writer has not even taken yet.
        self.shed_after_s = max_at_risk_s
        self.failed = False
        self.done = threading.Event()

    def run(self) -> None:
        """The writer thread."""
        pacer = FlushPacer(self.flush_interval_s)
        try:
            while True:
                busy = self._take_round()
                if pacer.due(self.writer.pool.io_queue):
                    pacer.started()
                    self.flush()
                    pacer.took()
                if not busy:
                    if self.stop.is_set() and all(p.finished.is_set() and p.queue.empty() for p in self.pipes):
                        break
                    time.sleep(IDLE_SLEEP_S)
            self.flush()
        except Exception as exc:
            self.failed = True
            self.done.set()
            self._fail(exc, "write failed")
            self._drain_after_failure()
        finally:
            self.done.set()

    def _take_round(self) -> bool:
        busy = False
        for pipe in self.pipes:
            # Everything queued now, at least MIN_TAKE blocks: a stream of many small blocks (IR, one frame
            # each) must not starve behind one of large blocks (camera) when appends wait.
            for _ in range(max(MIN_TAKE, pipe.queue.qsize())):
                try:
                    block = pipe.queue.get_nowait()
                except queue.Empty:
                    break
                busy = True
                waited = (time.monotonic_ns() - block.recv_mono_ns) / 1e9
                if waited > self.shed_after_s:
                    pipe.shed(block, waited)
                    pipe.appended(self.writer.streams[pipe.spec.name].n, int(block.seq[-1]))
                    continue
                self.write_block(pipe, block)
            pipe.stats.queue_fill = pipe.queue.qsize() / pipe.queue.maxsize
        return busy

    def write_block(self, pipe: Pipe, block: Block) -> None:
        """Append one block at its provisional run times, cut at the end of a --duration recording."""
        dev_ns = pipe.device_ns(block)
        t_prov = dev_ns + (pipe.provisional or 0)
        data, seq = block.data, block.seq
        app = self.writer.streams[pipe.spec.name]
        if self.end_ns is not None and t_prov[-1] >= self.end_ns:
            keep = int(np.searchsorted(t_prov, self.end_ns))
            data, seq, t_prov = data[:keep], seq[:keep], t_prov[:keep]
            # Samples past the end are not part of the recording: not received, so received = stored + lost.
            pipe.stats.received -= len(block) - keep
            pipe.stats.past_end += len(block) - keep
            if not keep:
                pipe.appended(app.n, int(block.seq[-1]))
                return
        app.append(data, t_prov, seq)
        pipe.appended(app.n, int(block.seq[-1]))
        pipe.stats.samples += len(data)
        pipe.stats.bytes += data.nbytes

    def flush(self) -> None:
        # Everything appended goes to the I/O queue (no wait for the disk: finalize's flush writes the rest),
        # so a sample waits at most one flush interval plus the queue ahead of it.
        self.writer.checkpoint(0.0, events=False)
        update_at_risk(self.writer, self.pipes, self.t0_ns)

    def table_loop(self) -> None:
        """The tables thread: clock observations and gap rows go through zarr-python, whose small writes take
        a second or more on a loaded machine; on a thread of their own, they never hold the samples up."""
        try:
            while not self.done.wait(self.flush_interval_s):
                flush_tables(self.writer, self.pipes)
                self.writer.flush_events()
        except Exception as exc:  # the writer thread sees the same disk and reports it; stop either way
            self.failed = True
            self._fail(exc, "writing tables failed")

    def _fail(self, exc: BaseException, what: str) -> None:
        # Whichever thread meets a full disk first says so in the same words.
        if is_disk_full(exc):
            self.stop.fail(
                f"disk full while writing {self.writer.uri}: recording stopped cleanly; everything "
                "flushed before it is kept and finalized"
            )
        else:
            self.stop.fail(f"{what} ({type(exc).__name__}: {exc}): recording stopped")

    def _drain_after_failure(self) -> None:
        """Keep taking blocks off the queues until acquisition has stopped, so nothing blocks."""
        for pipe in self.pipes:
            while not pipe.finished.wait(timeout=0.05):
                while not pipe.queue.empty():
                    pipe.queue.get_nowait()
            while not pipe.queue.empty():
                pipe.queue.get_nowait()


def flush_tables(writer: RunWriter, pipes: list[Pipe]) -> None:
    """Clock observations and gap rows the pipes collected since the last call, into the store's tables."""
    for pipe in pipes:
        with pipe.lock:
            dev, host, gaps = pipe.obs_dev, pipe.obs_host, pipe.gap_rows
            pipe.obs_dev, pipe.obs_host, pipe.gap_rows = [], [], []
        if dev:
            writer.append_clock_observations(pipe.spec.name, dev, host, pipe.provisional or 0)
        if gaps:
            writer.add_events(gaps)


def update_at_risk(writer: RunWriter, pipes: list[Pipe], t0_ns: int) -> None:
    """What a crash now would lose, per stream (see Pipe.at_risk)."""
    now = time.monotonic_ns() - t0_ns
    for pipe in pipes:
        pipe.at_risk(now, writer.streams[pipe.spec.name].durable)
