"""A sample set on disk: one Parquet table (a row per sample) plus one Zarr group of packed arrays.

Every curation stage after ``samples`` reads and writes this form, and ``build`` writes one per split.
Arrays are concatenated along time; each row's ``<array>_offset``/``<array>_len`` locate its slice, so a
split is a handful of large files (fast to push and pull) rather than a file per sample. Fixed codecs,
sorted rows and no timestamps make the bytes a function of the inputs only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from weldctl.schema import (
    WeldctlError,
    join_uri,
    storage_errors,
    uri_exists,
    write_array,
    zarr_store,
)

from ..core import read_parquet, write_parquet

if TYPE_CHECKING:
    import zarr

TABLE = "samples.parquet"
ARRAYS = "arrays.zarr"
SIGNALS = "signals"
SHARD_BYTES = 64 * 2**20  # a shard file holds ~64 MiB: few files per split, still streamable
CHUNK_BYTES = 2 * 2**20


class DatasetError(WeldctlError):
    """A dataset stage that cannot do what was asked (with a hint at what to change)."""


@dataclass
class SampleArrays:
    """The arrays of one sample: signals (T, C) on one time axis, and frames per image stream."""

    signals: np.ndarray
    frames: dict[str, np.ndarray] = field(default_factory=dict)  # stream -> (F, H, W)
    frames_t: dict[str, np.ndarray] = field(default_factory=dict)  # stream -> (F,) ns from sample start
    # Kept once computed: the per-run task hashes its samples, so the driver does not do it again.
    _digest: str | None = field(default=None, repr=False, compare=False)

    def content_hash(self) -> str:
        if self._digest is None:
            self._digest = self._hash()
        return self._digest

    def _hash(self) -> str:
        # BLAKE3: a cryptographic hash ~4x faster than sha256 here; hashing every sample's frames is a large
        # share of the samples stage.
        from blake3 import blake3

        h = blake3()
        for name, arr in [(SIGNALS, self.signals), *sorted(self.frames.items())]:
            a = np.ascontiguousarray(arr)
            h.update(f"{name}:{a.dtype.str}:{a.shape};".encode())
            h.update(a.reshape(-1).view(np.uint8).data)  # the buffer itself: no copy of the bytes
        return h.hexdigest()


@dataclass
class Layout:
    """What every sample of a set has in common: signal channels and rate, image streams and shapes."""

    channels: list[str]
    signal_rate_hz: float
    images: dict[str, tuple[tuple[int, int], str]]  # stream -> ((H, W), dtype)

    def to_attrs(self) -> dict[str, Any]:
        return {
            "channels": self.channels,
            "signal_rate_hz": self.signal_rate_hz,
            "images": {k: {"shape": list(s), "dtype": d} for k, (s, d) in sorted(self.images.items())},
        }

    @classmethod
    def from_attrs(cls, a: Mapping[str, Any]) -> Layout:
        return cls(
            list(a["channels"]),
            float(a["signal_rate_hz"]),
            {k: ((int(v["shape"][0]), int(v["shape"][1])), str(v["dtype"])) for k, v in a["images"].items()},
        )


def check_sample(layout: Layout, sample_id: str, a: SampleArrays) -> None:
    """A sample must have the set's channels and image shapes, or the packed arrays would not line up."""
    if a.signals.ndim != 2 or a.signals.shape[1] != len(layout.channels):
        raise DatasetError(
            f"sample {sample_id}: signals {a.signals.shape} do not match channels {layout.channels}",
            "all runs of a dataset must record the same streams",
        )
    for name, ((h, w), dt) in layout.images.items():
        f = a.frames.get(name)
        if f is None or f.shape[1:] != (h, w) or str(f.dtype) != dt:
            got = None if f is None else (f.shape[1:], str(f.dtype))
            raise DatasetError(
                f"sample {sample_id}: image stream {name!r} is {got}, expected {(h, w)} {dt}",
                "all runs of a dataset must use the same camera sizes; split them by rig",
            )


