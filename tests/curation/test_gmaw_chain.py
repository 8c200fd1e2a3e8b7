"""The README's GMAW chain, as a new user runs it: `weldctl import` with the shipped mapping, segment, the
dataset stages with the shipped params.yaml, and `dvc repro` of the shipped dvc.yaml; no file edited.

Needs the gmaw-sample data (WELDCTL_GMAW_SAMPLE, or ../shared/datasets/gmaw-sample next to the checkout):
skipped locally without it, a failure under CI=true.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import GMAW_SAMPLE, REPO, need, need_module
from tests.curation.dataset.test_dataset_dvc import sh
from weldctl.curation import tree_hash

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CLASSES = {"00": "good", "02": "burn_through", "06": "overlap", "07": "lack_of_fusion",
           "08": "excessive_convexity", "11": "crater_cracks"}  # the sample's README: the run id's last digits
OUTPUTS = ("segments", "work/samples", "work/split.parquet", "work/balance.parquet", "work/augment",
           "work/class_weights.json", "dataset", "card", "metrics.json")  # not DVC's .gitignore files


def _check_dataset(where: Path) -> None:
    pd = need_module("pandas", "pandas reads the manifest")
    m = pd.read_parquet(where / "dataset" / "manifest.parquet")
    assert set(m["split"]) == {"train", "val", "test"} and m[m["origin"] == "original"]["run_id"].nunique() == 12
    assert (m["quality"] == m["run_id"].str[-2:].map(CLASSES)).all()  # every sample carries its run's class
    for col in ("workpiece", "run_id", "day"):
        assert (m.groupby(col)["split"].nunique() == 1).all(), col
    card = (where / "card" / "DATASET.md").read_text()
    assert "**passed**" in card and "**12 runs**" in card and "## Intended use and limits" in card


def test_readme_chain_and_dvc_repro_on_the_gmaw_sample(tmp_path: Path) -> None:
    need(GMAW_SAMPLE.is_dir(), f"gmaw-sample dataset not found at {GMAW_SAMPLE} (set WELDCTL_GMAW_SAMPLE)")
    # 1. The commands one by one, in a folder holding the shipped params.yaml.
    a = tmp_path / "by-hand"
    a.mkdir()
    shutil.copy(REPO / "params.yaml", a / "params.yaml")
    out = sh(a, "weldctl", "import", str(REPO / "examples" / "import" / "gmaw-sample.yaml"), str(GMAW_SAMPLE),
             "--batch", "--out", "runs", "--labels", "labels.jsonl")
    assert "imported 12 of 12 runs" in out
    sh(a, "weldctl", "segment", *sorted(str(p.relative_to(a)) for p in (a / "runs").glob("*.zarr")),
       "--out", "segments")
    assert "left out video: only in 1 of 12 runs" in sh(a, "weldctl", "dataset", "samples", "runs")
    assert "warning split" in sh(a, "weldctl", "dataset", "split")  # five classes have one or two runs
    for stage in ("channels", "balance", "augment", "build"):
        sh(a, "weldctl", "dataset", stage)
    sh(a, "weldctl", "dataset", "card", "--channels", "work/channels.json")
    _check_dataset(a)
    # 2. The shipped DVC pipeline over the same runs and labels: same bytes.
    b = tmp_path / "dvc"
    b.mkdir()
    shutil.copytree(a / "runs", b / "runs")
    shutil.copy(a / "labels.jsonl", b / "labels.jsonl")
    for f in ("dvc.yaml", "params.yaml"):
        shutil.copy(REPO / f, b / f)
    sh(b, "git", "init", "-q", "-b", "main")
    sh(b, "dvc", "init", "-q")
    sh(b, "dvc", "add", "-q", "runs")
    sh(b, "git", "add", "-A")
    sh(b, "git", "commit", "-qm", "gmaw runs and labels")
    sh(b, "dvc", "repro", "-q")
    _check_dataset(b)
    assert {o: tree_hash(b / o) for o in OUTPUTS} == {o: tree_hash(a / o) for o in OUTPUTS}
