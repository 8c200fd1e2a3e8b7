"""Writing a sample set: streamed while its samples arrive (the ``samples`` stage), or collected and written
in one go (``SampleSetWriter``, the later stages).

Each packed array is compressed and written on its own thread as parts come in, so reading the next runs
overlaps writing these, and only a few runs' arrays are held in memory at a time. Arrays are packed in
arrival order (the order of the runs, then of their welds: a function of the inputs); the table is sorted
by sample id as in every sample set, and each row's offsets locate its slices.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from weldctl.schema import join_uri, remove_uri, storage_errors, zarr_store

from ._sampleset import (
    ARRAYS,
    SIGNALS,
    TABLE,
    DatasetError,
    Layout,
    SampleArrays,
    check_sample,
    write_packed,
    write_rows,
)

_END = object()
QUEUE_PARTS = 256  # parts waiting per array: the producer waits beyond this (memory bound)


class SampleSetStream:
    """``add`` samples in any number; ``close`` finishes the arrays and writes the table last."""

    def __init__(self, out: str | os.PathLike[str], layout: Layout,
                 extra_attrs: Mapping[str, Any] | None = None) -> None:
        import zarr

        self.out = out
        self.layout = layout
        self.rows: list[dict[str, Any]] = []
        with storage_errors(out):
            remove_uri(join_uri(out, TABLE))  # a half-written set must not look complete
            store = zarr_store(join_uri(out, ARRAYS), read_only=False)
            self.group = zarr.open_group(store, mode="w", zarr_format=3)
            self.group.attrs.update({"layout": layout.to_attrs(), **(extra_attrs or {})})
        arrays: list[tuple[str, Any, tuple[int, ...], list[str]]] = [
            (SIGNALS, np.float32, (len(layout.channels),), ["time", "channel"])]
        for name, ((h, w), dt) in sorted(layout.images.items()):
            arrays += [(name, np.dtype(dt), (h, w), ["frame", "y", "x"]), (f"{name}_t_ns", np.int64, (), ["frame"])]
        self._queues: dict[str, queue.Queue[Any]] = {a[0]: queue.Queue(QUEUE_PARTS) for a in arrays}
        self._offsets = {SIGNALS: 0, **{name: 0 for name in layout.images}}
        self._errors: list[BaseException] = []
        self._finished = False
        self._threads = [threading.Thread(target=self._write, args=a, name=f"weldctl-pack-{a[0]}", daemon=True)
                         for a in arrays]
        for t in self._threads:
            t.start()

    def _parts(self, name: str) -> Iterator[np.ndarray]:
        q = self._queues[name]
        while (part := q.get()) is not _END:
            yield part

    def _write(self, name: str, dtype: Any, row_shape: tuple[int, ...], dims: list[str]) -> None:
        try:
            with storage_errors(self.out):
                write_packed(self.group, name, self._parts(name), dtype, row_shape, dims)
        except BaseException as exc:
            self._errors.append(exc)
            for _ in self._parts(name):  # keep taking parts, so the producer never blocks on a dead writer
                pass

    def _put(self, name: str, part: Any) -> None:
        while True:
            if self._errors:
                raise self._errors[0]
            try:
                self._queues[name].put(part, timeout=0.25)
                return
            except queue.Full:
                continue

    def add(self, row: dict[str, Any], arrays: SampleArrays) -> None:
        check_sample(self.layout, row["sample_id"], arrays)
        row = dict(row, content_hash=arrays.content_hash())
        parts = {SIGNALS: arrays.signals, **arrays.frames}
        for name, part in parts.items():
            row[f"{name}_offset"], row[f"{name}_len"] = self._offsets[name], int(part.shape[0])
            self._offsets[name] += int(part.shape[0])
            self._put(name, part)
        for name, t in arrays.frames_t.items():
            self._put(f"{name}_t_ns", t)
        self.rows.append(row)

    def _finish(self) -> None:
        if self._finished:
            return
        self._finished = True
        for name, q in self._queues.items():
            if self._errors:
                q.put(_END)  # writers that failed still drain their queue, so this never blocks for long
            else:
                self._put(name, _END)
        for t in self._threads:
            t.join()

    def close(self) -> str:
        """Finish every array, then write the table: the set is complete once it exists."""
        self._finish()
        if self._errors:
            raise self._errors[0]
        ids = [r["sample_id"] for r in self.rows]
        if len(set(ids)) != len(ids):
            raise DatasetError("duplicate sample ids in a sample set", "report this as a bug")
        write_rows(sorted(self.rows, key=lambda r: r["sample_id"]), join_uri(self.out, TABLE))
        return str(self.out)

    def abort(self) -> None:
        """Stop the writer threads and remove the arrays written so far: a failed stage leaves nothing."""
        self._errors.append(DatasetError("sample set aborted"))
        self._finish()
        remove_uri(join_uri(self.out, ARRAYS))


class SampleSetWriter:
    """Collect rows and arrays, then write the set in one go, packed in sample-id order."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.rows: list[dict[str, Any]] = []
        self.arrays: list[SampleArrays] = []

    def add(self, row: dict[str, Any], arrays: SampleArrays) -> None:
        check_sample(self.layout, row["sample_id"], arrays)
        self.rows.append(dict(row, content_hash=arrays.content_hash()))
        self.arrays.append(arrays)

    def write(self, out: str | os.PathLike[str], extra_attrs: Mapping[str, Any] | None = None) -> str:
        """Write the set to a folder or URL prefix; the table goes last and marks the set complete."""
        stream = SampleSetStream(out, self.layout, extra_attrs)
        try:
            for i in sorted(range(len(self.rows)), key=lambda i: self.rows[i]["sample_id"]):
                stream.add(self.rows[i], self.arrays[i])
            return stream.close()
        except BaseException:
            stream.abort()
            raise
