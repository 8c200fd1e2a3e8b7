"""Putting whole Zarr v3 shard files on disk: aligned buffers, O_DIRECT where it works, atomic replace.

A shard file (sharding_indexed codec, index at the end) is: the compressed inner chunks, zero padding,
then the index (offset, nbytes per inner chunk, uint64 little-endian) and its crc32c. The padding lets
the whole file be one O_DIRECT write of a multiple of the block size; readers locate chunks only through
the index, so zarr-python and tensorstore read it like any other shard.
"""

from __future__ import annotations

import ctypes
import errno
import os
from typing import Any, Literal

import google_crc32c
import numpy as np
from numpy.typing import NDArray

ALIGN = 4096  # O_DIRECT needs buffer address, file offset and length aligned to the logical block size
MISSING = np.uint64(2**64 - 1)  # index entry of an inner chunk that is not stored (reads as fill_value)
TMP_SUFFIX = ".writing"

# What a power cut may cost (a killed process loses only what the recorder had not yet handed to the disk):
# "none" leaves writeback to the kernel; "shard" syncs every file the writer puts (data and directory entry)
# before the next one; "interval" syncs the store's filesystem once per flush interval.
Durability = Literal["none", "shard", "interval"]
Stamp = tuple[int, int, int]  # (size, mtime_ns, inode) of a file just written: tells a later rewrite apart


def _libc_syncfs() -> Any:  # the C function, or None where libc has no syncfs
    try:
        fn = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int]
    fn.restype = ctypes.c_int
    return fn


_SYNCFS = _libc_syncfs()


def sync_filesystem(path: str) -> None:
    """Write back everything dirty on the filesystem holding ``path`` (syncfs; sync where there is none)."""
    if _SYNCFS is None:
        os.sync()
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        if _SYNCFS(fd) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"syncfs failed on {path}: {os.strerror(err)}")
    finally:
        os.close(fd)


def sync_directory(path: str) -> None:
    """Make the directory entries of ``path`` durable (a renamed file is only reachable once they are)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def aligned_empty(nbytes: int) -> NDArray[Any]:
    """A uint8 buffer whose address is a multiple of ALIGN (numpy only guarantees 64)."""
    raw = np.empty(nbytes + ALIGN, dtype=np.uint8)
    off = (-raw.ctypes.data) % ALIGN
    return raw[off : off + nbytes]


def round_up(n: int, to: int = ALIGN) -> int:
    return -(-n // to) * to


def index_nbytes(n_chunks: int) -> int:
    return 16 * n_chunks + 4


BLOSC_OVERHEAD = 16  # c-blosc 1.x header: a chunk never grows by more than this
_SHUFFLE_CODE = {"noshuffle": 0, "shuffle": 1, "bitshuffle": 2}


def _blosc_compress_ctx() -> Any:  # a ctypes function pointer, or None
    """c-blosc's blosc_compress_ctx from the copy numcodecs bundles, or None (then: encode + copy)."""
    try:
        import ctypes

        import numcodecs.blosc

        fn = ctypes.CDLL(numcodecs.blosc.__file__).blosc_compress_ctx
    except (ImportError, OSError, AttributeError):
        return None
    fn.restype = ctypes.c_int
    fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_void_p,
                   ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int]
    return fn


class BloscInto:
    """Compresses a chunk straight into its place in a shard buffer (no bytes object, no second copy).

    ctypes drops the GIL for the call, so a few threads compress in parallel. ``clevel`` 0 stores the chunk
    "memcpyed": a blosc header plus the raw bytes, which every blosc decoder reads from the header.
    """

    _ctx = _blosc_compress_ctx()

    def __init__(self, cname: str, clevel: int, shuffle: str, blocksize: int = 0) -> None:
        self.cname = cname
        self.clevel = clevel
        self.shuffle = shuffle
        self.blocksize = blocksize

    def stored(self) -> BloscInto:
        return BloscInto(self.cname, 0, "noshuffle", self.blocksize)

    def into(self, rows: NDArray[Any], out: NDArray[Any], offset: int) -> int:
        """Compress C-contiguous ``rows`` into ``out[offset:]``; returns the compressed length."""
        room = len(out) - offset
        if self._ctx is not None:
            n = self._ctx(self.clevel, _SHUFFLE_CODE[self.shuffle], rows.dtype.itemsize, rows.nbytes,
                          rows.ctypes.data, out.ctypes.data + offset, room, self.cname.encode(),
                          self.blocksize, 1)
            if n <= 0:
                raise RuntimeError(f"blosc_compress_ctx failed ({n}) on a {rows.nbytes}-byte chunk")
            return int(n)
        from numcodecs import Blosc

        codes = {"noshuffle": Blosc.NOSHUFFLE, "shuffle": Blosc.SHUFFLE, "bitshuffle": Blosc.BITSHUFFLE}
        enc = Blosc(self.cname, self.clevel, codes[self.shuffle], self.blocksize).encode(rows)
        out[offset : offset + len(enc)] = np.frombuffer(enc, dtype=np.uint8)
        return len(enc)


