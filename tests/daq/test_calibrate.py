"""Issue: alignment you can trust on a real rig. Devices with different fixed latencies, drifting
clocks and jitter; the uncalibrated run says honestly how little it knows, `weldctl calibrate`
measures the latencies from shared events, and the next run is within target of the injected truth,
with a reported uncertainty at least as large as the error measured on every sample."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.cli.widths import assert_fits, narrow_console, printed
from weldctl.cli import app
from weldctl.daq import make_recorder
from weldctl.daq.sim import WeldProcess, pore_alignment_errors, run_to_true
from weldctl.schema import (
    ClockFault,
    Rig,
    RunReader,
    SimAudioConfig,
    SimCameraConfig,
    SimDaqConfig,
    SimIRConfig,
    SimOctConfig,
    SimProcess,
    SimSpectrometerConfig,
    WeldPlan,
    dump_rig,
    load_rig,
)

HARDWARE_TIMED_NS = 20_000
HOST_STAMPED_NS = 1_000_000
# True transport latencies (us): up to 5 ms apart, as USB audio, a thermal camera and a TCP OCT are; the
# spectrometer's is a USB request/reply's (half an integration plus the readout, from mid-integration).
LATENCY_US = {"daq": 300.0, "camera": 1200.0, "hs_camera": 2500.0, "ir": 5300.0, "oct": 900.0, "audio": 4100.0,
              "spectrometer": 4600.0}
SPECTROMETER_HZ = 200.0  # integration 5 ms, back to back


def latency_rig(seed: int = 21) -> Rig:
    """The issue's conditions: latencies differing by up to 5 ms, drift up to 200 ppm wandering by
    5 ppm, jitter up to 2 ms; a microphone 0.4 m from the weld (1.17 ms of sound travel)."""
    welds = [WeldPlan(weld_id=i, condition="low_gap", laser_power_w=2000.0, speed_mm_s=60.0, length_mm=24.0,
                      gap_mm=0.0, focus_offset_mm=0.0) for i in range(7)]

    def fault(name: str, drift: float, jitter: float) -> ClockFault:
        return ClockFault(offset_ms=3.0, drift_ppm=drift, jitter_us=jitter, latency_us=LATENCY_US[name],
                          drift_walk_ppm=5.0, drift_walk_period_s=20.0)

    return Rig(
        name="sim-latency",
        sim=SimProcess(seed=seed, lead_s=0.1, gap_s=0.12, welds=welds),
        devices=[
            SimDaqConfig(name="daq", channels=["photodiode", "acoustic", "laser_on", "camera_strobe"],
                         clock_fault=fault("daq", 200.0, 1000.0)),
            SimCameraConfig(name="camera", width=48, height=48, fps=2000.0, block_frames=50, strobe="daq.camera_strobe",
                            clock_fault=fault("camera", -150.0, 2000.0)),
            SimCameraConfig(name="hs_camera", width=48, height=48, fps=2000.0, block_frames=40,
                            clock_fault=fault("hs_camera", 80.0, 800.0)),
            SimIRConfig(name="ir", width=48, height=40, fps=100.0, clock_fault=fault("ir", 120.0, 1500.0)),
            SimOctConfig(name="oct", clock_fault=fault("oct", -200.0, 2000.0)),
            SimAudioConfig(name="audio", sound_path_m=0.4, clock_fault=fault("audio", 50.0, 2000.0)),
            SimSpectrometerConfig(name="spectrometer", rate_hz=SPECTROMETER_HZ, pixels=128,
                                  clock_fault=fault("spectrometer", -100.0, 1500.0)),
        ],
    )


def sample_errors(reader: RunReader, rec) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    """Stored time − true time of every sample, true time from the simulator's clocks (the moment
    each sample was taken: mid-exposure for frames, arrival at the microphone for sound)."""
    devs = {d.name: d for d in rec.devices}
    ref = devs["daq"]
    return {name: reader.t_ns(name) - ref.run_time_ns(devs[name].true_time(reader.seq(name).astype(np.float64)))
            for name in reader.specs}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("runs")
    rig = latency_rig()
    rig_file = out / "rig.yaml"
    rig_file.write_text(dump_rig(rig))
    first = make_recorder(rig, "RCAL1", str(out))
    res = first.run()
    assert res.ok, res.error
    con = narrow_console(80)  # what it prints must fit an 80-column terminal
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("weldctl.cli._calibrate.console", con)
        shown = CliRunner().invoke(app, ["calibrate", res.uri, "--rig", str(rig_file), "--out", str(out / "cal.yaml")])
    assert shown.exit_code == 0, shown.output
    print(printed(con))
    calibrated = load_rig(out / "cal.yaml")
    # The next run: another weld sequence (new pores, new noise) on the same devices.
    calibrated.sim.seed = 22
    second = make_recorder(calibrated, "RCAL2", str(out))
    res2 = second.run()
    assert res2.ok, res2.error
    return (first, RunReader(res.uri)), (second, RunReader(res2.uri)), calibrated, printed(con)


def test_uncalibrated_run_reports_an_uncertainty_that_covers_the_latency_it_does_not_know(runs) -> None:  # type: ignore[no-untyped-def]
    (rec, reader), *_ = runs
    errors = sample_errors(reader, rec)
    for name, err in errors.items():
        c = reader.clock(name)
        worst = int(np.abs(err).max())
        print(name, c["alignment"], f"error {worst / 1e3:.1f} us, reported {float(c['uncertainty_ns']) / 1e3:.1f} us")
        assert worst <= float(c["uncertainty_ns"]), (name, worst, c["uncertainty_ns"])
    # The unstated latencies really are ms off, and are said to be unknown, not claimed as fit scatter.
    assert np.abs(errors["ir"]).max() > 4_000_000 and reader.clock("ir")["alignment"] == "fitted"
    assert reader.clock("ir")["latency_prior"] is True


def test_calibrated_rig_has_the_latencies_and_the_next_run_is_within_target(runs) -> None:  # type: ignore[no-untyped-def]
    _, (rec, reader), calibrated, _ = runs
    stated = {d.name: d for d in calibrated.devices}
    # Calibration measures each latency relative to the reference's (which it leaves as stated: unset = 0).
    for name in ("hs_camera", "ir", "oct", "audio", "spectrometer"):
        d = stated[name]
        assert d.latency_us is not None and d.latency_calibration is not None, name
        truth = LATENCY_US[name] - LATENCY_US["daq"]
        print(f"{name}: calibrated {d.latency_us:.1f} ± {d.latency_uncertainty_us:.1f} us, true {truth:.1f} us")
        assert abs(d.latency_us - truth) <= d.latency_uncertainty_us, name  # type: ignore[operator]
    assert stated["camera"].latency_us is None  # strobed: hardware-timed, nothing to calibrate
    errors = sample_errors(reader, rec)
    for name, err in errors.items():
        c = reader.clock(name)
        worst = int(np.abs(err).max())
        bound = HARDWARE_TIMED_NS if name in ("daq", "camera") else HOST_STAMPED_NS
        print(f"{name}: {c['alignment']}, every-sample error {worst / 1e3:.1f} us, reported "
              f"{float(c['uncertainty_ns']) / 1e3:.1f} us")
        assert worst <= bound, (name, worst)
        assert worst <= float(c["uncertainty_ns"]), (name, worst, c["uncertainty_ns"])
        assert c["alignment"] == {"daq": "sample_clock", "camera": "strobe"}.get(name, "calibrated")
    # The physical delay is stated, not absorbed: the microphone's times are when the sound reached it.
    assert reader.clock("audio")["physical_delay_ns"] == pytest.approx(0.4 / 343.0 * 1e9)


def test_a_longer_run_follows_the_wandering_drift_within_target(runs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The issue's conditions over more than one period of the drift's wander (20 s) and several clock-fit
    knots (10 s apart): the 10-minute benchmark's case (bench/alignment.py), shortened to stay a test."""
    *_, calibrated, _ = runs
    rig = calibrated.model_copy(deep=True)
    rig.sim.seed = 23
    weld = rig.sim.welds[0]  # type: ignore[index]
    # Three long welds, ~32 s in all: the clocks are what is measured, and the process model costs per weld.
    rig.sim.welds = [weld.model_copy(update={"weld_id": i, "length_mm": 10.5 * weld.speed_mm_s,  # type: ignore[operator]
                                             "condition": "baseline"}) for i in range(3)]
    rec = make_recorder(rig, "RCAL3", str(tmp_path))
    res = rec.run()
    assert res.ok, res.error
    reader = RunReader(res.uri)
    assert reader.duration_s() > 30.0
    lost_anywhere = sum(int(np.sum(reader.gaps(name)["count"])) for name in reader.specs)
    for name, err in sample_errors(reader, rec).items():
        c = reader.clock(name)
        worst = int(np.abs(err).max())
        lost = int(np.sum(reader.gaps(name)["count"]))
        print(f"{name}: every-sample error {worst / 1e3:.1f} us, reported {float(c['uncertainty_ns']) / 1e3:.1f} us,"
              f" {len(err)} samples, {lost} lost")
        assert worst <= float(c["uncertainty_ns"]), (name, worst, c["uncertainty_ns"])
        # A writer that fell behind on a loaded machine drops samples: strobed frames in a reference gap are then
        # placed by the host fit (the bound says so), so the targets hold for a run without losses.
        if lost_anywhere == 0:
            assert worst <= (HARDWARE_TIMED_NS if name in ("daq", "camera") else HOST_STAMPED_NS), (name, worst)


