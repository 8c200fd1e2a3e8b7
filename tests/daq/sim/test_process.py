"""The weld-process model: one cause, consistent signatures."""

import numpy as np

from weldctl.daq.sim import CONDITION_PARAMETERS, ProcessState, WeldProcess, default_weld_sequence, penetration_of
from weldctl.schema import LaserCondition, Penetration, SimProcess, WeldPlan


def test_one_weld_per_condition_by_default() -> None:
    p = WeldProcess(SimProcess())
    assert [w.plan.condition for w in p.welds] == [c.value for c in LaserCondition]
    assert all(b.t_start - a.t_end >= 0.3 - 1e-9 for a, b in zip(p.welds, p.welds[1:], strict=False))
    assert set(CONDITION_PARAMETERS) == set(LaserCondition)


def test_pore_is_seen_at_the_same_instant_everywhere() -> None:
    plan = WeldPlan(weld_id=0, laser_power_w=2000, speed_mm_s=20, length_mm=30, condition="water_treatment")
    p = WeldProcess(SimProcess(welds=[plan], seed=3))
    assert len(p.pores) >= 2
    # A pore on its own: film pops and spatter are impulses of their own, seen at their own instants.
    ejections = p.events.t_s[p.events.kind != "pore"]
    alone = [tp for tp in p.pores if not np.any(np.abs(ejections - tp) < 0.006)]
    assert alone, "the test needs a pore with no ejection within 6 ms"
    tp = alone[0]
    t = np.linspace(tp - 0.005, tp + 0.005, 10001)
    i = np.argmin(np.abs(t - tp))
    assert np.argmin(p.keyhole_depth(t)) in range(i - 5, i + 5)
    assert np.argmax(p.photodiode(t)) in range(i - 5, i + 5)
    assert np.argmax(p.acoustic_envelope(t)) in range(i - 5, i + 5)
    ring = p.keyhole_area(np.linspace(tp, tp + 0.03, 301))
    assert ring.max() - ring.min() > 0.3 * ring.mean()  # keyhole opening oscillates after the collapse


def test_penetration_follows_depth_against_thickness() -> None:
    assert penetration_of(0.5, 2.0) is Penetration.lack
    assert penetration_of(1.5, 2.0) is Penetration.partial
    assert penetration_of(2.0, 2.0) is Penetration.full
    p = WeldProcess(SimProcess())
    by_cond = {w.plan.condition: w for w in p.welds}
    assert by_cond["baseline"].penetration is Penetration.full
    assert by_cond["cold_weld"].penetration is Penetration.lack
    assert by_cond["low_power"].depth_mm < by_cond["baseline"].depth_mm
    assert by_cond["low_power"].penetration is Penetration.partial
    # 4 mm above focus the spot's irradiance is below the keyhole onset: conduction, no keyhole to see.
    assert by_cond["defocus"].keyhole_radius_px < 0.1 * by_cond["baseline"].keyhole_radius_px
    assert by_cond["defocus"].penetration is Penetration.lack


def test_conditions_leave_distinct_signatures() -> None:
    welds = [w.model_copy(update={"length_mm": 60.0}) for w in default_weld_sequence("wp")]
    p = WeldProcess(SimProcess(welds=welds, seed=1))
    stats = {}
    for w in p.welds:
        t = np.linspace(w.t_start + 0.02, w.t_end - 0.02, 5000)
        pd = p.photodiode(t)
        stats[w.plan.condition] = (pd.mean(), pd.std(), p.ir_peak_c(t).max(), len(w.pores))
    assert stats["oil_treatment"][0] > stats["baseline"][0]  # burning oil brightens the plume
    assert stats["water_treatment"][1] > stats["baseline"][1]  # film pops: a restless signal
    assert stats["cold_weld"][2] < stats["baseline"][2]  # below the keyhole onset: no boiling surface
    assert stats["low_gap"][3] > stats["baseline"][3]  # trapped vapour → pores


def test_the_state_is_one_row_per_step_for_other_sensors() -> None:
    """A later sensor (a spectrometer, say) derives from the same state: all quantities on one time grid."""
    p = WeldProcess(SimProcess())
    n = len(p.state.t_s)
    assert n > 3000 and all(len(getattr(p.state, f)) == n for f in p.state.__dataclass_fields__)
    t = np.array([p.welds[0].t_start + 0.1, p.welds[0].t_end + 0.1])
    at = p.state_at(t)
    assert isinstance(at, ProcessState) and list(at.weld) == [0, -1]
    assert at.absorbed_power_w[0] > 1000 and at.absorbed_power_w[1] == 0.0
    assert at.pool_peak_c[0] > 1400  # the pool is molten
