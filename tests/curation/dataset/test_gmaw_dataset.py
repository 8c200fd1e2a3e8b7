"""The dataset half on the 12 real GMAW runs, with the shipped params.yaml: samples from the streams every run
has, splits grouped by workpiece, run and day, classes a split lacks reported, one class map, and a card
whose numbers are those of the shipped data. Counts are re-derived here with pandas/hashlib."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, need_module

CLASSES = {"00": "good", "02": "burn_through", "06": "overlap", "07": "lack_of_fusion",
           "08": "excessive_convexity", "11": "crater_cracks"}  # from the sample's README, not from our mapping


def _params(**over: Any):  # type: ignore[no-untyped-def]
    from weldctl.curation import DatasetParams, load_params

    p = load_params(REPO / "params.yaml").model_dump()
    for section, values in over.items():
        p[section].update(values)
    return DatasetParams.model_validate(p)


def _chain(runs: Path, seg: Path, labels: Path, out: Path, params: Any) -> dict[str, Path]:
    from weldctl.curation import build_samples, run_augment, run_balance, run_build, run_split, write_card

    d = {k: out / v for k, v in {"samples": "samples", "split": "split.parquet", "balance": "balance.parquet",
                                 "weights": "weights.json", "augment": "augment", "dataset": "dataset",
                                 "metrics": "metrics.json", "card": "card", "params": "params.yaml"}.items()}
    out.mkdir(parents=True, exist_ok=True)
    d["params"].write_text(json.dumps(params.model_dump()))  # JSON is YAML
    build_samples(runs, seg, labels, params.samples, d["samples"])
    run_split(d["samples"], params, d["split"])
    run_balance(d["samples"], d["split"], params, d["balance"], d["weights"])
    run_augment(d["samples"], d["balance"], params, d["augment"])
    run_build(d["samples"], d["split"], d["balance"], d["augment"], d["weights"], params, d["dataset"], d["metrics"])
    write_card(d["dataset"], d["card"], d["params"])
    return d


@pytest.fixture(scope="module")
def gmaw_dataset(gmaw_imported: tuple[Path, Path, str], gmaw_segments: Path,
                 tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    runs, labels, _ = gmaw_imported
    return _chain(runs, gmaw_segments, labels, tmp_path_factory.mktemp("gmaw-ds"), _params())


def test_samples_use_the_streams_every_run_has(gmaw_dataset: dict[str, Path]) -> None:
    from weldctl.curation import SampleSet

    s = SampleSet(gmaw_dataset["samples"])
    assert len(s) == 12 and s.layout.images == {}  # the one video is left out, and said so
    assert json.loads(json.dumps(s.group.attrs["dropped_streams"])) == {"video": ["03-22-23-0001-06"]}
    assert "audio.mic" in s.layout.channels and "process.current" in s.layout.channels
    for r in s.rows:  # every sample carries its run's class
        assert r["quality"] == CLASSES[r["run_id"][-2:]] and r["label_source"] == "import"
    assert "Left out: `video` (only in 1 run(s): 03-22-23-0001-06)" in (gmaw_dataset["card"] / "DATASET.md").read_text()


def test_a_stream_some_runs_lack_is_refused_and_nothing_is_left(gmaw_imported: tuple[Path, Path, str],
                                                                 gmaw_segments: Path, tmp_path: Path) -> None:
    from weldctl.curation import DatasetError, build_samples

    runs, labels, _ = gmaw_imported
    with pytest.raises(DatasetError, match=r"image stream 'video' is not in run\(s\) .* \(11 of 12\)"):
        build_samples(runs, gmaw_segments, labels, _params(samples={"images": ["video"]}).samples, tmp_path / "a")
    assert not (tmp_path / "a").exists() or not any((tmp_path / "a").iterdir())
    # A failure after some runs' samples were written: the half-written arrays go too.
    seg = tmp_path / "seg"
    shutil.copytree(gmaw_segments, seg)
    last = sorted(seg.glob("*.parquet"))[-1]
    last.unlink()
    with pytest.raises(DatasetError, match="no segments for run"):
        build_samples(runs, seg, labels, _params().samples, tmp_path / "b")
    assert not (tmp_path / "b" / "arrays.zarr").exists() and not (tmp_path / "b" / "samples.parquet").exists()


def test_no_workpiece_run_or_day_in_two_splits(gmaw_dataset: dict[str, Path]) -> None:
    pd = need_module("pandas", "pandas reads the manifest")
    m = pd.read_parquet(gmaw_dataset["dataset"] / "manifest.parquet")
    for col in ("workpiece", "run_id", "day"):
        spread = m.groupby(col)["split"].nunique()
        assert (spread == 1).all(), spread[spread > 1]
    # Two runs of different classes were welded on 2022-12-25: grouping by day keeps them together.
    same_day = m[m["day"] == "2022-12-25"]
    assert same_day["run_id"].nunique() == 2 and same_day["split"].nunique() == 1
    assert (m["quality"] == m["run_id"].str[-2:].map(CLASSES)).all()
    assert json.loads((gmaw_dataset["dataset"] / "audit.json").read_text())["ok"]


def test_missing_classes_are_reported_and_fail_the_build_when_asked(gmaw_dataset: dict[str, Path],
                                                                    tmp_path: Path) -> None:
    from weldctl.curation import DatasetError, run_build

    metrics = json.loads((gmaw_dataset["dataset"] / "counts.json").read_text())
    missing = metrics["missing_classes"]
    # Five classes have one or two runs: test and val cannot hold all six. Re-derived from the manifest.
    pd = need_module("pandas", "pandas reads the manifest")
    m = pd.read_parquet(gmaw_dataset["dataset"] / "manifest.parquet")
    every = set(m["quality"])
    expect = {s: sorted(every - set(g["quality"])) for s, g in m.groupby("split") if every - set(g["quality"])}
    assert {s: v["quality"] for s, v in missing.items()} == expect and expect
    card = (gmaw_dataset["card"] / "DATASET.md").read_text()
    for s, classes in expect.items():
        assert f"**Warning:** split `{s}` has no sample of quality {', '.join(classes)}" in card
    d = gmaw_dataset
    with pytest.raises(DatasetError, match=r"split (test|val) has no sample of quality"):
        run_build(d["samples"], d["split"], d["balance"], d["augment"], d["weights"],
                  _params(split={"missing_classes": "fail"}), tmp_path / "ds", tmp_path / "m.json")
    assert not (tmp_path / "ds" / "manifest.parquet").exists()


def test_one_class_map_for_every_split(gmaw_dataset: dict[str, Path]) -> None:
    need_module("torch", "the PyTorch loader needs torch (pip install 'weldctl[torch]')")
    from weldctl.curation import class_map, torch_dataset

    label, classes = class_map(gmaw_dataset["dataset"])
    assert label == "quality" and classes == sorted(CLASSES.values())
    by_split = {s: torch_dataset(gmaw_dataset["dataset"], s) for s in ("train", "val", "test")}
    for ds in by_split.values():
        assert ds.classes == classes and ds.label == "quality"
        for i in range(len(ds)):
            sid = ds[i]["sample_id"]
            assert classes[ds[i]["label"]] == CLASSES[sid.split("-w")[0][-2:]]


def test_card_numbers_are_those_of_the_shipped_data(gmaw_dataset: dict[str, Path]) -> None:
    pd = need_module("pandas", "pandas reads the manifest")
    d = gmaw_dataset
    m = pd.read_parquet(d["dataset"] / "manifest.parquet")
    card = (d["card"] / "DATASET.md").read_text()
    # Samples per split and per class, as shipped (after over-sampling and augmentation).
    table = card.split("### quality")[1].split("\n\n")[1].splitlines()
    header = [c.strip() for c in table[0].strip("|").split("|")]
    for line in table[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        shipped = m[m["split"] == cells[0]]["quality"].value_counts()
        assert {h: int(v) for h, v in zip(header[1:], cells[1:], strict=True)} == \
            {h: int(shipped.get(h, 0)) for h in header[1:]}
    # Class weights: N / (K n_c) of the train split as shipped.
    train = m[m["split"] == "train"]["quality"].value_counts()
    weights = json.loads((d["dataset"] / "class_weights.json").read_text())["class_weights"]["quality"]
    for cls, n in train.items():
        assert weights[cls] == pytest.approx(train.sum() / (len(train) * n), rel=1e-5)
    assert (m["origin"] != "original").any()  # augmentation happened, so this differs from the balance counts
    # What the data is, what it is for, how to load it, what it was made from.
    assert "**12 runs** (12 imported from another system), **12 workpieces** and **11 days**" in card
    for section in ("## Intended use and limits", "## How to load it", "class_map(", "## Inputs"):
        assert section in card
    assert "![quality_by_quality]" not in card and "class_by_condition" not in card


def test_card_input_hashes_match_the_runs(gmaw_dataset: dict[str, Path],
                                          gmaw_imported: tuple[Path, Path, str]) -> None:
    runs, labels, _ = gmaw_imported
    card = (gmaw_dataset["card"] / "DATASET.md").read_text()
    for store in sorted(runs.glob("*.zarr")):
        digest = hashlib.sha256((store / "integrity" / "zarr.json").read_bytes()).hexdigest()
        assert re.search(rf"\| {store.stem} \| `{digest}` \|", card), store.stem
    assert hashlib.sha256(labels.read_bytes()).hexdigest() in card


def test_attachments_only_when_asked_and_the_card_warns(gmaw_imported: tuple[Path, Path, str],
                                                        gmaw_segments: Path, gmaw_dataset: dict[str, Path],
                                                        tmp_path: Path) -> None:
    from weldctl.curation import SampleSet

    assert "shows the finished part" not in (gmaw_dataset["card"] / "DATASET.md").read_text()
    runs, labels, _ = gmaw_imported
    d = _chain(runs, gmaw_segments, labels, tmp_path, _params(samples={"attachments": {"stills": [100, 45]}}))
    s = SampleSet(d["samples"])
    assert s.layout.images == {"attachments.stills": ((45, 100), "uint8")}
    a = s.arrays(s.rows[0]["sample_id"])
    assert a.frames["attachments.stills"].shape == (5, 45, 100)
    assert (a.frames_t["attachments.stills"] > 0).all()  # photographed after the run started (hours later)
    card = (d["card"] / "DATASET.md").read_text()
    assert "**Warning: `attachments.stills` shows the finished part, photographed after the weld.**" in card
