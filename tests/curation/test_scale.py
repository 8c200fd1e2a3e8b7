"""The same curation from object storage and on a Dask cluster gives byte-identical outputs."""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from weldctl.cli import app
from weldctl.schema import upload_run

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PARAMS = ("split:\n  fractions: {train: 0.34, val: 0.33, test: 0.33}\n"
          "balance:\n  targets: {lack: 4, partial: 4, full: 4}\naugment:\n  copies: 1\n")
OUTPUTS = ("segments", "work/samples", "work/split.parquet", "dataset", "metrics.json")


def _ok(*args: str) -> None:
    res = CliRunner().invoke(app, list(args))
    assert res.exit_code == 0, res.output


def _curate(workdir: Path, labels: Path, runs: str, stores: list[str], scheduler: str | None = None) -> dict[str, str]:
    """segment → samples → split → balance → augment → build in ``workdir``; sha256 of every output file."""
    workdir.mkdir(parents=True)
    (workdir / "params.yaml").write_text(PARAMS)
    shutil.copy(labels, workdir / "labels.jsonl")
    sched = ["--scheduler", scheduler] if scheduler else []
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        _ok("segment", *stores, "--out", "segments", *sched)
        _ok("dataset", "samples", runs, *sched)
        for step in ("split", "balance", "augment", "build"):
            _ok("dataset", step)
    finally:
        os.chdir(cwd)
    out = {}
    for top in OUTPUTS:
        base = workdir / top
        files = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        assert files, top
        for f in files:
            out[str(f.relative_to(workdir))] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def local_result(sim_runs_dir: Path, sim_labels: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    stores = sorted(str(p) for p in sim_runs_dir.glob("*.zarr"))
    return _curate(tmp_path_factory.mktemp("local") / "w", sim_labels, str(sim_runs_dir), stores)


def test_from_s3_identical_to_local(sim_runs_dir: Path, sim_labels: Path, local_result: dict[str, str],
                                    s3_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    prefix = f"s3://{s3_env.bucket}/scale-runs"
    stores = [upload_run(str(p), prefix) for p in sorted(sim_runs_dir.glob("*.zarr"))]
    remote = _curate(tmp_path / "w", sim_labels, prefix, stores)
    assert remote == local_result


def test_on_dask_identical_even_when_a_worker_dies(sim_runs_dir: Path, sim_labels: Path,
                                                   local_result: dict[str, str], dask_scheduler: str,
                                                   tmp_path: Path) -> None:
    from tests.peers.dask_cluster import kill_one_worker

    stores = sorted(str(p) for p in sim_runs_dir.glob("*.zarr"))
    assert _curate(tmp_path / "a", sim_labels, str(sim_runs_dir), stores, dask_scheduler) == local_result
    killed: list[int] = []
    timer = threading.Timer(0.5, lambda: killed.append(kill_one_worker(dask_scheduler)))
    timer.start()
    again = _curate(tmp_path / "b", sim_labels, str(sim_runs_dir), stores, dask_scheduler)
    timer.join()
    assert killed
    assert again == local_result
