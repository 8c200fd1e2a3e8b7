"""Sim recordings shared by the curation tests (segmentation and datasets)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pytest

from tests.peers.label_studio import label_studio  # noqa: F401  (one server for every module of the session)
from weldctl.schema import WeldPlan


@pytest.fixture(scope="session")
def sim_welds_run(tmp_path_factory: pytest.TempPathFactory) -> str:
    from tests.conftest import complete_rig
    from weldctl.daq import record
    from weldctl.schema import default_sim_rig

    rig = default_sim_rig()
    # A cold (conduction) weld is the faint case for the photodiode; oil gives plume flicker and pores.
    rig.sim.welds = [
        WeldPlan(weld_id=i, condition=c, laser_power_w=p, speed_mm_s=60.0, length_mm=length, gap_mm=0.2)
        for i, (c, p, length) in enumerate(
            [("baseline", 2000.0, 18.0), ("cold_weld", 600.0, 12.0), ("oil_treatment", 2000.0, 24.0)]
        )
    ]
    rig.sim.gap_s = 0.25
    out = tmp_path_factory.mktemp("seg_runs")
    result = record(complete_rig(rig), "RSEG", str(out))
    assert result.ok, result.error
    return result.uri


@pytest.fixture(scope="session")
def sim_welds_segments(tmp_path_factory: pytest.TempPathFactory, sim_welds_run: str) -> Path:
    """The segments folder of ``sim_welds_run`` (read-only for the tests that share it)."""
    from weldctl.curation import SegmentParams, segment_run, segments_path, write_segments
    from weldctl.schema import RunReader

    out = tmp_path_factory.mktemp("seg_welds") / "segments"
    reader = RunReader(sim_welds_run)
    write_segments(segments_path(out, reader.run_id), segment_run(reader, SegmentParams()))
    return out


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
    from weldctl.curation import labels_from_truth, list_runs
    from weldctl.schema import RunReader, write_labels

    path = sim_runs_dir.parent / "labels.jsonl"
    write_labels(path, [rec for r in list_runs(sim_runs_dir) for rec in labels_from_truth(RunReader(str(r)))])
    return path


def copy_runs(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


@pytest.fixture(scope="session")
def gmaw_imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """The 12 gmaw-sample runs imported once with the shipped mapping: (runs, labels file, CLI output)."""
    from typer.testing import CliRunner

    from tests.conftest import GMAW_SAMPLE, need
    from weldctl.cli import app

    need(GMAW_SAMPLE.is_dir(), f"gmaw-sample dataset not found at {GMAW_SAMPLE} (set WELDCTL_GMAW_SAMPLE)")
    out = tmp_path_factory.mktemp("gmaw")
    labels = out / "labels.jsonl"
    mapping = REPO / "examples" / "import" / "gmaw-sample.yaml"
    res = CliRunner().invoke(app, ["import", str(mapping), str(GMAW_SAMPLE), "--batch", "--out", str(out / "runs"),
                                   "--labels", str(labels)])
    assert res.exit_code == 0, res.output
    return out / "runs", labels, res.output


@pytest.fixture(scope="session")
def gmaw_segments(gmaw_imported: tuple[Path, Path, str]) -> Path:
    from weldctl.curation import SegmentParams, segment_run, write_segments
    from weldctl.schema import RunReader

    runs = gmaw_imported[0]
    seg = runs.parent / "segments"
    seg.mkdir(exist_ok=True)
    for store in sorted(runs.glob("*.zarr")):
        r = RunReader(str(store))
        write_segments(seg / f"{r.run_id}.segments.parquet", segment_run(r, SegmentParams()))
    return seg
