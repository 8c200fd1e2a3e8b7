"""Record a folder of short simulated runs with varied conditions, workpieces and seeds.

    python scripts/sim_runs.py --out runs --n 12          # or: make sim-runs

Each run welds a few short seams on its own workpiece (two runs share one, as on a real bench), cycling
through the seven laser conditions, with small cameras so a dataset of dozens of runs records in a minute.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml

from weldctl.daq import record
from weldctl.daq.sim import condition_plan
from weldctl.schema import LaserCondition, Rig, SimProcess, parse_rig

RIG_YAML = """
name: sim-small
devices:
  - {{name: camera, kind: camera, width: {cam}, height: {cam}, fps: {fps}}}
  - {{name: ir, kind: ir, width: 16, height: 16, fps: 50}}
  - {{name: daq, kind: daq, rate_hz: 5000}}
  - {{name: oct, kind: oct, rate_hz: 2000}}
  - {{name: spectrometer, kind: spectrometer, rate_hz: 100}}
"""


def sim_rig(
    i: int,
    welds_per_run: int = 3,
    weld_mm: float = 9.0,
    runs_per_workpiece: int = 2,
    camera_px: int = 32,
    camera_fps: float = 500.0,
) -> Rig:
    conds = list(LaserCondition)
    welds = []
    for k in range(welds_per_run):
        cond = str(conds[(i * welds_per_run + k) % len(conds)])
        welds.append(condition_plan(cond, k, length_mm=weld_mm))
    rig = parse_rig(yaml.safe_load(RIG_YAML.format(cam=camera_px, fps=camera_fps)))
    rig.sim = SimProcess(
        seed=100 + i, workpiece=f"WP-{i // runs_per_workpiece:03d}", lead_s=0.05, gap_s=0.05, welds=welds
    )
    # Training data wants every sample: a writer that falls behind (a busy machine) may hold seconds in memory
    # instead of dropping blocks.
    rig.recorder.max_at_risk_s = 10.0
    return rig


def record_sim_runs(out: str | Path, n: int, *, first: int = 0, **kw: Any) -> list[str]:
    Path(out).mkdir(parents=True, exist_ok=True)
    uris = []
    for i in range(first, first + n):
        res = record(sim_rig(i, **kw), f"R{i:04d}", str(out), overwrite=True)
        if not res.ok:
            raise SystemExit(f"run R{i:04d} failed: {res.error}")
        uris.append(res.uri)
    return uris


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="runs")
    ap.add_argument("--n", type=int, default=12)
    ap.add_argument("--first", type=int, default=0)
    ap.add_argument("--camera-px", type=int, default=32, help="square camera frame size")
    a = ap.parse_args()
    for uri in record_sim_runs(a.out, a.n, first=a.first, camera_px=a.camera_px):
        print(uri)
