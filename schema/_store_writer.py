"""Writing a run store: create, append in large blocks, record events, finalize."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np
import zarr
from zarr.core.common import JSON

from ._checksum import write_checksums
from ._errors import StoreError
from ._location import remove_uri, zarr_store
from ._manifest import RunManifest, RunStatus
from ._shard_io import Durability, LocalSink
from ._shard_writer import WriterPool
from ._store_claim import claim_store, make_read_only
from ._store_layout import (
    CLOCK,
    EVENT_COLUMNS,
    EVENTS,
    ROOT_ATTR,
    STREAM_ATTR,
    STREAMS,
    TRUTH,
    is_url,
    local_path,
    run_uri,
)
from ._store_lock import StoreLock
from ._stream import StreamSpec
from ._stream_appender import UNWRITTEN, StreamAppender, default_pool
from ._tables import append_rows, create_table, read_table, table_complete, trim_table, write_table
from ._version import SCHEMA_VERSION
from ._zarr_nodes import array_at, attr_int, group_at, group_or_none

OBSERVATIONS = "observations"
OBSERVATION_COLUMNS = {"device_ns": "int64", "host_ns": "int64"}
PROVISIONAL = "provisional_offset_ns"
STASHED_EVENTS = "events_pending"  # under clock/: the events table while finalize rewrites it
TRIM_TAIL = 1 << 22  # samples checked for unwritten tails on recovery
RESERVE = ".weldctl-reserve"  # disk space held back so a full disk can still be finalized


class RunWriter:
    """Owns one run store while it is being written. Not thread-safe: one writer thread calls it."""

    def __init__(self, group: zarr.Group, uri: str, manifest: RunManifest, streams: dict[str, StreamAppender],
                 pool: WriterPool | None = None, lock: StoreLock | None = None):
        self.group = group
        self.lock = lock or StoreLock(uri, None)
        self.pool = pool or default_pool(group.store)
        self.uri = uri
        self.manifest = manifest
        self.streams = streams
        self._events = group_at(group, EVENTS)
        self._event_buffer: list[Mapping[str, object]] = []
        self._lock = threading.Lock()

    # -- creation -------------------------------------------------------------------------
    @classmethod
    def create(
        cls, out: str | os.PathLike[str], manifest: RunManifest, specs: Sequence[StreamSpec], *,
        overwrite: bool = False, direct_io: bool = True, durability: Durability = "none",
    ) -> RunWriter:
        uri = run_uri(out, manifest.run_id)
        claim_store(uri, manifest.run_id, overwrite=overwrite)
        lock = StoreLock.acquire(uri, "recording")
        try:
            group = zarr.open_group(zarr_store(uri, read_only=False), mode="a", zarr_format=3)
        except BaseException:
            lock.release()
            raise
        group.attrs[ROOT_ATTR] = {"schema_version": SCHEMA_VERSION,
                                  "manifest": manifest.model_dump(mode="json")}
        streams_group = group.require_group(STREAMS)
        pool = default_pool(group.store, direct_io, durability)
        streams: dict[str, StreamAppender] = {}
        for spec in specs:
            sg = streams_group.require_group(spec.name)
            # Streams whose channels share one unit keep the attrs older readers know (no channel_units).
            sg.attrs[STREAM_ATTR] = spec.model_dump(mode="json", exclude=None if spec.channel_units
                                                    else {"channel_units"})
            streams[spec.name] = StreamAppender(sg, spec, pool=pool)
        create_table(group, EVENTS, EVENT_COLUMNS, dim="event")
        group.require_group(CLOCK)
        return cls(group, uri, manifest, streams, pool, lock)

    @classmethod
    def reopen(cls, uri: str, lock: StoreLock | None = None) -> RunWriter:
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
            _trim_stream(group_at(group, f"{STREAMS}/{name}"))
        _trim_tables(group)
        pool = default_pool(group.store)
        if isinstance(pool.sink, LocalSink):
            pool.sink.remove_unfinished()  # a killed writer's half-written shard files
        streams = {
            name: StreamAppender(group_at(group, f"{STREAMS}/{name}"), spec, create=False, pool=pool)
            for name, spec in reader.specs.items()
        }
        return cls(group, uri, reader.manifest, streams, pool, lock)

    # -- writing ----------------------------------------------------------------------------
    def add_events(self, rows: Sequence[Mapping[str, object]]) -> None:
        with self._lock:
            self._event_buffer.extend(rows)

    def checkpoint(self, max_age_s: float = 0.5, events: bool = True) -> None:
        """Bounded-interval commit (the recorder calls this every flush interval): partial shards older
        than ``max_age_s`` and the shapes they allow are queued, events written (unless ``events`` is False:
        the recorder writes its tables on a thread of their own); nothing waits for the disk, so at most
        ~ flush interval + ``max_age_s`` + the I/O queue of data is at risk in a crash."""
        for appender in self.streams.values():
            appender.checkpoint(max_age_s)
        self.pool.sync()  # after the shapes: a synced shape never covers rows that are not
        if events:
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
        g = self._clock.require_group(stream)
        if OBSERVATIONS not in g or not table_complete(group_at(g, OBSERVATIONS)):
            g.attrs[PROVISIONAL] = int(provisional_offset_ns)  # before any row: rows mean nothing without it
            create_table(g, OBSERVATIONS, OBSERVATION_COLUMNS, dim="observation")
        append_rows(group_at(g, OBSERVATIONS), {"device_ns": device_ns, "host_ns": host_ns})

    def clock_observations(self, stream: str) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], int]:
        g = group_or_none(self._clock, stream)
        if g is None or OBSERVATIONS not in g or not table_complete(group_at(g, OBSERVATIONS)):
            return np.empty(0, np.int64), np.empty(0, np.int64), attr_int(g.attrs, PROVISIONAL) if g else 0
        cols = read_table(group_at(g, OBSERVATIONS))
        return cols["device_ns"], cols["host_ns"], attr_int(g.attrs, PROVISIONAL)

    @property
    def _clock(self) -> zarr.Group:
        return group_at(self.group, CLOCK)

    def events(self) -> dict[str, np.ndarray[Any, Any]]:
        return read_table(self._events)

    def write_table(self, where: str, name: str, rows: Mapping[str, object], dtypes: Mapping[str, str],
                    dim: str = "row") -> None:
        parent = self.group.require_group(where)
        write_table(parent, name, rows, dtypes, dim)

    def write_truth(self, name: str, rows: Mapping[str, object], dtypes: Mapping[str, str]) -> None:
        self.write_table(TRUTH, name, rows, dtypes, dim=name)

    def write_clock(self, stream: str, fit: Mapping[str, object], residuals_ns: np.ndarray[Any, Any]) -> None:
        g = self._clock.require_group(stream)
        res = np.asarray(residuals_ns, dtype=np.int64)
        # Residuals first, then the fit: finalize resumes from the fit's attrs, so a crash in between
        # must leave attrs that make it write both again (not a fit without its residuals).
        g.create_array("residual_ns", data=res, dimension_names=["observation"], overwrite=True)
        g.attrs.update({k: _json(v) for k, v in fit.items() if k != PROVISIONAL})

    def rewrite_times(self, stream: str, t_ns: np.ndarray[Any, Any]) -> None:
        """Replace provisional sample times with fitted ones (finalize only, before checksums)."""
        app = self.streams[stream]
        if len(t_ns) != app.n:
            raise StoreError(f"{stream}: {len(t_ns)} times for {app.n} samples")
        app.t_ns[: app.n] = t_ns.astype(np.int64)  # through zarr-python: after finalize nothing appends

    def clock_attrs(self, stream: str | None = None) -> dict[str, object]:
        g = self._clock if stream is None else group_or_none(self._clock, stream)
        return dict(g.attrs) if g is not None else {}

    def set_clock_attrs(self, stream: str | None, attrs: Mapping[str, object]) -> None:
        """Attrs of clock/<stream> (or of clock/ itself for the run time base when stream is None)."""
        g = self._clock if stream is None else self._clock.require_group(stream)
        g.attrs.update({k: _json(v) for k, v in attrs.items()})

    def set_clock_array(self, stream: str, name: str, values: np.ndarray[Any, Any],
                        attrs: Mapping[str, object]) -> None:
        """A small working array under clock/<stream>/ (e.g. a write-ahead copy); attrs are set last,
        so an array cut short by a crash never carries them."""
        g = self._clock.require_group(stream)
        arr = g.create_array(name, data=np.asarray(values), overwrite=True)
        arr.attrs.update({k: _json(v) for k, v in attrs.items()})

    def clock_array(self, stream: str, name: str) -> tuple[np.ndarray[Any, Any], dict[str, object]] | None:
        g = group_or_none(self._clock, stream)
        if g is None or name not in g:
            return None
        return np.asarray(array_at(g, name)[:]), dict(g[name].attrs)

    def drop_clock_array(self, stream: str, name: str) -> None:
        g = group_or_none(self._clock, stream)
        if g is not None and name in g:
            del g[name]

    def stash_events(self, rows: Mapping[str, object]) -> None:
        """Keep a copy of the final events table before it is rewritten (finalize is restartable)."""
        g = write_table(self._clock, STASHED_EVENTS, rows, EVENT_COLUMNS, dim="event")
        g.attrs["complete"] = True  # a stash cut short by a crash is ignored and written again

    def stashed_events(self) -> dict[str, np.ndarray[Any, Any]] | None:
        g = self._clock
        if STASHED_EVENTS not in g or not group_at(g, STASHED_EVENTS).attrs.get("complete"):
            return None
        return read_table(group_at(g, STASHED_EVENTS))

    def drop_stashed_events(self) -> None:
        if STASHED_EVENTS in self._clock:
            del self._clock[STASHED_EVENTS]

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
        # Finalize rewrote the sample times through zarr-python (in place, maybe within the same mtime tick):
        # the checksums taken of them while recording no longer count.
        for app in self.streams.values():
            self.pool.forget(f"{app.group.path}/t_ns/".lstrip("/"))
        write_checksums(self.uri, self.pool.hashes)
        # Complete: the lock file goes (its absence tells a finished store from an interrupted one), then
        # nothing may write here again.
        self.lock.release(remove=True)
        make_read_only(self.uri)
        if self.pool.sink.durability != "none":
            self.pool.sink.sync()  # the manifest, the tables and the final shapes too

    def discard(self) -> None:
        """Delete the store: nothing was recorded into it (a start that failed or was interrupted)."""
        self.pool.close()
        if is_url(self.uri):
            remove_uri(self.uri)
        else:
            shutil.rmtree(local_path(self.uri), ignore_errors=True)
        self.lock.release()

    def unlock(self) -> None:
        """Give up the store's lock without finishing it (the lock file stays: the store is unfinished)."""
        self.lock.release()


