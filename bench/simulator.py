"""The simulator's signatures: a per-condition table and a power / speed / focus / gap sweep of sensor
statistics, measured on rendered sensor arrays (``_sim_features``), written between the markers of
docs/simulator.md. About a minute.

    python -m bench.simulator [--check]     # --check: fail if docs/simulator.md is not up to date
"""

from __future__ import annotations

import sys
from pathlib import Path

from weldctl.daq.sim import WeldProcess, condition_plan, study_rig
from weldctl.schema import LaserCondition

from ._sim_features import weld_stats

DOC = Path(__file__).resolve().parents[1] / "docs" / "simulator.md"
BEGIN, END = "<!-- bench.simulator: begin -->", "<!-- bench.simulator: end -->"

CONDITION_COLUMNS = [
    ("penetration", "penetration", "{}"), ("n_pores", "pores", "{}"),
    ("pd_mean_v", "PD mean V", "{:.3f}"), ("pd_std_v", "PD std V", "{:.3f}"),
    ("ae_rms_pa", "AE rms Pa", "{:.3f}"), ("ae_impulses_per_s", "AE impulses/s", "{:.0f}"),
    ("ae_low_share", "AE <1 kHz", "{:.2f}"), ("ae_mid_share", "AE 1.5–4.5 kHz", "{:.2f}"),
    ("ae_high_share", "AE 6–20 kHz", "{:.2f}"), ("cam_keyhole_px", "cam keyhole px", "{:.0f}"),
    ("cam_mean_counts", "cam mean", "{:.1f}"), ("ir_peak_c", "IR peak °C", "{:.0f}"),
    ("ir_pool_mm2", "IR pool mm²", "{:.2f}"), ("ir_pool_width_mm", "IR pool width mm", "{:.2f}"),
    ("oct_depth_um", "OCT depth µm", "{:.0f}"), ("oct_std_um", "OCT std µm", "{:.0f}"),
]
SWEEP_COLUMNS = [
    ("keyhole_fraction", "keyhole", "{:.2f}"), ("penetration", "penetration", "{}"),
    ("pd_mean_v", "PD V", "{:.3f}"), ("ae_level_pa", "AE level Pa", "{:.3f}"),
    ("ae_impulses_per_s", "AE impulses/s", "{:.0f}"), ("cam_keyhole_px", "keyhole px", "{:.0f}"),
    ("ir_pool_mm2", "IR pool mm²", "{:.2f}"), ("ir_pool_width_mm", "IR width mm", "{:.2f}"),
    ("oct_depth_um", "OCT µm", "{:.0f}"),
]
SWEEPS: dict[str, tuple[str, list[float]]] = {
    "power": ("laser_power_w", [400.0, 600.0, 800.0, 1000.0, 1300.0, 1600.0, 2000.0, 2500.0, 3000.0]),
    "speed": ("speed_mm_s", [20.0, 40.0, 60.0, 90.0, 120.0, 160.0]),
    "focus": ("focus_offset_mm", [-4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0]),
    "gap": ("gap_mm", [0.0, 0.05, 0.1, 0.2, 0.3, 0.4]),
}


def _table(rows: list[dict[str, float | str]], first: tuple[str, str], columns: list[tuple[str, str, str]]) -> str:
    head = [first[1], *(c[1] for c in columns)]
    out = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * len(columns)]
    for r in rows:
        out.append("| " + " | ".join([str(r[first[0]]), *(fmt.format(r[k]) for k, _, fmt in columns)]) + " |")
    return "\n".join(out)


def condition_table() -> str:
    welds = [condition_plan(str(c), i, length_mm=30.0) for i, c in enumerate(LaserCondition)]
    rows = weld_stats(study_rig(welds, seed=3))
    return _table(rows, ("condition", "condition"), CONDITION_COLUMNS)


def sweep(name: str) -> str:
    field, values = SWEEPS[name]
    welds = [condition_plan("baseline", i, length_mm=max(18.0, 0.3 * v) if field == "speed_mm_s" else 18.0,
                            **{field: v}) for i, v in enumerate(values)]
    rig = study_rig(welds, seed=4)
    rows = weld_stats(rig)
    process = WeldProcess(rig.sim)
    for r, v, w in zip(rows, values, process.welds, strict=True):
        r[field], r["keyhole_fraction"] = f"{v:g}", w.steady.kappa
    return _table(rows, (field, field), SWEEP_COLUMNS)


def generate() -> str:
    parts = [
        BEGIN,
        "",
        "### Per condition (nominal parameters, 30 mm welds, seed 3)",
        "",
        condition_table(),
    ]
    for name in SWEEPS:
        parts += ["", f"### {name.capitalize()} sweep (baseline otherwise: 2 kW, 60 mm/s, focus 0, gap 0.2 mm, clean)",
                  "", sweep(name)]
    parts += ["", END]
    return "\n".join(parts)


def main() -> None:
    doc = DOC.read_text()
    head, rest = doc.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    new = head + generate() + tail
    if "--check" in sys.argv:
        sys.exit(0 if new == doc else "docs/simulator.md is out of date: run python -m bench.simulator")
    DOC.write_text(new)
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
