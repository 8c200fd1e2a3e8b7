"""One stream's path from its device to the writer, and its loss ledger.

Every sample read is either handed to the writer or recorded as lost: a sequence jump (split into
the losses the device reported and plain ``seq_gap``), a block dropped because the bounded queue
was full, or, after a failed write, what never reached the disk.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from dataclasses import dataclass

import numpy as np

from weldctl.schema import StreamSpec

from ._block import Block, Gap
from ._device import Device


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
    behind: bool = False  # the writer fell behind at least once (a block was dropped)
    at_risk_s: float = 0.0  # worst time a received sample waited until it was on disk (a crash loses it)
    at_risk_now_s: float = 0.0  # the same, now
    shed: int = 0  # samples the writer dropped because it was behind (each one a gap row)
    past_end: int = 0  # read after the end of a --duration run: not part of the recording, not received
    state: str = "starting"
    error: str = ""


class Pipe:
    """One device's path to the writer."""

    def __init__(self, device: Device, spec: StreamSpec, queue_seconds: float) -> None:
        self.device = device
        self.spec = spec
        per_block = max(1, getattr(device, "block_samples", 1))
        blocks = max(4, int(queue_seconds * spec.nominal_rate_hz / per_block))
        self.queue: queue.Queue[Block] = queue.Queue(maxsize=blocks)
        self.stats = StreamStats(spec.name, spec.kind.value, spec.nominal_rate_hz, spec.bytes_per_sample)
        self.expected_seq: int | None = None
        self.reported: dict[int, Gap] = {}  # losses the device reported, until the sequence confirms them
        self.first_seq: int | None = None
        self.gap_spans: list[tuple[int, int]] = []  # (first seq, count) of every loss recorded
        self.provisional: int | None = None
        self.last_dev_ns: int | None = None
        self.finished = threading.Event()
        self.obs_dev: list[int] = []
        self.obs_host: list[int] = []
        self.gap_rows: list[dict[str, object]] = []
        self.lock = threading.Lock()
        # Blocks not yet on disk, oldest first: (last seq, run time of the first sample). Handed over at enqueue;
        # ``written`` maps appended sample counts to the last seq they cover, so the writer's durable count
        # says which blocks are safe.
        self.inflight: deque[tuple[int, int]] = deque()
        self.written: deque[tuple[int, int]] = deque()
        self.durable_seq: int | None = None

    def run_ns(self, block: Block) -> int:
        """Run time (provisional) of the block's first sample."""
        return int(self.device_ns(block)[0]) + (self.provisional or 0)

    def at_risk(self, now_run_ns: int, durable_n: int) -> float:
        """Seconds since the oldest received sample that is not on disk was taken (0: all of it is)."""
        with self.lock:
            while self.written and self.written[0][0] <= durable_n:
                self.durable_seq = self.written.popleft()[1]
            while self.inflight and self.durable_seq is not None and self.inflight[0][0] <= self.durable_seq:
                self.inflight.popleft()
            oldest = self.inflight[0][1] if self.inflight else None
        risk = max(0.0, (now_run_ns - oldest) / 1e9) if oldest is not None else 0.0
        self.stats.at_risk_now_s = risk
        self.stats.at_risk_s = max(self.stats.at_risk_s, risk)
        return risk

    def appended(self, n_total: int, last_seq: int) -> None:
        """The writer is done with samples up to ``last_seq`` (appended, trimmed or dropped) once its first
        ``n_total`` samples are on disk."""
        with self.lock:
            self.written.append((n_total, last_seq))

    def shed(self, block: Block, waited_s: float) -> None:
        """The writer is behind: drop a block that waited too long, as a gap, instead of holding it."""
        self.stats.behind = True
        self.stats.shed += len(block)
        self.record_gap(int(block.seq[0]), len(block), "writer_behind", int(self.device_ns(block)[0]),
                        f"block dropped: it waited {waited_s:.2f} s for the writer")

    def device_ns(self, block: Block) -> np.ndarray:
        """Device time of each sample: its timestamps, or sequence number over the nominal rate."""
        if block.t_dev_ns is not None:
            return np.asarray(block.t_dev_ns, dtype=np.int64)
        return np.round(block.seq.astype(np.float64) * (1e9 / self.spec.nominal_rate_hz)).astype(np.int64)

    def account(self, block: Block) -> None:
        """Sequence checks, clock observations; every missing sample becomes a gap row."""
        st = self.stats
        for g in block.gaps:
            known = self.reported.get(g.seq_start)
            if known is None or g.count > known.count:  # two losses from one sample: the longer covers both
                self.reported[g.seq_start] = g
        if not len(block):
            return
        dev_ns = self.device_ns(block)
        period = 1e9 / self.spec.nominal_rate_hz
        if self.provisional is None:
            self.provisional = int(block.t_host_ns - dev_ns[-1])
            self.first_seq = int(block.seq[0])
        seq = block.seq
        prev = np.concatenate([[self.expected_seq if self.expected_seq is not None else seq[0]], seq[:-1] + 1])
        for i in np.flatnonzero(seq != prev):
            self.account_jump(int(prev[i]), int(seq[i]), int(dev_ns[i]), period)
        self.expected_seq = int(seq[-1]) + 1
        self.last_dev_ns = int(dev_ns[-1])
        st.received += len(block)
        with self.lock:
            self.obs_dev.append(int(dev_ns[-1]))
            self.obs_host.append(int(block.t_host_ns))

    def account_jump(self, start: int, stop: int, t_next_ns: int, period: float) -> None:
        """Samples [start, stop) are missing: the losses the device reported, the rest as seq_gap."""
        if stop < start:
            self.record_gap(start, 0, "seq_reset", t_next_ns, f"sequence went back from {start} to {stop}")
            return
        at = start
        # Reported losses may overlap (two faults over one stretch): each missing sample is counted once,
        # under the first loss that covers it.
        for s0 in sorted(k for k, g in self.reported.items() if k < stop and k + g.count > start):
            g = self.reported.pop(s0)
            lo, hi = max(s0, at), min(s0 + g.count, stop)
            if hi <= lo:
                continue
            if lo > at:
                self.record_gap(at, lo - at, "seq_gap", t_next_ns - int((stop - at) * period),
                                 "sequence number jumped")
            self.record_gap(lo, hi - lo, g.kind, t_next_ns - int((stop - lo) * period), g.note)
            at = hi
        if at < stop:
            self.record_gap(at, stop - at, "seq_gap", t_next_ns - int((stop - at) * period),
                             "sequence number jumped")

    def record_gap(self, seq_start: int, count: int, kind: str, t_dev_ns: int, note: str) -> None:
        period = 1e9 / self.spec.nominal_rate_hz
        t0 = int(t_dev_ns) + (self.provisional or 0)
        row = {"t_ns": t0, "t_end_ns": t0 + round(count * period), "stream": self.spec.name, "kind": "gap",
               "value": float(seq_start), "count": int(count), "note": f"{kind}: {note}".strip(": ")}
        with self.lock:
            self.gap_rows.append(row)
            last = self.gap_spans[-1] if self.gap_spans else None
            if last and last[0] + last[1] == seq_start:  # back-to-back drops: one span, bounded memory
                self.gap_spans[-1] = (last[0], last[1] + int(count))
            else:
                self.gap_spans.append((int(seq_start), int(count)))
        self.stats.lost += count
        self.stats.gaps += 1

    def record_reported(self) -> None:
        """Losses the device reported with no sample after them (at the very end): the part not already
        counted."""
        end = self.expected_seq if self.expected_seq is not None else 0
        for g in sorted(self.reported.values(), key=lambda g: g.seq_start):
            lo = max(g.seq_start, end)
            if g.seq_start + g.count > lo or g.count == 0:
                self.record_gap(lo, g.seq_start + g.count - lo if g.count else 0, g.kind, self.last_dev_ns or 0,
                                g.note)
                end = g.seq_start + g.count
        self.reported.clear()

    def enqueue(self, block: Block, *, overflow: bool = False) -> None:
        """Hand a block to the writer; a full queue drops it and records the loss, never blocks."""
        if not len(block):
            return
        try:
            if overflow:  # injected fault: behave exactly as a full queue does
                raise queue.Full
            with self.lock:
                self.inflight.append((int(block.seq[-1]), self.run_ns(block)))
            self.queue.put_nowait(block)
        except queue.Full:
            with self.lock:
                if self.inflight and self.inflight[-1][0] == int(block.seq[-1]):
                    self.inflight.pop()
            self.stats.behind = True
            self.record_gap(int(block.seq[0]), len(block), "queue_overflow",
                             int(self.device_ns(block)[0]), "writer behind: block dropped")

    def enqueue_with_faults(self, block: Block) -> None:
        faulty = np.zeros(len(block), dtype=bool)
        for g in block.queue_faults:
            faulty |= (block.seq >= g.seq_start) & (block.seq < g.seq_start + g.count)
        # Consecutive runs of faulty / healthy samples, in order; a device loss inside a run splits it,
        # so every dropped part is one stretch of sequence numbers.
        cuts = np.flatnonzero((np.diff(faulty.astype(np.int8)) != 0) | (np.diff(block.seq) != 1)) + 1
        for part in np.split(np.arange(len(block)), cuts):
            if len(part):
                self.enqueue(block.take(part), overflow=bool(faulty[part[0]]))

    def account_unwritten(self, disk_end: int) -> None:
        """After a failed write: every received sample from ``disk_end`` on that is not already a gap."""
        if self.expected_seq is None:
            return
        span = self.expected_seq - disk_end
        known = sum(max(0, min(s0 + c, self.expected_seq) - max(s0, disk_end)) for s0, c in self.gap_spans)
        if span - known > 0:
            period = 1e9 / self.spec.nominal_rate_hz
            t_dev = (self.last_dev_ns or 0) - int(span * period)
            self.record_gap(disk_end, span - known, "write_failed", t_dev,
                            "received but not written: the write failed")
