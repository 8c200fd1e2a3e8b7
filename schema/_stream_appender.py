"""Appending one stream's samples to its sharded data, t_ns and seq arrays."""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

import numpy as np
import zarr
from zarr.abc.store import Store
from zarr.storage import LocalStore

from ._errors import StoreError
from ._shard_io import Durability, FsspecSink, LocalSink
from ._shard_writer import ShardedArray, WriterPool
from ._store_layout import codecs_for, index_shards, stream_shards
from ._stream import StreamSpec

# Unwritten tail elements read as this, so recovery can tell them from real samples.
UNWRITTEN = -1
ARRAYS = ("data", "t_ns", "seq")  # commit order: readers trust the shortest


def sink_for(store: Store) -> LocalSink | FsspecSink:
    """Where the shard writer puts files: the local directory behind the store, or its fsspec filesystem."""
    if isinstance(store, LocalStore):
        return LocalSink(str(store.root))
    fs, path = getattr(store, "fs", None), getattr(store, "path", None)
    if fs is None or path is None:
        raise StoreError(f"the shard writer cannot write to a {type(store).__name__}")
    # zarr holds an async filesystem; the I/O thread wants a blocking one on the same place.
    if hasattr(fs, "sync_fs"):
        fs = fs.sync_fs
    elif getattr(fs, "asynchronous", False):
        import fsspec

        protocol = fs.protocol[0] if isinstance(fs.protocol, tuple | list) else fs.protocol
        options = {k: v for k, v in fs.storage_options.items() if k not in ("asynchronous", "loop")}
        fs = fsspec.filesystem(protocol, **options)
    return FsspecSink(fs, path)


def default_pool(store: Store, direct_io: bool = True, durability: Durability = "none") -> WriterPool:
    """Two compressors at most: on a 2-core acquisition PC the device threads need the rest."""
    sink = sink_for(store)
    if isinstance(sink, LocalSink):
        sink.direct = sink.direct and direct_io
        sink.durability = durability
    return WriterPool(sink, compress_threads=min(2, os.cpu_count() or 1))


