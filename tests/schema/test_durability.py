"""Durable mode: the writer really syncs (counted at the system calls), and the rig option reaches it."""

import os
from pathlib import Path

import numpy as np
import pytest

from tests.schema.small_stream import CAM
from weldctl.schema import RunManifest, RunReader, RunWriter, default_sim_rig
from weldctl.schema import _shard_io as shard_io


@pytest.fixture
def syscalls(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[object]]:
    """fdatasync, fsync and syncfs as the writer calls them, counted (and still done)."""
    calls: dict[str, list[object]] = {"fdatasync": [], "fsync": [], "syncfs": []}
    real_fdatasync, real_fsync, real_syncfs = os.fdatasync, os.fsync, shard_io._SYNCFS

    def fdatasync(fd: int) -> None:
        calls["fdatasync"].append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fdatasync(fd)

    def fsync(fd: int) -> None:
        calls["fsync"].append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    def syncfs(fd: int) -> int:
        calls["syncfs"].append(fd)
        return real_syncfs(fd) if real_syncfs is not None else 0

    monkeypatch.setattr(os, "fdatasync", fdatasync)
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(shard_io, "_SYNCFS", syncfs)
    return calls


def _record(tmp_path: Path, durability: str, n: int = 100) -> RunWriter:
    w = RunWriter.create(tmp_path, RunManifest(run_id="D1"), [CAM], durability=durability)  # type: ignore[arg-type]
    frames = np.random.default_rng(0).integers(0, 255, (n, 16, 16), dtype=np.uint8)
    for i in range(0, n, 10):
        w.streams["cam"].append(frames[i : i + 10], np.arange(i, i + 10) * 10, np.arange(i, i + 10))
        w.checkpoint(0.0)
    w.flush()
    return w


def test_shard_durability_fdatasyncs_every_shard_before_it_is_renamed(tmp_path: Path, syscalls) -> None:  # type: ignore[no-untyped-def]
    w = _record(tmp_path, "shard")
    synced = syscalls["fdatasync"]
    shard_files = [p for p in synced if "/cam/data/c/" in str(p)]
    whole = 100 // w.streams["cam"].shard
    assert len({p for p in shard_files}) >= whole + 1  # every shard file (the partial one too)
    assert all(str(p).endswith(shard_io.TMP_SUFFIX) for p in synced)  # synced before the rename
    assert any(str(p).endswith("/cam/data") for p in syscalls["fsync"])  # its folder's entries
    assert any(str(p).endswith("data/zarr.json" + shard_io.TMP_SUFFIX) for p in synced)  # the shapes too
    w.finalize()
    assert np.array_equal(RunReader(w.uri).data("cam").shape, (100, 16, 16))


def test_interval_durability_syncs_the_filesystem_once_per_checkpoint(tmp_path: Path, syscalls) -> None:  # type: ignore[no-untyped-def]
    _record(tmp_path, "interval")
    assert len(syscalls["syncfs"]) >= 10  # one per checkpoint (10 here)
    assert not syscalls["fdatasync"]


def test_no_durability_never_syncs(tmp_path: Path, syscalls) -> None:  # type: ignore[no-untyped-def]
    _record(tmp_path, "none").finalize()
    assert syscalls == {"fdatasync": [], "fsync": [], "syncfs": []}


def test_rig_option_reaches_the_writer(tmp_path: Path) -> None:
    from weldctl.daq import make_recorder

    rig = default_sim_rig()
    assert rig.recorder.durability == "shard"  # the default (BENCHMARKS.md: what syncing costs and saves)
    rig = rig.model_copy(update={"recorder": rig.recorder.model_copy(update={"durability": "interval"})})
    rec = make_recorder(rig, "D2", str(tmp_path))
    assert rec.durability == "interval"
