"""A labelling task shows a weld's spectra as a wavelength × time picture, not as a CSV column."""

from __future__ import annotations

from pathlib import Path

from weldctl.curation.labelstudio._media import WeldWindow, picture_streams, render_weld, signal_columns
from weldctl.curation.labelstudio._task import task_data
from weldctl.schema import RunReader


def test_task_shows_the_spectra_as_a_picture(sim_welds_run: str, tmp_path: Path) -> None:
    r = RunReader(sim_welds_run)
    w = r.truth("welds")
    t0, t1 = int(w["t_start_ns"][2]), int(w["t_end_ns"][2])  # the oil-treated weld
    win = WeldWindow(r.run_id, 2, t0, t1, t0 - 50_000_000, t1 + 50_000_000, t0, 1_000_000)
    images = picture_streams(r)
    assert "spectrometer" in images
    cols = signal_columns(r)
    assert not any(c.column.startswith("spectrometer") for c in cols)
    media = render_weld(r, win, cols, images, tmp_path, max_points=4000, keyframes=3)
    png = media.images["spectrometer"]
    assert png.read_bytes()[:4] == b"\x89PNG" and png.stat().st_size > 5000
    data, _ = task_data(r, win, media, images, "laser_on", tmp_path, "laser")
    assert data["img_spectrometer_caption"].startswith("spectrometer: wavelength × time from -")  # from the context
    assert data["img_camera_caption"].startswith("camera keyframes at ")