def shard_capacity(chunk_nbytes: int, n_chunks: int) -> int:
    """Bytes a shard buffer needs in the worst case (nothing compresses), padded for O_DIRECT."""
    return round_up(n_chunks * (chunk_nbytes + BLOSC_OVERHEAD) + index_nbytes(n_chunks))


def finish_shard(out: NDArray[Any], entries: NDArray[Any], payload_end: int, pad: bool) -> int:
    """Append the index (``entries``: (n, 2) uint64 offset/nbytes) and its crc32c after the chunks, zero
    padding in between when ``pad``; returns the shard file's length."""
    n = len(entries)
    size = payload_end + index_nbytes(n)
    if pad:
        size = round_up(size)
    idx_start = size - index_nbytes(n)
    out[payload_end:idx_start] = 0
    raw_index = entries.astype("<u8").tobytes()
    out[idx_start : idx_start + 16 * n] = np.frombuffer(raw_index, dtype=np.uint8)
    crc = np.uint32(google_crc32c.value(raw_index)).astype("<u4").tobytes()
    out[size - 4 : size] = np.frombuffer(crc, dtype=np.uint8)
    return size


def _fdatasync_path(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fdatasync(fd)
    finally:
        os.close(fd)


def _missing_dirs(path: str) -> list[str]:
    """The parents of the folders ``os.makedirs(path)`` will create, outermost first."""
    out: list[str] = []
    while not os.path.isdir(path):
        path = os.path.dirname(path)
        out.append(path)
    return out[::-1]


class LocalSink:
    """Files under a local directory. Each file is written to a temporary name and renamed into place, so
    a rewritten (previously partial) shard is never seen half-written; O_DIRECT skips the page cache,
    whose writeback is what limits buffered writes."""

    def __init__(self, root: str, direct: bool = True, durability: Durability = "none") -> None:
        self.root = root
        self.direct = direct and hasattr(os, "O_DIRECT")
        self.durability = durability
        self.bytes_written = 0

    @property
    def wants_padding(self) -> bool:
        return self.direct

    def put(self, key: str, data: memoryview | bytes) -> Stamp:
        """Write ``key`` whole (temp + rename); returns the file's stamp, by which a checksum taken of
        ``data`` is known to still describe the file at finalize."""
        path = os.path.join(self.root, key)
        tmp = path + TMP_SUFFIX
        parent = os.path.dirname(path)
        new_dirs = _missing_dirs(parent) if self.durability == "shard" else []
        os.makedirs(parent, exist_ok=True)
        if self.direct and len(data) % ALIGN == 0:
            try:
                st = self._write(tmp, data, os.O_DIRECT)
            except OSError as exc:
                if exc.errno != errno.EINVAL:  # EINVAL: this filesystem (tmpfs, ...) has no O_DIRECT
                    raise
                self.direct = False
                st = self._write(tmp, data, 0)
        else:
            st = self._write(tmp, data, 0)
        if self.durability == "shard":
            _fdatasync_path(tmp)  # O_DIRECT bypasses the page cache, not the file's size and extents
        os.replace(tmp, path)
        if self.durability == "shard":
            # The file's entry, and those of the folders made for it (a shard of a new index often needs some).
            for d in [parent, *new_dirs[::-1]]:
                sync_directory(d)
        self.bytes_written += len(data)
        return (st.st_size, st.st_mtime_ns, st.st_ino)

    def sync(self) -> None:
        """Everything written so far survives a power cut once this returns (``interval`` durability)."""
        sync_filesystem(self.root)

    @staticmethod
    def _write(path: str, data: memoryview | bytes, flags: int) -> os.stat_result:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | flags, 0o644)
        try:
            view = memoryview(data)
            while len(view):
                done = os.write(fd, view)
                view = view[done:]
            return os.fstat(fd)
        finally:
            os.close(fd)

    def remove_unfinished(self) -> int:
        """Delete temporary files a killed writer left (never renamed into place, so never read)."""
        n = 0
        for dirpath, _, files in os.walk(self.root):
            for name in files:
                if name.endswith(TMP_SUFFIX):
                    os.unlink(os.path.join(dirpath, name))
                    n += 1
        return n

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

    durability: Durability = "none"  # an object store acknowledges a PUT once it is stored

    def put(self, key: str, data: memoryview | bytes) -> Stamp | None:
        self.fs.pipe_file(f"{self.root}/{key}", bytes(data))
        self.bytes_written += len(data)
        return None  # no cheap stamp: finalize hashes these files itself

    def sync(self) -> None:
        pass

    def get(self, key: str) -> bytes | None:
        try:
            return bytes(self.fs.cat_file(f"{self.root}/{key}"))
        except FileNotFoundError:
            return None
