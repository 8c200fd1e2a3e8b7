"""Other writers, put in the recorder's place on the same load: zarr-python, tensorstore, h5py, mcap.

Each gets the recorder's blocks on its writer thread, exactly where weldctl's StreamAppender sits, and is
tuned as its documentation suggests for streaming: blosc-lz4 with the same shuffles and chunking as
weldctl, large appends (a shard's worth: 512 camera frames), no empty-chunk checks, preallocated shapes
where resizing costs a metadata write.
"""

from __future__ import annotations

import os
from typing import Protocol

import numpy as np

from weldctl.schema import StreamSpec
from weldctl.schema._store_layout import stream_shards

CAPACITY_S = 1.3  # preallocate this many times the expected samples (no resize on the hot path)


class Sink(Protocol):
    name: str

    def append(self, spec: StreamSpec, data: np.ndarray, t_ns: np.ndarray, seq: np.ndarray) -> None: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...


class _Batched:
    """Collects blocks per stream and hands one large append per shard's worth to ``_write``."""

    name = "?"

    def __init__(self, root: str, duration_s: float) -> None:
        self.root = root
        self.duration_s = duration_s
        self._pending: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
        self._count: dict[str, int] = {}
        self._n: dict[str, int] = {}
        self._specs: dict[str, StreamSpec] = {}

    def batch(self, spec: StreamSpec) -> int:
        chunk = spec.default_chunk()
        return stream_shards(chunk, spec.bytes_per_sample, spec.nominal_rate_hz, spec.is_frames)[1]

    def capacity(self, spec: StreamSpec) -> int:
        return int(spec.nominal_rate_hz * self.duration_s * CAPACITY_S) + self.batch(spec)

    def append(self, spec: StreamSpec, data: np.ndarray, t_ns: np.ndarray, seq: np.ndarray) -> None:
        if spec.name not in self._specs:
            self._specs[spec.name] = spec
            self._pending[spec.name], self._count[spec.name], self._n[spec.name] = [], 0, 0
            self._create(spec)
        self._pending[spec.name].append((data, t_ns, seq))
        self._count[spec.name] += len(data)
        if self._count[spec.name] >= self.batch(spec):
            self._drain(spec.name)

    def _drain(self, name: str) -> None:
        parts = self._pending[name]
        if not parts:
            return
        data = np.concatenate([p[0] for p in parts])
        t_ns = np.concatenate([p[1] for p in parts]).astype(np.int64)
        seq = np.concatenate([p[2] for p in parts]).astype(np.int64)
        self._pending[name], self._count[name] = [], 0
        n0 = self._n[name]
        self._write(self._specs[name], n0, data, t_ns, seq)
        self._n[name] = n0 + len(data)

    def flush(self) -> None:
        pass  # the batch is the unit of writing; the recorder's periodic flush would only shrink it

    def close(self) -> None:
        for name in list(self._pending):
            self._drain(name)

    def _create(self, spec: StreamSpec) -> None:
        raise NotImplementedError

    def _write(self, spec: StreamSpec, n0: int, data: np.ndarray, t_ns: np.ndarray, seq: np.ndarray) -> None:
        raise NotImplementedError


def _blosc_shuffle(spec_dtype: str) -> str:
    return "bitshuffle" if np.dtype(spec_dtype).itemsize == 1 else "shuffle"


class ZarrPythonSink(_Batched):
    name = "zarr-python"

    def __init__(self, root: str, duration_s: float) -> None:
        super().__init__(root, duration_s)
        import zarr

        zarr.config.set({"async.concurrency": 10})
        self.group = zarr.open_group(os.path.join(root, "zarr-python.zarr"), mode="w", zarr_format=3)
        self.arrays: dict[str, tuple] = {}

    def _create(self, spec: StreamSpec) -> None:
        from weldctl.schema._store_layout import codecs_for

        cfg = {"write_empty_chunks": True}
        g = self.group.require_group(spec.name)
        cap = self.capacity(spec)
        data = g.create_array("data", shape=(cap, *spec.sample_shape), chunks=(spec.default_chunk(),
                              *spec.sample_shape), dtype=spec.dtype, config=cfg,
                              compressors=codecs_for(spec.dtype, spec.sample_shape))
        t = g.create_array("t_ns", shape=(cap,), chunks=(1 << 16,), dtype="int64", config=cfg,
                           compressors=codecs_for("int64", ()))
        s = g.create_array("seq", shape=(cap,), chunks=(1 << 16,), dtype="int64", config=cfg,
                           compressors=codecs_for("int64", ()))
        self.arrays[spec.name] = (data, t, s)

    def _write(self, spec: StreamSpec, n0: int, data: np.ndarray, t_ns: np.ndarray, seq: np.ndarray) -> None:
        a, t, s = self.arrays[spec.name]
        n1 = n0 + len(data)
        a[n0:n1] = data
        t[n0:n1] = t_ns
        s[n0:n1] = seq


