"""What a device hands the recorder: a block of samples with their counters and clocks."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Gap:
    """A loss a device reported: ``count`` samples starting at sequence number ``seq_start``."""

    seq_start: int
    count: int
    kind: str  # device_overflow, packet_loss, disconnect, xrun, queue_overflow, ...
    note: str = ""


@dataclass
class Block:
    """``n`` consecutive samples (or frames) as read from one device.

    ``t_dev_ns`` are the device's own timestamps (its clock, not the run's); streams without
    them are timed by ``seq`` and the nominal rate. ``t_host_ns`` is when the host received the
    block, on the run time base (ns since run start): the observation the clock fit uses.
    """

    data: np.ndarray
    seq: np.ndarray
    t_host_ns: int
    t_dev_ns: np.ndarray | None = None
    gaps: list[Gap] = field(default_factory=list)
    # Fault injection (sim only): ranges of this block the recorder must handle as if its queue
    # were full, so tests exercise the recorder's real queue-overflow path at a known place.
    queue_faults: list[Gap] = field(default_factory=list)
    recv_mono_ns: int = 0  # set by the recorder: host monotonic time the block was read

    def __post_init__(self) -> None:
        if len(self.seq) != len(self.data):
            raise ValueError(f"block has {len(self.data)} samples but {len(self.seq)} sequence numbers")
        if self.t_dev_ns is not None and len(self.t_dev_ns) != len(self.data):
            raise ValueError(f"block has {len(self.data)} samples but {len(self.t_dev_ns)} device timestamps")

    def __len__(self) -> int:
        return len(self.data)

    @property
    def nbytes(self) -> int:
        return int(self.data.nbytes)

    def take(self, sel: np.ndarray | slice) -> Block:
        """The samples ``sel`` of this block as a block of their own (same receive time)."""
        return Block(self.data[sel], self.seq[sel], self.t_host_ns,
                     None if self.t_dev_ns is None else self.t_dev_ns[sel], recv_mono_ns=self.recv_mono_ns)
