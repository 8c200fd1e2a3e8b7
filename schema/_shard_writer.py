"""Appending to a sharded Zarr v3 array at camera rates, without zarr-python on the hot path.

zarr-python creates each array (so its zarr.json is zarr-python's own); after that, rows are copied into a
few preallocated shard-sized staging buffers. A full shard goes to a small thread pool that compresses its
inner chunks (blosc-lz4) straight into an aligned shard buffer and appends the index; one I/O thread then
writes the shard file in a single write, and the array shapes at bounded intervals. Only the I/O thread
touches the disk, in submission order, so a shape is never written before the rows it covers: a killed
recorder leaves a store readers can trust.
"""

from __future__ import annotations

import hashlib
import json
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from ._shard_io import MISSING, BloscInto, FsspecSink, LocalSink, Stamp, finish_shard, shard_capacity

RING = 3  # staging buffers per array: one filling, two compressing or being written
# Compression must never cost samples. A chunk is stored blosc-"memcpyed" (clevel 0: a 16-byte header and
# the raw bytes, decoded by any blosc reader from that header) while as many shards wait for the compressors
# as there are compressors and the disk keeps up, or when the array's data does not compress (ratio below
# MIN_RATIO; re-probed every PROBE_EVERY chunks). With the disk behind too, raw chunks would only add bytes
# where time is shortest: measured at 6 kfps of the load rig, storing raw whenever the compressors were
# behind wrote 6.5-7.2 GB in 20 s and lost samples, compressing then wrote 5.2-5.4 GB.
MIN_RATIO = 1.15
DISK_KEEPS_UP = 1  # writes queued for the I/O thread at most, for the disk to count as keeping up
PROBE_EVERY = 16


