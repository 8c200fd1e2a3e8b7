"""How each laser condition changes the process: the signatures the sim rig leaves in every stream."""

from __future__ import annotations

from dataclasses import dataclass

from weldctl.schema import LaserCondition, WeldPlan


@dataclass(frozen=True)
class Signature:
    pore_rate_hz: float = 0.5  # keyhole collapses per second of welding
    plume: float = 1.0  # photodiode gain from the vapour plume
    plume_flicker: float = 0.05  # relative low-frequency plume fluctuation
    spatter: float = 0.0  # acoustic crackle level
    absorptivity: float = 1.0  # share of power coupled into the keyhole


SIGNATURES: dict[str, Signature] = {
    LaserCondition.baseline: Signature(),
    LaserCondition.low_power: Signature(pore_rate_hz=0.5, plume=0.8),
    # A closed gap traps vapour (zinc, in coated lap joints): collapses and blow-outs.
    LaserCondition.low_gap: Signature(pore_rate_hz=8.0, spatter=0.6, plume_flicker=0.15),
    LaserCondition.defocus: Signature(pore_rate_hz=0.3, plume=0.7),
    # Water boils off into hydrogen porosity and a restless plume.
    LaserCondition.water_treatment: Signature(pore_rate_hz=6.0, plume=1.1, plume_flicker=0.25, spatter=0.3),
    # Oil burns: smoke brightens and flickers the plume, and gas makes pores.
    LaserCondition.oil_treatment: Signature(pore_rate_hz=4.0, plume=1.5, plume_flicker=0.35, spatter=0.2,
                                            absorptivity=0.9),
    LaserCondition.cold_weld: Signature(pore_rate_hz=0.0, plume=0.3, plume_flicker=0.02),
}

# Process parameters a sim weld gets for its condition (the manifest records them).
_NOMINAL = {"laser_power_w": 2000.0, "speed_mm_s": 60.0, "focus_offset_mm": 0.0, "gap_mm": 0.2, "length_mm": 30.0}
_OVERRIDES: dict[str, dict[str, float]] = {
    LaserCondition.baseline: {},
    LaserCondition.low_power: {"laser_power_w": 1300.0},
    LaserCondition.low_gap: {"gap_mm": 0.0},
    LaserCondition.defocus: {"focus_offset_mm": 4.0},
    LaserCondition.water_treatment: {},
    LaserCondition.oil_treatment: {},
    LaserCondition.cold_weld: {"laser_power_w": 600.0},
}


def default_weld_sequence(workpiece: str) -> list[WeldPlan]:
    """One weld per laser condition, in the taxonomy's order."""
    return [
        WeldPlan(weld_id=i, condition=str(cond), workpiece=workpiece, **{**_NOMINAL, **_OVERRIDES[cond]})
        for i, cond in enumerate(LaserCondition)
    ]


def signature(condition: str | None) -> Signature:
    return SIGNATURES.get(condition or LaserCondition.baseline, SIGNATURES[LaserCondition.baseline])