def test_the_spectrometer_is_calibrated_to_a_fraction_of_its_integration(runs) -> None:  # type: ignore[no-untyped-def]
    """The laser-off edge falls inside one spectrum: its partial emission places the edge inside the integration
    window, so the latency is measured far more finely than the 5 ms a spectrum spans, and its bound holds."""
    _, _, calibrated, shown = runs
    d = {x.name: x for x in calibrated.devices}["spectrometer"]
    truth = LATENCY_US["spectrometer"] - LATENCY_US["daq"]
    integration_us = 1e6 / SPECTROMETER_HZ
    assert d.latency_us is not None and d.latency_uncertainty_us is not None and d.latency_calibration is not None
    error = abs(d.latency_us - truth)
    print(f"spectrometer: calibrated {d.latency_us:.1f} ± {d.latency_uncertainty_us:.1f} us, true {truth:.1f} us, "
          f"{d.latency_calibration.n_events} laser-off edges, error {error:.1f} us")
    assert d.latency_calibration.n_events >= 5  # one per weld: seven welds
    assert error <= d.latency_uncertainty_us
    # Sub-integration: the edges place the offset within a tenth of one spectrum (the rest of the bound is the
    # calibration run's clock fits, as for every host-stamped stream).
    assert d.latency_calibration.uncertainty_ns / 1e3 <= integration_us / 10
    assert "spectrometer" in shown and "laser_off" in shown


