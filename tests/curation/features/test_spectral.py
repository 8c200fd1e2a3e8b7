"""Spectral features against the simulator's truth, and the channel selection against scipy's Pearson r."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from weldctl.curation import continuum_temperature, electron_temperature, line_intensity, pearson_scores
from weldctl.daq.sim import SpectrumModel, condition_plan, render_offline, truth_spectra
from weldctl.schema import Rig, SimProcess, SimSpectrometerConfig


@pytest.fixture(scope="module")
def welds():  # type: ignore[no-untyped-def]
    plans = [condition_plan("baseline", i, laser_power_w=p, length_mm=9.0) for i, p in enumerate((1300.0, 2800.0))]
    rig = Rig(
        name="spec",
        sim=SimProcess(lead_s=0.05, gap_s=0.05, welds=plans),
        devices=[SimSpectrometerConfig(name="spectrometer")],
    )
    process, out = render_offline(rig)
    r = out["spectrometer"]
    assert r.spec.spectrum is not None
    truth, _ = truth_spectra(SpectrumModel(process, r.spec.spectrum.wavelengths, 1.5, 0))
    rows = []
    for w in process.welds:
        inside = (r.t_s > w.t_start + 0.02) & (r.t_s < w.t_end - 0.005)
        t_in = (truth["t_ns"] / 1e9 > w.t_start + 0.02) & (truth["t_ns"] / 1e9 < w.t_end - 0.005)
        rows.append(
            (
                r.spec.spectrum.dark_subtracted(r.data[inside]).mean(axis=0),
                {k: float(np.mean(v[t_in])) for k, v in truth.items() if k != "t_ns"},
            )
        )
    return r.spec.spectrum.wavelengths, rows


def test_boltzmann_plot_recovers_the_electron_temperature(welds) -> None:  # type: ignore[no-untyped-def]
    wl, rows = welds
    got = [electron_temperature(wl, mean, "Fe I") for mean, _ in rows]
    for t_e, (_, truth) in zip(got, rows, strict=True):
        assert t_e == pytest.approx(truth["electron_temperature_k"], rel=0.03)
    assert got[0] < got[1]  # hotter plasma at higher power


def test_continuum_temperature_and_lines(welds) -> None:  # type: ignore[no-untyped-def]
    wl, rows = welds
    for mean, truth in rows:
        t, err = continuum_temperature(wl, mean)
        assert t == pytest.approx(truth["continuum_temperature_k"], abs=30.0) and err < 30.0
    # a line's area grows with the plume; a place with no line has none
    fe = [float(line_intensity(wl, mean, 438.35)[0]) for mean, _ in rows]
    assert 0 < fe[0] < fe[1]
    assert abs(float(line_intensity(wl, rows[1][0], 612.0)[0])) < 0.05 * fe[1]


def test_pearson_scores_match_scipy() -> None:
    rng = np.random.default_rng(3)
    labels = [str(c) for c in rng.choice(["a", "b", "c"], 60)]
    x = rng.normal(size=(60, 4))
    x[:, 1] += 3.0 * (np.array(labels) == "b")  # channel 1 tells b apart
    scores = pearson_scores(x, labels)
    for j, (score, cls) in enumerate(scores):
        want = max((abs(stats.pearsonr(x[:, j], np.array(labels) == c).statistic), c) for c in "abc")
        assert score == pytest.approx(want[0], rel=1e-9) and cls == want[1]
    assert max(range(4), key=lambda j: scores[j][0]) == 1 and scores[1][1] == "b"
