"""Other writers, put in the recorder's place on the same load, each tuned as its documentation recommends
for streaming appends (BENCHMARKS.md cites the pages):

- the same layout as weldctl: time first, the same inner chunks and shards (camera 64-frame chunks in
  512-frame shards; t_ns/seq 2^14-sample chunks), blosc-lz4 with the same shuffles and levels;
- appends in whole shards (whole chunks where a library has no shards), aligned, so no write ever reads a
  shard back to modify it; shapes preallocated, so no resize (a metadata write) sits on the hot path;
- writes pipelined: several in flight while the next batch is collected, where the library can;
- no fsync (weldctl's `durability: none` does not sync either), except tensorstore-sync, its own default that
  syncs every write, beside weldctl's default `durability: shard`.

The zarr-python and tensorstore stores are read back by the conformance test of these sinks
(tests/bench/test_sinks.py) to show they hold what was appended.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

import numpy as np

from weldctl.schema import StreamSpec
from weldctl.schema._store_layout import codecs_for, index_shards, stream_shards

CAPACITY_S = 1.3  # preallocate this many times the expected samples (no resize on the hot path)
IN_FLIGHT = 4  # batches being written while the next is collected (pipelined peers)
ARRAYS = ("data", "t_ns", "seq")


class Sink(Protocol):
    name: str

    def append(self, spec: StreamSpec, data: np.ndarray, t_ns: np.ndarray, seq: np.ndarray) -> None: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...


def layout(spec: StreamSpec, array: str) -> tuple[tuple[int, ...], tuple[int, ...], str]:
    """(inner chunk shape, shard shape, dtype) of one array, as weldctl lays it out."""
    if array == "data":
        chunk, shard = stream_shards(spec.default_chunk(), spec.bytes_per_sample, spec.nominal_rate_hz,
                                     spec.is_frames)
        return (chunk, *spec.sample_shape), (shard, *spec.sample_shape), spec.dtype
    chunk, shard = index_shards(spec.nominal_rate_hz)
    return (chunk,), (shard,), "int64"


def blosc_config(dtype: str, sample_shape: tuple[int, ...]) -> dict[str, Any]:
    """weldctl's blosc settings (``codecs_for``) as plain values, for libraries with their own codec specs."""
    c = codecs_for(dtype, sample_shape)[0]
    shuffle = getattr(c.shuffle, "value", c.shuffle)
    return {"cname": getattr(c.cname, "value", c.cname), "clevel": int(c.clevel), "shuffle": str(shuffle),
            "typesize": np.dtype(dtype).itemsize}