def test_pores_line_up_after_calibration(runs) -> None:  # type: ignore[no-untyped-def]
    """An independent detector (the weld-process model matched around every true pore) agrees."""
    _, (rec, reader), calibrated, _ = runs
    errors = pore_alignment_errors(reader, WeldProcess(calibrated.sim), run_to_true(rec.devices), max_pores=3)
    for key, v in errors.items():
        assert len(v), key
        med = float(np.median(v))
        print(key, f"median {med / 1e3:+.1f} us over {len(v)} pores")
        assert abs(med) <= HOST_STAMPED_NS, key


def test_inspect_says_how_each_stream_was_aligned(runs) -> None:  # type: ignore[no-untyped-def]
    _, (_, reader), *_ = runs
    shown = CliRunner().invoke(app, ["inspect", reader.uri])
    assert shown.exit_code == 0, shown.output
    # The stacked tables: "time alignment" (stream, aligned by, time ±, latency, fit rms) fits 80 columns;
    # a losses table (a loaded machine) may follow it.
    lines = shown.output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "time alignment")
    rows: dict[str, str] = {}
    for line in lines[start + 1:]:
        if not line.strip() or line.lstrip().startswith("run time base"):
            break
        rows.setdefault(line.split()[0], line)
    for name, how in (("daq", "sample_"), ("camera", "strobe"), ("ir", "calibra"), ("audio", "calibra"),
                      ("spectrometer", "calibra")):
        assert how in rows[name], (name, rows[name])
    assert f"{float(reader.clock('ir')['uncertainty_ns']) / 1e3:,.1f}" in rows["ir"]


def test_calibrate_prints_every_stream_it_measured_in_80_columns(runs) -> None:  # type: ignore[no-untyped-def]
    *_, calibrated, shown = runs
    assert_fits(shown, 80)
    lines = shown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("latency against daq"))
    rows = {line.split()[0]: line for line in lines[start + 3:] if line[:1].isalpha()}
    for d in calibrated.devices:
        if d.latency_us is not None:  # calibrated: a row with its latency and bound, as written into the rig
            assert f"{d.latency_us:,.1f}" in rows[d.name] and f"{d.latency_uncertainty_us:,.1f}" in rows[d.name], (
                d.name, shown)
    assert "latency = applied - offset" in " ".join(shown.split())


def test_calibrate_needs_a_hardware_timed_reference(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rig = latency_rig()
    rig.sim.welds = rig.sim.welds[:1]  # type: ignore[index]
    rig.devices = [d for d in rig.devices if d.kind in ("oct", "audio")]
    rig_file = tmp_path / "rig.yaml"
    rig_file.write_text(dump_rig(rig))
    res = make_recorder(rig, "RNOREF", str(tmp_path)).run()
    assert res.ok
    shown = CliRunner().invoke(app, ["calibrate", res.uri, "--rig", str(rig_file), "--out", str(tmp_path / "c.yaml")])
    assert shown.exit_code != 0 and "no hardware-timed reference" in shown.output, shown.output
    assert "Traceback" not in shown.output and not (tmp_path / "c.yaml").exists()


def test_calibrate_never_overwrites_the_rig_it_read_and_names_a_broken_rig(runs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (_, reader), *_ = runs
    rig_file = tmp_path / "rig.yaml"
    rig_file.write_text(dump_rig(latency_rig()))
    before = rig_file.read_text()
    shown = CliRunner().invoke(app, ["calibrate", reader.uri, "--rig", str(rig_file), "--out", str(rig_file)])
    assert shown.exit_code != 0 and "must not overwrite" in shown.output, shown.output
    assert rig_file.read_text() == before
    broken = tmp_path / "broken.yaml"
    broken.write_text("devices: [{driver: sim, kind: camera, name: Bad-Name}]\n")
    shown = CliRunner().invoke(app, ["calibrate", reader.uri, "--rig", str(broken), "--out", str(tmp_path / "o.yaml")])
    assert shown.exit_code != 0 and "broken.yaml" in shown.output and "Traceback" not in shown.output, shown.output
    assert not (tmp_path / "o.yaml").exists()
