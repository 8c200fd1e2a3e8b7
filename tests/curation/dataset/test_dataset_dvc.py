"""The dataset pipeline under real DVC: repro, no-op, partial rerun, determinism, push/pull (local and S3)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, need
from weldctl.curation import tree_hash

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BIN = Path(sys.executable).parent
OUTPUTS = ("segments", "work", "dataset", "card", "metrics.json")
TEST_PARAMS = {"split": {"fractions": {"train": 0.34, "val": 0.33, "test": 0.33}}, "augment": {"copies": 1}}


def _env() -> dict[str, str]:
    # Stages call `weldctl`; the one next to this interpreter is the code under test.
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    env.update(
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.org",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.org",
        DVC_NO_ANALYTICS="1",
    )
    return env


def sh(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    exe = shutil.which(args[0], path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    need(exe is not None, f"{args[0]} is not installed")
    res = subprocess.run(
        [exe, *args[1:]], cwd=cwd, env=env or _env(), capture_output=True, text=True, timeout=300
    )
    assert res.returncode == 0, f"{' '.join(args)} failed:\n{res.stdout}\n{res.stderr}"
    return res.stdout + res.stderr


def make_repo(where: Path, runs: Path, labels: Path) -> Path:
    """A dataset repository as a user sets it up: runs + labels under DVC, pipeline files in git."""
    where.mkdir(parents=True)
    shutil.copytree(runs, where / "runs")
    shutil.copy(labels, where / "labels.jsonl")
    shutil.copy(REPO / "dvc.yaml", where / "dvc.yaml")
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    for k, v in TEST_PARAMS.items():
        params[k].update(v)
    (where / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    sh(where, "git", "init", "-q", "-b", "main")
    sh(where, "dvc", "init", "-q")
    sh(where, "dvc", "add", "-q", "runs")
    sh(where, "git", "add", "-A")
    sh(where, "git", "commit", "-qm", "runs, labels, pipeline")
    return where


def output_hashes(repo: Path) -> dict[str, str]:
    return {o: tree_hash(repo / o) for o in OUTPUTS}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, sim_runs_dir: Path, sim_labels: Path) -> Path:
    repo = make_repo(tmp_path_factory.mktemp("dvc") / "A", sim_runs_dir, sim_labels)
    t0 = time.perf_counter()
    sh(repo, "dvc", "repro", "-q")
    print(f"dvc repro (6 runs): {time.perf_counter() - t0:.1f} s")
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "commit", "-qm", "dataset")
    return repo


def test_repro_builds_splits_card_and_metrics(built: Path) -> None:
    card = (built / "card" / "DATASET.md").read_text()
    assert "## Leak audit" in card and "**passed**" in card and "![penetration_by_condition]" in card
    assert "reads the laser condition with accuracy" in card  # sim-truth labels: the label check is quoted
    assert (built / "card" / "penetration_by_condition.png").stat().st_size > 1000
    metrics = sh(built, "dvc", "metrics", "show", env={**_env(), "COLUMNS": "100"})
    # Flat: one short row a terminal shows whole (nested per-class counts made it 1,316 characters).
    header = next(ln for ln in metrics.splitlines() if ln.startswith("Path"))
    assert set(header.split()) == {"Path", "test", "train", "val", "files", "leak_free", "class_gaps"}, metrics
    assert max(len(ln) for ln in metrics.splitlines()) <= 100, metrics
    counts = json.loads((built / "dataset" / "counts.json").read_text())  # the full picture, beside the dataset
    assert json.loads((built / "metrics.json").read_text())["train"] == counts["splits"]["train"]["samples"]
    for split in ("train", "val", "test"):
        assert (built / "dataset" / split / "samples.parquet").exists()
    # Nothing changed: nothing runs.
    assert "Data and pipelines are up to date" in sh(built, "dvc", "repro")


def test_param_change_reruns_only_affected_stages(built: Path, tmp_path: Path) -> None:
    repo = tmp_path / "A2"
    shutil.copytree(built, repo)
    before = output_hashes(repo)
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["augment"]["copies"] = 2
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    out = sh(repo, "dvc", "repro")
    ran = {
        s
        for s in ("segment", "samples", "split", "balance", "augment", "build", "card")
        if f"Running stage '{s}'" in out
    }
    assert ran == {"augment", "build", "card"}, out
    after = output_hashes(repo)
    assert after["segments"] == before["segments"] and after["dataset"] != before["dataset"]


def test_same_inputs_on_another_path_give_identical_bytes(
    built: Path, tmp_path: Path, sim_runs_dir: Path, sim_labels: Path
) -> None:
    other = make_repo(tmp_path / "elsewhere" / "B", sim_runs_dir, sim_labels)
    sh(other, "dvc", "repro", "-q")
    assert output_hashes(other) == output_hashes(built)


@pytest.fixture()
def moto(tmp_path: Path) -> Iterator[str]:
    exe = shutil.which("moto_server", path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    need(exe is not None, "moto_server is not installed (pip install 'moto[server]')")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [str(exe), "-p", str(port), "-H", "127.0.0.1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _pull_elsewhere(built: Path, dest: Path, remote: str, env: dict[str, str], *targets: str) -> Path:
    sh(dest.parent, "git", "clone", "-q", str(built), dest.name, env=env)
    sh(dest, "dvc", "pull", "-q", "-r", remote, *targets, env=env)
    return dest


def test_push_pull_local_and_s3(built: Path, tmp_path: Path, moto: str) -> None:
    import boto3

    env = dict(
        _env(), AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1"
    )
    boto3.client(
        "s3",
        endpoint_url=moto,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    ).create_bucket(Bucket="weld-datasets")
    sh(built, "dvc", "remote", "add", "-f", "local", str(tmp_path / "remote"), env=env)
    sh(built, "dvc", "remote", "add", "-f", "s3", "s3://weld-datasets/dvc", env=env)
    sh(built, "dvc", "remote", "modify", "s3", "endpointurl", moto, env=env)
    sh(built, "git", "commit", "-qam", "remotes", env=env)
    want = output_hashes(built)
    # Local remote: everything, raw runs included. S3: what an ML engineer pulls, the built splits.
    for remote, targets in (("local", ()), ("s3", ("dataset",))):
        sh(built, "dvc", "push", "-q", "-r", remote, *targets, env=env)
        clone = _pull_elsewhere(built, tmp_path / f"clone-{remote}", remote, env, *targets)
        got = output_hashes(clone) if not targets else {"dataset": tree_hash(clone / "dataset")}
        assert got == {k: want[k] for k in got}
        assert (
            tree_hash(clone / "card") == want["card"]
            and tree_hash(clone / "metrics.json") == want["metrics.json"]
        )
        if not targets:
            assert tree_hash(clone / "runs") == tree_hash(built / "runs")
        for split in ("train", "val", "test"):
            files = sum(len(f) for _, _, f in os.walk(clone / "dataset" / split))
            assert files <= 300, (split, files)
