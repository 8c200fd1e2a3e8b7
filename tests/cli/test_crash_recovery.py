"""Issue: crash safety — a recorder killed with SIGKILL leaves a store `weldctl recover` finalizes,
holding everything up to at most 1 s before the kill; `weldctl verify` passes afterwards."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from tests.cli.kill_harness import light_rig_file
from weldctl.schema import RunReader, default_sim_rig

MAX_AT_RISK_S = 1.0
RUN_BEFORE_KILL_S = 2.5


def weldctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "weldctl.cli", *args], capture_output=True, text=True,
                          check=False, env={**os.environ, "COLUMNS": "200"})


def _daq_samples_on_disk(store: Path) -> int:
    meta = store / "streams" / "daq" / "seq" / "zarr.json"
    return json.loads(meta.read_text())["shape"][0] if meta.exists() else 0


def test_sigkill_then_recover_then_verify(tmp_path: Path) -> None:
    store = tmp_path / "RKILL.zarr"
    proc = subprocess.Popen([sys.executable, "-m", "weldctl.cli", "record", "--run-id", "RKILL", "--out",
                             str(tmp_path), "--no-live", "--rig", str(light_rig_file(tmp_path))],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while _daq_samples_on_disk(store) == 0:  # recording for real: the first flush is on disk
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.05)
        time.sleep(RUN_BEFORE_KILL_S)
        proc.send_signal(signal.SIGKILL)
        killed_at = datetime.now(UTC)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL

    before = RunReader(store)
    assert before.manifest.status == "recording"
    elapsed_s = (killed_at - before.manifest.start_utc).total_seconds()
    assert weldctl("verify", str(store)).returncode == 2  # never finalized: no checksum manifest yet

    out = weldctl("recover", str(store))
    assert out.returncode == 0, out.stderr + out.stdout
    assert out.stdout.count("recovered") == 1 and "next: weldctl verify" in out.stdout, out.stdout
    r = RunReader(store)
    assert r.manifest.status == "recovered"
    lost = {name: elapsed_s - (r.t_ns(name)[-1] / 1e9 + 1 / spec.nominal_rate_hz) for name, spec in r.specs.items()}
    print("seconds lost to the kill per stream:", {k: round(v, 3) for k, v in lost.items()})
    for name, spec in r.specs.items():
        seq, t = r.seq(name), r.t_ns(name)
        n = r.length(name)
        assert n and np.array_equal(seq, np.arange(seq[0], seq[0] + n)), f"{name}: a hole in the recovered data"
        assert np.all(np.diff(t) > 0)
        kept_s = t[-1] / 1e9 + 1 / spec.nominal_rate_hz
        assert kept_s >= elapsed_s - MAX_AT_RISK_S, (name, kept_s, elapsed_s)
        assert np.asarray(r.data(name)[n - 1 : n]).shape[0] == 1  # the last chunk reads
    assert r.clock("daq")["alignment"] == "sample_clock" and r.has_truth()
    ok = weldctl("verify", str(store))
    assert ok.returncode == 0 and "files match" in ok.stdout, ok.stdout + ok.stderr
    again = weldctl("recover", str(store))
    assert again.returncode == 2 and "nothing to recover" in again.stderr
    # Raw stays raw: touch one chunk and verify says so.
    chunk = next(p for p in (store / "streams" / "daq" / "data").rglob("*") if p.is_file() and p.name != "zarr.json")
    chunk.write_bytes(chunk.read_bytes() + b"\0")
    bad = weldctl("verify", str(store))
    assert bad.returncode == 1 and "changed" in bad.stdout, bad.stdout + bad.stderr


KILLS = 30


@pytest.mark.slow
@pytest.mark.integration
def test_sigkill_at_random_instants_under_cpu_load_loses_at_most_a_second(tmp_path: Path) -> None:
    """Issue: under CPU load a SIGKILL lost up to 6.5 s, and a kill mid-append tore table rows (recovery then
    ran a stream's times backwards). 30 kills at random instants while both cores are kept busy: every store
    recovers with monotonic times, passes the semantic verify, and loses at most max_at_risk_s (1 s) per
    stream beyond what gap rows record."""
    from tests.cli.kill_harness import kill_many, worst

    results = kill_many(tmp_path, KILLS, loaded=True)
    assert len(results) == KILLS
    for r in results:
        assert not r.problems, (r.run_id, r.problems)
    print("worst silent loss per stream (s):", worst(results))
    for r in results:
        for name, lost in r.silent_loss_s.items():
            assert lost <= default_sim_rig().recorder.max_at_risk_s, (r.run_id, name, lost, r.after_s)
