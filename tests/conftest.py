"""Shared fixtures. Under CI=true a test that would skip for a missing peer fails instead."""

from __future__ import annotations

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


@pytest.fixture(scope="session")
def sim_run_3s(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One 3 s sim recording shared by read-only tests."""
    from weldctl.daq import record
    from weldctl.schema import default_sim_rig

    out = tmp_path_factory.mktemp("runs")
    result = record(default_sim_rig(), "R3S", str(out), duration_s=3.0)
    assert result.ok, result.error
    return result.uri
