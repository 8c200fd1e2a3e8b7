"""Appending to a sharded Zarr v3 array at camera rates, without zarr-python on the hot path.

zarr-python creates each array (so its zarr.json is zarr-python's own); after that, rows are copied into a
few preallocated shard-sized staging buffers, every full inner chunk is compressed (blosc-lz4) on a small
thread pool as soon as it fills, and one I/O thread writes each whole shard file in a single write, then the
array shapes at bounded intervals. Only the I/O thread touches the disk, in submission order, so a shape is
never written before the rows it covers: a killed recorder leaves a store readers can trust.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
from numcodecs import Blosc

from ._shard_io import FsspecSink, LocalSink, ShardAssembler

RING = 3  # staging buffers per array: one filling, two compressing or being written
# Compression must never cost samples. A chunk is stored blosc-"memcpyed" (clevel 0: a 16-byte header and
# the raw bytes, decoded by any blosc reader from that header) when the compressors are this many chunks
# behind, or when the array's data does not compress (ratio below MIN_RATIO; re-probed every PROBE_EVERY).
BACKLOG_PER_THREAD = 2
MIN_RATIO = 1.15
PROBE_EVERY = 16
_SHUFFLE = {"noshuffle": Blosc.NOSHUFFLE, "shuffle": Blosc.SHUFFLE, "bitshuffle": Blosc.BITSHUFFLE}


class WriterPool:
    """Compression threads and the one I/O thread shared by every array of a run, with their load."""

    def __init__(self, sink: LocalSink | FsspecSink, compress_threads: int = 2) -> None:
        self.sink = sink
        self.threads = max(1, compress_threads)
        self._compress = ThreadPoolExecutor(self.threads, thread_name_prefix="weldctl-compress")
        self._io = ThreadPoolExecutor(1, thread_name_prefix="weldctl-io")
        self._assembler = ShardAssembler()
        self._error: BaseException | None = None
        self._io_pending: list[Future[None]] = []
        self._lock = threading.Lock()
        self.t0 = time.monotonic()
        self.compress_busy_s = 0.0
        self.io_busy_s = 0.0
        self.raw_bytes = 0  # bytes handed to the compressors
        self.stored_bytes = 0  # bytes written to the sink
        self.backlog = 0  # chunks submitted and not yet compressed
        self.stored_raw = 0  # chunks stored uncompressed (pressure or incompressible data)

    def compress(self, codec: Blosc, rows: np.ndarray, on_done: Callable[[int, int], None] | None = None,
                 ) -> Future[bytes]:
        with self._lock:
            self.backlog += 1

        def job() -> bytes:
            t = time.perf_counter()
            out = codec.encode(rows)
            with self._lock:
                self.compress_busy_s += time.perf_counter() - t
                self.raw_bytes += rows.nbytes
                self.backlog -= 1
            if on_done is not None:
                on_done(rows.nbytes, len(out))
            return out

        return self._compress.submit(job)

    @property
    def under_pressure(self) -> bool:
        return self.backlog >= BACKLOG_PER_THREAD * self.threads

    def io(self, fn: Callable[[], None]) -> None:
        def job() -> None:
            if self._error is not None:
                return  # after a failure nothing more reaches the disk, so shapes stay honest
            t = time.perf_counter()
            try:
                fn()
            except BaseException as exc:
                self._error = exc
            finally:
                self.io_busy_s += time.perf_counter() - t

        fut = self._io.submit(job)
        self._io_pending = [f for f in self._io_pending if not f.done()]
        self._io_pending.append(fut)

    def put_shard(self, key: str, chunks: list[bytes | None]) -> None:
        """I/O thread only: lay out and write one whole shard file."""
        view = self._assembler.assemble(chunks, pad=self.sink.wants_padding)
        self.sink.put(key, view)
        self.stored_bytes += len(view)

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
                "stored_mb": self.stored_bytes / 1e6, "direct_io": float(getattr(self.sink, "direct", False))}

    def close(self) -> None:
        self._compress.shutdown(wait=True)
        self._io.shutdown(wait=True)


def _codec(meta: dict) -> tuple[Blosc | None, int, int]:
    """(blosc codec, inner chunk length, shard length) from an array's zarr.json."""
    shard_len = int(meta["chunk_grid"]["configuration"]["chunk_shape"][0])
    sharding = meta["codecs"][0]
    if sharding["name"] != "sharding_indexed":
        raise ValueError(f"expected a sharded array, got codecs {meta['codecs']}")
    cfg = sharding["configuration"]
    codec = None
    for c in cfg["codecs"]:
        if c["name"] == "blosc":
            b = c["configuration"]
            codec = Blosc(cname=b["cname"], clevel=b["clevel"], shuffle=_SHUFFLE[b["shuffle"]],
                          blocksize=b.get("blocksize", 0))
    return codec, int(cfg["chunk_shape"][0]), shard_len