class WriterPool:
    """Compression threads and the one I/O thread shared by every array of a run, with their load."""

    def __init__(self, sink: LocalSink | FsspecSink, compress_threads: int = 2, adaptive: bool = True) -> None:
        self.sink = sink
        self.threads = max(1, compress_threads)
        # Adaptive: store chunks raw under pressure or when they do not compress (a recording must never lose
        # samples to the compressors). Not adaptive: always compress, so the bytes depend on the data alone.
        self.adaptive = adaptive
        self._compress = ThreadPoolExecutor(self.threads, thread_name_prefix="weldctl-compress")
        self._io = ThreadPoolExecutor(1, thread_name_prefix="weldctl-io")
        self._error: BaseException | None = None
        self._io_pending: list[Future[None]] = []
        self._lock = threading.Lock()
        self._out: list[np.ndarray] = []  # free aligned shard buffers, reused
        self.t0 = time.monotonic()
        self.compress_busy_s = 0.0
        self.io_busy_s = 0.0
        self.raw_bytes = 0  # bytes handed to the compressors
        self.stored_bytes = 0  # bytes written to the sink
        self.backlog = 0  # shard jobs submitted and not yet compressed
        self.stored_raw = 0  # chunks stored uncompressed (pressure or incompressible data)
        self.chunks = 0
        # sha256 of each file as it was put, with the file's stamp then: finalize takes these instead of
        # reading the store again, for every file whose stamp still matches (see _checksum.hash_files).
        self.hashes: dict[str, tuple[str, Stamp]] = {}
        self.hash_busy_s = 0.0

    @property
    def under_pressure(self) -> bool:
        """The compressors are behind (what a checksum taken now would add to)."""
        return self.backlog >= self.threads

    @property
    def store_raw(self) -> bool:
        """Skip compression: the compressors are behind while the disk has room for the larger chunks."""
        return self.under_pressure and self.io_queue <= DISK_KEEPS_UP

    def _take_out(self, nbytes: int) -> np.ndarray:
        with self._lock:
            for i, buf in enumerate(self._out):
                if len(buf) >= nbytes:
                    return self._out.pop(i)
        from ._shard_io import aligned_empty

        return aligned_empty(nbytes)

    def _give_out(self, buf: np.ndarray) -> None:
        with self._lock:
            self._out.append(buf)

    def put(self, key: str, data: memoryview | bytes, digest: str | None = None) -> None:
        """Write one file through the sink (on the I/O thread) and remember its checksum when known."""
        stamp = self.sink.put(key, data)
        with self._lock:
            if digest is not None and stamp is not None:
                self.hashes[key] = (digest, stamp)
            else:
                self.hashes.pop(key, None)

    def forget(self, prefix: str) -> None:
        """Drop remembered checksums of files under ``prefix`` (about to be rewritten by someone else)."""
        with self._lock:
            for key in [k for k in self.hashes if k.startswith(prefix)]:
                del self.hashes[key]

    def sync(self) -> None:
        """Queue a sync of everything written so far (``interval`` durability); no-op otherwise."""
        if getattr(self.sink, "durability", "none") == "interval":
            self.io(self.sink.sync)

    def submit_shard(self, key: str, capacity: int, fill: Callable[[np.ndarray], int],
                     release: Callable[[], None] | None, digest: bool = False) -> None:
        """Compress a shard into a buffer (``fill`` returns the file length) on the pool, then write it.
        With ``digest``, its sha256 is taken on the compress thread, so finalize need not read it back."""
        with self._lock:
            self.backlog += 1

        def compress() -> tuple[np.ndarray, int, str | None]:
            t = time.perf_counter()
            out = self._take_out(capacity)
            try:
                size = fill(out)
                # Like compression, a checksum never costs samples: behind, the shard is left for finalize.
                if not digest or (self.adaptive and self.under_pressure):
                    return out, size, None
                th = time.perf_counter()
                hexdigest = hashlib.sha256(out[:size].data).hexdigest()
                with self._lock:
                    self.hash_busy_s += time.perf_counter() - th
                return out, size, hexdigest
            except BaseException:
                self._give_out(out)
                raise
            finally:
                with self._lock:
                    self.backlog -= 1
                    self.compress_busy_s += time.perf_counter() - t

        fut = self._compress.submit(compress)

        def write() -> None:
            try:
                out, size, hexdigest = fut.result()
                try:
                    t = time.perf_counter()
                    self.put(key, out[:size].data, hexdigest)
                    self.io_busy_s += time.perf_counter() - t
                    self.stored_bytes += size
                finally:
                    self._give_out(out)
            finally:
                if release is not None:
                    release()

        self.io(write)

    def io(self, fn: Callable[[], object]) -> None:
        """Run ``fn`` on the I/O thread, after everything queued before it."""

        def job() -> None:
            if self._error is not None:
                return  # after a failure nothing more reaches the disk, so shapes stay honest
            try:
                fn()
            except BaseException as exc:
                self._error = exc

        fut = self._io.submit(job)
        self._io_pending = [f for f in self._io_pending if not f.done()]
        self._io_pending.append(fut)

    def check(self) -> None:
        """Raise, on the caller's thread, the first error the I/O thread met (e.g. ENOSPC)."""
        if self._error is not None:
            raise self._error

    def drain(self) -> None:
        for f in list(self._io_pending):
            f.result()
        self._io_pending.clear()
        self.check()

    @property
    def io_queue(self) -> int:
        return sum(1 for f in self._io_pending if not f.done())

    def load(self, window_s: float | None = None) -> dict[str, float]:
        """Busy shares of the compressors and of the I/O thread (1.0 = saturated), disk MB/s and the
        headroom left (1 - the busier of the two), over the run or over the last ``window_s``."""
        now = (time.monotonic(), self.compress_busy_s, self.io_busy_s, self.stored_bytes)
        ref = (self.t0, 0.0, 0.0, 0)
        if window_s is not None:
            self._history = [h for h in getattr(self, "_history", []) if now[0] - h[0] <= window_s]
            if self._history:
                ref = self._history[0]
            self._history.append(now)
        wall = max(1e-9, now[0] - ref[0])
        compress = (now[1] - ref[1]) / (wall * self.threads)
        io = (now[2] - ref[2]) / wall
        return {"compress_busy": compress, "io_busy": io, "io_queue": float(self.io_queue),
                "disk_mb_s": (now[3] - ref[3]) / wall / 1e6, "headroom": max(0.0, 1.0 - max(compress, io)),
                "stored_mb": self.stored_bytes / 1e6, "direct_io": float(getattr(self.sink, "direct", False)),
                "stored_raw_share": self.stored_raw / max(1, self.chunks)}

    def close(self) -> None:
        self._compress.shutdown(wait=True)
        self._io.shutdown(wait=True)


