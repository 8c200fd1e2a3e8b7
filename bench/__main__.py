"""Run every benchmark section and write BENCHMARKS.md.

    python -m bench [--quick] [--dir FOLDER] [--only SECTION ...] [--out BENCHMARKS.md]

Sections are modules with ``run(quick: bool) -> str`` returning a markdown section. Run on the disk that
recordings go to (the folder must not be tmpfs); the full suite takes about two hours.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import time
from datetime import UTC, datetime

from ._machine import describe

# The DVC section is the longest (about an hour): last, so that the others are written if it is cut short.
SECTIONS = ["bench.recorder_limit", "bench.finalize", "bench.upload", "bench.alignment", "bench.kill_loss",
            "bench.memory", "bench.curation", "bench.sim_labels", "bench.live_view", "bench.datasets"]


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench")
    ap.add_argument("--quick", action="store_true", help="short runs (smoke test of the benchmarks)")
    ap.add_argument("--dir", default=".bench-tmp", help="scratch folder on the disk under test")
    ap.add_argument("--only", nargs="*", help="section modules to run (default: all)")
    ap.add_argument("--out", default="BENCHMARKS.md")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    parts = [
        "# weldctl benchmarks",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with "
        f"`python -m bench{' --quick' if args.quick else ''}`.",
        "",
        describe(args.dir),
        "",
    ]
    for name in args.only or SECTIONS:
        t0 = time.perf_counter()
        module = importlib.import_module(name if "." in name else f"bench.{name}")
        # Sections that take ``base`` write on the disk under test; the others manage their own scratch space.
        takes_base = "base" in inspect.signature(module.run).parameters
        parts.append(module.run(args.quick, base=args.dir) if takes_base else module.run(args.quick))
        parts.append(f"_({name}: {time.perf_counter() - t0:.0f} s)_\n")
        print(f"{name}: {time.perf_counter() - t0:.0f} s", flush=True)
        # Written after every section: a run of two hours that is stopped keeps what it measured.
        with open(args.out, "w") as f:
            f.write("\n".join(parts))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
