"""The live view's cost to a recording: the load generator at 10 kfps with and without the view and two viewers.

Each round records the load (camera 256x256 at 10 kfps + IR 500 Hz + DAQ 4 ch at 1 MS/s + OCT 100 kHz) once
plain and once with the live page served and two viewers polling it the way the page does (state at 4 Hz
over a keep-alive connection, each new frame fetched once), in a separate process like a browser. The
conditions alternate, so the drift of a shared machine falls on both. Reported: losses, camera frames kept,
ingest, CPU of the recording process, the view thread's own CPU, and the viewers' CPU.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from unittest import mock

import psutil

from weldctl.daq import LiveView, Recorder, ViewServer, ViewTap, build_devices, manifest_for
from weldctl.schema import load_sim_rig

from ._harness import _flush_only, scratch

KFPS = 10.0  # the load the live view must not disturb (its issue's target)
# The view's own cost, without the shared disk's stalls: a rate this 2-core machine holds with zero losses
# for 30 s without the view, recorded to RAM (/dev/shm), so a loss with the view can only be the view's.
# (On this machine's shared virtual disk, ~370 MB/s O_DIRECT when quiet, stalls of over a second make the
# writer shed blocks at 0.5 kfps already, with or without the view.)
HELD_KFPS = 2.0
RAM_DIR = "/dev/shm"

# Two browser-like viewers in one process (threads), each on its own keep-alive connection.
VIEWERS = r"""
import http.client, json, sys, threading, time
port, seconds, n = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
polls = [0] * n
def viewer(k):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    seen = {}
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        conn.request("GET", "/api/state")
        state = json.loads(conn.getresponse().read())
        polls[k] += 1
        for f in state.get("frames", []):
            if seen.get(f["name"]) != f["seq"]:
                conn.request("GET", "/api/frame/%s.png?seq=%d" % (f["name"], f["seq"]))
                conn.getresponse().read()
                seen[f["name"]] = f["seq"]
        time.sleep(0.25)
threads = [threading.Thread(target=viewer, args=(k,)) for k in range(n)]
[t.start() for t in threads]
[t.join() for t in threads]
print(sum(polls))
"""


@dataclass
class ViewRun:
    view: bool
    lost: int
    lost_by_stream: dict[str, int]
    camera_share: float
    ingest_mb_s: float
    cpu_s: float  # the recording process
    duration_s: float
    view_cpu_s: float = 0.0  # the view thread and the HTTP threads (their own CPU time)
    viewers_cpu_s: float = 0.0  # the two viewers' process
    polls: int = 0
    headroom: float = 0.0


def record_with_view(view: bool, duration_s: float, base: str, viewers: int = 2, kfps: float = KFPS) -> ViewRun:
    rig = load_sim_rig(kfps, duration_s)
    with scratch(base, f"live-view-{int(view)}") as out:
        devices = build_devices(rig)
        rec = Recorder(
            devices,
            manifest_for(rig, "BENCHVIEW"),
            out,
            queue_seconds=rig.recorder.queue_seconds,
            flush_interval_s=rig.recorder.flush_interval_s,
        )
        for d in devices:
            d.configure()  # banks are built here, outside the measured part
        source = server = client = None
        if view:
            tap = ViewTap()
            rec.tap = tap
            source = LiveView(rec, tap, window_s=rig.view.window_s, refresh_hz=rig.view.refresh_hz).start()
            server = ViewServer(source).start()
            port = server.url.rsplit(":", 1)[1].strip("/")
            client = subprocess.Popen(
                [sys.executable, "-c", VIEWERS, port, str(duration_s + 2), str(viewers)],
                stdout=subprocess.PIPE,
                text=True,
            )
        c0 = os.times()
        try:
            with mock.patch("weldctl.daq._store_lifecycle.finalize_run", _flush_only):
                result = rec.run(duration_s=duration_s, stop_after_sequence=False)
            c1 = os.times()
            polls, viewers_cpu = 0, 0.0
            if client is not None:
                t = psutil.Process(client.pid).cpu_times()
                viewers_cpu = t.user + t.system
                out_text, _ = client.communicate(timeout=30)
                polls = int(out_text.strip() or 0)
        finally:
            if client is not None and client.poll() is None:
                client.kill()
            if server is not None:
                server.close()
            if source is not None:
                source.stop()
        nbytes = sum(s.bytes for s in result.stats.values())
        return ViewRun(
            view=view,
            lost=sum(s.lost for s in result.stats.values()),
            lost_by_stream={n: s.lost for n, s in result.stats.items() if s.lost},
            camera_share=result.stats["camera"].received / (kfps * 1000.0 * duration_s),
            ingest_mb_s=nbytes / result.duration_s / 1e6,
            cpu_s=(c1.user + c1.system) - (c0.user + c0.system),
            duration_s=result.duration_s,
            view_cpu_s=(source.cpu_s + server.cpu_s) if source and server else 0.0,
            viewers_cpu_s=viewers_cpu,
            polls=polls,
            headroom=result.writer.get("headroom", 0.0),
        )


def run(quick: bool, base: str = ".bench-tmp", kfps: float | None = None, rounds: int | None = None) -> str:
    """The issue's load, then a rate the machine holds without the view (unless ``kfps`` picks one)."""
    if kfps:
        return _series(quick, base, kfps, rounds)
    ram = os.path.join(RAM_DIR, "weldctl-bench") if os.path.isdir(RAM_DIR) else base
    return "\n".join([_series(quick, base, KFPS, rounds), _series(quick, ram, HELD_KFPS, rounds, on_ram=ram != base)])


