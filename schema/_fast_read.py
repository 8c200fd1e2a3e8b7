"""Batched reads of a complete run store on a local disk, through tensorstore.

zarr-python runs every chunk read and decode of a process through one asyncio event-loop thread; on stores of
many small arrays that thread, not the disk, sets the pace (20 sim runs of 64x64 frames: 0.57 s through
zarr-python, 0.06 s through tensorstore, page cache dropped). Tensorstore reads and decodes in C++ threads
that do not hold the GIL. It reads the same zarr v3 arrays; zarr-python stays the reader of stores on object
storage, of stores still being written, and the oracle the tests compare these reads against.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

try:
    import tensorstore as ts

    _HAVE_TENSORSTORE = True
except ImportError:  # the plain install: every read goes through zarr-python
    _HAVE_TENSORSTORE = False


_user_pid: int | None = None  # the process that started tensorstore's threads


def available() -> bool:
    """Tensorstore is installed and this process may use it. Its threads do not survive a fork: a child forked
    after the parent used it aborts on its first read (multiprocessing's default on Linux, DataLoader workers),
    so a forked child reads through zarr-python."""
    return _HAVE_TENSORSTORE and _user_pid in (None, os.getpid())


@functools.cache
def _context() -> Any:
    global _user_pid
    _user_pid = os.getpid()
    # No chunk cache: a curation pass reads each chunk once, and a cache would only hold memory.
    return ts.Context({"cache_pool": {"total_bytes_limit": 0}})


def open_arrays(paths: Sequence[Path]) -> list[Any]:
    """The zarr v3 arrays at these folders, opened concurrently (exceptions returned in their place)."""
    pending = [ts.open({"driver": "zarr3", "kvstore": {"driver": "file", "path": str(p)}},
                       context=_context(), open=True, read=True) for p in paths]
    out: list[Any] = []
    for f in pending:
        try:
            out.append(f.result())
        except Exception as exc:  # reported per array by the caller, as zarr-python's failed opens are
            out.append(exc)
    return out


def _within(sel: Any, shape: Sequence[int]) -> Any:
    """The selection clipped to the array, as numpy and zarr-python clip slices (tensorstore raises)."""
    parts = sel if isinstance(sel, tuple) else (sel,)
    clipped = tuple(_clip(p, n) if isinstance(p, slice) else p for p, n in zip(parts, shape, strict=False))
    return clipped + parts[len(clipped):] if isinstance(sel, tuple) else clipped[0]


def _clip(s: slice, n: int) -> slice:
    start, stop, step = s.indices(n)
    if step != 1:
        return slice(start, stop, step)
    return slice(start, max(start, stop))  # an empty selection stays empty instead of running backwards


def read(arrays: Sequence[Any], selections: Sequence[Any]) -> list[np.ndarray[Any, Any]]:
    """Each array's selection (numpy-style: slices and integers), all reads in flight at once."""
    pending = [a[_within(sel, a.shape)].read() for a, sel in zip(arrays, selections, strict=True)]
    return [np.asarray(f.result()) for f in pending]


def chunk_rows(array: Any) -> int:
    """Rows per (inner) chunk: the unit a read decodes."""
    return int(array.chunk_layout.read_chunk.shape[0])
