"""Every gmaw-sample run imports with the shipped mapping into a valid, time-aligned run store."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.conftest import GMAW_SAMPLE, REPO
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
def imported(gmaw_imported: tuple[Path, Path, str]) -> tuple[Path, Path, str]:
    return gmaw_imported


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
        assert {"process", "audio"} <= set(r.specs) and "stills" not in r.specs


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
        # Audio: the file's own 16 kHz spacing, shifted by the measured arc-onset offset (stored with it).
        ta = r.t_ns("audio")
        clock = r.clock("audio")
        assert clock["alignment"] == "event_aligned" and ta[0] == clock["event_offset_ns"]
        assert abs((ta[-1] - ta[0]) / 1e9 - (info.frames - 1) / 16000) < 1e-6
        assert 0 < clock["uncertainty_ns"] < 0.1e9 and clock["event_reference"] == "process.current"


def test_the_one_video_imports_with_frame_times(imported: tuple[Path, Path, str]) -> None:
    from weldctl.schema import RunReader

    runs, _, _ = imported
    with_video = [p for p in runs.glob("*.zarr") if "video" in RunReader(p).specs]
    assert [p.stem for p in with_video] == ["03-22-23-0001-06"]
    r = RunReader(with_video[0])
    assert r.data("video").shape == (669, 300, 480)
    t = r.t_ns("video")
    clock = r.clock("video")
    assert clock["alignment"] == "event_aligned" and t[0] == clock["event_offset_ns"]
    np.testing.assert_allclose(np.diff(t), 1e9 / 31, rtol=1e-3)
    assert float(np.asarray(r.data("video")[300]).std()) > 1.0  # real picture, not a blank frame
    # The picture is dark (flat) until the arc strikes: its first bright frame is the strike, and it lands
    # on the logged current's rise, within the stored bound (first crossings of a quarter of each range).
    brightness = np.asarray(r.data("video")[:]).reshape(len(t), -1).mean(axis=1)
    current = r.data("process")[:, r.specs["process"].channel_index("current")]

    def first_rise(ts: np.ndarray, x: np.ndarray) -> float:
        lo, hi = np.percentile(x, [5, 95])
        level = lo + 0.25 * (hi - lo)
        i = int(np.argmax(x >= level))
        return float(ts[i - 1] + (level - x[i - 1]) / (x[i] - x[i - 1]) * (ts[i] - ts[i - 1]))

    gap = first_rise(t.astype(float), brightness) - first_rise(r.t_ns("process").astype(float), current)
    assert abs(gap) <= clock["uncertainty_ns"] < 0.1e9, (gap, clock)


def test_labels_come_from_the_run_id(imported: tuple[Path, Path, str]) -> None:
    from weldctl.schema import load_taxonomy, read_labels

    _, labels, _ = imported
    records = read_labels(labels)  # validated as label records: every other command reads them
    assert len(records) == 12
    quality = load_taxonomy("arc").group("quality")
    for rec in records:
        assert rec.source == "import" and rec.weld_id == 0 and rec.annotator == "import"
        assert rec.labels == {"quality": CLASSES[rec.run_id[-2:]]} and rec.labels["quality"] in quality.classes
        assert rec.origin and "gmaw-sample" in rec.origin and rec.run_id in rec.origin
    assert sum(r.labels["quality"] == "good" for r in records) == 6


def test_label_status_counts_imported_labels(imported: tuple[Path, Path, str], tmp_path: Path) -> None:
    from weldctl.cli import app

    runs, labels, _ = imported
    seg = tmp_path / "segments"
    segmented = CliRunner().invoke(app, ["segment", *map(str, sorted(runs.glob("*.zarr"))), "--out", str(seg)])
    assert segmented.exit_code == 0, segmented.output
    res = CliRunner().invoke(app, ["label", "status", "-l", str(labels), "-s", str(seg), "-t", "arc"])
    assert res.exit_code == 0, res.output
    assert "12/12 welds labelled" in res.output
    assert re.search(r"^quality\s+good\s+6\s*$", res.output, re.M), res.output  # the welds per class table


def test_stills_are_attachments_with_their_own_capture_time(imported: tuple[Path, Path, str]) -> None:
    """Photos of the finished plate: kept byte for byte, with the time in their name, not on the run axis."""
    import hashlib

    import zarr

    runs, _, _ = imported
    for folder in _run_folders():
        g = zarr.open_group(str(runs / f"{folder.name}.zarr"), mode="r")  # plain zarr, no weldctl
        files = sorted((folder / "images").glob("*.jpg"))
        stored = sorted(g["attachments/stills"].arrays(), key=lambda kv: int(kv[0]))
        assert len(stored) == len(files)
        for (_key, arr), src in zip(stored, files, strict=True):
            meta = arr.attrs["attachment"]
            data = src.read_bytes()
            assert bytes(np.asarray(arr[:], dtype=np.uint8)) == data
            assert meta["file_name"] == src.name and meta["sha256"] == hashlib.sha256(data).hexdigest()
            stamp = datetime.strptime(re.search(r"(\d{8}_\d{6}_\d{3})", src.name)[1], "%Y%m%d_%H%M%S_%f")
            assert datetime.fromisoformat(meta["captured_utc"]).replace(tzinfo=None) == stamp
            assert meta["origin"] == f"images/{src.name}" and meta["shows_outcome"] is True


def test_arc_sound_and_current_onsets_agree(imported: tuple[Path, Path, str]) -> None:
    """Measured from the stored arrays with code of its own: a rolling RMS (pandas) of the sound and the
    logged current, each crossing a quarter of its way from off to on and staying on for a second."""
    import pandas as pd
    import zarr

    def onset(t: np.ndarray, x: np.ndarray) -> float:
        lo, hi = np.percentile(x, [5, 95])
        level = lo + 0.25 * (hi - lo)
        above = x >= level
        hold = max(1, int(1.0 / np.median(np.diff(t))))
        i = next(i for i in np.flatnonzero(above) if above[i : i + hold].mean() > 0.6)
        return float(t[i - 1] + (level - x[i - 1]) / (x[i] - x[i - 1]) * (t[i] - t[i - 1]))

    runs, _, _ = imported
    gaps = {}
    for store in sorted(runs.glob("*.zarr")):
        g = zarr.open_group(str(store), mode="r")
        names = g["streams/process"].attrs["stream_spec"]["channels"]
        current = np.asarray(g["streams/process/data"][:, names.index("current")], np.float64)
        t_current = np.asarray(g["streams/process/t_ns"][:]) / 1e9
        pcm = np.asarray(g["streams/audio/data"][:, 0], np.float64)
        rms = pd.Series(pcm - pcm.mean()).pow(2).rolling(800, center=True, min_periods=1).mean().pow(0.5)
        t_sound = np.asarray(g["streams/audio/t_ns"][:]) / 1e9
        gaps[store.stem] = onset(t_sound[::80], rms.to_numpy()[::80]) - onset(t_current, current)
        # The stored bound covers what is measured here.
        assert abs(gaps[store.stem]) <= g["clock/audio"].attrs["uncertainty_ns"] / 1e9, (store.stem, gaps)
    print("sound - current onset, s:", {k: round(v, 3) for k, v in gaps.items()})
    assert len(gaps) == 12 and max(map(abs, gaps.values())) < 0.1, gaps


def test_segmentation_finds_one_weld_per_run(imported: tuple[Path, Path, str]) -> None:
    from weldctl.schema import RunReader

    runs, _, _ = imported
    for store in sorted(runs.glob("*.zarr")):
        r = RunReader(store)
        seg = segment_run(r, SegmentParams())
        assert seg["source"].tolist() == ["arc_current"], (r.run_id, seg)
        start, end = int(seg["t_start_ns"].iloc[0]), int(seg["t_end_ns"].iloc[0])
        assert 3e9 < start < 10e9 and end - start > 8e9, (r.run_id, start, end)
