"""The same curation from and to object storage, and on a Dask cluster, gives byte-identical outputs."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.conftest import need
from weldctl.cli import app
from weldctl.schema import upload_run

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PARAMS = ("split:\n  fractions: {train: 0.34, val: 0.33, test: 0.33}\n"
          "balance:\n  targets: {lack: 4, partial: 4, full: 4}\naugment:\n  copies: 1\n")
# Every output of the chain: segments, samples, split, balance + weights, augment, dataset, card, metrics.
OUTPUTS = ("segments", "work", "dataset", "card", "metrics.json")
SPLITS = ("train", "val", "test")


def _run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(app, list(args))
    return res.exit_code, " ".join(res.output.split())  # the console wraps long lines


def _ok(*args: str) -> None:
    code, out = _run(*args)
    assert code == 0, out


def _curate(workdir: Path, labels: str, runs: str, stores: list[str], *, out: str = "",
            scheduler: str | None = None, before: Callable[[str], None] = lambda step: None) -> None:
    """segment → samples → split → balance → augment → build → card; outputs under ``out`` (default: workdir)."""
    workdir.mkdir(parents=True)
    (workdir / "params.yaml").write_text(PARAMS)
    o = out.rstrip("/") + "/" if out else ""
    samples, split, bal = f"{o}work/samples", f"{o}work/split.parquet", f"{o}work/balance.parquet"
    aug, weights, dataset = f"{o}work/augment", f"{o}work/class_weights.json", f"{o}dataset"
    sched = ["--scheduler", scheduler] if scheduler else []
    steps: list[tuple[str, list[str]]] = [
        ("segment", ["segment", *stores, "--out", f"{o}segments", *sched]),
        ("samples", ["dataset", "samples", runs, "--segments", f"{o}segments", "--labels", labels, "--out", samples,
                     *sched]),
        ("split", ["dataset", "split", "--samples", samples, "--out", split]),
        ("balance", ["dataset", "balance", "--samples", samples, "--split", split, "--out", bal, "--weights", weights]),
        ("augment", ["dataset", "augment", "--samples", samples, "--balance", bal, "--out", aug]),
        ("build", ["dataset", "build", "--samples", samples, "--split", split, "--balance", bal, "--augmented", aug,
                   "--weights", weights, "--out", dataset, "--metrics", f"{o}metrics.json", *sched]),
        ("card", ["dataset", "card", "--dataset", dataset, "--out", f"{o}card"]),
    ]
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        for name, args in steps:
            before(name)
            _ok(*args)
    finally:
        os.chdir(cwd)


def _local_hashes(workdir: Path) -> dict[str, str]:
    out = {}
    for top in OUTPUTS:
        base = workdir / top
        files = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        assert files, top
        for f in files:
            out[f.relative_to(workdir).as_posix()] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out


def _s3_hashes(server, prefix: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Download every object under ``prefix`` with plain boto3 (not our code) and hash it."""
    s3, out = server.client(), {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=server.bucket, Prefix=f"{prefix}/"):
        for obj in page.get("Contents", []):
            body = s3.get_object(Bucket=server.bucket, Key=obj["Key"])["Body"].read()
            out[obj["Key"][len(prefix) + 1 :]] = hashlib.sha256(body).hexdigest()
    return out


def _use_s3(mp: pytest.MonkeyPatch, server, **overrides: str) -> None:  # type: ignore[no-untyped-def]
    """Point every S3 client at ``server`` through the environment alone, as a user would, with fresh clients."""
    import fsspec

    for k, v in {**server.env, **overrides}.items():
        mp.setenv(k, v)
    fsspec.filesystem("s3").clear_instance_cache()