class ShardedArray:
    """The append side of one sharded array (first axis = time), written in whole shards."""

    def __init__(self, pool: WriterPool, key: str, meta: dict, n: int) -> None:
        self.pool = pool
        self.key = key  # path of the array inside the store
        self.meta = meta
        self.codec, self.chunk, self.shard = _codec(meta)
        self.stored_codec = Blosc(cname="lz4", clevel=0, shuffle=Blosc.NOSHUFFLE)
        self.ratio = 2.0  # running compression ratio of the chunks that were compressed
        self._chunks_seen = 0
        self.sample_shape = tuple(int(s) for s in meta["shape"][1:])
        self.dtype = np.dtype(meta["data_type"])
        self.fill = meta["fill_value"]
        self.n_chunks = self.shard // self.chunk
        self._free: queue.Queue[np.ndarray] = queue.Queue()
        for _ in range(RING):
            self._free.put(np.empty((self.shard, *self.sample_shape), dtype=self.dtype))
        self._active: np.ndarray | None = None
        self._futs: list[Future[bytes] | None] = []
        self.n = n  # rows appended
        self.disk_n = n  # rows covered by writes already queued on the I/O thread
        self.committed_n = int(meta["shape"][0])  # rows in the zarr.json on disk
        self._dirty_since: float | None = None

    def _shard_key(self, i: int) -> str:
        return "/".join([self.key, "c", str(i), *("0" * len(self.sample_shape))])

    def _take_buffer(self) -> np.ndarray:
        while True:  # block (back-pressure on the caller) until a buffer's shard is on disk
            self.pool.check()
            try:
                buf = self._free.get(timeout=0.25)
            except queue.Empty:
                continue
            self._futs = [None] * self.n_chunks
            return buf

    def append(self, values: np.ndarray) -> None:
        done, total = 0, len(values)
        while done < total:
            if self._active is None:
                self._active = self._take_buffer()
            row = self.n % self.shard
            k = min(total - done, self.shard - row)
            self._active[row : row + k] = values[done : done + k]
            for c in range(row // self.chunk, (row + k) // self.chunk):
                if self._futs[c] is None:  # chunk c is complete: compress it now, off this thread
                    c0 = c * self.chunk
                    self._futs[c] = self._encode(self._active[c0 : c0 + self.chunk])
            self.n += k
            done += k
            if self._dirty_since is None:
                self._dirty_since = time.monotonic()
            if row + k == self.shard:
                self._submit(complete=True)

    def _encode(self, rows: np.ndarray) -> Future[bytes]:
        self._chunks_seen += 1
        probe = self._chunks_seen % PROBE_EVERY == 1
        if self.codec is None or self.pool.under_pressure or (self.ratio < MIN_RATIO and not probe):
            with self.pool._lock:
                self.pool.stored_raw += 1
            return self.pool.compress(self.stored_codec, rows)
        return self.pool.compress(self.codec, rows, self._observe)

    def _observe(self, raw: int, stored: int) -> None:
        self.ratio = 0.8 * self.ratio + 0.2 * raw / max(1, stored)

    def _submit(self, complete: bool) -> None:
        """Queue the write of the current shard (whole, or up to the last row appended)."""
        assert self._active is not None
        i, row = divmod(self.n, self.shard)
        if complete:
            i, row = i - 1, self.shard
        futs: list[Future[bytes] | None] = list(self._futs)
        c_last, rest = divmod(row, self.chunk)
        if rest:  # the edge chunk: its unwritten rows must read as fill_value
            part = np.full((self.chunk, *self.sample_shape), self.fill, dtype=self.dtype)
            part[:rest] = self._active[c_last * self.chunk : row]
            futs[c_last] = self._encode(part)
        buf = self._active if complete else None
        key = self._shard_key(i)

        def write() -> None:
            try:
                self.pool.put_shard(key, [f.result() if f is not None else None for f in futs])
            finally:
                if buf is not None:
                    self._free.put(buf)

        self.pool.io(write)
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
