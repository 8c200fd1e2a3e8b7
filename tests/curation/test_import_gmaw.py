"""Every gmaw-sample run imports with the shipped mapping into a valid, time-aligned run store."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.conftest import GMAW_SAMPLE, REPO, need
from weldctl.curation import SegmentParams, segment_run

MAPPING = REPO / "examples" / "import" / "gmaw-sample.yaml"
CLASSES = {
    "00": "good",
    "02": "burn_through",
    "06": "overlap",
    "07": "lack_of_fusion",
    "08": "excessive_convexity",
    "11": "crater_cracks",
}


def _run_folders() -> list[Path]:
    return sorted(p.parent for p in GMAW_SAMPLE.glob("*/*/*/*.csv"))


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    need(GMAW_SAMPLE.is_dir(), f"gmaw-sample dataset not found at {GMAW_SAMPLE}")
    from weldctl.cli import app

    out = tmp_path_factory.mktemp("imported")
    labels = out / "labels" / "import.jsonl"
    res = CliRunner().invoke(
        app,
        [
            "import",
            str(MAPPING),
            str(GMAW_SAMPLE),
            "--batch",
            "--out",
            str(out / "runs"),
            "--labels",
            str(labels),
        ],
    )
    assert res.exit_code == 0, res.output
    return out / "runs", labels, res.output


def test_all_runs_import_into_verified_stores(imported: tuple[Path, Path, str]) -> None:
    from weldctl.schema import RunReader, verify_checksums

    runs, _, output = imported
    folders = _run_folders()
    assert len(folders) == 12
    assert f"imported {len(folders)} of {len(folders)} runs" in output
    stores = sorted(runs.glob("*.zarr"))
    assert [s.stem for s in stores] == sorted(f.name for f in folders)
    assert not [p for p in runs.iterdir() if p.name.startswith(".")], "temporary import folders left behind"
    for store in stores:
        r = RunReader(store)
        assert r.manifest.status == "imported"
        assert r.manifest.process == "arc"
        assert verify_checksums(str(store)).ok
        assert {"process", "audio", "stills"} <= set(r.specs)


def test_streams_are_on_one_time_base(imported: tuple[Path, Path, str]) -> None:
    import soundfile as sf

    from weldctl.schema import RunReader

    runs, _, _ = imported
    for folder in _run_folders():
        r = RunReader(runs / f"{folder.name}.zarr")
        # Process logger: the CSV's own wall-clock times, run time 0 at its first row.
        rows = (folder / f"{folder.name}.csv").read_text().splitlines()[1:]
        wall = [datetime.strptime(" ".join(x.split(",")[:2]), "%m/%d/%Y %H:%M:%S.%f") for x in rows]
        expect = np.array([(w - wall[0]).total_seconds() * 1e9 for w in wall])
        np.testing.assert_allclose(r.t_ns("process"), expect, atol=1e3)
        assert r.manifest.start_utc.replace(tzinfo=None) == wall[0]
        current = r.data("process")[:, r.specs["process"].channel_index("current")]
        assert 150 < float(np.max(current)) < 400
        assert r.specs["process"].calibration["current"].units == "A"
        # Audio: 16 kHz from the logger's start, as long as the file says.
        info = sf.info(folder / f"{folder.name}.flac")
        assert r.specs["audio"].nominal_rate_hz == 16000
        assert r.length("audio") == info.frames
        pcm, _ = sf.read(folder / f"{folder.name}.flac", dtype="int16")
        np.testing.assert_array_equal(np.asarray(r.data("audio")[:, 0]), pcm)  # lossless
        ta = r.t_ns("audio")
        assert ta[0] == 0 and abs(ta[-1] / 1e9 - (info.frames - 1) / 16000) < 1e-6
        # Stills: spacing of the capture times in the file names, placed at the logger's start.
        names = sorted(p.name for p in (folder / "images").glob("*.jpg"))
        stamps = [
            datetime.strptime(re.search(r"(\d{8}_\d{6}_\d{3})", n)[1], "%Y%m%d_%H%M%S_%f") for n in names
        ]
        spacing = np.array([(s - stamps[0]).total_seconds() * 1e9 for s in stamps])
        np.testing.assert_allclose(r.t_ns("stills"), spacing, atol=1e3)
        assert r.data("stills").shape == (len(names), 225, 500)
        assert r.clock("stills")["align"] == "start_at process:start+0s"


def test_the_one_video_imports_with_frame_times(imported: tuple[Path, Path, str]) -> None:
    from weldctl.schema import RunReader

    runs, _, _ = imported
    with_video = [p for p in runs.glob("*.zarr") if "video" in RunReader(p).specs]
    assert [p.stem for p in with_video] == ["03-22-23-0001-06"]
    r = RunReader(with_video[0])
    assert r.data("video").shape == (669, 300, 480)
    t = r.t_ns("video")
    assert t[0] == 0
    np.testing.assert_allclose(np.diff(t), 1e9 / 31, rtol=1e-3)
    assert float(np.asarray(r.data("video")[300]).std()) > 1.0  # real picture, not a blank frame


def test_labels_come_from_the_run_id(imported: tuple[Path, Path, str]) -> None:
    _, labels, _ = imported
    records = [json.loads(x) for x in labels.read_text().splitlines()]
    assert len(records) == 12
    for rec in records:
        assert rec["source"] == "import" and rec["weld_id"] == 0 and rec["annotator"] == "import"
        assert rec["labels"]["condition"] == CLASSES[rec["run_id"][-2:]]
        assert set(rec) >= {
            "run_id",
            "weld_id",
            "annotator",
            "labels",
            "pore_regions",
            "created_at",
            "updated_at",
            "source",
        }
    assert sum(r["labels"]["condition"] == "good" for r in records) == 6


def test_segmentation_finds_one_weld_per_run(imported: tuple[Path, Path, str]) -> None:
    from weldctl.schema import RunReader

    runs, _, _ = imported
    for store in sorted(runs.glob("*.zarr")):
        r = RunReader(store)
        seg = segment_run(r, SegmentParams())
        assert seg["source"].tolist() == ["arc_current"], (r.run_id, seg)
        start, end = int(seg["t_start_ns"].iloc[0]), int(seg["t_end_ns"].iloc[0])
        assert 3e9 < start < 10e9 and end - start > 8e9, (r.run_id, start, end)
