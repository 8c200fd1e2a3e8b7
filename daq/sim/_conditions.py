"""The seven laser conditions as what they are on the bench: process parameters and a surface state.

Nothing here touches a signal. A condition sets the laser power, speed, focus and gap a weld is planned
with, and what is on the surface (a water or oil film, and how much of the seam it covers). The process
model (``_state``) turns those into every sensor's signal, so two welds with the same parameters look
the same whatever their label says.
"""

from __future__ import annotations

from dataclasses import dataclass

from weldctl.schema import LaserCondition, WeldPlan

# Process parameters of a nominal weld; each condition overrides some of them.
NOMINAL: dict[str, float] = {
    "laser_power_w": 2000.0, "speed_mm_s": 60.0, "focus_offset_mm": 0.0, "gap_mm": 0.2, "length_mm": 30.0,
}
CONDITION_PARAMETERS: dict[str, dict[str, float]] = {
    LaserCondition.baseline: {},
    LaserCondition.low_power: {"laser_power_w": 1300.0},  # keyhole, but too shallow for the sheet
    LaserCondition.low_gap: {"gap_mm": 0.0},  # closed lap gap: the vapour cannot vent
    LaserCondition.defocus: {"focus_offset_mm": 4.0},  # spot x2.2: below the keyhole onset
    LaserCondition.water_treatment: {},
    LaserCondition.oil_treatment: {},
    LaserCondition.cold_weld: {"laser_power_w": 600.0},  # too little energy: conduction, lack of fusion
}
# Surface films, as a weld plan's ``extra`` entries (share of the seam covered, 0..1).
WATER_FILM = "water_film"
OIL_FILM = "oil_film"
CONDITION_SURFACE: dict[str, dict[str, float]] = {
    LaserCondition.water_treatment: {WATER_FILM: 0.7},
    LaserCondition.oil_treatment: {OIL_FILM: 0.7},
}


@dataclass(frozen=True)
class Surface:
    """What is on the seam: film coverage (0 clean … 1 fully wetted)."""

    water: float = 0.0
    oil: float = 0.0


def surface_of(plan: WeldPlan) -> Surface:
    """The plan's films; a plan that names a treatment but no film gets the treatment's nominal film
    (the treatment *is* what was put on the surface)."""
    films = {**CONDITION_SURFACE.get(plan.condition or "", {}), **plan.extra}
    return Surface(water=float(films.get(WATER_FILM, 0.0)), oil=float(films.get(OIL_FILM, 0.0)))


def condition_plan(condition: str, weld_id: int, workpiece: str | None = None, **override: float) -> WeldPlan:
    """A weld planned for ``condition`` with its nominal parameters and surface, ``override`` on top."""
    fields = {**NOMINAL, **CONDITION_PARAMETERS[condition]}
    extra = dict(CONDITION_SURFACE.get(condition, {}))
    for key, value in override.items():
        (fields if key in NOMINAL else extra)[key] = value
    return WeldPlan(weld_id=weld_id, condition=str(condition), workpiece=workpiece, extra=extra, **fields)


def default_weld_sequence(workpiece: str) -> list[WeldPlan]:
    """One weld per laser condition, in the taxonomy's order."""
    return [condition_plan(cond, i, workpiece) for i, cond in enumerate(LaserCondition)]
