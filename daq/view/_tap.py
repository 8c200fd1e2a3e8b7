"""What the live view sees of a recording: a bounded, lossy copy of references, taken without waiting.

The recorder offers every block it reads; ``offer`` runs in the acquisition thread, so it only stores a
reference (no copy, no lock, no numpy): frame streams keep the latest block (a newer one replaces it), signal
streams keep their most recent blocks in a bounded deque (the oldest falls out). The view's own thread takes
from here at its own pace; when it is slow or absent, preview blocks are dropped here, never samples from
the recording, which has already queued the same block for the writer.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from weldctl.schema import StreamSpec

from .._block import Block
from .._pipe import Pipe

RECENT_BLOCKS = 64  # per signal stream: ~1.3 s of 20 ms blocks, what the view may fall behind by


@dataclass(frozen=True)
class TapItem:
    pipe: Pipe
    block: Block

    @property
    def spec(self) -> StreamSpec:
        return self.pipe.spec

    def run_ns(self) -> np.ndarray:
        """Each sample's time on the run time base, as the recorder writes it (device time + offset)."""
        return self.pipe.device_ns(self.block) + (self.pipe.provisional or 0)


class ViewTap:
    def __init__(self, recent_blocks: int = RECENT_BLOCKS) -> None:
        self.recent_blocks = recent_blocks
        self.latest: dict[str, TapItem] = {}  # frame streams: newest block only
        self.recent: dict[str, deque[TapItem]] = {}  # signal streams: newest blocks, bounded
        self.offered: dict[str, int] = {}  # blocks offered per stream (a plain counter: the view reads it)

    def offer(self, pipe: Pipe, block: Block) -> None:
        """Called by the recorder for every block it read: O(1), no copy, never blocks."""
        if not len(block):
            return  # a block that only reports losses: nothing to show
        spec = pipe.spec
        item = TapItem(pipe, block)
        if spec.is_frames:
            self.latest[spec.name] = item  # one reference store: atomic under the GIL
        else:
            dq = self.recent.get(spec.name)
            if dq is None:
                dq = self.recent.setdefault(spec.name, deque(maxlen=self.recent_blocks))
            dq.append(item)  # a full deque drops its oldest: a hole in the preview trace, not in the data
        self.offered[spec.name] = self.offered.get(spec.name, 0) + 1

    def take_recent(self, name: str) -> list[TapItem]:
        """The signal blocks offered since the last call (oldest first); the view thread's side."""
        dq = self.recent.get(name)
        out: list[TapItem] = []
        while dq:
            try:
                out.append(dq.popleft())
            except IndexError:
                break
        return out
