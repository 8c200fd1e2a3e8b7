"""On the sim rig the derived features follow ground truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def test_keyhole_area_follows_truth(sim_run_3s: str) -> None:
    from weldctl.curation import MorphologyParams, frame_morphology
    from weldctl.schema import RunReader

    r = RunReader(sim_run_3s)
    frames = np.asarray(r.data("camera")[:])
    area = frame_morphology(frames, MorphologyParams(threshold=150))["area_px"]
    sig = r.truth("signals")
    truth = np.interp(r.t_ns("camera"), sig["t_ns"], sig["keyhole_area_px"])
    corr = float(np.corrcoef(area, truth)[0, 1])
    print(f"keyhole area vs truth: r = {corr:.4f} over {len(area)} frames")
    assert corr >= 0.95
    on = truth > 20
    assert np.median(np.abs(area[on] - truth[on]) / truth[on]) < 0.15  # same scale, not just correlated


def test_pores_are_std_peaks_at_truth_times(sim_run_3s: str) -> None:
    from scipy.signal import find_peaks

    from weldctl.curation import WindowParams, frame_morphology, sliding_stats
    from weldctl.schema import RunReader

    r = RunReader(sim_run_3s)
    t = r.t_ns("camera")
    area = frame_morphology(np.asarray(r.data("camera")[:]))["area_px"]
    st = sliding_stats(t, area, WindowParams(window_s=0.010, step_s=0.002))
    welds = r.truth("welds")
    pores = r.truth("pores")["t_ns"]
    assert len(pores) >= 1, "the 3 s sim run should contain a pore"
    pores = pores[pores < t[-1] - 20_000_000]  # the truth plan runs on past the 3 s recording
    # Inside welds only (the laser switching on/off is a step, not a pore), away from the ramps; each weld
    # against its own baseline (a defocused keyhole oscillates all along).
    peak_t: list[int] = []
    for a, b in zip(welds["t_start_ns"], welds["t_end_ns"], strict=True):
        inside = (st["t_ns"] > a + 30_000_000) & (st["t_ns"] < b - 30_000_000)
        if inside.sum() < 20:
            continue
        std = np.where(inside, st["std"], 0.0)
        baseline = float(np.median(st["std"][inside]))
        peaks, _ = find_peaks(std, height=4 * baseline + 5, distance=10)
        peak_t += st["t_ns"][peaks].tolist()
    peak_arr = np.asarray(peak_t)
    print(f"pores {pores.tolist()} -> STD peaks {peak_t}")
    for p in pores:  # every pore has a peak within 15 ms after it ...
        assert np.any((peak_arr >= p - 5_000_000) & (peak_arr <= p + 15_000_000)), (p, peak_t)
    for q in peak_arr:  # ... and every peak has a pore just before it
        assert np.any((pores >= q - 15_000_000) & (pores <= q + 5_000_000)), (q, pores)


def test_features_command_writes_a_zarr_with_params(sim_run_3s: str, tmp_path: Path) -> None:
    import zarr
    from typer.testing import CliRunner

    from weldctl.cli import app
    from weldctl.schema import RunReader, verify_checksums

    res = CliRunner().invoke(
        app,
        [
            "features",
            sim_run_3s,
            "--out",
            str(tmp_path),
            "--window-ms",
            "20",
            "--eemd",
            "--eemd-samples",
            "3000",
        ],
    )
    assert res.exit_code == 0, res.output
    said = " ".join(res.output.split())
    assert "a feature store of run R3S (not a run store)" in said and "next: weldctl inspect" in said
    g = zarr.open_group(str(tmp_path / "R3S.features.zarr"), mode="r")
    meta = g.attrs["weldctl_features"]
    assert meta["run_id"] == "R3S" and meta["params"]["window"]["window_s"] == 0.02 and meta["params"]["eemd"]
    groups = set(dict(g.groups()))
    assert {
        "camera_morphology",
        "camera_area_window",
        "photodiode_window",
        "photodiode_bands",
        "acoustic_mel",
        "oct_depth_window",
        "oct_depth_eemd",
    } <= groups
    mel = g["acoustic_mel"]["mel_db"]
    assert mel.shape[1] == 64 and np.isfinite(mel[:]).all()
    imf = np.asarray(g["oct_depth_eemd"]["imf"][:])
    r = RunReader(sim_run_3s)
    i0 = int(np.searchsorted(r.t_ns("oct"), int(g["oct_depth_eemd"]["t_ns"][0])))
    depth = np.asarray(r.data("oct")[i0 : i0 + imf.shape[0], 0], np.float64)
    assert depth[0] > 0  # decomposed from the first keyhole on
    # IMFs plus residue add back up to the depth trace (up to the ensemble's averaged noise).
    assert imf.shape == (3000, imf.shape[1]) and imf.shape[1] >= 3
    assert np.corrcoef(imf.sum(axis=1), depth)[0, 1] > 0.99
    bands = g["photodiode_bands"]
    assert float(np.asarray(bands["band_0_100_hz"][:]).max()) > 0
    assert verify_checksums(sim_run_3s).ok  # the raw store was not touched


def test_inspect_says_what_a_feature_store_is(sim_run_3s: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from weldctl.cli import app
    from weldctl.schema import RunReader, StoreError

    assert CliRunner().invoke(app, ["features", sim_run_3s, "--out", str(tmp_path)]).exit_code == 0
    store = tmp_path / "R3S.features.zarr"
    res = CliRunner().invoke(app, ["inspect", str(store)])
    assert res.exit_code == 0, res.output
    said = " ".join(res.output.split())
    assert "R3S feature store (written by `weldctl features`" in said and "photodiode_window" in said
    assert "not a weldctl run store" not in said
    try:  # code that wants a run gets the same answer, as an error
        RunReader(str(store))
    except StoreError as exc:
        assert "is a feature store of run R3S" in exc.message and sim_run_3s in (exc.hint or "")
    else:
        raise AssertionError("a feature store opened as a run")
