"""`weldctl view` draws a readable quicklook: right size, every panel inked, for sim and imported runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.conftest import GMAW_SAMPLE, REPO, need

SIM_PANELS = [
    "photodiode",
    "acoustic_envelope",
    "acoustic_spectrogram",
    "oct_depth",
    "camera_area",
    "ir_peak",
    "spectrometer_spectra",
    "laser_on",
]


def _check_png(path: Path, size: tuple[int, int], panels: dict) -> None:  # type: ignore[type-arg]
    import matplotlib.image as mpimg

    img = mpimg.imread(path)
    assert img.shape[:2] == (size[1], size[0])
    for name, info in panels.items():
        assert info.points > 0 and info.span > 0, (name, info)
        x0, y0, x1, y1 = info.bbox_px
        assert x1 - x0 > 200 and y1 - y0 > 40, (name, info.bbox_px)
        crop = img[y0 + 2 : y1 - 2, x0 + 2 : x1 - 2, :3]
        inked = np.mean(np.any(np.abs(crop - crop[0, 0]) > 0.1, axis=2))  # not the background colour
        assert inked > 0.01, f"panel {name} looks blank ({inked:.3%} drawn)"


def test_view_sim_run(sim_run_3s: str, tmp_path: Path) -> None:
    from weldctl.curation import quicklook
    from weldctl.schema import RunReader

    r = RunReader(sim_run_3s)
    res = quicklook(r, tmp_path / "q.png")
    assert list(res.panels) == SIM_PANELS
    assert res.panels["spectrometer_spectra"].span > 1.0  # the weld's emission over the idle floor, log10 counts
    assert res.keyframes == {"camera": 6, "ir": 6}
    assert res.legend[:2] == ["weld (even id)", "weld (odd id)"]  # the alternating shading says what it is
    _check_png(res.path, (1400, 1800), res.panels)
    one = quicklook(r, tmp_path / "w1.png", weld=1, size_px=(1000, 1200))
    assert one.window_ns[0] < 1_000_000_000 < 1_500_000_000 < one.window_ns[1] < 1_700_000_000
    _check_png(one.path, (1000, 1200), one.panels)


def test_every_weld_in_view_gets_a_keyframe(sim_run_3s: str, tmp_path: Path) -> None:
    """More welds than the default six keyframes (the sim's sequence has seven): one column per weld."""
    from weldctl.curation import Segment, quicklook
    from weldctl.schema import RunReader

    r = RunReader(sim_run_3s)
    welds = [
        Segment(i, 100_000_000 + i * 350_000_000, 100_000_000 + i * 350_000_000 + 50_000_000 * (1 + i % 3), "test")
        for i in range(8)
    ]
    res = quicklook(r, tmp_path / "k.png", segments=welds)
    for name, times in res.keyframe_times_ns.items():
        assert len(times) == 8, name
        for w in welds:
            # the frame nearest a time inside the weld: within one frame period of it
            period = 1e9 / r.specs[name].nominal_rate_hz
            assert any(w.t_start_ns - period <= t <= w.t_end_ns + period for t in times), (name, w.weld_id)


def test_view_cli_writes_png(sim_run_3s: str, tmp_path: Path) -> None:
    from weldctl.cli import app

    out = tmp_path / "cli.png"
    res = CliRunner().invoke(app, ["view", sim_run_3s, "--weld", "2", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert out.stat().st_size > 50_000
    missing = CliRunner().invoke(app, ["view", sim_run_3s, "--weld", "42", "--out", str(tmp_path / "x.png")])
    assert missing.exit_code == 2 and "no weld 42" in missing.output


def test_view_imported_gmaw_run(tmp_path: Path) -> None:
    need(GMAW_SAMPLE.is_dir(), f"gmaw-sample dataset not found at {GMAW_SAMPLE}")
    import pandas as pd

    from weldctl.curation import import_run, load_segments, quicklook
    from weldctl.schema import RunReader, load_mapping

    folder = next(GMAW_SAMPLE.glob("*/*/03-22-23-0001-06"))
    mapping = load_mapping(REPO / "examples" / "import" / "gmaw-sample.yaml")
    res = import_run(mapping, folder, tmp_path / "runs", labels_path=tmp_path / "labels.jsonl")
    r = RunReader(res.uri)
    seg_file = tmp_path / f"{r.run_id}.segments.parquet"
    pd.DataFrame(
        {
            "run_id": [r.run_id],
            "weld_id": [0],
            "t_start_ns": [5_800_000_000],
            "t_end_ns": [16_800_000_000],
            "source": ["arc_current"],
            "confidence": [1.0],
        }
    ).to_parquet(seg_file)
    q = quicklook(r, tmp_path / "gmaw.png", segments=load_segments(seg_file, r.run_id))
    assert list(q.panels) == ["current", "voltage", "acoustic_envelope", "acoustic_spectrogram", "video_area"]
    # The bead stills were photographed after the weld: they are run attachments, not keyframes on the time axis.
    assert q.keyframes == {"video": 6}
    _check_png(q.path, (1400, 1800), q.panels)


def test_blank_panel_is_caught(sim_run_3s: str, tmp_path: Path) -> None:
    """The blank check itself can fail: the same figure with one panel painted over is reported blank."""
    import matplotlib.image as mpimg

    from weldctl.curation import quicklook
    from weldctl.schema import RunReader

    res = quicklook(RunReader(sim_run_3s), tmp_path / "q.png")
    img = mpimg.imread(res.path)
    x0, y0, x1, y1 = res.panels["oct_depth"].bbox_px
    img[y0:y1, x0:x1, :3] = 1.0
    mpimg.imsave(tmp_path / "painted.png", img)
    with pytest.raises(AssertionError, match="panel oct_depth looks blank"):
        _check_png(tmp_path / "painted.png", (1400, 1800), res.panels)
