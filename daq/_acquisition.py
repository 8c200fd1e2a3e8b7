"""One device's acquisition thread: read blocks, account for every sample, queue them for the writer."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from ._block import Block
from ._pipe import Pipe
from ._stop import StopFlag

READ_TIMEOUT_S = 0.2
STALL_GRACE_NS = int(1e9)  # after a --duration stop, a stalled device must not hold the stop up longer


class Tap(Protocol):
    """Takes a look at every block read (the live view); called in the acquisition thread, must never wait."""

    def offer(self, pipe: Pipe, block: Block) -> None: ...


def acquire(pipe: Pipe, stop: StopFlag, keep_reading: Callable[[Pipe], bool], tap: Tap | None) -> None:
    """Read until the stop (and then while ``keep_reading``) or the device's end; a failure is a gap row."""
    dev, st = pipe.device, pipe.stats
    st.state = "recording"
    try:
        while not stop.is_set() or keep_reading(pipe):
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
            if tap is not None:
                tap.offer(pipe, block)
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


def short_of_end(pipe: Pipe, stop: StopFlag, end_ns: int | None, t0_ns: int) -> bool:
    """After a --duration stop, keep reading until this stream has covered the whole duration."""
    if end_ns is None or not stop.reason.startswith("duration"):
        return False
    if pipe.last_dev_ns is None or pipe.device.done:
        return False
    if time.monotonic_ns() - t0_ns > end_ns + STALL_GRACE_NS:
        return False
    return pipe.last_dev_ns + (pipe.provisional or 0) < end_ns