def encode_shard(out: np.ndarray, chunks: Sequence[np.ndarray], n_chunks: int, pad: bool,
                 compress: Callable[[np.ndarray, np.ndarray, int, int], int]) -> int:
    """Compress ``chunks`` (the shard's first ones, each a whole chunk) one after another into ``out`` with
    ``compress(rows, out, offset, index)``, then its index; returns the shard file's length."""
    entries = np.full((n_chunks, 2), MISSING, dtype=np.uint64)
    off = 0
    for c, rows in enumerate(chunks):
        nbytes = compress(rows, out, off, c)
        entries[c] = (off, nbytes)
        off += nbytes
    return finish_shard(out, entries, off, pad)


def codec_of(meta: dict) -> tuple[BloscInto, int, int]:
    """(blosc codec, inner chunk length, shard length) from an array's zarr.json."""
    shard_len = int(meta["chunk_grid"]["configuration"]["chunk_shape"][0])
    sharding = meta["codecs"][0]
    if sharding["name"] != "sharding_indexed":
        raise ValueError(f"expected a sharded array, got codecs {meta['codecs']}")
    cfg = sharding["configuration"]
    names = [c["name"] for c in cfg["codecs"]]
    if names != ["bytes", "blosc"] or any(c["name"] != "bytes" for c in cfg["index_codecs"][:1]):
        raise ValueError(f"the shard writer writes bytes + blosc chunks, not {names}")
    b = cfg["codecs"][1]["configuration"]
    codec = BloscInto(b["cname"], int(b["clevel"]), b["shuffle"], int(b.get("blocksize", 0)))
    return codec, int(cfg["chunk_shape"][0]), shard_len


