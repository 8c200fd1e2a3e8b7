"""Shared fixtures. Under CI=true a test that would skip for a missing peer fails instead."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
REPO = Path(__file__).resolve().parents[1]
GMAW_SAMPLE = Path(os.environ.get("WELDCTL_GMAW_SAMPLE", REPO.parent / "shared" / "datasets" / "gmaw-sample"))


def need(condition: bool, why: str) -> None:
    """Skip locally when a peer is missing; in CI the same gap is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {why}")
    pytest.skip(why)


def need_module(name: str, why: str):  # type: ignore[no-untyped-def]
    """Import ``name``, or skip (locally) / fail (in CI) the whole module that needs it."""
    if importlib.util.find_spec(name) is None:
        if IN_CI:
            pytest.fail(f"required in CI: {why}", pytrace=False)
        pytest.skip(why, allow_module_level=True)
    return importlib.import_module(name)


def complete_rig(rig):  # type: ignore[no-untyped-def]
    """The rig with a writer allowed to fall seconds behind instead of dropping blocks: tests that compare a
    recording with the simulator's truth need every sample, and on a loaded CI machine the sim's own rendering
    can starve the writer (crash safety is tested elsewhere, with the default bound)."""
    rig.recorder.max_at_risk_s = 10.0
    return rig


@pytest.fixture(scope="session")
def sim_run_3s(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One 3 s sim recording shared by read-only tests."""
    from weldctl.daq import record
    from weldctl.schema import default_sim_rig

    out = tmp_path_factory.mktemp("runs")
    result = record(complete_rig(default_sim_rig()), "R3S", str(out), duration_s=3.0)
    assert result.ok, result.error
    return result.uri


@pytest.fixture(scope="session")
def s3_server():  # type: ignore[no-untyped-def]
    """A moto S3 server on 127.0.0.1 with one bucket and real credential checks."""
    need(importlib.util.find_spec("moto") is not None and importlib.util.find_spec("s3fs") is not None,
         "moto[server] and s3fs are needed for object-storage tests: pip install -e '.[scale,dev]'")
    from tests.peers.s3 import moto_s3

    with moto_s3() as server:
        yield server


@pytest.fixture(scope="session")
def s3_server_with_auth():  # type: ignore[no-untyped-def]
    """A second moto server that checks credentials (for wrong-credential tests)."""
    need(importlib.util.find_spec("moto") is not None, "moto[server] is needed: pip install -e '.[dev]'")
    from tests.peers.s3 import moto_s3

    with moto_s3("weld-auth", auth=True) as server:
        yield server


@pytest.fixture
def s3_env(s3_server, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The environment a lab would set for its object storage; s3fs caches are cleared around each test."""
    import fsspec

    for k, v in s3_server.env.items():
        monkeypatch.setenv(k, v)
    fsspec.filesystem("s3").clear_instance_cache()
    yield s3_server
    fsspec.filesystem("s3").clear_instance_cache()


@pytest.fixture(scope="session")
def dask_scheduler():  # type: ignore[no-untyped-def]
    """Address of a LocalCluster with 2 worker processes."""
    need(importlib.util.find_spec("distributed") is not None, "dask.distributed: pip install -e '.[scale]'")
    from tests.peers.dask_cluster import local_cluster

    with local_cluster(2) as address:
        yield address
