"""SIGKILL a recorder at random instants (optionally with the CPU kept busy), recover, and measure the loss.

Shared by the crash test and ``bench/kill_loss.py``. Each recorder is a forked child of this process (the
imports are done once, so a kill lands within seconds of the start even on a loaded machine); the kill is a
real SIGKILL of that process, and ``recover`` and ``verify`` run on what it left.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from weldctl.schema import Rig, RunReader, default_sim_rig, dump_rig, verify_run

HOG = "import time\nwhile True:\n    pass\n"


def light_rig(lead_s: float | None = None) -> Rig:
    """The default sim rig with 64x64 camera and IR frames, so a loaded 2-core CI machine keeps up with it:
    the crash and Ctrl-C tests test the recorder, not how fast the simulator renders full-size frames."""
    rig = default_sim_rig()
    for d in rig.devices:
        if d.kind in ("camera", "ir"):
            d.width = d.height = 64
    if lead_s is not None:
        rig.sim.lead_s = lead_s
    return rig


def light_rig_file(folder: Path) -> Path:
    path = folder / "rig.yaml"
    path.write_text(dump_rig(light_rig()))
    return path


@contextmanager
def cpu_hog(n: int | None = None) -> Iterator[list[int]]:
    """Busy loops on every core (separate processes: the GIL does not cap them) until the block ends."""
    procs = [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(n or os.cpu_count() or 2)]
    try:
        yield [p.pid for p in procs]
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.wait()


def _record_child(out: str, run_id: str) -> None:
    from weldctl.daq import record

    os.setpgrp()
    record(light_rig(lead_s=30.0), run_id, out)  # longer than any kill instant: still recording when killed


def _samples_on_disk(store: Path, stream: str = "daq") -> int:
    meta = store / "streams" / stream / "seq" / "zarr.json"
    try:
        return int(json.loads(meta.read_text())["shape"][0])
    except (OSError, ValueError, KeyError):
        return 0


@dataclass
class KillResult:
    run_id: str
    after_s: float  # recording time before the kill (run start to SIGKILL)
    silent_loss_s: dict[str, float] = field(default_factory=dict)  # per stream: lost with no gap row saying so
    gap_s: dict[str, float] = field(default_factory=dict)  # per stream: time covered by gap rows at the end
    problems: list[str] = field(default_factory=list)


def kill_once(out: Path, run_id: str, rng: random.Random, max_wait_s: float = 1.0) -> tuple[Path, datetime]:
    """Start a recorder, wait until it writes, SIGKILL it at a random instant; (its store, when it died)."""
    ctx = multiprocessing.get_context("fork")
    store = out / f"{run_id}.zarr"
    child = ctx.Process(target=_record_child, args=(str(out), run_id), daemon=True)
    child.start()
    try:
        deadline = time.monotonic() + 120
        while _samples_on_disk(store) == 0:
            if not child.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{run_id}: the recorder never started writing (exit {child.exitcode})")
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, max_wait_s))
        os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
        killed_at = datetime.now(UTC)
        child.join(30)
    finally:
        if child.is_alive():
            child.kill()
            child.join()
    return store, killed_at


def recover_and_measure(store: Path, killed_at: datetime) -> KillResult:
    """Recover a killed recorder's store, verify it, and measure per stream what the kill cost."""
    from weldctl.daq import recover_run

    recover_run(str(store))
    r = RunReader(store)
    res = KillResult(r.run_id, (killed_at - r.manifest.start_utc).total_seconds())
    res.problems = verify_run(str(store)).problems
    for name, spec in r.specs.items():
        t = r.t_ns(name)
        if len(t) and not np.all(np.diff(t) > 0):
            res.problems.append(f"{name}: times not monotonic")
        kept = (t[-1] / 1e9 + 1 / spec.nominal_rate_hz) if len(t) else 0.0
        gaps = r.gaps(name)
        gap_end = float(gaps["t_end_ns"].max()) / 1e9 if len(gaps["t_end_ns"]) else 0.0
        res.silent_loss_s[name] = round(res.after_s - max(kept, gap_end), 3)
        res.gap_s[name] = round(max(0.0, gap_end - kept), 3)
    return res


def kill_many(out: Path, n: int, *, seed: int = 15, max_wait_s: float = 1.0, loaded: bool = False,
              workers: int = 2) -> list[KillResult]:
    """``n`` recorders killed one after another (with every core kept busy when ``loaded``), then recovered
    and measured ``workers`` at a time."""
    from concurrent.futures import ProcessPoolExecutor

    rng = random.Random(seed)
    with cpu_hog() if loaded else _nothing():
        killed = [kill_once(out, f"K{i:03d}", rng, max_wait_s) for i in range(n)]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(recover_and_measure, *zip(*killed, strict=True)))


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def worst(results: list[KillResult]) -> dict[str, float]:
    names = sorted({k for r in results for k in r.silent_loss_s})
    return {n: max(r.silent_loss_s.get(n, 0.0) for r in results) for n in names}
