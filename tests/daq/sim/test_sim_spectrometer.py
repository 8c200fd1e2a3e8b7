"""The simulated spectrometer: the device contract, and spectra that follow the process (checked with a
Planck fit of our own, through scipy, and against the sim's truth)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import constants
from scipy.optimize import curve_fit

from weldctl.daq import make_recorder
from weldctl.daq.sim import SimSpectrometer, WeldProcess, condition_plan, render_offline
from weldctl.daq.testing import SpectrometerSuite
from weldctl.schema import ClockFault, LossInjection, Rig, RunReader, SimProcess, SimSpectrometerConfig, WeldPlan


class TestSimSpectrometer(SpectrometerSuite):
    """A model that numbers its spectra: the lost one is counted exactly from the counter's jump."""

    def make_device(self) -> SimSpectrometer:
        return SimSpectrometer(SimSpectrometerConfig(name="spectrometer"), WeldProcess(SimProcess()))

    def make_lossy_device(self) -> SimSpectrometer:
        cfg = SimSpectrometerConfig(name="spectrometer", losses=[LossInjection(at_s=0.1, count=1)])
        return SimSpectrometer(cfg, WeldProcess(SimProcess()))


class TestSimSpectrometerWithoutCounter(SpectrometerSuite):
    """A model that counts nothing (a USB2000+): numbered from when each spectrum arrived, with receipt jitter
    (σ 1.5 ms against a 5 ms half period): a very late reply may read as one more lost, never one fewer."""

    timing_overcount = 2
    FAULT = ClockFault(jitter_us=1500.0)

    def make_device(self) -> SimSpectrometer:
        cfg = SimSpectrometerConfig(name="spectrometer", spectrum_counter=False, clock_fault=self.FAULT)
        return SimSpectrometer(cfg, WeldProcess(SimProcess()))

    def make_lossy_device(self) -> SimSpectrometer:
        cfg = SimSpectrometerConfig(
            name="spectrometer",
            spectrum_counter=False,
            clock_fault=self.FAULT,
            losses=[LossInjection(at_s=0.1, count=1)],
        )
        return SimSpectrometer(cfg, WeldProcess(SimProcess()))


@pytest.mark.parametrize("counter", [True, False], ids=["counter", "host-timing"])
def test_a_recording_counts_lost_spectra_exactly_with_a_counter_and_never_under_without(tmp_path, counter) -> None:  # type: ignore[no-untyped-def]
    """Injected drops, and receipts jittered by σ 3 ms against a 5 ms half period: the counting model's ledger
    is exact and its sequence is the true one; the other's counts at least what was lost (late replies read as
    losses too), and `inspect` says which way each was counted."""
    from typer.testing import CliRunner

    from weldctl.cli import app

    injected = [LossInjection(at_s=0.12, count=2), LossInjection(at_s=0.25, count=1)]
    plan = condition_plan("baseline", 0, length_mm=15.0)
    rig = Rig(
        name="spec",
        sim=SimProcess(lead_s=0.05, gap_s=0.05, welds=[plan]),
        devices=[
            SimSpectrometerConfig(
                name="spectrometer", spectrum_counter=counter, losses=injected, clock_fault=ClockFault(jitter_us=3000.0)
            )
        ],
    )
    rec = make_recorder(rig, "RSPLOSS", str(tmp_path))
    res = rec.run()
    assert res.ok, res.error
    reader = RunReader(res.uri)
    spec = reader.specs["spectrometer"].spectrum
    assert spec is not None and spec.loss_accounting == ("device_counter" if counter else "host_timing")
    lost = int(np.sum(reader.gaps("spectrometer")["count"]))
    seq = reader.seq("spectrometer")
    print(f"counter={counter}: {lost} counted lost of 3 injected, {len(seq)} stored")
    if counter:
        assert lost == 3
        dev = rec.devices[0]
        assert sorted(set(range(int(seq[-1]) + 1)) - set(seq.tolist())) == [
            g.seq_start + i for g in dev.injected for i in range(g.count)
        ]
    else:
        assert lost >= 3
    shown = CliRunner().invoke(app, ["inspect", res.uri], env={"COLUMNS": "120"})
    assert shown.exit_code == 0, shown.output
    assert ("spectrum counter (exact)" if counter else "host timing") in shown.output, shown.output


def _rendered(welds: list[WeldPlan], **spectrometer: object):  # type: ignore[no-untyped-def]
    for w in welds:
        w.length_mm = 9.0  # 0.15 s welds: 15 spectra each at 100 Hz
    rig = Rig(
        name="spec",
        sim=SimProcess(lead_s=0.05, gap_s=0.05, welds=welds),
        devices=[SimSpectrometerConfig(name="spectrometer", **spectrometer)],
    )  # type: ignore[arg-type]
    process, out = render_offline(rig)
    r = out["spectrometer"]
    assert r.spec.spectrum is not None
    dark = np.asarray(r.spec.spectrum.dark_counts)
    means = []
    for w in process.welds:
        inside = (r.t_s > w.t_start + 0.02) & (r.t_s < w.t_end - 0.005)
        means.append((r.data[inside] - dark).mean(axis=0))
    return process, r.spec.spectrum.wavelengths, np.array(means)


