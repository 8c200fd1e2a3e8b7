"""Issue: disk full — the recorder stops cleanly, keeps everything written before the limit readable
and finalized, and exits non-zero with a clear message."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import need
from weldctl.daq import record
from weldctl.schema import RunReader, default_sim_rig, verify_run

SIZE_MB = 100  # full after ~1-2 s of the default rig: every stream has committed data by then


def _as_root(*cmd: str) -> list[str]:
    return list(cmd) if os.geteuid() == 0 else ["sudo", "-n", *cmd]  # CI runners: passwordless sudo


def _mount_tmpfs(where: Path) -> bool:
    if os.environ.get("WELDCTL_TEST_FAKE_FULL_DISK"):
        return False
    try:
        proc = subprocess.run(_as_root("mount", "-t", "tmpfs", "-o", f"size={SIZE_MB}m", "tmpfs", str(where)),
                              capture_output=True, check=False)
    except FileNotFoundError:
        return False
    return proc.returncode == 0


class FakeFullDisk:
    """Fake at the storage edge, only where no small filesystem can be mounted: local file writes
    (zarr's metadata and the shard writer's shards) raise ENOSPC once SIZE_MB have been written."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import zarr.storage._local as local

        from weldctl.schema._shard_io import LocalSink

        self.left = SIZE_MB << 20
        real_put, real_write = local._put, LocalSink._write

        def take(n: int, path: object) -> None:
            if n > self.left:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
            self.left -= n

        def put(path, value, exclusive=False):  # type: ignore[no-untyped-def]
            take(len(value.as_buffer_like()), path)
            return real_put(path, value, exclusive)

        def write(path, data, flags):  # type: ignore[no-untyped-def]
            take(len(memoryview(data)), path)
            return real_write(path, data, flags)

        monkeypatch.setattr(local, "_put", put)
        monkeypatch.setattr(LocalSink, "_write", staticmethod(write))


@pytest.fixture
def small_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, FakeFullDisk | None]]:
    where = tmp_path / "small"
    where.mkdir()
    if _mount_tmpfs(where):
        try:
            yield where, None
        finally:
            subprocess.run(_as_root("umount", "-l", str(where)), check=False)
        return
    yield where, FakeFullDisk(monkeypatch)  # the recorder is still tested, against the fake


def _check_store(uri: str) -> dict[str, int]:
    r = RunReader(uri)
    assert r.manifest.status == "finalized"
    gaps = r.gaps()
    kept = {}
    for name in r.specs:
        n = r.length(name)
        seq, t = r.seq(name), r.t_ns(name)
        data = np.asarray(r.data(name)[:n])  # every chunk written before the limit reads back
        assert data.shape[0] == n and n > 0, name
        # Holes only where a loaded machine's writer fell behind (each a gap row: verify_run checks that).
        assert seq[0] == 0 and np.all(np.diff(seq) > 0) and np.all(np.diff(t) > 0), name
        # What was received but never written is accounted for, right after the last sample kept.
        mine = (gaps["stream"] == name) & np.char.startswith(gaps["note"].astype(str), "write_failed")
        if mine.any():
            assert int(gaps["value"][mine][0]) == int(seq[-1]) + 1, name
        kept[name] = n
    assert verify_run(uri).ok
    return kept


def test_recording_onto_a_full_disk_stops_cleanly(small_disk) -> None:  # type: ignore[no-untyped-def]
    where, _ = small_disk
    result = record(default_sim_rig(), "RFULL", str(where), duration_s=20.0)
    assert not result.ok and "disk full" in result.error, result.error
    assert result.duration_s < 15.0, "it stopped at the limit, not at the end"
    kept = _check_store(result.uri)
    print("disk full after", round(result.duration_s, 2), "s; samples kept:", kept)
    # The end summary reports what is on disk, not what was handed to the writer (3,525 frames were claimed
    # for 2,800 stored).
    assert {name: s.samples for name, s in result.stats.items()} == kept
    assert sum(s.lost for s in result.stats.values()) > 0  # the unwritten tail is counted, not hidden


def test_cli_exits_nonzero_with_a_clear_message(small_disk) -> None:  # type: ignore[no-untyped-def]
    where, fake = small_disk
    need(fake is None, "mounting a small tmpfs needs root or passwordless sudo (the ENOSPC fake patches this "
                       "process only; the CLI runs in its own)")
    proc = subprocess.run([sys.executable, "-m", "weldctl.cli", "record", "--run-id", "RFULL", "--out", str(where),
                           "--no-live", "--duration", "20"], capture_output=True, text=True, check=False,
                          env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "disk full" in proc.stderr and proc.stderr.count("\n") <= 4, proc.stderr
    _check_store(str(where / "RFULL.zarr"))