def write_packed(group: Any, name: str, parts: Iterable[np.ndarray], dtype: Any, row_shape: tuple[int, ...],
                 dims: list[str]) -> None:
    """The rows of ``parts`` as one packed array, written shard by shard through the shard writer as the parts
    arrive (no concatenated copy)."""
    dt = np.dtype(dtype)
    row_bytes = max(1, int(np.prod(row_shape, dtype=np.int64)) * dt.itemsize)
    chunk = max(1, CHUNK_BYTES // row_bytes)
    shard = max(1, SHARD_BYTES // row_bytes // chunk) * chunk
    write_array(group, name, parts, dtype=dt, row_shape=row_shape, chunk_rows=chunk, shard_rows=shard,
                cname="lz4", clevel=5, shuffle="bitshuffle" if dt.itemsize == 1 else "shuffle", dims=dims)


def write_rows(rows: Iterable[Mapping[str, Any]], path: str | os.PathLike[str]) -> None:
    """Rows -> Parquet with a fixed column order and no pandas/time metadata (stable bytes), written whole."""
    import pyarrow as pa

    rows = list(rows)
    cols = sorted({k for r in rows for k in r})
    data = {c: [_plain(r.get(c)) for r in rows] for c in cols}
    table = pa.table(data) if rows else pa.table({})
    write_parquet(path, table.replace_schema_metadata(None), compression="zstd", compression_level=3)


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, dict | list):
        return json.dumps(v, sort_keys=True)
    return v


def read_rows(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    if not uri_exists(path):
        raise DatasetError(f"no table at {path}", "run the stage that writes it first (`dvc repro`)")
    return read_parquet(path).to_pylist()


class SampleSet:
    """A sample set opened for reading: rows, layout, and each sample's arrays on demand."""

    def __init__(self, path: str | os.PathLike[str], eager: bool = True) -> None:
        import zarr

        self.path = str(path)  # a folder or URL prefix
        self.eager = eager
        if not uri_exists(join_uri(self.path, TABLE)):
            raise DatasetError(
                f"{self.path} is not a sample set (no {TABLE})",
                "point at the output of `weldctl dataset samples` or a built split",
            )
        self.rows = read_rows(join_uri(self.path, TABLE))
        self.by_id = {r["sample_id"]: r for r in self.rows}
        with storage_errors(self.path):
            arrays = zarr_store(join_uri(self.path, ARRAYS), read_only=True)
            self.group = zarr.open_group(arrays, mode="r", zarr_format=3)
        layout = self.group.attrs.get("layout")
        if not isinstance(layout, Mapping):
            raise DatasetError(f"{self.path}: {ARRAYS} has no layout", "rebuild the set with the stage that wrote it")
        self.layout = Layout.from_attrs(layout)
        self._cache: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.rows)

    def _array(self, name: str) -> np.ndarray:
        # Sets are read whole by the stages; loading each packed array once beats thousands of slice reads.
        if name not in self._cache:
            self._cache[name] = np.asarray(self._packed(name)[...])
        return self._cache[name]

    def _packed(self, name: str) -> zarr.Array:
        import zarr

        node = self.group[name]
        if not isinstance(node, zarr.Array):
            raise DatasetError(f"{self.path}: {ARRAYS}/{name} is not an array", "rebuild the set")
        return node

    def arrays(self, sample_id: str) -> SampleArrays:
        row = self.by_id.get(sample_id)
        if row is None:
            raise DatasetError(
                f"no sample {sample_id!r} in {self.path}", "list ids with the manifest parquet"
            )
        return self.arrays_of(row)

    def arrays_of(self, row: Mapping[str, Any]) -> SampleArrays:
        def cut(name: str, arr_name: str | None = None) -> np.ndarray:
            o, n = int(row[f"{name}_offset"]), int(row[f"{name}_len"])
            if not self.eager:  # a reader touching a few samples of a big split reads only their shards
                return np.asarray(self._packed(arr_name or name)[o : o + n])
            return self._array(arr_name or name)[o : o + n]

        frames = {k: cut(k) for k in self.layout.images}
        frames_t = {k: cut(k, f"{k}_t_ns") for k in self.layout.images}
        return SampleArrays(cut(SIGNALS), frames, frames_t)
