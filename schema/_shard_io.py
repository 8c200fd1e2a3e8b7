"""Putting whole Zarr v3 shard files on disk: aligned buffers, O_DIRECT where it works, atomic replace.

A shard file (sharding_indexed codec, index at the end) is: the compressed inner chunks, zero padding,
then the index (offset, nbytes per inner chunk, uint64 little-endian) and its crc32c. The padding lets
the whole file be one O_DIRECT write of a multiple of the block size; readers locate chunks only through
the index, so zarr-python and tensorstore read it like any other shard.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Sequence

import google_crc32c
import numpy as np

ALIGN = 4096  # O_DIRECT needs buffer address, file offset and length aligned to the logical block size
MISSING = np.uint64(2**64 - 1)  # index entry of an inner chunk that is not stored (reads as fill_value)
TMP_SUFFIX = ".writing"


def aligned_empty(nbytes: int) -> np.ndarray:
    """A uint8 buffer whose address is a multiple of ALIGN (numpy only guarantees 64)."""
    raw = np.empty(nbytes + ALIGN, dtype=np.uint8)
    off = (-raw.ctypes.data) % ALIGN
    return raw[off : off + nbytes]


def round_up(n: int, to: int = ALIGN) -> int:
    return -(-n // to) * to


def index_nbytes(n_chunks: int) -> int:
    return 16 * n_chunks + 4


class ShardAssembler:
    """Lays one shard out in a reused aligned buffer. One per I/O thread (it is not thread-safe)."""

    def __init__(self) -> None:
        self._buf = aligned_empty(ALIGN)

    def assemble(self, chunks: Sequence[bytes | None], pad: bool) -> memoryview:
        n = len(chunks)
        payload = sum(len(c) for c in chunks if c is not None)
        size = payload + index_nbytes(n)
        if pad:
            size = round_up(size)
        if len(self._buf) < size:
            self._buf = aligned_empty(round_up(size + size // 4))
        out = self._buf
        index = np.full((n, 2), MISSING, dtype="<u8")
        off = 0
        for i, c in enumerate(chunks):
            if c is None:
                continue
            out[off : off + len(c)] = np.frombuffer(c, dtype=np.uint8)
            index[i] = (off, len(c))
            off += len(c)
        idx_start = size - index_nbytes(n)
        out[off:idx_start] = 0
        raw_index = index.tobytes()
        out[idx_start : idx_start + 16 * n] = np.frombuffer(raw_index, dtype=np.uint8)
        crc = np.uint32(google_crc32c.value(raw_index)).astype("<u4").tobytes()
        out[size - 4 : size] = np.frombuffer(crc, dtype=np.uint8)
        return memoryview(out[:size])


class LocalSink:
    """Files under a local directory. Each file is written to a temporary name and renamed into place, so
    a rewritten (previously partial) shard is never seen half-written; O_DIRECT skips the page cache,
    whose writeback is what limits buffered writes."""

    def __init__(self, root: str, direct: bool = True) -> None:
        self.root = root
        self.direct = direct and hasattr(os, "O_DIRECT")
        self.bytes_written = 0

    @property
    def wants_padding(self) -> bool:
        return self.direct

    def put(self, key: str, data: memoryview | bytes) -> None:
        path = os.path.join(self.root, key)
        tmp = path + TMP_SUFFIX
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if self.direct and len(data) % ALIGN == 0:
            try:
                self._write(tmp, data, os.O_DIRECT)
            except OSError as exc:
                if exc.errno != errno.EINVAL:  # EINVAL: this filesystem (tmpfs, ...) has no O_DIRECT
                    raise
                self.direct = False
                self._write(tmp, data, 0)
        else:
            self._write(tmp, data, 0)
        os.replace(tmp, path)
        self.bytes_written += len(data)

    @staticmethod
    def _write(path: str, data: memoryview | bytes, flags: int) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | flags, 0o644)
        try:
            view = memoryview(data)
            while len(view):
                done = os.write(fd, view)
                view = view[done:]
        finally:
            os.close(fd)

    def get(self, key: str) -> bytes | None:
        try:
            with open(os.path.join(self.root, key), "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None


class FsspecSink:
    """Object storage and other fsspec filesystems: one plain put per file (object puts are atomic)."""

    wants_padding = False

    def __init__(self, fs, root: str) -> None:  # type: ignore[no-untyped-def]
        self.fs = fs
        self.root = root.rstrip("/")
        self.bytes_written = 0

    def put(self, key: str, data: memoryview | bytes) -> None:
        self.fs.pipe_file(f"{self.root}/{key}", bytes(data))
        self.bytes_written += len(data)

    def get(self, key: str) -> bytes | None:
        try:
            return bytes(self.fs.cat_file(f"{self.root}/{key}"))
        except FileNotFoundError:
            return None
