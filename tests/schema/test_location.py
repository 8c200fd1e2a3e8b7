"""Listing files of a local store: the same answer as fsspec's ``find``, which remote stores still use."""

from __future__ import annotations

import os
from pathlib import Path

import fsspec
import pytest

from weldctl.schema import list_files


def _fsspec_list(root: Path) -> list[str]:
    fs = fsspec.filesystem("file")
    base = str(root.resolve()).rstrip("/")
    rel = [p[len(base) + 1 :] for p in fs.find(base)]
    return sorted((r for r in rel if r), key=lambda r: r.split("/"))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "R0001.zarr"
    for rel in ["zarr.json", "streams/cam/data/c/0/0/0", "streams/cam/data/zarr.json", ".hidden", "a-b/c.d/e"]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"x")
    (root / "empty/nested").mkdir(parents=True)
    other = tmp_path / "elsewhere"
    (other / "inside").mkdir(parents=True)
    (other / "inside" / "f").write_bytes(b"y")
    os.symlink(other, root / "linked_dir")  # fsspec lists a symlink as a file and does not follow it
    os.symlink(root / "zarr.json", root / "linked_file")
    return root


def test_list_files_matches_fsspec_find(tree: Path) -> None:
    assert list_files(tree) == _fsspec_list(tree)
    assert list_files(f"{tree}/") == _fsspec_list(tree)
    assert list_files(tree / "streams") == _fsspec_list(tree / "streams")
    assert "streams/cam/data/c/0/0/0" in list_files(tree)


def test_list_files_of_nothing(tree: Path) -> None:
    assert list_files(tree / "missing") == _fsspec_list(tree / "missing") == []
    assert list_files(tree / "zarr.json") == _fsspec_list(tree / "zarr.json") == []
