"""Writing a run store: create, append in large blocks, record events, finalize."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping, Sequence

import numpy as np
import zarr
from zarr.storage import LocalStore

from ._checksum import write_checksums
from ._errors import RunIdError, StoreError
from ._location import store_exists, zarr_store
from ._manifest import RunManifest, RunStatus
from ._shard_io import FsspecSink, LocalSink
from ._shard_writer import ShardedArray, WriterPool
from ._store_layout import (
    CLOCK,
    EVENT_COLUMNS,
    EVENTS,
    ROOT_ATTR,
    STREAM_ATTR,
    STREAMS,
    TRUTH,
    codecs_for,
    index_shards,
    is_url,
    local_path,
    run_uri,
    stream_shards,
)
from ._stream import StreamSpec
from ._tables import append_rows, create_table, read_table, write_table
from ._version import SCHEMA_VERSION

OBSERVATIONS = "observations"
PROVISIONAL = "provisional_offset_ns"
STASHED_EVENTS = "events_pending"  # under clock/: the events table while finalize rewrites it
TRIM_TAIL = 1 << 22  # samples checked for unwritten tails on recovery
RESERVE = ".weldctl-reserve"  # disk space held back so a full disk can still be finalized
# Unwritten tail elements read as this, so recovery can tell them from real samples.
UNWRITTEN = -1
ARRAYS = ("data", "t_ns", "seq")  # commit order: readers trust the shortest


def sink_for(store: zarr.abc.store.Store) -> LocalSink | FsspecSink:
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


def default_pool(store: zarr.abc.store.Store, direct_io: bool = True) -> WriterPool:
    """Two compressors at most: on a 2-core acquisition PC the device threads need the rest."""
    sink = sink_for(store)
    if isinstance(sink, LocalSink):
        sink.direct = sink.direct and direct_io
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
        self._opened: dict[str, tuple[int, zarr.Array]] = {}

    # -- layout -----------------------------------------------------------------------------
    def _key(self, name: str) -> str:
        return f"{self.group.path}/{name}".lstrip("/")

    def _read_meta(self, name: str) -> dict:
        doc = self.pool.sink.get(f"{self._key(name)}/zarr.json")
        if doc is None:
            raise StoreError(f"{self.spec.name}: no {name} array in the store")
        return json.loads(doc)

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

    def _resume(self, n: int) -> None:
        """Reopened store: reload the partial last shard of each array so appends continue it."""
        for name, arr in self._arrays.items():
            s0 = (n // arr.shard) * arr.shard
            if s0 < n:
                arr.preload(np.asarray(self._open(name)[s0:n]))

    def _open(self, name: str) -> zarr.Array:
        return zarr.open_array(self.group.store, path=self._key(name), zarr_format=3)

    def _array(self, name: str) -> zarr.Array:
        """zarr-python's view of an array, reopened whenever the shape on disk changed."""
        committed = self._arrays[name].committed_n
        cached = self._opened.get(name)
        if cached is None or cached[0] != committed:
            cached = (committed, self._open(name))
            self._opened[name] = cached
        return cached[1]

    @property
    def data(self) -> zarr.Array:
        return self._array("data")

    @property
    def t_ns(self) -> zarr.Array:
        return self._array("t_ns")

    @property
    def seq(self) -> zarr.Array:
        return self._array("seq")

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
    def pending(self) -> int:
        return self.n - self.committed

    def append(self, data: np.ndarray, t_ns: np.ndarray, seq: np.ndarray) -> None:
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
        docs = [(f"{a.key}/zarr.json", a.metadata_doc(), a) for a in changed]
        for _, _, a in docs:
            a.committed_n = a.disk_n
        sink = self.pool.sink

        def commit() -> None:
            for key, doc, _ in docs:
                sink.put(key, doc)

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