def _near(wl: np.ndarray, nm: float, half: float = 1.5) -> np.ndarray:
    return np.abs(wl - nm) <= half


def test_oil_on_the_seam_shows_h_alpha_above_a_baseline_weld() -> None:
    _, wl, spectra = _rendered(
        [condition_plan("baseline", 0), condition_plan("oil_treatment", 1), condition_plan("water_treatment", 2)]
    )
    side = (np.abs(wl - 656.28) > 4) & (np.abs(wl - 656.28) < 8)

    def h_alpha(s: np.ndarray) -> float:  # peak above the local continuum
        return float(s[_near(wl, 656.28)].max() - np.median(s[side]))

    base, oil, water = (h_alpha(s) for s in spectra)
    assert oil > 10 * max(base, 20.0) and water > 10 * max(base, 20.0), (base, oil, water)
    # the O I 777 nm triplet: water much more than oil; the C2 Swan band head at 516.5 nm: oil only
    o_side = (np.abs(wl - 777.3) > 4) & (np.abs(wl - 777.3) < 8)
    o_i = [float(s[_near(wl, 777.3)].max() - np.median(s[o_side])) for s in spectra]
    assert o_i[2] > 2 * o_i[1] > 0 and o_i[2] > 10 * max(o_i[0], 20.0), o_i
    # the Swan band under its head, relative to the continuum beyond it: raised by the oil alone
    swan = [float(s[(wl > 505) & (wl < 516)].mean() / s[(wl > 530) & (wl < 545)].mean()) for s in spectra]
    assert swan[1] > 1.1 * swan[0] and swan[2] == pytest.approx(swan[0], rel=0.05), swan


def _planck_counts(wl_nm: np.ndarray, scale: float, t_k: float) -> np.ndarray:
    """Planck's law from scipy's constants (not the project's): spectral radiance, arbitrary scale."""
    lam = wl_nm * 1e-9
    c2 = constants.h * constants.c / constants.k
    return scale * 1e-30 / lam**5 / np.expm1(c2 / (lam * t_k))


def test_continuum_temperature_rises_with_power() -> None:
    powers = (1300.0, 2000.0, 2800.0)
    process, wl, spectra = _rendered([condition_plan("baseline", i, laser_power_w=p) for i, p in enumerate(powers)])
    free = np.ones(wl.shape, bool)  # the continuum: away from every line the sim can draw, and the Swan bands
    for nm in (352.45, 361.94, 371.99, 396.15, 403.08, 425.43, 438.35, 520.84, 383.83, 518.36, 656.28, 777.3):
        free &= np.abs(wl - nm) > 5
    fitted = []
    for s in spectra:
        (_scale, t), _ = curve_fit(
            _planck_counts,
            wl[free],
            s[free],
            p0=(1.0, 3000.0),
            x_scale=(1.0, 1000.0),
            bounds=([0, 1000], [np.inf, 10_000]),
        )
        fitted.append(t)
    assert fitted[0] < fitted[1] < fitted[2], fitted
    # ... and it is the temperature the simulator put in (brightness-weighted pool/plume), within 30 K
    from weldctl.daq.sim import truth_spectra
    from weldctl.daq.sim._spectra import SpectrumModel

    truth, _ = truth_spectra(SpectrumModel(process, wl, 1.5, 0))
    t_s = truth["t_ns"] / 1e9
    for w, t in zip(process.welds, fitted, strict=True):
        inside = (t_s > w.t_start + 0.02) & (t_s < w.t_end - 0.005)
        assert t == pytest.approx(float(np.mean(truth["continuum_temperature_k"][inside])), abs=30.0)


def test_a_pore_is_a_burst_of_low_boiling_emission_in_its_spectrum() -> None:
    """A keyhole collapse throws out vapour rich in manganese: the spectra integrating over a pore's instant
    (the instant the OCT, photodiode and microphone see it) show Mn I raised against Fe I."""
    plan = condition_plan("low_gap", 0, length_mm=30.0)
    rig = Rig(
        name="spec",
        sim=SimProcess(lead_s=0.05, gap_s=0.05, welds=[plan]),
        devices=[SimSpectrometerConfig(name="spectrometer")],
    )
    process, out = render_offline(rig)
    r = out["spectrometer"]
    assert r.spec.spectrum is not None and len(process.pores) >= 3
    wl, x = r.spec.spectrum.wavelengths, r.spec.spectrum.dark_subtracted(r.data)

    def peak(nm: float) -> np.ndarray:
        side = (np.abs(wl - nm) > 4) & (np.abs(wl - nm) < 8)
        return x[:, _near(wl, nm, 1.0)].max(axis=1) - np.median(x[:, side], axis=1)

    ratio = peak(403.08) / np.maximum(peak(438.35), 1.0)
    half = 0.5 / r.spec.nominal_rate_hz
    hit = np.array([np.any(np.abs(process.pores - t) < half) for t in r.t_s])
    welding = (r.t_s > process.welds[0].t_start + 0.02) & (r.t_s < process.welds[0].t_end)
    quiet = welding & ~np.array([np.any(np.abs(process.pores - t) < 4 * half) for t in r.t_s])
    assert hit.sum() >= 3 and quiet.sum() >= 10
    assert ratio[hit].mean() > 1.3 * ratio[quiet].mean(), (ratio[hit], ratio[quiet].mean())
