"""`weldctl label from-truth` and `weldctl dataset …`: the DVC stage commands, their errors and exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from weldctl.cli import app
from weldctl.curation.dataset import read_rows, write_rows


def _ok(*args: str) -> str:
    res = CliRunner().invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res.output


@pytest.fixture()
def workdir(tmp_path: Path, sim_runs_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    shutil.copytree(sim_runs_dir, tmp_path / "runs")
    Path("params.yaml").write_text(
        "split:\n  fractions: {train: 0.34, val: 0.33, test: 0.33}\n"
        "balance:\n  targets: {lack: 4, partial: 4, full: 4}\naugment:\n  copies: 0\n"
    )
    return tmp_path


def test_stage_commands_build_a_dataset_and_refuse_a_leak(workdir: Path, sim_labels: Path) -> None:
    _ok("label", "from-truth", "runs", "--out", "labels.jsonl")
    assert Path("labels.jsonl").read_text() == sim_labels.read_text()  # same runs, same bytes
    recs = [json.loads(line) for line in Path("labels.jsonl").read_text().splitlines()]
    assert len(recs) == 18 and {r["annotator"] for r in recs} == {"sim-truth"}
    _ok("segment", *sorted(str(p) for p in Path("runs").glob("*.zarr")), "--out", "segments")
    _ok("dataset", "samples", "runs")
    # the spectra ride along in every sample: one channel per wavelength band of the spectrometer
    from weldctl.curation import SampleSet

    s = SampleSet("work/samples")
    bands = [c for c in s.layout.channels if c.startswith("spectrometer.nm")]
    assert len(bands) == 32 and s.arrays_of(s.rows[0]).signals[:, s.layout.channels.index(bands[0])].any()
    _ok("dataset", "split")
    out = _ok("dataset", "channels")
    chosen = json.loads(Path("work/channels.json").read_text())
    assert chosen["label"] == "condition" and len(chosen["selected"]) == 8
    assert {c["channel"] for c in chosen["selected"]} <= set(bands) and chosen["selected"][0]["channel"] in out
    _ok("dataset", "balance")
    after = json.loads(Path("work/class_weights.json").read_text())["balance"]["after"]
    assert after == {"full": 4, "lack": 4, "partial": 4}
    _ok("dataset", "augment")
    _ok("dataset", "build")
    assert json.loads(Path("metrics.json").read_text())["train"] == 12  # flat: `dvc metrics show` prints one row
    assert json.loads(Path("dataset/counts.json").read_text())["splits"]["train"]["samples"] == 12
    synthetic = next(r for r in read_rows("dataset/manifest.parquet") if r["origin"] == "oversample")
    assert "identical" in _ok("dataset", "replay", synthetic["sample_id"])
    _ok("dataset", "card", "--channels", "work/channels.json")
    card = Path("card/DATASET.md").read_text()
    assert "## Selected channels" in card and f"`{chosen['selected'][0]['channel']}`" in card

    split = read_rows("work/split.parquet")
    samples = {r["sample_id"]: r for r in read_rows("work/samples/samples.parquet")}
    test_run = next(samples[s["sample_id"]]["run_id"] for s in split if s["split"] == "test")
    for s in split:  # plant a leak: one weld of a test run goes to train
        if samples[s["sample_id"]]["run_id"] == test_run:
            s["split"] = "train"
            break
    write_rows(split, "work/split.parquet")
    res = CliRunner().invoke(app, ["dataset", "build", "--out", "leaky"])
    assert res.exit_code == 2
    msg = " ".join(res.output.split())  # the console wraps long lines
    assert "leak audit failed" in msg and f"run '{test_run}' in test+train" in msg
    assert not Path("leaky/manifest.parquet").exists()


def test_errors_are_one_line_with_a_hint(workdir: Path, sim_labels: Path) -> None:
    Path("params.yaml").write_text("split:\n  fractions: {train: 0.5, val: 0.5}\n  groups: [rig]\n")
    shutil.copy(sim_labels, "labels.jsonl")
    _ok("segment", *sorted(str(p) for p in Path("runs").glob("*.zarr")))
    _ok("dataset", "samples", "runs")
    res = CliRunner().invoke(app, ["dataset", "split"])
    assert (
        res.exit_code == 2
        and "cannot make 2 splits (train, val) from 1 independent group(s) of rig" in res.output
    )
    Path("params.yaml").write_text("split:\n  groups: [operator]\n")
    res = CliRunner().invoke(app, ["dataset", "split"])
    assert res.exit_code == 2 and "unknown group(s) ['operator']" in " ".join(res.output.split())
    res = CliRunner().invoke(app, ["dataset", "replay", "nope", "--dataset", "missing"])
    assert res.exit_code == 2 and "no table at missing/manifest.parquet" in " ".join(res.output.split())