class StreamAppender:
    """Appends samples of one stream to its data, t_ns and seq arrays (sharded Zarr v3).

    ``append`` copies into staging buffers and returns; compression and whole-shard writes happen on the
    pool. ``checkpoint`` (the recorder, every flush interval) writes partial shards older than the bound
    and the array shapes; ``flush`` writes everything and waits for it. Readers take the shortest of
    data/t_ns/seq as the sample count; rows past it read as fill (-1 for t_ns and seq).
    """

    def __init__(self, group: zarr.Group, spec: StreamSpec, *, create: bool = True,
                 pool: WriterPool | None = None) -> None:
        self.spec = spec
        self.group = group
        self.pool = pool or default_pool(group.store)
        self._own_pool = pool is None
        self.chunk, self.shard = stream_shards(spec.default_chunk(), spec.bytes_per_sample,
                                               spec.nominal_rate_hz, spec.is_frames)
        if create:
            self._create_arrays()
        metas = {name: self._read_meta(name) for name in ARRAYS}
        n = min(int(m["shape"][0]) for m in metas.values())
        self._arrays = {name: ShardedArray(self.pool, self._key(name), m, n) for name, m in metas.items()}
        if not create and n:
            self._resume(n)
        self.bytes_written = 0
        self._opened: dict[str, tuple[int, zarr.Array[Any]]] = {}

    # -- layout -----------------------------------------------------------------------------
    def _key(self, name: str) -> str:
        return f"{self.group.path}/{name}".lstrip("/")

    def _read_meta(self, name: str) -> dict[str, Any]:
        doc = self.pool.sink.get(f"{self._key(name)}/zarr.json")
        if doc is None:
            raise StoreError(f"{self.spec.name}: no {name} array in the store")
        meta: dict[str, Any] = json.loads(doc)
        return meta

    def _create_arrays(self) -> None:
        spec, dims = self.spec, self.spec.dims
        self.group.create_array(
            "data", shape=(0, *spec.sample_shape), chunks=(self.chunk, *spec.sample_shape),
            shards=(self.shard, *spec.sample_shape), dtype=spec.dtype,
            compressors=codecs_for(spec.dtype, spec.sample_shape), fill_value=0, dimension_names=list(dims),
            attributes={"units": spec.units, "long_name": f"{spec.kind} {spec.name}",
                        "coordinates": "t_ns seq"},
            config={"write_empty_chunks": True},
        )
        ichunk, ishard = index_shards(spec.nominal_rate_hz)
        for name, units in (("t_ns", "ns"), ("seq", "1")):
            self.group.create_array(
                name, shape=(0,), chunks=(ichunk,), shards=(ishard,), dtype="int64",
                compressors=codecs_for("int64", ()), fill_value=UNWRITTEN, dimension_names=[dims[0]],
                attributes={"units": units}, config={"write_empty_chunks": True},
            )
        if spec.channels:
            ch = self.group.create_array("channel", shape=(len(spec.channels),), dtype=str,
                                         dimension_names=["channel"])
            ch[:] = np.asarray(spec.channels, dtype=np.dtypes.StringDType())
        if spec.spectrum is not None:
            self._create_spectrum_axis()

    def _create_spectrum_axis(self) -> None:
        """The wavelength coordinate (xarray makes it the index of the wavelength dimension) and the dark,
        reference and calibration spectra beside it, so a reader without weldctl has them as arrays."""
        sp = self.spec.spectrum
        assert sp is not None
        arrays = {"wavelength": (sp.wavelengths_nm, "nm"), "dark": (sp.dark_counts, self.spec.units),
                  "reference": (sp.reference_counts, self.spec.units),
                  "irradiance_calibration": (sp.irradiance_uj_per_count, "uJ/count")}
        for name, (values, units) in arrays.items():
            if values is not None:
                arr = self.group.create_array(name, shape=(sp.n,), dtype="float64", dimension_names=["wavelength"],
                                              attributes={"units": units})
                arr[:] = np.asarray(values, dtype=np.float64)

    def _resume(self, n: int) -> None:
        """Reopened store: reload the partial last shard of each array so appends continue it."""
        for name, arr in self._arrays.items():
            s0 = (n // arr.shard) * arr.shard
            if s0 < n:
                arr.preload(np.asarray(self._open(name)[s0:n]))

    def _open(self, name: str) -> zarr.Array[Any]:
        return zarr.open_array(self.group.store, path=self._key(name), zarr_format=3)

    def _array(self, name: str) -> zarr.Array[Any]:
        """zarr-python's view of an array, reopened whenever the shape on disk changed."""
        committed = self._arrays[name].committed_n
        cached = self._opened.get(name)
        if cached is None or cached[0] != committed:
            cached = (committed, self._open(name))
            self._opened[name] = cached
        return cached[1]

    @property
    def data(self) -> zarr.Array[Any]:
        return self._array("data")

    @property
    def t_ns(self) -> zarr.Array[Any]:
        return self._array("t_ns")

    @property
    def seq(self) -> zarr.Array[Any]:
        return self._array("seq")

    def seq_at(self, i: int) -> int:
        """The sequence number of sample ``i`` (one read through zarr-python)."""
        return int(np.asarray(self.seq[i]))

    def t_ns_at(self, i: int) -> int:
        """The stored time of sample ``i`` (one read through zarr-python)."""
        return int(np.asarray(self.t_ns[i]))

    # -- appending --------------------------------------------------------------------------
    @property
    def n(self) -> int:
        """Samples appended (all of them are on disk after ``flush``)."""
        return self._arrays["data"].n

    @property
    def committed(self) -> int:
        """Samples a reader sees now."""
        return min(a.committed_n for a in self._arrays.values())

    @property
    def durable(self) -> int:
        """Samples on disk now (written, and their shape too): what a crash at this instant keeps."""
        return min(a.on_disk_n for a in self._arrays.values())

    @property
    def pending(self) -> int:
        return self.n - self.committed

    def append(self, data: np.ndarray[Any, Any], t_ns: np.ndarray[Any, Any], seq: np.ndarray[Any, Any]) -> None:
        n = len(data)
        if not (len(t_ns) == n == len(seq)):
            raise ValueError(
                f"{self.spec.name}: data, t_ns and seq lengths differ ({n}, {len(t_ns)}, {len(seq)})")
        if data.shape[1:] != self.spec.sample_shape:
            raise ValueError(f"{self.spec.name}: sample shape {data.shape[1:]} != {self.spec.sample_shape}")
        self.pool.check()
        self._arrays["data"].append(data)
        self._arrays["t_ns"].append(t_ns)
        self._arrays["seq"].append(seq)
        self.bytes_written += data.nbytes

    def checkpoint(self, max_age_s: float = 0.0) -> None:
        """Queue writes of partial shards older than ``max_age_s``, then of the shapes they allow.

        Shapes go out in the order data, t_ns, seq, after the shard writes, on the one I/O thread.
        """
        self.pool.check()
        for arr in self._arrays.values():
            arr.write_partial(max_age_s)
        changed = [a for a in self._arrays.values() if a.disk_n != a.committed_n]
        if not changed:
            return
        docs = [(f"{a.key}/zarr.json", a.metadata_doc(), a, a.disk_n) for a in changed]
        for _, _, a, n in docs:
            a.committed_n = n
        pool = self.pool

        def commit() -> None:
            for key, doc, a, n in docs:
                pool.put(key, doc, hashlib.sha256(doc).hexdigest())
                a.on_disk_n = n

        self.pool.io(commit)

    def flush(self) -> int:
        """Write everything appended and wait until it is on disk; returns samples newly committed."""
        before = self.committed
        self.checkpoint(0.0)
        self.pool.drain()
        return self.committed - before

    def close(self) -> None:
        self.flush()
        if self._own_pool:
            self.pool.close()
