"""A short sim recording with welds of contrasting conditions, shared by the curation tests."""

from __future__ import annotations

import pytest

from weldctl.schema import WeldPlan


@pytest.fixture(scope="session")
def sim_welds_run(tmp_path_factory: pytest.TempPathFactory) -> str:
    from weldctl.daq import record
    from weldctl.schema import default_sim_rig

    rig = default_sim_rig()
    # A cold (conduction) weld is the faint case for the photodiode; oil gives plume flicker and pores.
    rig.sim.welds = [
        WeldPlan(weld_id=i, condition=c, laser_power_w=p, speed_mm_s=60.0, length_mm=length, gap_mm=0.2)
        for i, (c, p, length) in enumerate([("baseline", 2000.0, 18.0), ("cold_weld", 600.0, 12.0),
                                            ("oil_treatment", 2000.0, 24.0)])
    ]
    rig.sim.gap_s = 0.25
    out = tmp_path_factory.mktemp("seg_runs")
    result = record(rig, "RSEG", str(out))
    assert result.ok, result.error
    return result.uri