class TensorstoreSink(_Batched):
    name = "tensorstore"

    def __init__(self, root: str, duration_s: float) -> None:
        super().__init__(root, duration_s)
        import tensorstore as ts

        self.ts = ts
        self.ctx = ts.Context({"data_copy_concurrency": {"limit": 2}, "file_io_concurrency": {"limit": 8}})
        self.base = os.path.join(root, "tensorstore.zarr")
        self.arrays: dict[str, tuple] = {}

    def _open(self, path: str, shape: tuple[int, ...], chunks: tuple[int, ...], dtype: str) -> object:
        ts = self.ts
        spec = {
            "driver": "zarr3",
            "kvstore": {"driver": "file", "path": path},
            "metadata": {
                "shape": list(shape), "data_type": dtype,
                "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": list(chunks)}},
                "codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
                           {"name": "blosc", "configuration": {
                               "cname": "lz4", "clevel": 1 if len(shape) == 3 else 5,
                               "shuffle": _blosc_shuffle(dtype), "typesize": np.dtype(dtype).itemsize}}],
            },
            "create": True, "delete_existing": True,
        }
        return ts.open(spec, context=self.ctx).result()

    def _create(self, spec: StreamSpec) -> None:
        cap = self.capacity(spec)
        base = os.path.join(self.base, spec.name)
        chunks = (spec.default_chunk(), *spec.sample_shape)
        data = self._open(f"{base}/data", (cap, *spec.sample_shape), chunks, spec.dtype)
        t = self._open(f"{base}/t_ns", (cap,), (1 << 16,), "int64")
        s = self._open(f"{base}/seq", (cap,), (1 << 16,), "int64")
        self.arrays[spec.name] = (data, t, s)

    def _write(self, spec: StreamSpec, n0: int, data: np.ndarray, t_ns: np.ndarray, seq: np.ndarray) -> None:
        a, t, s = self.arrays[spec.name]
        n1 = n0 + len(data)
        futures = [a[n0:n1].write(data), t[n0:n1].write(t_ns), s[n0:n1].write(seq)]
        for f in futures:
            f.result()


class H5pySink(_Batched):
    name = "h5py + blosc"

    def __init__(self, root: str, duration_s: float) -> None:
        super().__init__(root, duration_s)
        import h5py
        import hdf5plugin

        self.hdf5plugin = hdf5plugin
        self.file = h5py.File(os.path.join(root, "h5py.h5"), "w", libver="latest")
        self.sets: dict[str, tuple] = {}

    def _create(self, spec: StreamSpec) -> None:
        b = self.hdf5plugin.Blosc
        shuffle = b.BITSHUFFLE if np.dtype(spec.dtype).itemsize == 1 else b.SHUFFLE
        g = self.file.require_group(spec.name)
        cap = self.capacity(spec)
        level = 1 if spec.is_frames else 5
        data = g.create_dataset("data", shape=(cap, *spec.sample_shape), dtype=spec.dtype,
                                chunks=(min(cap, spec.default_chunk()), *spec.sample_shape),
                                **b(cname="lz4", clevel=level, shuffle=shuffle))
        t = g.create_dataset("t_ns", shape=(cap,), dtype="int64", chunks=(min(cap, 1 << 16),),
                             **b(cname="lz4", clevel=5, shuffle=b.SHUFFLE))
        s = g.create_dataset("seq", shape=(cap,), dtype="int64", chunks=(min(cap, 1 << 16),),
                             **b(cname="lz4", clevel=5, shuffle=b.SHUFFLE))
        self.sets[spec.name] = (data, t, s)

    def _write(self, spec: StreamSpec, n0: int, data: np.ndarray, t_ns: np.ndarray, seq: np.ndarray) -> None:
        a, t, s = self.sets[spec.name]
        n1 = n0 + len(data)
        a[n0:n1] = data
        t[n0:n1] = t_ns
        s[n0:n1] = seq

    def close(self) -> None:
        super().close()
        self.file.close()


class McapSink:
    """One mcap channel per stream, one message per recorder block (data, then t_ns and seq), no compression
    (lz4 is slower still here); this is the rosbag-style alternative to an array store."""

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


SINKS: dict[str, type] = {"zarr-python": ZarrPythonSink, "tensorstore": TensorstoreSink, "h5py": H5pySink,
                          "mcap": McapSink, "null": NullSink}