class ShardedArray:
    """The append side of one sharded array (first axis = time), written in whole shards."""

    def __init__(self, pool: WriterPool, key: str, meta: dict, n: int) -> None:
        self.pool = pool
        self.key = key  # path of the array inside the store
        self.meta = meta
        self.codec, self.chunk, self.shard = codec_of(meta)
        self.stored_codec = self.codec.stored()
        self.sample_shape = tuple(int(s) for s in meta["shape"][1:])
        self.dtype = np.dtype(meta["data_type"])
        self.fill = meta["fill_value"]
        self.n_chunks = self.shard // self.chunk
        chunk_nbytes = self.chunk * int(np.prod(self.sample_shape, dtype=np.int64)) * self.dtype.itemsize
        self.capacity = shard_capacity(chunk_nbytes, self.n_chunks)
        self._free: queue.Queue[np.ndarray] = queue.Queue()
        for _ in range(RING):
            self._free.put(np.empty((self.shard, *self.sample_shape), dtype=self.dtype))
        self._active: np.ndarray | None = None
        self.n = n  # rows appended
        self.disk_n = n  # rows covered by writes already queued
        self.committed_n = int(meta["shape"][0])  # rows in the zarr.json queued for the disk
        self.on_disk_n = self.committed_n  # rows in the zarr.json the I/O thread has written
        self._dirty_since: float | None = None
        self.ratio = 2.0  # running compression ratio of the chunks that were compressed
        self._chunks_seen = 0

    def _shard_key(self, i: int) -> str:
        return "/".join([self.key, "c", str(i), *("0" * len(self.sample_shape))])

    def _take_buffer(self) -> np.ndarray:
        while True:  # block (back-pressure on the caller) until a buffer's shard is on disk
            self.pool.check()
            try:
                return self._free.get(timeout=0.25)
            except queue.Empty:
                continue

    def append(self, values: np.ndarray) -> None:
        done, total = 0, len(values)
        while done < total:
            if self._active is None:
                self._active = self._take_buffer()
            row = self.n % self.shard
            k = min(total - done, self.shard - row)
            self._active[row : row + k] = values[done : done + k]
            self.n += k
            done += k
            if self._dirty_since is None:
                self._dirty_since = time.monotonic()
            if row + k == self.shard:
                self._submit(complete=True)

    def _compress_chunk(self, rows: np.ndarray, out: np.ndarray, offset: int, edge: bool = False) -> int:
        self._chunks_seen += 1
        probe = self._chunks_seen % PROBE_EVERY == 1
        self.pool.chunks += 1
        if edge or not self.pool.adaptive:
            # An edge chunk is mostly fill: compressed it is only as big as its rows, stored raw it would keep
            # a whole chunk on disk for the last shard of every stream. One per flush costs next to nothing.
            # No ratio bookkeeping: the compress threads would update it in an order that varies.
            return self.codec.into(rows, out, offset)
        if self.pool.store_raw or (self.ratio < MIN_RATIO and not probe):
            self.pool.stored_raw += 1
            return self.stored_codec.into(rows, out, offset)
        n = self.codec.into(rows, out, offset)
        self.ratio = 0.8 * self.ratio + 0.2 * rows.nbytes / n
        self.pool.raw_bytes += rows.nbytes
        return n

    def _submit(self, complete: bool) -> None:
        """Queue the compression and write of the current shard (whole, or up to the last row)."""
        assert self._active is not None
        buf = self._active
        i, row = divmod(self.n, self.shard)
        if complete:
            i, row = i - 1, self.shard
        n_full, rest = divmod(row, self.chunk)
        edge = None
        if rest:  # the edge chunk: its unwritten rows must read as fill_value
            edge = np.full((self.chunk, *self.sample_shape), self.fill, dtype=self.dtype)
            edge[:rest] = buf[n_full * self.chunk : row]
        pad = self.pool.sink.wants_padding

        def fill(out: np.ndarray) -> int:
            chunks = [buf[c * self.chunk : (c + 1) * self.chunk] for c in range(n_full)]
            return encode_shard(out, [*chunks, *([] if edge is None else [edge])], self.n_chunks, pad,
                                lambda rows, o, off, c: self._compress_chunk(rows, o, off, edge=c == n_full))

        release = (lambda: self._free.put(buf)) if complete else None
        # Only whole shards are hashed as written: a partial one is rewritten every flush interval until it
        # is whole, and at most one per array is left for finalize to read.
        self.pool.submit_shard(self._shard_key(i), self.capacity, fill, release, digest=complete)
        self.disk_n = self.n
        self._dirty_since = None
        if complete:
            self._active = None

    def write_partial(self, max_age_s: float = 0.0) -> None:
        """Write the partial shard if its oldest unwritten row is at least ``max_age_s`` old."""
        if self.n > self.disk_n and self._active is not None:
            age = time.monotonic() - (self._dirty_since or 0.0)
            if age >= max_age_s:
                self._submit(complete=False)

    def preload(self, rows: np.ndarray) -> None:
        """Resume: put the rows of a partial last shard, already on disk, back into staging."""
        if not len(rows):
            return
        self.n -= len(rows)
        self.append(rows)
        self.disk_n = self.n
        self._dirty_since = None

    def metadata_doc(self) -> bytes:
        self.meta["shape"][0] = self.disk_n
        return json.dumps(self.meta, indent=2).encode()
