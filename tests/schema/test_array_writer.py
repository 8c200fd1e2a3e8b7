"""Whole arrays written through the shard writer: standard Zarr v3 that zarr-python and tensorstore read
back exactly, with bytes that depend on the data alone (the same on every path and every run)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import zarr

from tests.conftest import need_module
from weldctl.schema import write_array

ts = need_module("tensorstore", "tensorstore reads the writer's output: pip install -e '.[dev]'")


def _parts(seed: int, row_shape: tuple[int, ...], dtype: str) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    sizes = [0, *rng.integers(0, 300, 25), 1]  # empty and single-row parts too
    return [rng.integers(0, 60, (int(n), *row_shape)).astype(dtype) for n in sizes]


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(str(f.relative_to(root)).encode() + f.read_bytes())
    return h.hexdigest()


@pytest.mark.parametrize(("row_shape", "dtype", "shuffle"), [((32, 24), "uint8", "bitshuffle"),
                                                             ((3,), "float32", "shuffle"), ((), "int64", "shuffle")])
def test_parts_read_back_as_one_array(tmp_path: Path, row_shape: tuple[int, ...], dtype: str, shuffle: str) -> None:
    parts = _parts(len(row_shape), row_shape, "int64")
    expected = np.concatenate(parts).astype(dtype)
    group = zarr.open_group(str(tmp_path / "a.zarr"), mode="w", zarr_format=3)
    n = write_array(group, "x", parts, dtype=dtype, row_shape=row_shape, chunk_rows=64, shard_rows=256,
                    shuffle=shuffle, dims=["row", *(f"d{i}" for i in range(len(row_shape)))])
    assert n == len(expected)
    got = zarr.open_group(str(tmp_path / "a.zarr"), mode="r")["x"]
    assert got.shape == expected.shape and got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got[:], expected)
    store = ts.open({"driver": "zarr3", "kvstore": {"driver": "file", "path": str(tmp_path / "a.zarr" / "x")}},
                    open=True).result()
    np.testing.assert_array_equal(np.asarray(store.read().result()), expected)


def test_same_data_same_bytes(tmp_path: Path) -> None:
    parts = _parts(7, (16, 16), "uint8")
    digests = []
    for k in range(3):
        group = zarr.open_group(str(tmp_path / f"{k}.zarr"), mode="w", zarr_format=3)
        write_array(group, "frames", parts, dtype="uint8", row_shape=(16, 16), chunk_rows=32, shard_rows=128)
        digests.append(_digest(tmp_path / f"{k}.zarr"))
    assert len(set(digests)) == 1


def test_empty_array(tmp_path: Path) -> None:
    group = zarr.open_group(str(tmp_path / "e.zarr"), mode="w", zarr_format=3)
    assert write_array(group, "x", [], dtype="float32", row_shape=(2,), chunk_rows=8, shard_rows=8) == 0
    assert zarr.open_group(str(tmp_path / "e.zarr"), mode="r")["x"].shape == (0, 2)
