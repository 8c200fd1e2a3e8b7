"""Dataset stages through the Python API on sim runs: samples, grouped split, balance, augment, replay."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import need
from weldctl.curation import (
    DatasetError,
    DatasetParams,
    LeakError,
    SampleSet,
    SegmentParams,
    SplitError,
    assign_splits,
    build_samples,
    iter_dataset,
    leak_audit,
    replay,
    run_augment,
    run_balance,
    run_build,
    run_split,
    segment_run,
    torch_dataset,
    write_segments,
)
from weldctl.curation.dataset import read_rows, write_rows
from weldctl.schema import RunReader


def _params(**over: dict) -> DatasetParams:
    base = {
        "split": {"fractions": {"train": 0.34, "val": 0.33, "test": 0.33}},
        "balance": {"by": "penetration", "targets": {"lack": 5, "partial": 5, "full": 4}},
        "augment": {"copies": 1, "image": {"vflip": 0.5}},
    }
    base.update(over)
    return DatasetParams.model_validate(base)


@pytest.fixture(scope="module")
def stages(tmp_path_factory: pytest.TempPathFactory, sim_runs_dir: Path, sim_labels: Path) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("stages")
    seg = d / "segments"
    seg.mkdir()
    for run in sorted(sim_runs_dir.glob("*.zarr")):
        r = RunReader(str(run))
        write_segments(seg / f"{r.run_id}.segments.parquet", segment_run(r, SegmentParams()))
    p = _params()
    paths = {
        k: d / v
        for k, v in {
            "samples": "samples",
            "split": "split.parquet",
            "balance": "balance.parquet",
            "weights": "weights.json",
            "augment": "augment",
            "dataset": "dataset",
            "metrics": "metrics.json",
        }.items()
    }
    build_samples(sim_runs_dir, seg, sim_labels, p.samples, paths["samples"])
    run_split(paths["samples"], p, paths["split"])
    run_balance(paths["samples"], paths["split"], p, paths["balance"], paths["weights"])
    run_augment(paths["samples"], paths["balance"], p, paths["augment"])
    run_build(
        paths["samples"],
        paths["split"],
        paths["balance"],
        paths["augment"],
        paths["weights"],
        p,
        paths["dataset"],
        paths["metrics"],
    )
    return paths


def test_samples_carry_context_and_aligned_arrays(stages: dict[str, Path], sim_runs_dir: Path) -> None:
    s = SampleSet(stages["samples"])
    assert len(s) == 18  # 6 runs x 3 welds, all labelled by truth
    row = s.by_id["R0000-w000"]
    truth = RunReader(str(sim_runs_dir / "R0000.zarr")).truth("welds")
    # Segments come from the recorded laser-on line (`weldctl segment`): within a DAQ sample or two of truth.
    assert abs(row["t_start_ns"] - int(truth["t_start_ns"][0])) < 500_000
    assert abs(row["t_end_ns"] - int(truth["t_end_ns"][0])) < 500_000
    assert row["workpiece"] == "WP-000" and row["rig"] == "sim-small" and len(row["day"]) == 10
    assert row["condition"] == str(truth["condition"][0]) and row["penetration"] == str(
        truth["penetration"][0]
    )
    a = s.arrays("R0000-w000")
    dur_s = (row["t_end_ns"] - row["t_start_ns"]) / 1e9
    assert a.signals.shape == (int(dur_s * 1000), len(s.layout.channels))
    # Frames are exactly the camera frames recorded inside the weld, with times relative to its start.
    cam_t = RunReader(str(sim_runs_dir / "R0000.zarr")).t_ns("camera")
    inside = ((cam_t >= row["t_start_ns"]) & (cam_t < row["t_end_ns"])).sum()
    assert a.frames["camera"].shape == (inside, 32, 32) and a.frames_t["camera"].min() >= 0
    # The laser-on line is high through the weld, so the resampled channel is too.
    assert a.signals[5:-5, s.layout.channels.index("daq.laser_on")].min() > 0.5


def test_split_is_grouped_and_audited(stages: dict[str, Path]) -> None:
    rows = SampleSet(stages["samples"]).rows
    split = {r["sample_id"]: r["split"] for r in read_rows(stages["split"])}
    assert set(split.values()) == {"train", "val", "test"}
    for col in ("workpiece", "run_id"):
        owners: dict[str, set[str]] = {}
        for r in rows:
            owners.setdefault(r[col], set()).add(split[r["sample_id"]])
        assert all(len(v) == 1 for v in owners.values()), owners
    assert json.loads((stages["dataset"] / "audit.json").read_text())["ok"]


def test_impossible_split_is_a_clear_error(stages: dict[str, Path]) -> None:
    rows = SampleSet(stages["samples"]).rows
    p = _params(split={"fractions": {"train": 0.5, "val": 0.5}, "groups": ["day"]})
    with pytest.raises(SplitError, match=r"cannot make 2 splits .* from 1 independent group"):
        assign_splits(rows, p.split)


def test_balance_hits_targets_and_replay_rebuilds_every_synthetic_sample(stages: dict[str, Path]) -> None:
    bal = read_rows(stages["balance"])
    samples = SampleSet(stages["samples"])
    counts: dict[str, int] = {}
    for b in bal:
        cls = samples.by_id[b["parent_id"] or b["sample_id"]]["penetration"]
        counts[cls] = counts.get(cls, 0) + 1
    assert counts == {"lack": 5, "partial": 5, "full": 4}
    weights = json.loads(stages["weights"].read_text())
    assert weights["balance"]["after"] == counts and set(weights["class_weights"]["penetration"]) == set(
        counts
    )
    manifest = read_rows(stages["dataset"] / "manifest.parquet")
    synthetic = [r for r in manifest if r["origin"] != "original"]
    assert {r["origin"] for r in synthetic} == {"oversample", "augment"}
    for r in synthetic:
        parent = next(m for m in manifest if m["sample_id"] == r["parent_id"])
        # A synthetic sample inherits its parent's groups and labels, and says how it was made.
        assert (r["workpiece"], r["run_id"], r["split"], r["penetration"]) == (
            parent["workpiece"],
            parent["run_id"],
            parent["split"],
            parent["penetration"],
        )
        assert r["transform"] and r["seed"] >= 0 and "numpy=" in r["lib_version"]
        same, note = replay(stages["dataset"], r["sample_id"])
        assert same, note
        assert r["content_hash"] != parent["content_hash"]


def test_replay_detects_a_changed_sample(stages: dict[str, Path], tmp_path: Path) -> None:
    import shutil

    ds = tmp_path / "ds"
    shutil.copytree(stages["dataset"], ds)
    rows = read_rows(ds / "manifest.parquet")
    victim = next(r for r in rows if r["origin"] == "augment")
    victim["seed"] += 1  # the record no longer matches what was stored
    write_rows(rows, ds / "manifest.parquet")
    same, _ = replay(ds, victim["sample_id"])
    assert not same


def test_planted_leak_fails_the_build(stages: dict[str, Path], tmp_path: Path) -> None:
    rows = SampleSet(stages["samples"]).rows
    split = read_rows(stages["split"])
    by_id = {r["sample_id"]: r for r in rows}
    train_wp = next(by_id[s["sample_id"]]["workpiece"] for s in split if s["split"] == "train")
    # Move one weld of a train workpiece into test: the same workpiece is now on both sides.
    victim = next(
        s for s in split if s["split"] == "train" and by_id[s["sample_id"]]["workpiece"] == train_wp
    )
    victim["split"] = "test"
    leaky = tmp_path / "split.parquet"
    write_rows(split, leaky)
    p = _params()
    with pytest.raises(LeakError, match=f"workpiece '{train_wp}' in test\\+train"):
        run_build(
            stages["samples"],
            leaky,
            stages["balance"],
            stages["augment"],
            stages["weights"],
            p,
            tmp_path / "dataset",
            tmp_path / "metrics.json",
        )
    assert not (tmp_path / "dataset" / "manifest.parquet").exists()


def test_audit_finds_overlapping_windows_and_duplicate_content() -> None:
    base = {"workpiece": "A", "run_id": "R1", "content_hash": "h1"}
    rows = [
        dict(base, sample_id="a", split="train", t_start_ns=0, t_end_ns=100),
        dict(base, sample_id="b", split="test", t_start_ns=50, t_end_ns=150, workpiece="B", run_id="R1"),
        dict(base, sample_id="c", split="val", t_start_ns=0, t_end_ns=10, workpiece="C", run_id="R2"),
    ]
    rep = leak_audit(rows, ["workpiece"])
    assert not rep["ok"]
    assert rep["time_overlaps"] == [["R1", "a", "train", "b", "test"]]
    assert rep["duplicate_content"] == [["a", ["test", "train", "val"]]]
    assert rep["groups"]["workpiece"]["in_several_splits"] == {}


def test_iterator_reads_a_split(stages: dict[str, Path]) -> None:
    items = list(iter_dataset(stages["dataset"], "test"))
    metrics = json.loads(stages["metrics"].read_text())
    assert len(items) == metrics["test"] > 0  # flat metrics: samples per split
    it = items[0]
    assert it["signals"].dtype == np.float32 and it["signals"].ndim == 2
    assert set(it["frames"]) == {"camera", "ir"} and it["frames"]["camera"].dtype == np.uint8
    assert it["frames"]["camera"].shape[0] == len(it["frames_t_ns"]["camera"])
    with pytest.raises(DatasetError, match="no split 'holdout'"):
        iter_dataset(stages["dataset"], "holdout").__next__()


def test_torch_dataset(stages: dict[str, Path]) -> None:
    try:
        import torch
    except ModuleNotFoundError:
        need(False, "torch is not installed (pip install 'weldctl[torch]')")
    ds = torch_dataset(stages["dataset"], "train", label="penetration")
    item = ds[0]
    assert item["signals"].ndim == 2 and item["label"] in range(len(ds.classes))
    assert ds.classes == ["full", "lack", "partial"]
    assert ds.label == "penetration" and torch_dataset(stages["dataset"], "val").label == "penetration"  # resolved
    from torch.utils.data import DataLoader

    # Welds differ in length, so batches of whole welds are of one sample each (windows batch normally).
    batch = next(iter(DataLoader(ds, batch_size=None, shuffle=False)))
    assert batch["frames"]["camera"].dtype == torch.uint8 and batch["sample_id"] == item["sample_id"]


def test_window_mode_cuts_fixed_windows_with_local_porosity(
    stages: dict[str, Path], sim_runs_dir: Path, sim_labels: Path, tmp_path: Path
) -> None:
    p = _params(samples={"mode": "window", "window_s": 0.05, "step_s": 0.025, "signal_rate_hz": 2000})
    build_samples(
        sim_runs_dir, stages["samples"].parent / "segments", sim_labels, p.samples, tmp_path / "win"
    )
    s = SampleSet(tmp_path / "win")
    weld = SampleSet(stages["samples"]).by_id["R0000-w000"]
    wins = [r for r in s.rows if r["weld_key"] == "R0000/0"]
    assert [r["sample_id"] for r in wins[:2]] == ["R0000-w000-0000", "R0000-w000-0001"]
    assert len(wins) == int(((weld["t_end_ns"] - weld["t_start_ns"]) / 1e9 - 0.05) / 0.025 + 1e-9) + 1
    assert all(r["t_end_ns"] - r["t_start_ns"] == 50_000_000 for r in wins)
    assert all(s.arrays_of(r).signals.shape[0] == 100 for r in wins)
    # A porous weld has windows with and without a pore; a pore-free weld has none with.
    porous = {r["weld_key"] for r in SampleSet(stages["samples"]).rows if r["porosity"] == "present"}
    assert porous, "the sim runs should contain porous welds"
    per_weld = {k: {r["porosity"] for r in s.rows if r["weld_key"] == k} for k in porous}
    assert any(v == {"none", "present"} for v in per_weld.values()), per_weld
    clean = [r for r in s.rows if r["weld_key"] not in porous]
    assert clean and all(r["porosity"] == "none" for r in clean)