def _trim_tables(group: zarr.Group) -> None:
    """Cut the recorder's tables (events, clock observations) to their committed rows; a table whose creation
    was cut short holds no rows and is made again."""
    if EVENTS not in group or not table_complete(group_at(group, EVENTS)):
        create_table(group, EVENTS, EVENT_COLUMNS, dim="event")
    trim_table(group_at(group, EVENTS))
    for _, g in group.require_group(CLOCK).groups():
        if OBSERVATIONS in g and not table_complete(group_at(g, OBSERVATIONS)):
            create_table(g, OBSERVATIONS, OBSERVATION_COLUMNS, dim="observation")
        if OBSERVATIONS in g:
            trim_table(group_at(g, OBSERVATIONS))


def _trim_stream(group: zarr.Group) -> int:
    """Cut data, t_ns and seq to their consistent prefix; returns its length."""
    arrays = [array_at(group, "data"), array_at(group, "t_ns"), array_at(group, "seq")]
    n = min(a.shape[0] for a in arrays)
    if n:
        # Unwritten chunks read as the fill value; trust only what precedes the first of them.
        # Only the last flush can be incomplete, so only the tail is read.
        i0 = max(0, n - TRIM_TAIL)
        t_ns, seq = np.asarray(arrays[1][i0:n]), np.asarray(arrays[2][i0:n])
        bad = np.flatnonzero((t_ns == UNWRITTEN) | (seq == UNWRITTEN))
        n = i0 + int(bad[0]) if len(bad) else n
    for a in arrays:
        if a.shape[0] != n:
            a.resize((n, *a.shape[1:]))
    return n


def _json(value: object) -> JSON:
    """An attribute value for zarr, which types attributes as JSON: callers hand over numbers, strings, lists
    and dicts, and zarr's encoder refuses anything else when it writes them."""
    return cast("JSON", value)
