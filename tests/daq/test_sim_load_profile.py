"""The load generator's bank rendering follows the same weld process as the physics renderers."""

from __future__ import annotations

import numpy as np

from weldctl.daq import build_devices
from weldctl.daq.sim import WeldProcess
from weldctl.daq.sim._banks import IR_STEP_C, TABLE_RATE_HZ
from weldctl.schema import SimIRConfig, default_sim_rig, load_sim_rig


def _devices(rig):  # type: ignore[no-untyped-def]
    devices = {d.name: d for d in build_devices(rig)}
    for d in devices.values():
        d.configure()
    return devices


def test_load_rig_covers_the_duration_at_benchmark_rates() -> None:
    rig = load_sim_rig(camera_kfps=12.0, duration_s=30.0)
    assert WeldProcess(rig.sim).end_s >= 30.0
    rates = {d.name: getattr(d, "fps", None) or d.rate_hz for d in rig.devices}
    assert rates == {"camera": 12_000.0, "ir": 500.0, "daq": 1_000_000.0, "oct": 100_000.0}
    assert not rig.recorder.stop_after_sequence


def test_default_rig_keeps_the_physics_renderers() -> None:
    assert SimIRConfig(name="ir").render == "physics"
    assert all(getattr(d, "render", "physics") == "physics" for d in default_sim_rig().devices)


def test_bank_ir_frames_match_physics_within_the_bank_step() -> None:
    rig = load_sim_rig(camera_kfps=1.0, duration_s=5.0)
    bank_ir = _devices(rig)["ir"]
    physics_rig = rig.model_copy(deep=True)
    physics_rig.devices[1] = physics_rig.devices[1].model_copy(update={"render": "physics"})
    physics_ir = _devices(physics_rig)["ir"]
    t = np.linspace(0.1, 5.0, 50)  # idle, welding and cooling
    idx = np.arange(len(t))
    bank, physics = bank_ir._render(t, idx), physics_ir._render(t, idx)
    assert bank.shape == physics.shape and bank.dtype == physics.dtype == np.uint16
    counts_per_step = IR_STEP_C * rig.devices[1].counts_per_kelvin
    peak_diff = np.abs(bank.max(axis=(1, 2)).astype(float) - physics.max(axis=(1, 2)))
    assert peak_diff.max() <= counts_per_step / 2 + 20  # quantisation + sensor noise
    assert physics.max() > bank.min() + 10 * counts_per_step  # the welds really heat the scene


def test_bank_daq_and_oct_follow_the_process() -> None:
    rig = load_sim_rig(camera_kfps=1.0, duration_s=5.0)
    devices = _devices(rig)
    process = devices["daq"].process
    t = np.arange(0.0, 5.0, 1e-5)
    daq = devices["daq"]._render(t, np.arange(len(t)))
    laser = process.laser_on(t)
    held_edge = np.zeros_like(laser)
    for w in process.welds:  # the table holds values for 1 / TABLE_RATE_HZ around each edge
        held_edge |= (np.abs(t - w.t_start) < 1 / TABLE_RATE_HZ) | (np.abs(t - w.t_end) < 1 / TABLE_RATE_HZ)
    j = rig.devices[2].channels.index("laser_on")
    np.testing.assert_array_equal((daq[:, j] > 2.5)[~held_edge], laser[~held_edge])
    pd = rig.devices[2].channels.index("photodiode")
    assert abs(daq[laser, pd].mean() - process.photodiode(t[laser]).mean()) < 0.05
    oct_depth = devices["oct"]._render(t, np.arange(len(t)))[:, 0]
    truth_um = 1000.0 * process.keyhole_depth(t)
    welding = truth_um > 100
    # A keyhole closed at the bottom reads its depth; an open one (full penetration) scatters up the rear wall.
    closed = welding & (process.sample("keyhole_open", t) < 0.01)
    assert closed.sum() > 10_000 and (welding & ~closed).sum() > 10_000
    assert np.median(np.abs(oct_depth[closed] - truth_um[closed])) < 25.0  # 5 um noise + hold error
    short = np.median(truth_um[welding & ~closed] - oct_depth[welding & ~closed])
    assert 25.0 < short < 0.1 * 1000.0 * rig.sim.thickness_mm
