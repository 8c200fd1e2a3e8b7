"""A laser-off placed inside one spectrum's integration from its partial light, against the simulator's truth:
welds whose ends fall at every phase of the integration grid, each edge within its own bound."""

from __future__ import annotations

import numpy as np

from weldctl.daq._integration_edges import laser_off_edges
from weldctl.daq.sim import render_offline
from weldctl.schema import Rig, SimProcess, SimSpectrometerConfig, WeldPlan

RATE_HZ = 200.0  # 5 ms integrations, back to back


def test_each_laser_off_lands_within_its_bound_at_every_phase_of_the_integration() -> None:
    # Each weld 0.07 mm (1.2 ms at 60 mm/s) longer than the last: the laser-offs sweep the 5 ms window.
    welds = [
        WeldPlan(
            weld_id=i,
            condition="low_gap",
            laser_power_w=2000.0,
            speed_mm_s=60.0,
            length_mm=9.0 + 0.07 * i,
            gap_mm=0.0,
            focus_offset_mm=0.0,
        )
        for i in range(12)
    ]
    rig = Rig(
        name="edges",
        sim=SimProcess(seed=5, lead_s=0.06, gap_s=0.06, welds=welds),
        devices=[SimSpectrometerConfig(name="spectrometer", rate_hz=RATE_HZ, pixels=64)],
    )
    process, out = render_offline(rig)
    r = out["spectrometer"]
    t_int = 1e9 / RATE_HZ
    edges = laser_off_edges(r.t_s * 1e9, r.data.astype(np.float64).sum(axis=1), t_int, t_int)
    truth = np.array([w.t_end for w in process.welds]) * 1e9
    assert len(edges) >= 10, len(edges)
    errors, bounds, fractions = [], [], []
    for e in edges:
        k = int(np.argmin(np.abs(truth - e.t_ns)))
        errors.append(e.t_ns - truth[k])
        bounds.append(e.bound_ns)
        fractions.append(e.lit_fraction)
    err, bound = np.abs(errors), np.asarray(bounds)
    rows = zip(fractions, errors, bounds, strict=True)
    print(
        "lit fraction, error us, bound us:",
        [(round(f, 2), round(float(x) / 1e3, 1), round(float(b) / 1e3, 1)) for f, x, b in rows],
    )
    assert min(fractions) < 0.3 and max(f for f in fractions if f < 1.0) > 0.7, fractions  # the whole window
    assert np.all(err <= bound), (err, bound)
    assert np.median(err) <= t_int / 20 and np.median(bound) <= t_int / 10  # far inside one integration
