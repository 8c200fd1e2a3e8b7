"""Plotting leaves the caller's matplotlib alone: no backend switch, no pyplot figures left behind.

A notebook user with an interactive backend calls weldctl's plots; before, they switched the
process to Agg. Checked in a fresh interpreter with a non-Agg backend chosen first.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

CODE = """
import sys
import matplotlib
matplotlib.use("pdf")
from weldctl.curation import quicklook
from weldctl.curation.dataset._card_plots import class_matrix, group_counts, provenance
from weldctl.schema import RunReader

out = sys.argv[2]
rows = [{"split": s, "penetration": p, "condition": c, "run_id": r, "label_source": "truth", "origin": "recorded"}
        for s, p, c, r in [("train", "full", "baseline", "R1"), ("val", "lack", "low_power", "R2"),
                           ("test", "partial", "defocus", "R3")]]
paths = [class_matrix(rows, "penetration", "condition", out + "/m.png"), group_counts(rows, "run_id", out + "/g.png"),
         provenance(rows, out + "/p.png"), str(quicklook(RunReader(sys.argv[1]), out + "/q.png").path)]
print(matplotlib.get_backend(), "matplotlib.pyplot" in sys.modules, len(paths))
"""


def test_plots_keep_the_callers_backend(sim_run_3s: str, tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", CODE, sim_run_3s, str(tmp_path)], capture_output=True, text=True,
                          check=False, timeout=300, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["pdf", "False", "4"]
    assert all((tmp_path / f"{n}.png").stat().st_size > 1000 for n in "mgpq")


def test_no_library_module_selects_a_backend() -> None:
    for pkg in ("schema", "daq", "curation", "cli"):
        for path in (REPO / pkg).rglob("*.py"):
            assert "matplotlib.use(" not in path.read_text(), path