def _lost(r: ViewRun) -> str:
    """Samples lost, and by which streams (a shared disk's stall hits the fastest stream first)."""
    if not r.lost:
        return "0"
    return f"{r.lost:,} ({', '.join(f'{n} {k:,}' for n, k in r.lost_by_stream.items())})"


def _series(quick: bool, base: str, kfps: float, rounds: int | None, on_ram: bool = False) -> str:
    os.makedirs(base, exist_ok=True)
    duration = 6.0 if quick else 30.0
    rounds = rounds or (1 if quick else 3)
    runs: list[ViewRun] = []
    t0 = time.strftime("%H:%M", time.gmtime())
    load0 = os.getloadavg()[0]
    for i in range(rounds):
        # Alternate which condition goes first, so neither always follows the other's disk writeback.
        order = (False, True) if i % 2 == 0 else (True, False)
        for view in order:
            r = record_with_view(view, duration, base, kfps=kfps)
            runs.append(r)
            print(
                f"  live view {'on ' if view else 'off'}: lost {r.lost} {r.lost_by_stream or ''}, "
                f"camera {r.camera_share:.1%}, "
                f"{r.ingest_mb_s:,.0f} MB/s, CPU {r.cpu_s:.1f} s, view {r.view_cpu_s:.2f} s",
                flush=True,
            )
    load1 = os.getloadavg()[0]
    off = [r for r in runs if not r.view]
    on = [r for r in runs if r.view]

    def med(rs: list[ViewRun], f) -> float:  # type: ignore[no-untyped-def]
        return statistics.median(f(r) for r in rs)

    ingest_ratio = med(on, lambda r: r.ingest_mb_s) / med(off, lambda r: r.ingest_mb_s)
    cpu_extra = med(on, lambda r: r.cpu_s / r.duration_s) - med(off, lambda r: r.cpu_s / r.duration_s)
    rows = [
        f"| {'on, 2 viewers' if r.view else 'off'} | {_lost(r)} | {r.camera_share:.1%} | {r.ingest_mb_s:,.0f} | "
        f"{100 * r.cpu_s / r.duration_s:.0f} % | {r.headroom:.0%} | "
        f"{f'{100 * r.view_cpu_s / r.duration_s:.1f} %' if r.view else '—'} | "
        f"{f'{100 * r.viewers_cpu_s / r.duration_s:.1f} % ({r.polls} polls)' if r.view else '—'} |"
        for r in runs
    ]
    return "\n".join(
        [
            f"## Live view during a recording (load generator at {kfps:g} kfps, two viewers"
            f"{', recorded to RAM' if on_ram else ''})",
            "",
            f"`weldctl record --load-kfps {kfps:g} --duration {duration:.0f}` in-process "
            f"({rounds} rounds from {t0} UTC, "
            "conditions interleaved: the machine is shared and noisy, so compare medians). *On*: the live page is "
            "served and two viewers poll it as the page does (state at 4 Hz, every new frame once), from a separate "
            "process. CPU is of the recording process (simulator + recorder + writer [+ view]) in % of one core. "
            f"Load average of the 2-core machine (other work included): {load0:.1f} before, {load1:.1f} after."
            + (" The store is written to RAM (/dev/shm), so the shared disk's stalls cannot cause a loss: one "
               "with the view would be the view's." if on_ram else ""),
            "",
            "| view | lost | camera frames kept | ingest MB/s | process CPU | writer headroom | view CPU (its thread + "
            "HTTP) | viewers' CPU |",
            "|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            f"Median ingest with the view / without: **{ingest_ratio:.3f}**; the view adds "
            f"**{100 * cpu_extra:+.1f} %** of a core to the recording process (median difference; the view's own "
            f"threads, measured directly: {100 * med(on, lambda r: r.view_cpu_s / r.duration_s):.1f} %). "
            "Losses with the view: "
            f"{sum(r.lost for r in on):,}; without: {sum(r.lost for r in off):,}.",
            "",
        ]
    )


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(prog="python -m bench.live_view")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--kfps", type=float, default=None, help=f"one rate (default: {KFPS:g}, then {HELD_KFPS:g} kfps)")
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument("--dir", default=".bench-tmp")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    print(run(args.quick, base=args.dir, kfps=args.kfps, rounds=args.rounds))