class _Batched:
    """Collects each array's rows and hands ``_write`` whole, aligned batches (a shard, or a chunk for
    libraries without shards); the rest waits for the next block, and ``close`` writes the tail."""

    name = "?"
    sharded = True  # batches are shards; else inner chunks

    def __init__(self, root: str, duration_s: float) -> None:
        self.root = root
        self.duration_s = duration_s
        self._pending: dict[tuple[str, str], list[np.ndarray]] = {}
        self._count: dict[tuple[str, str], int] = {}
        self._n: dict[tuple[str, str], int] = {}
        self._specs: dict[str, StreamSpec] = {}

    def batch(self, spec: StreamSpec, array: str) -> int:
        chunk, shard, _ = layout(spec, array)
        return (shard if self.sharded else chunk)[0]

    def capacity(self, spec: StreamSpec, array: str) -> int:
        b = self.batch(spec, array)
        return -(-int(spec.nominal_rate_hz * self.duration_s * CAPACITY_S) // b) * b + b

    def append(self, spec: StreamSpec, data: np.ndarray, t_ns: np.ndarray, seq: np.ndarray) -> None:
        if spec.name not in self._specs:
            self._specs[spec.name] = spec
            for a in ARRAYS:
                self._pending[spec.name, a], self._count[spec.name, a], self._n[spec.name, a] = [], 0, 0
            self._create(spec)
        for a, values in zip(ARRAYS, (data, t_ns, seq), strict=True):
            key = (spec.name, a)
            self._pending[key].append(values if a == "data" else np.asarray(values, dtype=np.int64))
            self._count[key] += len(values)
            b = self.batch(spec, a)
            if self._count[key] >= b:
                self._drain(key, whole=b)

    def _drain(self, key: tuple[str, str], whole: int = 0) -> None:
        parts = self._pending[key]
        if not parts:
            return
        rows = np.concatenate(parts) if len(parts) > 1 else parts[0]
        n = len(rows) - len(rows) % whole if whole else len(rows)
        rest = rows[n:]
        self._pending[key], self._count[key] = ([rest.copy()] if len(rest) else []), len(rest)
        if n:
            n0 = self._n[key]
            self._write(self._specs[key[0]], key[1], n0, np.ascontiguousarray(rows[:n]))
            self._n[key] = n0 + n

    def flush(self) -> None:
        pass  # the batch is the unit of writing; the recorder's periodic flush would only shrink it

    def close(self) -> None:
        for key in list(self._pending):
            self._drain(key)
        self._finish()

    def _create(self, spec: StreamSpec) -> None:
        raise NotImplementedError

    def _write(self, spec: StreamSpec, array: str, n0: int, rows: np.ndarray) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        pass


class _InFlight:
    """At most ``limit`` writes outstanding; the writer thread waits only when that many are."""

    def __init__(self, limit: int = IN_FLIGHT) -> None:
        self.limit = limit
        self._q: deque[Any] = deque()

    def add(self, fut: Any, wait: Any = lambda f: f.result()) -> None:
        self._q.append((fut, wait))
        while len(self._q) > self.limit:
            f, w = self._q.popleft()
            w(f)

    def drain(self) -> None:
        while self._q:
            f, w = self._q.popleft()
            w(f)


class ZarrPythonSink(_Batched):
    """zarr-python 3 with its sharding codec: arrays created with ``shards=``, whole-shard writes
    (``write_empty_chunks`` on, so no chunk is compared with the fill value), ``async.concurrency`` raised, and
    several shard writes in flight on zarr's own event loop (its async API), like the recorder's pipeline."""

    name = "zarr-python"

    def __init__(self, root: str, duration_s: float) -> None:
        super().__init__(root, duration_s)
        import zarr

        zarr.config.set({"async.concurrency": 32, "threading.max_workers": os.cpu_count() or 2})
        self.zarr = zarr
        self.group = zarr.open_group(os.path.join(root, "zarr-python.zarr"), mode="w", zarr_format=3)
        self.arrays: dict[tuple[str, str], Any] = {}
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="zarr-bench-loop", daemon=True)
        self._thread.start()
        self.flight = _InFlight()

    def _create(self, spec: StreamSpec) -> None:
        g = self.group.require_group(spec.name)
        for a in ARRAYS:
            chunk, shard, dtype = layout(spec, a)
            shape = (self.capacity(spec, a), *chunk[1:])
            arr = g.create_array(a, shape=shape, chunks=chunk, shards=shard, dtype=dtype,
                                 compressors=codecs_for(dtype, chunk[1:]), config={"write_empty_chunks": True})
            self.arrays[spec.name, a] = arr._async_array

    def _write(self, spec: StreamSpec, array: str, n0: int, rows: np.ndarray) -> None:
        arr = self.arrays[spec.name, array]
        fut = asyncio.run_coroutine_threadsafe(arr.setitem(slice(n0, n0 + len(rows)), rows), self.loop)
        self.flight.add(fut)

    def _finish(self) -> None:
        self.flight.drain()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


