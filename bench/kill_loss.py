"""What a SIGKILL costs, idle and with every core kept busy: the crash test's harness, more kills.

Recorders of the default sim rig (small frames) are killed at random instants after their first flush,
recovered and verified; the loss per stream is the time between the kill and the last sample (or gap row) the
recovered store holds. Loaded: one busy-loop process per core, started by the bench, runs during the kills.
The machine these numbers come from is shared with other work, so they are noisy; the load average is given.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.cli.kill_harness import KillResult, kill_many, worst


def _row(label: str, results: list[KillResult], load: float) -> str:
    w = worst(results)
    losses = sorted(v for r in results for v in r.silent_loss_s.values())
    median = losses[len(losses) // 2] if losses else 0.0
    bad = sum(1 for r in results if r.problems)
    streams = " | ".join(f"{w[n]:.2f}" for n in sorted(w))
    return f"| {label} | {len(results)} | {load:.1f} | {streams} | {median:.2f} | {bad} |"


def run(quick: bool, base: str = ".bench-tmp") -> str:
    n = 8 if quick else 30
    os.makedirs(base, exist_ok=True)
    rows = []
    names: list[str] = []
    for label, loaded in (("idle", False), ("loaded (busy loop per core)", True)):
        with tempfile.TemporaryDirectory(dir=base) as out:
            results = kill_many(Path(out), n, loaded=loaded, seed=15 if loaded else 16)
            load = os.getloadavg()[0]
        names = sorted(worst(results))
        rows.append(_row(label, results, load))
    head = " | ".join(f"worst {n} s" for n in names)
    return "\n".join([
        "## What a SIGKILL costs (kill test)",
        "",
        "Recorders of the default sim rig (64x64 camera and IR frames) killed with SIGKILL at random instants "
        "(0-1 s after their first flush), then recovered and verified (checksums and meaning). Loss = kill "
        "instant minus the last sample or gap row the recovered store holds, per stream. The bound is "
        "`recorder.max_at_risk_s` (1 s). This machine is shared with other developers' work: numbers are "
        "noisy, and the 1-minute load average at the end of each series is given.",
        "",
        f"| condition | kills | load avg | {head} | median s | stores with problems |",
        "|---|---|---|" + "---|" * len(names) + "---|---|",
        *rows,
        "",
    ])


if __name__ == "__main__":
    print(run("--quick" in sys.argv))