class RunWriter:
    """Owns one run store while it is being written. Not thread-safe: one writer thread calls it."""

    def __init__(self, group: zarr.Group, uri: str, manifest: RunManifest, streams: dict[str, StreamAppender],
                 pool: WriterPool | None = None):
        self.group = group
        self.pool = pool or default_pool(group.store)
        self.uri = uri
        self.manifest = manifest
        self.streams = streams
        self._events = group[EVENTS]
        self._event_buffer: list[Mapping[str, object]] = []
        self._lock = threading.Lock()

    # -- creation -------------------------------------------------------------------------
    @classmethod
    def create(
        cls, out: str | os.PathLike[str], manifest: RunManifest, specs: Sequence[StreamSpec], *,
        overwrite: bool = False, direct_io: bool = True,
    ) -> RunWriter:
        uri = run_uri(out, manifest.run_id)
        if store_exists(uri) and not overwrite:
            raise RunIdError(
                f"run {manifest.run_id} already exists at {uri}",
                "pick a new run id, or pass --overwrite to replace it (its data will be lost)",
            )
        if not is_url(uri):
            local_path(uri).parent.mkdir(parents=True, exist_ok=True)
        group = zarr.open_group(zarr_store(uri, read_only=False), mode="w", zarr_format=3)
        group.attrs[ROOT_ATTR] = {"schema_version": SCHEMA_VERSION,
                                  "manifest": manifest.model_dump(mode="json")}
        streams_group = group.require_group(STREAMS)
        pool = default_pool(group.store, direct_io)
        streams: dict[str, StreamAppender] = {}
        for spec in specs:
            sg = streams_group.require_group(spec.name)
            sg.attrs[STREAM_ATTR] = spec.model_dump(mode="json")
            streams[spec.name] = StreamAppender(sg, spec, pool=pool)
        create_table(group, EVENTS, EVENT_COLUMNS, dim="event")
        group.require_group(CLOCK)
        return cls(group, uri, manifest, streams, pool)

    @classmethod
    def reopen(cls, uri: str) -> RunWriter:
        """Open an existing store for recovery, trimmed to the prefix every array agrees on.

        A recorder killed mid-flush can leave data, t_ns and seq of different lengths, and
        tails of t_ns/seq that were resized but never written (they read as UNWRITTEN).
        """
        from ._store_reader import RunReader

        reader = RunReader(uri)
        if not is_url(uri):
            for leftover in local_path(uri).rglob("*.partial"):  # half-written chunks of a killed writer
                leftover.unlink(missing_ok=True)
        group = zarr.open_group(zarr_store(uri, read_only=False), mode="r+", zarr_format=3)
        for name in reader.specs:
            _trim_stream(group[STREAMS][name])
        pool = default_pool(group.store)
        if isinstance(pool.sink, LocalSink):
            pool.sink.remove_unfinished()  # a killed writer's half-written shard files
        streams = {
            name: StreamAppender(group[STREAMS][name], spec, create=False, pool=pool)
            for name, spec in reader.specs.items()
        }
        return cls(group, uri, reader.manifest, streams, pool)

    # -- writing ----------------------------------------------------------------------------
    def add_events(self, rows: Sequence[Mapping[str, object]]) -> None:
        with self._lock:
            self._event_buffer.extend(rows)

    def checkpoint(self, max_age_s: float = 0.5) -> None:
        """Bounded-interval commit (the recorder calls this every flush interval): partial shards older
        than ``max_age_s`` and the shapes they allow are queued, events written; nothing waits for the disk,
        so at most ~ flush interval + ``max_age_s`` of data is at risk in a crash."""
        for appender in self.streams.values():
            appender.checkpoint(max_age_s)
        self.flush_events()

    def flush(self) -> None:
        """Everything appended is on disk and visible to readers when this returns."""
        for appender in self.streams.values():
            appender.checkpoint(0.0)
        self.pool.drain()
        self.flush_events()

    def load(self, window_s: float | None = None) -> dict[str, float]:
        """Writer load for the live view and the summary (see WriterPool.load)."""
        return self.pool.load(window_s)

    def flush_events(self) -> None:
        with self._lock:
            rows, self._event_buffer = self._event_buffer, []
        if not rows:
            return
        rows = sorted(rows, key=lambda r: int(r["t_ns"]))  # type: ignore[call-overload]
        defaults = {"t_end_ns": None, "value": np.nan, "count": 0, "note": "", "stream": ""}
        cols: dict[str, list[object]] = {c: [] for c in EVENT_COLUMNS}
        for r in rows:
            for c in EVENT_COLUMNS:
                v = r.get(c, defaults.get(c))
                if c == "t_end_ns" and v is None:
                    v = r["t_ns"]
                cols[c].append(v)
        append_rows(self._events, cols)

    def replace_events(self, rows: Sequence[Mapping[str, object]]) -> None:
        """Rebuild the events table (finalize only: gap times move onto the fitted clock)."""
        with self._lock:
            self._event_buffer = list(rows)
        self._events = create_table(self.group, EVENTS, EVENT_COLUMNS, dim="event")
        self.flush_events()

    def append_clock_observations(self, stream: str, device_ns: Sequence[int], host_ns: Sequence[int],
                                  provisional_offset_ns: int) -> None:
        """Persist clock observations as they come, so a recovered store can still be fitted."""
        g = self.group[CLOCK].require_group(stream)
        if OBSERVATIONS not in g:
            create_table(g, OBSERVATIONS, {"device_ns": "int64", "host_ns": "int64"}, dim="observation")
            g.attrs[PROVISIONAL] = int(provisional_offset_ns)
        append_rows(g[OBSERVATIONS], {"device_ns": device_ns, "host_ns": host_ns})

    def clock_observations(self, stream: str) -> tuple[np.ndarray, np.ndarray, int]:
        g = self.group[CLOCK].get(stream)
        if g is None or OBSERVATIONS not in g:
            return np.empty(0, np.int64), np.empty(0, np.int64), 0
        cols = read_table(g[OBSERVATIONS])
        return cols["device_ns"], cols["host_ns"], int(g.attrs.get(PROVISIONAL, 0))

    def events(self) -> dict[str, np.ndarray]:
        return read_table(self._events)

    def write_table(self, where: str, name: str, rows: Mapping[str, object], dtypes: Mapping[str, str],
                    dim: str = "row") -> None:
        parent = self.group.require_group(where)
        write_table(parent, name, rows, dtypes, dim)

    def write_truth(self, name: str, rows: Mapping[str, object], dtypes: Mapping[str, str]) -> None:
        self.write_table(TRUTH, name, rows, dtypes, dim=name)

    def write_clock(self, stream: str, fit: Mapping[str, object], residuals_ns: np.ndarray) -> None:
        g = self.group[CLOCK].require_group(stream)
        g.attrs.update({k: v for k, v in fit.items() if k != PROVISIONAL})
        res = np.asarray(residuals_ns, dtype=np.int64)
        g.create_array("residual_ns", data=res, dimension_names=["observation"], overwrite=True)

    def rewrite_times(self, stream: str, t_ns: np.ndarray) -> None:
        """Replace provisional sample times with fitted ones (finalize only, before checksums)."""
        app = self.streams[stream]
        if len(t_ns) != app.n:
            raise StoreError(f"{stream}: {len(t_ns)} times for {app.n} samples")
        app.t_ns[: app.n] = t_ns.astype(np.int64)  # through zarr-python: after finalize nothing appends

    def clock_attrs(self, stream: str | None = None) -> dict[str, object]:
        g = self.group[CLOCK] if stream is None else self.group[CLOCK].get(stream)
        return dict(g.attrs) if g is not None else {}

    def set_clock_attrs(self, stream: str | None, attrs: Mapping[str, object]) -> None:
        """Attrs of clock/<stream> (or of clock/ itself for the run time base when stream is None)."""
        g = self.group[CLOCK] if stream is None else self.group[CLOCK].require_group(stream)
        g.attrs.update(dict(attrs))

    def set_clock_array(self, stream: str, name: str, values: np.ndarray, attrs: Mapping[str, object]) -> None:
        """A small working array under clock/<stream>/ (e.g. a write-ahead copy); attrs are set last,
        so an array cut short by a crash never carries them."""
        g = self.group[CLOCK].require_group(stream)
        arr = g.create_array(name, data=np.asarray(values), overwrite=True)
        arr.attrs.update(dict(attrs))

    def clock_array(self, stream: str, name: str) -> tuple[np.ndarray, dict[str, object]] | None:
        g = self.group[CLOCK].get(stream)
        if g is None or name not in g:
            return None
        return np.asarray(g[name][:]), dict(g[name].attrs)

    def drop_clock_array(self, stream: str, name: str) -> None:
        g = self.group[CLOCK].get(stream)
        if g is not None and name in g:
            del g[name]

    def stash_events(self, rows: Mapping[str, object]) -> None:
        """Keep a copy of the final events table before it is rewritten (finalize is restartable)."""
        g = write_table(self.group[CLOCK], STASHED_EVENTS, rows, EVENT_COLUMNS, dim="event")
        g.attrs["complete"] = True  # a stash cut short by a crash is ignored and written again

    def stashed_events(self) -> dict[str, np.ndarray] | None:
        g = self.group[CLOCK]
        if STASHED_EVENTS not in g or not g[STASHED_EVENTS].attrs.get("complete"):
            return None
        return read_table(g[STASHED_EVENTS])

    def drop_stashed_events(self) -> None:
        if STASHED_EVENTS in self.group[CLOCK]:
            del self.group[CLOCK][STASHED_EVENTS]

    def reserve_space(self, nbytes: int) -> None:
        """Hold ``nbytes`` of disk (local stores only) so finalizing still works when the disk fills."""
        if is_url(self.uri) or nbytes <= 0:
            return
        with open(local_path(self.uri) / RESERVE, "wb") as f:
            f.truncate(0)
            f.write(b"\0" * nbytes)  # real blocks, not a sparse file: they must be taken from the disk

    def release_space(self) -> None:
        if not is_url(self.uri):
            (local_path(self.uri) / RESERVE).unlink(missing_ok=True)

    def set_manifest(self, manifest: RunManifest) -> None:
        self.manifest = manifest
        self.group.attrs[ROOT_ATTR] = {"schema_version": SCHEMA_VERSION,
                                       "manifest": manifest.model_dump(mode="json")}

    def finalize(self, status: RunStatus = "finalized") -> None:
        self.flush()
        self.release_space()
        self.pool.close()
        self.set_manifest(self.manifest.model_copy(update={"status": status}))
        write_checksums(self.uri)


def _trim_stream(group: zarr.Group) -> int:
    """Cut data, t_ns and seq to their consistent prefix; returns its length."""
    arrays = [group["data"], group["t_ns"], group["seq"]]
    n = min(a.shape[0] for a in arrays)
    if n:
        # Unwritten chunks read as the fill value; trust only what precedes the first of them.
        # Only the last flush can be incomplete, so only the tail is read.
        i0 = max(0, n - TRIM_TAIL)
        t_ns, seq = np.asarray(group["t_ns"][i0:n]), np.asarray(group["seq"][i0:n])
        bad = np.flatnonzero((t_ns == UNWRITTEN) | (seq == UNWRITTEN))
        n = i0 + int(bad[0]) if len(bad) else n
    for a in arrays:
        if a.shape[0] != n:
            a.resize((n, *a.shape[1:]))
    return n