class TensorstoreSink(_Batched):
    """tensorstore's zarr3 driver with the sharding_indexed codec, ``file_io_sync: false`` (its default syncs
    every write), raised ``file_io_concurrency``, and writes left in flight (each returns a future; the writer
    waits only for the oldest when ``IN_FLIGHT`` are outstanding), referencing the batch instead of copying it."""

    name = "tensorstore"
    sharded = True
    sync = False

    def __init__(self, root: str, duration_s: float) -> None:
        super().__init__(root, duration_s)
        import tensorstore as ts

        self.ts = ts
        self.ctx = ts.Context({"data_copy_concurrency": {"limit": os.cpu_count() or 2},
                               "file_io_concurrency": {"limit": 16}, "file_io_sync": self.sync})
        self.base = os.path.join(root, "tensorstore.zarr")
        self.arrays: dict[tuple[str, str], Any] = {}
        self.flight = _InFlight()

    def _codecs(self, chunk: tuple[int, ...], dtype: str) -> list[dict[str, Any]]:
        inner = [{"name": "bytes", "configuration": {"endian": "little"}},
                 {"name": "blosc", "configuration": blosc_config(dtype, chunk[1:])}]
        if not self.sharded:
            return inner
        return [{"name": "sharding_indexed", "configuration": {
            "chunk_shape": list(chunk), "codecs": inner,
            "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}]}}]

    def _create(self, spec: StreamSpec) -> None:
        for a in ARRAYS:
            chunk, shard, dtype = layout(spec, a)
            grid = shard if self.sharded else chunk
            shape = (self.capacity(spec, a), *chunk[1:])
            self.arrays[spec.name, a] = self.ts.open({
                "driver": "zarr3", "kvstore": {"driver": "file", "path": f"{self.base}/{spec.name}/{a}"},
                "metadata": {"shape": list(shape), "data_type": dtype,
                             "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": list(grid)}},
                             "codecs": self._codecs(chunk, dtype)},
                "create": True, "delete_existing": True,
            }, context=self.ctx).result()

    def _write(self, spec: StreamSpec, array: str, n0: int, rows: np.ndarray) -> None:
        arr = self.arrays[spec.name, array]
        fut = arr[n0 : n0 + len(rows)].write(rows, can_reference_source_data_indefinitely=True)
        self.flight.add(fut, lambda f: f.commit.result())

    def _finish(self) -> None:
        self.flight.drain()


class TensorstoreSyncSink(TensorstoreSink):
    """The same with ``file_io_sync: true``, its default: every write synced, as weldctl's default
    (``durability: shard``) syncs every shard; on this disk syncing helped weldctl hold its rate."""

    name = "tensorstore (synced)"
    sync = True


class TensorstoreChunksSink(TensorstoreSink):
    """The same without shards: every 64-frame chunk its own file (the issue measured this faster than sharded
    tensorstore on this machine kind, so both are run)."""

    name = "tensorstore (chunks)"
    sharded = False


class H5pySink(_Batched):
    """h5py, chunked like weldctl, with HDF5's direct chunk write (h5py ``id.write_direct_chunk``): chunks are
    blosc-compressed by hdf5plugin-compatible blosc in a thread pool (HDF5's own filter pipeline runs under its
    global lock, one chunk at a time), then written whole; the file stays readable by any h5py + hdf5plugin."""

    name = "h5py + blosc"
    sharded = False

    def __init__(self, root: str, duration_s: float) -> None:
        super().__init__(root, duration_s)
        import h5py
        import hdf5plugin

        self.hdf5plugin = hdf5plugin
        self.file = h5py.File(os.path.join(root, "h5py.h5"), "w", libver="latest")
        self.sets: dict[tuple[str, str], Any] = {}
        self.codecs: dict[tuple[str, str], Any] = {}
        self.pool = ThreadPoolExecutor(os.cpu_count() or 2, thread_name_prefix="h5-compress")
        self.flight: deque[tuple[Any, Future[list[bytes]], int, int]] = deque()

    def _create(self, spec: StreamSpec) -> None:
        from numcodecs import Blosc

        b = self.hdf5plugin.Blosc
        g = self.file.require_group(spec.name)
        for a in ARRAYS:
            chunk, _, dtype = layout(spec, a)
            cfg = blosc_config(dtype, chunk[1:])
            shuffle = {"bitshuffle": b.BITSHUFFLE, "shuffle": b.SHUFFLE}[cfg["shuffle"]]
            self.sets[spec.name, a] = g.create_dataset(a, shape=(self.capacity(spec, a), *chunk[1:]), dtype=dtype,
                                                       chunks=chunk, **b(cname="lz4", clevel=cfg["clevel"],
                                                                         shuffle=shuffle))
            codes = {"bitshuffle": Blosc.BITSHUFFLE, "shuffle": Blosc.SHUFFLE}
            self.codecs[spec.name, a] = Blosc("lz4", cfg["clevel"], codes[cfg["shuffle"]])

    def _write(self, spec: StreamSpec, array: str, n0: int, rows: np.ndarray) -> None:
        ds, codec = self.sets[spec.name, array], self.codecs[spec.name, array]
        chunk = ds.chunks[0]
        if len(rows) % chunk:  # the tail at close: through HDF5's filter pipeline
            self._retire(0)
            ds[n0 : n0 + len(rows)] = rows
            return
        fut = self.pool.submit(lambda: [codec.encode(rows[i : i + chunk]) for i in range(0, len(rows), chunk)])
        self.flight.append((ds, fut, n0, chunk))
        self._retire(IN_FLIGHT)

    def _retire(self, keep: int) -> None:
        while len(self.flight) > keep:
            ds, fut, n0, chunk = self.flight.popleft()
            for i, blob in enumerate(fut.result()):
                ds.id.write_direct_chunk((n0 + i * chunk, *([0] * (ds.ndim - 1))), blob)

    def _finish(self) -> None:
        self._retire(0)
        self.pool.shutdown()
        self.file.close()


class McapSink:
    """One mcap channel per stream, one message per recorder block (data, then t_ns and seq), no compression
    (lz4 is slower still here), 4 MiB chunks; this is the rosbag-style alternative to an array store."""

    name = "mcap"

    def __init__(self, root: str, duration_s: float) -> None:
        from mcap.writer import CompressionType, Writer

        self._f = open(os.path.join(root, "run.mcap"), "wb")  # noqa: SIM115 - closed in close()
        self.writer = Writer(self._f, chunk_size=4 << 20, compression=CompressionType.NONE)
        self.writer.start(profile="", library="weldctl-bench")
        self.channels: dict[str, int] = {}

    def append(self, spec: StreamSpec, data: np.ndarray, t_ns: np.ndarray, seq: np.ndarray) -> None:
        ch = self.channels.get(spec.name)
        if ch is None:
            schema = self.writer.register_schema(name=f"{spec.name}.block", encoding="", data=b"")
            ch = self.writer.register_channel(topic=f"/{spec.name}", message_encoding="numpy",
                                              schema_id=schema)
            self.channels[spec.name] = ch
        t0 = int(t_ns[0])
        payload = data.tobytes() + np.asarray(t_ns, np.int64).tobytes() + np.asarray(seq, np.int64).tobytes()
        self.writer.add_message(ch, log_time=max(0, t0), data=payload, publish_time=max(0, t0),
                                sequence=int(seq[0]))

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.writer.finish()
        self._f.close()


class NullSink:
    """Discards everything: what the simulator and the recorder cost without any writer."""

    name = "null (no writer)"

    def __init__(self, root: str, duration_s: float) -> None:
        pass

    def append(self, spec: StreamSpec, data: np.ndarray, t_ns: np.ndarray, seq: np.ndarray) -> None:
        pass

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


def _sinks() -> dict[str, type]:
    from ._xdf import XdfSink

    return {"zarr-python": ZarrPythonSink, "tensorstore": TensorstoreSink,
            "tensorstore-chunks": TensorstoreChunksSink, "tensorstore-sync": TensorstoreSyncSink,
            "h5py": H5pySink, "mcap": McapSink, "xdf": XdfSink,
            "null": NullSink}


SINKS: dict[str, type] = _sinks()
