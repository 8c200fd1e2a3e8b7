"""Issue: never silently wrong — `verify` checks meaning as well as bytes, tampering is not re-blessed by
`recover`, a live store is locked (recover, verify, record --overwrite honour it), stores are created
exclusively and only weldctl stores are ever deleted."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import zarr

from tests.daq.test_losses import lossy_rig
from weldctl.daq import make_recorder
from weldctl.schema import RunIdError, RunManifest, StoreError, verify_run, write_checksums
from weldctl.schema._store_claim import claim_store

WELDCTL = [sys.executable, "-m", "weldctl.cli"]


def weldctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*WELDCTL, *args], capture_output=True, text=True, check=False, timeout=120,
                          env={**os.environ, "COLUMNS": "200"})


@pytest.fixture(scope="module")
def lossy_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rec = make_recorder(lossy_rig(), "RSEM", str(tmp_path_factory.mktemp("runs")))
    result = rec.run()
    assert result.ok, result.error
    return Path(result.uri)


@pytest.fixture
def copy(lossy_run: Path, tmp_path: Path) -> Path:
    dest = tmp_path / lossy_run.name
    shutil.copytree(lossy_run, dest)
    for dirpath, _dirs, files in os.walk(dest):  # copies of a read-only store are read-only too
        for p in [dirpath, *(os.path.join(dirpath, f) for f in files)]:
            os.chmod(p, os.stat(p).st_mode | stat.S_IWUSR)
    return dest


def _rebless(store: Path) -> None:
    """What a store finalized from a damaged state looks like: its checksums match its (wrong) contents."""
    write_checksums(str(store))


def test_a_finalized_store_is_read_only_and_verifies(lossy_run: Path) -> None:
    rep = verify_run(str(lossy_run))
    assert rep.ok, rep.problems
    assert not os.stat(lossy_run / "zarr.json").st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert not os.stat(lossy_run / "streams").st_mode & stat.S_IWUSR
    assert not (lossy_run / ".weldctl-lock").exists()


def test_verify_catches_times_that_run_backwards(copy: Path) -> None:
    t = zarr.open_array(copy / "streams" / "oct" / "t_ns", mode="r+")
    head = np.asarray(t[:100])
    t[:100] = head[::-1]
    _rebless(copy)
    rep = verify_run(str(copy))
    assert not rep.ok and any("oct: t_ns does not increase" in p for p in rep.problems), rep.problems
    out = weldctl("verify", str(copy))
    assert out.returncode == 1 and "t_ns does not increase" in out.stdout and "Traceback" not in out.stderr


def test_verify_catches_a_loss_without_a_gap_row(copy: Path) -> None:
    g = zarr.open_group(copy, mode="r+")["events"]
    kinds = np.asarray(g["kind"][:]).astype(object).astype(str)
    streams = np.asarray(g["stream"][:]).astype(object).astype(str)
    i = int(np.flatnonzero((kinds == "gap") & (streams == "daq"))[0])
    g["count"][i] = 0  # a recorded loss of 3000 DAQ samples now claims none
    _rebless(copy)
    rep = verify_run(str(copy))
    assert any("daq: samples missing with no gap row" in p for p in rep.problems), rep.problems


def test_verify_catches_an_implausible_clock_fit_and_unequal_lengths(copy: Path) -> None:
    g = zarr.open_group(copy, mode="r+")
    g["clock/oct"].attrs["drift_ppm"] = -1_000_000.0  # what a fit through torn rows looked like
    g["streams/audio/seq"].resize((g["streams/audio/seq"].shape[0] - 3,))
    _rebless(copy)
    problems = verify_run(str(copy)).problems
    assert any("oct: implausible clock fit" in p for p in problems), problems
    assert any("audio: data, t_ns and seq differ in length" in p for p in problems), problems


def test_tampering_cannot_be_reblessed_by_recover(copy: Path) -> None:
    (copy / "integrity" / "zarr.json").unlink()
    out = weldctl("verify", str(copy))
    assert out.returncode == 1 and "changed after it was finalized" in out.stdout + out.stderr
    assert "weldctl recover" not in out.stdout + out.stderr
    again = weldctl("recover", str(copy))
    assert again.returncode == 2 and "does not re-finalize" in again.stderr, again.stderr
    assert not (copy / "integrity" / "zarr.json").exists()
    # A corrupt manifest is an error, not a traceback.
    (copy / "integrity" / "zarr.json").write_text("{not json")
    bad = weldctl("verify", str(copy))
    assert bad.returncode == 1 and "corrupt" in bad.stdout + bad.stderr and "Traceback" not in bad.stderr
    (copy / "zarr.json").write_bytes(b"\xff\x00garbage")
    worse = weldctl("verify", str(copy))
    assert worse.returncode == 2 and "unreadable" in worse.stderr and "Traceback" not in worse.stderr


def test_verify_of_a_missing_run_says_so(tmp_path: Path) -> None:
    out = weldctl("verify", "NOPE", "--runs", str(tmp_path))
    assert out.returncode == 2 and "no run store" in out.stderr and "never finalized" not in out.stderr


HOLD = """
import sys, time
from weldctl.schema import StoreLock
lock = StoreLock.acquire(sys.argv[1], "recording")
print("locked", flush=True)
time.sleep(60)
"""


def test_a_live_store_is_locked_against_recover_verify_and_overwrite(copy: Path) -> None:
    """A store another process holds: recover refuses (naming pid and host), verify says it is being recorded
    and does not suggest recover, record --overwrite does not delete it."""
    zarr.open_group(copy, mode="r+").attrs["weldctl"] = {
        **zarr.open_group(copy, mode="r").attrs["weldctl"],
        "manifest": {**zarr.open_group(copy, mode="r").attrs["weldctl"]["manifest"], "status": "recording"}}
    (copy / "integrity" / "zarr.json").unlink()
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(copy)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        rec = weldctl("recover", str(copy))
        assert rec.returncode == 2 and f"pid {holder.pid}" in rec.stderr and "Traceback" not in rec.stderr
        ver = weldctl("verify", str(copy))
        assert ver.returncode == 2 and "recording by pid" in ver.stderr and "weldctl recover" not in ver.stderr
        before = sorted(p.relative_to(copy) for p in copy.rglob("*"))
        over = weldctl("record", "--run-id", "RSEM", "--out", str(copy.parent), "--overwrite", "--duration", "0.2",
                       "--no-live")
        assert over.returncode == 2 and "locked" in over.stderr, over.stderr
        assert sorted(p.relative_to(copy) for p in copy.rglob("*")) == before
    finally:
        holder.kill()
        holder.wait()
    # The holder is gone, and its lock with it: now the store is recovered.
    assert weldctl("recover", str(copy)).returncode == 0
    assert verify_run(str(copy)).ok


def test_a_folder_that_is_not_a_store_is_never_deleted(tmp_path: Path) -> None:
    notes = tmp_path / "R7.zarr"
    notes.mkdir()
    (notes / "notes.txt").write_text("calibration notes")
    plain = weldctl("record", "--run-id", "R7", "--out", str(tmp_path), "--duration", "0.2", "--no-live")
    assert plain.returncode == 2 and "already exists" in plain.stderr
    over = weldctl("record", "--run-id", "R7", "--out", str(tmp_path), "--duration", "0.2", "--no-live",
                   "--overwrite")
    assert over.returncode == 2 and "not a weldctl run store" in over.stderr, over.stderr
    assert (notes / "notes.txt").read_text() == "calibration notes"


def test_simultaneous_starts_get_one_store(tmp_path: Path) -> None:
    wins: list[int] = []
    refused: list[str] = []
    go = threading.Barrier(10)

    def start(i: int) -> None:
        go.wait()
        try:
            claim_store(str(tmp_path / "RSAME.zarr"), "RSAME", overwrite=False)
            wins.append(i)
        except RunIdError as exc:
            refused.append(exc.message)

    threads = [threading.Thread(target=start, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1 and len(refused) == 9


def test_overwrite_replaces_only_our_unlocked_store(tmp_path: Path) -> None:
    from weldctl.schema import RunWriter

    w = RunWriter.create(tmp_path, RunManifest(run_id="RO"), [])
    with pytest.raises(StoreError, match="locked"):  # still held by its writer
        RunWriter.create(tmp_path, RunManifest(run_id="RO"), [], overwrite=True)
    w.finalize()
    time.sleep(0.01)
    w2 = RunWriter.create(tmp_path, RunManifest(run_id="RO"), [], overwrite=True)  # read-only, still ours
    w2.finalize()
    assert json.loads((tmp_path / "RO.zarr" / "zarr.json").read_text())["attributes"]["weldctl"]


def test_a_truncated_shard_is_an_error_and_a_failed_export_leaves_nothing(copy: Path, tmp_path: Path) -> None:
    shard = next(p for p in (copy / "streams" / "daq" / "data" / "c").rglob("*") if p.is_file())
    shard.write_bytes(shard.read_bytes()[: shard.stat().st_size // 2])
    out_dir = tmp_path / "export"
    out_dir.mkdir()
    res = weldctl("export", str(copy), "--format", "hdf5", "--out", str(out_dir / "run.h5"))
    assert res.returncode == 2 and "could not be read" in res.stderr and "Traceback" not in res.stderr, res.stderr
    assert list(out_dir.iterdir()) == []  # no hidden partial file
    ver = weldctl("verify", str(copy))
    assert ver.returncode == 1 and "changed" in ver.stdout


def test_curation_refuses_a_store_with_deleted_chunks_or_scrambled_times(copy: Path, tmp_path: Path) -> None:
    """Issue: curation ran on such stores without a word (a deleted chunk reads as zeros)."""
    from weldctl.schema import RunReader

    t = zarr.open_array(copy / "streams" / "oct" / "t_ns", mode="r+")
    t[:50] = np.asarray(t[:50])[::-1]
    with pytest.raises(StoreError, match="do not increase"):
        RunReader(copy).t_ns("oct")
    next(p for p in (copy / "streams" / "daq" / "data" / "c").rglob("*") if p.is_file()).unlink()
    res = weldctl("export", str(copy), "--format", "hdf5", "--out", str(tmp_path / "run.h5"))
    assert res.returncode == 2 and "missing" in res.stderr and "Traceback" not in res.stderr, res.stderr
    ver = weldctl("verify", str(copy))
    assert ver.returncode == 1 and "missing" in ver.stdout
