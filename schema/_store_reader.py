"""Reading a run store, validating its manifest and stream specs on the way in."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from functools import cached_property
from typing import Any

import numpy as np
import zarr
from pydantic import ValidationError
from zarr.core.sync import sync

from . import _fast_read as fast_read
from ._errors import StoreError
from ._location import store_exists, zarr_store
from ._manifest import RunManifest
from ._store_layout import CLOCK, EVENTS, ROOT_ATTR, STREAM_ATTR, STREAMS, TRUTH, is_url, local_path
from ._stream import StreamSpec
from ._stream_appender import ARRAYS
from ._tables import read_table
from ._zarr_nodes import array_at, group_at

# (stream, "data" | "t_ns" | "seq", selection): one read of ``RunReader.read_many``.
StreamRead = tuple[str, str, Any]


def resolve_run(run: str | os.PathLike[str], runs_dir: str | os.PathLike[str] | None = None) -> str:
    """Accept a store path/URL, or a bare run id looked up in ``runs_dir``."""
    s = str(run)
    if is_url(s):
        return s
    if not (s.endswith(".zarr") or os.sep in s or "/" in s):
        candidate = os.path.join(str(runs_dir or "runs"), f"{s}.zarr")
        s = candidate if os.path.exists(candidate) else s
    # Absolute, so the same URI works in another process or on a worker with another cwd.
    return os.path.abspath(s) if os.path.exists(s) else s


FEATURES_ATTR = "weldctl_features"  # root attrs of a feature store (derived data, kept apart from raw runs)


class RunReader:
    """A finalized (or recovered) run store, read-only."""

    def __init__(self, run: str | os.PathLike[str], runs_dir: str | os.PathLike[str] | None = None) -> None:
        self.uri = resolve_run(run, runs_dir)
        if not store_exists(self.uri):
            where = self.uri if is_url(self.uri) else str(local_path(self.uri))
            raise StoreError(f"no run store at {where}", "check the run id or path; `ls runs/` lists recordings")
        try:
            self.group = zarr.open_group(zarr_store(self.uri, read_only=True), mode="r", zarr_format=3)
        except (ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:  # a root zarr.json that is not JSON
            raise StoreError(f"{self.uri}: the run manifest (zarr.json) is unreadable: {str(exc)[:120]}",
                             "the store is damaged: restore it from a copy") from None
        attrs = self.group.attrs.get(ROOT_ATTR)
        if not isinstance(attrs, dict) or "manifest" not in attrs:
            made = self.group.attrs.get(FEATURES_ATTR)
            if isinstance(made, dict):  # what `weldctl features` writes beside a run
                raise StoreError(f"{self.uri} is a feature store of run {made.get('run_id', '?')} "
                                 "(written by `weldctl features`), not a run store",
                                 f"`weldctl inspect {self.uri}` lists its tables; the run itself is "
                                 f"{made.get('source', 'the run it names')}")
            raise StoreError(f"{self.uri} is a zarr group but not a weldctl run store (no attrs['{ROOT_ATTR}'])")
        try:
            self.manifest = RunManifest.model_validate(attrs["manifest"])
        except ValidationError as exc:
            raise StoreError(f"{self.uri}: run manifest does not validate: {exc.errors()[0]['msg']}") from None
        self.schema_version = str(attrs.get("schema_version", "?"))
        self._arrays: dict[tuple[str, str], zarr.Array[Any]] = {}
        # A complete store on a local disk is read through tensorstore (see _fast_read); a store still being
        # written, or on object storage, through zarr-python.
        self._fast_store = not is_url(self.uri) and self.manifest.status != "recording"
        self._fast_arrays: dict[tuple[str, str], Any] = {}
        self._listed: list[str] | None = None  # files the checksum manifest lists, parsed once per reader

    @property
    def _fast(self) -> bool:
        return self._fast_store and fast_read.available()

    @property
    def run_id(self) -> str:
        return self.manifest.run_id

    @cached_property
    def specs(self) -> dict[str, StreamSpec]:
        out: dict[str, StreamSpec] = {}
        if STREAMS not in self.group:
            return out
        for name, sg in sorted(group_at(self.group, STREAMS).groups()):
            try:
                out[name] = StreamSpec.model_validate(sg.attrs[STREAM_ATTR])
            except (KeyError, ValidationError) as exc:
                raise StoreError(f"{self.uri}: stream {name!r} has no valid stream spec ({exc})") from None
        return out

    def open_streams(self, names: Sequence[str]) -> None:
        """Open the arrays of these streams in one round trip of concurrent metadata reads.

        On object storage (and a cold disk) that is one wait instead of one per array; a finalized store never
        changes, so each array's metadata is read once per reader.
        """
        unknown = [n for n in names if n not in self.specs]
        if unknown:
            raise StoreError(f"run {self.run_id} has no stream {unknown[0]!r}; it has {', '.join(self.specs)}")
        if self._fast:
            self._open_fast(names)
        else:
            self._open_zarr(names)

    def _unreadable(self, name: str, which: str, why: object) -> StoreError:
        return StoreError(f"run {self.run_id}: stream {name!r} has no readable {which!r} array ({why})",
                          f"`weldctl verify {self.uri}` checks the store")

    def _open_fast(self, names: Sequence[str]) -> None:
        keys = [(n, w) for n in dict.fromkeys(names) for w in ARRAYS if (n, w) not in self._fast_arrays]
        if not keys:
            return
        root = local_path(self.uri) / STREAMS
        for (n, w), arr in zip(keys, fast_read.open_arrays([root / n / w for n, w in keys]), strict=True):
            if isinstance(arr, Exception):
                raise self._unreadable(n, w, arr)
            self._fast_arrays[(n, w)] = arr
        for n in dict.fromkeys(n for n, _ in keys):
            self._check_files(n)

    def _open_zarr(self, names: Sequence[str]) -> None:
        keys = [(n, w) for n in dict.fromkeys(names) for w in ARRAYS if (n, w) not in self._arrays]
        if not keys:
            return
        group = self.group._async_group

        async def gather() -> list[Any]:
            return await asyncio.gather(*(group.getitem(f"{STREAMS}/{n}/{w}") for n, w in keys),
                                        return_exceptions=True)

        for (n, w), node in zip(keys, sync(gather()), strict=True):
            if not isinstance(node, zarr.AsyncArray):
                raise self._unreadable(n, w, node)
            self._arrays[(n, w)] = zarr.Array(node)
        if not self._fast:  # the fast path checked the files when it opened the stream
            for n in dict.fromkeys(n for n, _ in keys):
                self._check_files(n)

    def _check_files(self, name: str) -> None:
        """A deleted chunk reads as fill values without a word from zarr: every file the checksum manifest
        lists for the stream must be there (a listing, no hashing)."""
        from ._checksum import listed_files
        from ._location import list_files

        if self._listed is None:  # a finalized store never changes: one parse serves every stream opened
            self._listed = listed_files(self.uri)
        expected = [f for f in self._listed if f.startswith(f"{STREAMS}/{name}/")]
        if not expected:
            return
        there = {f"{STREAMS}/{name}/{f}" for f in list_files(f"{self.uri.rstrip('/')}/{STREAMS}/{name}")}
        missing = [f for f in expected if f not in there]
        if missing:
            raise StoreError(f"run {self.run_id}: {len(missing)} file(s) of stream {name!r} are missing "
                             f"(e.g. {missing[0]}): the store is damaged",
                             f"`weldctl verify {self.uri}` lists them; restore the run from a copy")

    def _array(self, name: str, which: str) -> zarr.Array[Any]:
        arr = self._arrays.get((name, which))
        if arr is None:
            self.open_streams([name])
            self._open_zarr([name])
            arr = self._arrays[(name, which)]
        return arr

    def _shape(self, name: str, which: str) -> tuple[int, ...]:
        if self._fast:
            self._open_fast([name])
            return tuple(self._fast_arrays[(name, which)].shape)
        return tuple(self._array(name, which).shape)

    def _chunk_rows(self, name: str) -> int:
        if self._fast:
            self._open_fast([name])
            return fast_read.chunk_rows(self._fast_arrays[(name, "data")])
        return int(self.data(name).chunks[0])

    def read_many(self, reads: Sequence[StreamRead]) -> list[np.ndarray[Any, Any]]:
        """Several array reads in one round trip: zarr fetches the chunks of all of them concurrently."""
        self.open_streams([name for name, _w, _sel in reads])
        if self._fast:
            return fast_read.read([self._fast_arrays[(n, w)] for n, w, _s in reads], [s for _n, _w, s in reads])
        arrays = [self._array(name, which) for name, which, _sel in reads]

        async def gather() -> list[Any]:
            pending = (a._async_array.getitem(sel) for a, (_n, _w, sel) in zip(arrays, reads, strict=True))
            return await asyncio.gather(*pending)

        return [np.asarray(x) for x in sync(gather())]

    def read_spans(self, spans: Sequence[tuple[str, int, int]]) -> list[np.ndarray[Any, Any]]:
        """The data rows [i0, i1) of each (stream, i0, i1), in one round trip. Spans of a stream that share or
        abut a chunk are read as one selection: a chunk two welds share is decoded once, and a selection
        that covers a whole shard is fetched in one read instead of chunk by chunk."""
        merged: list[tuple[str, int, int]] = []  # (stream, start, end) of each read
        open_read: dict[str, int] = {}  # stream -> index of its read that may still grow
        order = sorted(range(len(spans)), key=lambda k: (spans[k][0], spans[k][1]))
        placed: dict[int, tuple[int, int]] = {}  # span -> (its read, its offset in that read)
        for k in order:
            name, i0, i1 = spans[k]
            rows = self._chunk_rows(name)
            last = open_read.get(name)
            # No chunk is decoded that a span does not need: the next span starts in the last one's final
            # chunk or the chunk after it.
            if last is not None and i0 // rows <= (merged[last][2] - 1) // rows + 1:
                _n, start, end = merged[last]
                merged[last] = (name, start, max(end, i1))
            else:
                open_read[name] = last = len(merged)
                merged.append((name, i0, i1))
            placed[k] = (last, i0 - merged[last][1])
        got = self.read_many([(n, "data", slice(a, b)) for n, a, b in merged])
        return [got[r][off:off + spans[k][2] - spans[k][1]] for k, (r, off) in sorted(placed.items())]

    def length(self, name: str) -> int:
        # The appender grows data, t_ns, seq in that order: the shortest is what was committed.
        return min(self._shape(name, w)[0] for w in ARRAYS)

    def data(self, name: str) -> zarr.Array[Any]:
        """The stream's data array (lazy; slice it). Use ``length`` for the committed sample count."""
        return self._array(name, "data")

    def t_ns(self, name: str) -> np.ndarray[Any, Any]:
        t = np.asarray(self._array(name, "t_ns")[: self.length(name)])
        if len(t) > 1 and not np.all(np.diff(t) > 0):
            # Everything downstream searches these times: out of order, every window it cuts would be wrong.
            raise StoreError(f"run {self.run_id}: the times (t_ns) of stream {name!r} do not increase: the store "
                             "is damaged", f"`weldctl verify {self.uri}` says what changed; restore it from a copy")
        return t

    def seq(self, name: str) -> np.ndarray[Any, Any]:
        return np.asarray(self._array(name, "seq")[: self.length(name)])

    def window(self, name: str, t0_ns: int, t1_ns: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """Samples with t0 <= t < t1: (data, t_ns)."""
        t = self.t_ns(name)
        i0, i1 = np.searchsorted(t, [t0_ns, t1_ns])
        return np.asarray(self.data(name)[i0:i1]), t[i0:i1]

    def events(self) -> dict[str, np.ndarray[Any, Any]]:
        return read_table(group_at(self.group, EVENTS))

    def gaps(self, stream: str | None = None) -> dict[str, np.ndarray[Any, Any]]:
        ev = self.events()
        mask = ev["kind"] == "gap"
        if stream is not None:
            mask &= ev["stream"] == stream
        return {k: v[mask] for k, v in ev.items()}

    def truth(self, name: str) -> dict[str, np.ndarray[Any, Any]]:
        if TRUTH not in self.group or name not in group_at(self.group, TRUTH):
            raise StoreError(f"run {self.run_id} has no truth table {name!r} (only simulated runs have truth)")
        return read_table(group_at(self.group, f"{TRUTH}/{name}"))

    def has_truth(self) -> bool:
        return TRUTH in self.group

    def clock(self, name: str) -> dict[str, object]:
        if CLOCK not in self.group or name not in group_at(self.group, CLOCK):
            return {}
        g = group_at(self.group, f"{CLOCK}/{name}")
        out: dict[str, object] = dict(g.attrs)
        if "residual_ns" in g:
            out["residual_ns"] = np.asarray(array_at(g, "residual_ns")[:])
        return out

    def duration_s(self) -> float:
        ends = [self.t_ns(n)[-1] for n in self.specs if self.length(n)]
        starts = [self.t_ns(n)[0] for n in self.specs if self.length(n)]
        return (max(ends) - min(starts)) / 1e9 if ends else 0.0