@pytest.fixture(scope="module")
def local_result(sim_runs_dir: Path, sim_labels: Path,
                 tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    workdir = tmp_path_factory.mktemp("local") / "w"
    stores = sorted(str(p) for p in sim_runs_dir.glob("*.zarr"))
    _curate(workdir, str(sim_labels), str(sim_runs_dir), stores)
    return workdir, _local_hashes(workdir)


@pytest.fixture(scope="module")
def s3_result(s3_server, sim_runs_dir: Path, sim_labels: Path,  # type: ignore[no-untyped-def]
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """Runs, labels and every output on S3; yields (dataset URL, working directory) with the S3 env still set."""
    import fsspec

    with pytest.MonkeyPatch.context() as mp:
        _use_s3(mp, s3_server)
        base = f"s3://{s3_server.bucket}"
        for p in sorted(sim_runs_dir.glob("*.zarr")):
            upload_run(str(p), f"{base}/scale-runs")
        s3_server.client().put_object(Bucket=s3_server.bucket, Key="scale-in/labels.jsonl",
                                      Body=sim_labels.read_bytes())
        workdir = tmp_path_factory.mktemp("s3") / "w"
        # segment expands a glob on S3 itself (the shell cannot), as `dataset samples` lists a URL prefix.
        _curate(workdir, f"{base}/scale-in/labels.jsonl", f"{base}/scale-runs", [f"{base}/scale-runs/R*.zarr"],
                out=f"{base}/scale-out")
        yield f"{base}/scale-out/dataset", workdir
        fsspec.filesystem("s3").clear_instance_cache()


def test_from_and_to_s3_identical_to_local(s3_server, s3_result: tuple[str, Path],  # type: ignore[no-untyped-def]
                                           local_result: tuple[Path, dict[str, str]]) -> None:
    _, workdir = s3_result
    assert _s3_hashes(s3_server, "scale-out") == local_result[1]
    assert sorted(p.name for p in workdir.iterdir()) == ["params.yaml"]  # nothing written locally


def test_reader_from_s3_gives_the_local_samples(s3_result: tuple[str, Path],
                                                local_result: tuple[Path, dict[str, str]]) -> None:
    from weldctl.curation import iter_dataset, replay, torch_dataset

    remote, local = s3_result[0], local_result[0] / "dataset"
    for split in SPLITS:
        got, want = list(iter_dataset(remote, split)), list(iter_dataset(local, split))
        assert [g["sample_id"] for g in got] == [w["sample_id"] for w in want] and want
        for g, w in zip(got, want, strict=True):
            assert {k: v for k, v in g.items() if not isinstance(v, dict | np.ndarray)} == \
                   {k: v for k, v in w.items() if not isinstance(v, dict | np.ndarray)}
            assert np.array_equal(g["signals"], w["signals"])
            assert all(np.array_equal(g["frames"][k], w["frames"][k]) for k in w["frames"])
    synthetic = next(s for s in iter_dataset(local, "train") if s["origin"] == "augment")["sample_id"]
    same, note = replay(remote, synthetic)
    assert same, note
    need(importlib.util.find_spec("torch") is not None, "torch is not installed (pip install 'weldctl[torch]')")
    t_remote, t_local = torch_dataset(remote, "train"), torch_dataset(local, "train")
    assert len(t_remote) == len(t_local) and t_remote.classes == t_local.classes
    for i in range(len(t_local)):
        assert t_remote[i]["label"] == t_local[i]["label"]
        assert bool((t_remote[i]["signals"] == t_local[i]["signals"]).all())


def _bad_output_commands(stores: list[str], inputs: Path, url: str) -> list[list[str]]:
    w = inputs / "work"
    return [
        ["segment", *stores, "--out", f"{url}/segments"],
        ["dataset", "split", "--samples", str(w / "samples"), "--out", f"{url}/split.parquet"],
        ["dataset", "build", "--samples", str(w / "samples"), "--split", str(w / "split.parquet"),
         "--balance", str(w / "balance.parquet"), "--augmented", str(w / "augment"),
         "--weights", str(w / "class_weights.json"), "--out", f"{url}/dataset", "--metrics", "metrics.json"],
        ["dataset", "card", "--dataset", str(inputs / "dataset"), "--out", f"{url}/card"],
    ]


@pytest.mark.parametrize("fault", ["wrong_credentials", "unreachable"])
def test_bad_output_url_is_one_clear_error_and_writes_nothing(  # type: ignore[no-untyped-def]
    fault: str, request, sim_runs_dir: Path, local_result: tuple[Path, dict[str, str]], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import fsspec

    from tests.peers._process import free_port

    srv = request.getfixturevalue("s3_server_with_auth" if fault == "wrong_credentials" else "s3_server")
    if fault == "wrong_credentials":
        _use_s3(monkeypatch, srv, AWS_ACCESS_KEY_ID="AKIANOTAKEY000000000", AWS_SECRET_ACCESS_KEY="not-the-secret")
        hint = "AWS_ACCESS_KEY_ID"
    else:
        _use_s3(monkeypatch, srv, AWS_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}", AWS_MAX_ATTEMPTS="1")
        hint = "unreachable"
    monkeypatch.chdir(tmp_path)
    Path("params.yaml").write_text(PARAMS)
    url = f"s3://{srv.bucket}/bad-{fault}"
    stores = sorted(str(p) for p in sim_runs_dir.glob("*.zarr"))
    try:
        for args in _bad_output_commands(stores, local_result[0], url):
            code, out = _run(*args)
            assert code == 2, (args[:2], out)
            assert out.startswith(f"error: cannot use {url}") and hint in out and "not-the-secret" not in out, out
            assert out.count("→") == 1  # one message, one hint
    finally:
        fsspec.filesystem("s3").clear_instance_cache()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params.yaml"]  # no metrics.json, no partial output


def _kill_busy_worker_during(address: str) -> tuple[Callable[[str], None], list[int], Callable[[], None]]:
    """A ``before`` hook that kills a worker while it runs a segment task and again a build task."""
    from tests.peers.dask_cluster import kill_busy_worker

    killed: list[int] = []
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def before(step: str) -> None:
        if step in ("segment", "build"):
            t = threading.Thread(target=lambda: killed.append(kill_busy_worker(address, stop)), daemon=True)
            t.start()
            threads.append(t)

    def join() -> None:
        stop.set()
        for t in threads:
            t.join()

    return before, killed, join


def test_on_dask_identical_even_when_a_worker_dies(sim_runs_dir: Path, sim_labels: Path,
                                                   local_result: tuple[Path, dict[str, str]], dask_scheduler: str,
                                                   tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stores = sorted(str(p) for p in sim_runs_dir.glob("*.zarr"))
    _curate(tmp_path / "a", str(sim_labels), str(sim_runs_dir), stores, scheduler=dask_scheduler)
    assert _local_hashes(tmp_path / "a") == local_result[1]
    # The same through DASK_SCHEDULER_ADDRESS, with a worker killed mid-task in segment and in build.
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", dask_scheduler)
    before, killed, join = _kill_busy_worker_during(dask_scheduler)
    try:
        _curate(tmp_path / "b", str(sim_labels), str(sim_runs_dir), stores, before=before)
    finally:
        join()
    assert len(killed) == 2 and all(killed), killed
    assert _local_hashes(tmp_path / "b") == local_result[1]


def test_s3_on_dask_identical_to_local(s3_server, s3_result: tuple[str, Path],  # type: ignore[no-untyped-def]
                                       local_result: tuple[Path, dict[str, str]], sim_runs_dir: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Both at once, as a lab runs it: runs on S3, outputs to S3, tasks on Dask workers. Workers get their
    credentials from their own environment, never from the client, so the cluster starts inside the S3 env."""
    import fsspec

    from tests.peers.dask_cluster import local_cluster

    _use_s3(monkeypatch, s3_server)
    base = f"s3://{s3_server.bucket}"
    stores = [f"{base}/scale-runs/{p.name}" for p in sorted(sim_runs_dir.glob("*.zarr"))]  # uploaded by s3_result
    try:
        with local_cluster(2) as address:
            _curate(tmp_path / "w", f"{base}/scale-in/labels.jsonl", f"{base}/scale-runs", stores,
                    out=f"{base}/scale-dask-out", scheduler=address)
    finally:
        fsspec.filesystem("s3").clear_instance_cache()
    assert _s3_hashes(s3_server, "scale-dask-out") == local_result[1]
    assert sorted(p.name for p in (tmp_path / "w").iterdir()) == ["params.yaml"]
