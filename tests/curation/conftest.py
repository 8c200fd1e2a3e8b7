"""Sim runs shared by the dataset tests: a few short runs with varied conditions and small cameras."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]

N_RUNS = 6  # three workpieces, two runs each: enough groups for a three-way split


def sim_runs_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sim_runs", REPO / "scripts" / "sim_runs.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def sim_runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim-runs") / "runs"
    sim_runs_module().record_sim_runs(out, N_RUNS)
    return out


@pytest.fixture(scope="session")
def sim_labels(sim_runs_dir: Path) -> Path:
    from weldctl.curation import labels_from_truth, list_runs, write_labels
    from weldctl.schema import RunReader

    path = sim_runs_dir.parent / "labels.jsonl"
    write_labels([rec for r in list_runs(sim_runs_dir) for rec in labels_from_truth(RunReader(str(r)))], path)
    return path


def copy_runs(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst
