"""The grouped, stratified split on synthetic rows: class shares per split follow `fractions`, days are kept
apart by default, a day all samples share is declared rather than failed, and the audit sees a day leak."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest


def _rows(n_runs: int = 120, seed: int = 3) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    classes = rng.choice(["good", "porous", "burn_through"], size=n_runs, p=[0.6, 0.3, 0.1])
    rows = []
    for i, cls in enumerate(classes):
        for k in range(int(rng.integers(1, 4))):  # 1-3 welds per run, each run on its own workpiece
            rows.append({"sample_id": f"R{i:03d}-w{k}", "run_id": f"R{i:03d}", "workpiece": f"W{i:03d}",
                         "day": f"2024-01-{1 + i // 4:02d}", "rig": "r", "weld_key": f"R{i:03d}/{k}",
                         "quality": str(cls)})
    return rows


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_class_shares_per_split_follow_fractions(seed: int) -> None:
    import pandas as pd

    from weldctl.curation import DatasetParams, assign_splits

    params = DatasetParams.model_validate({"split": {"seed": seed}}).split
    rows = _rows()
    split = assign_splits(rows, params)
    df = pd.DataFrame(rows).assign(split=lambda d: d["sample_id"].map(split))
    share = pd.crosstab(df["quality"], df["split"], normalize="index")  # of each class, the share per split
    for cls in share.index:
        for s, f in params.fractions.items():
            assert share.loc[cls, s] == pytest.approx(f, abs=0.1), share
    assert (df.groupby("day")["split"].nunique() == 1).all()  # four runs a day: whole days go together


def test_default_grouping_keeps_days_apart_and_declares_a_shared_one() -> None:
    from weldctl.curation import DatasetParams, assign_splits, leak_audit

    params = DatasetParams().split
    assert params.groups == ["workpiece", "run", "day"] and params.audit == ["workpiece", "run", "day"]
    rows = _rows(30)
    for r in rows:
        r["day"] = "2024-02-02"  # everything recorded the same day
    split = assign_splits(rows, params)  # day cannot separate anything: workpiece and run still do
    assert len(set(split.values())) == 3
    rep = leak_audit([dict(r, split=split[r["sample_id"]], t_start_ns=0, t_end_ns=1, content_hash=r["sample_id"])
                      for r in rows], params.audit)
    assert rep["ok"] and rep["not_separable"][0]["group"] == "day"
    # Two days across splits is a leak the audit reports.
    rows = _rows(12)
    leaky = [dict(r, split="train" if r["run_id"] != "R001" else "test", t_start_ns=0, t_end_ns=1,
                  content_hash=r["sample_id"]) for r in rows]
    rep = leak_audit(leaky, params.audit)
    assert not rep["ok"] and "2024-01-01" in rep["groups"]["day"]["in_several_splits"]


def test_missing_classes_are_listed() -> None:
    from weldctl.curation import missing_classes

    rows = [{"sample_id": "a", "quality": "good"}, {"sample_id": "b", "quality": "overlap"},
            {"sample_id": "c", "quality": "good"}]
    assert missing_classes(rows, {"a": "train", "b": "train", "c": "test"}, ["quality", "penetration"]) == {
        "test": {"quality": ["overlap"]}}
