"""Finalize and verify against the size of the recording: finalize must cost about the same for 1 GB as for 50.

Stores are generated quickly: the shard writer fed load-generator camera frames (256x256 uint8) as fast as it
takes them, plus a 4-channel 1-D stream at 100 kS/s, with a clock observation per second. Then, on each:
``finalize_run`` (flush, clock fits and the rewrite of sample times, events, the checksum manifest from the
hashes the writer took as it wrote); the same manifest computed the old way (every file read back and hashed,
page cache dropped first: what finalize cost before); and ``weldctl verify``'s checksum pass, which reads every
file, several at a time.
"""

from __future__ import annotations

import os
import shutil
import sys
import time

import numpy as np

from weldctl.daq import finalize_run
from weldctl.schema import RunManifest, RunWriter, StreamSpec, verify_checksums
from weldctl.schema._checksum import hash_files

from ._harness import camera_frames, scratch

FULL_GB = (1.0, 10.0, 50.0)
QUICK_GB = (0.25, 1.0)
KEEP_FREE_GB = 15.0  # the disk is shared: a store is made only if this much stays free beside it


def _drop_caches(root: str) -> None:
    os.sync()
    for dirpath, _, files in os.walk(root):
        for f in files:
            try:
                fd = os.open(os.path.join(dirpath, f), os.O_RDONLY)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                os.close(fd)
            except OSError:
                pass


def make_store(out: str, gb: float) -> tuple[RunWriter, float]:
    """A store of ``gb`` GB of raw camera frames (and a DAQ-like stream); the writer, still open, and MB/s."""
    cam = StreamSpec(
        name="camera",
        kind="camera",
        device="bench",
        driver="bench",
        dtype="uint8",
        sample_shape=(256, 256),
        units="counts",
        nominal_rate_hz=10_000.0,
    )
    daq = StreamSpec(
        name="daq",
        kind="daq",
        device="bench",
        driver="bench",
        dtype="int16",
        sample_shape=(4,),
        units="counts",
        nominal_rate_hz=100_000.0,
    )
    frames = camera_frames()
    signal = (1000 * np.sin(np.arange(4 * 1000) / 50.0)).astype(np.int16).reshape(1000, 4)
    w = RunWriter.create(out, RunManifest(run_id=f"FIN{int(gb * 100)}", host="bench"), [cam, daq])
    # Fed flat out, the compressors are always behind, and then the writer (adaptive) skips compression and
    # checksums alike, leaving those shards to finalize; a recording the writer keeps up with is hashed as it
    # goes, and that is the case measured here.
    w.pool.adaptive = False
    n = k = 0
    t0 = time.perf_counter()
    while n * cam.bytes_per_sample < gb * 1e9:
        idx = np.arange(n, n + 64, dtype=np.int64)
        w.streams["camera"].append(frames[n % 512 : n % 512 + 64], idx * 100_000, idx)
        n += 64
        if n % 640 == 0:  # 64 ms of the camera at 10 kfps = 6,400 DAQ samples
            j = np.arange(k, k + 6400, dtype=np.int64)
            w.streams["daq"].append(np.resize(signal, (6400, 4)), j * 10_000, j)
            k += 6400
        if n % 10_240 == 0:  # a clock observation per second of recording, a checkpoint per 0.5 s
            w.append_clock_observations("camera", [n * 100_000], [n * 100_000], 0)
        if n % 5120 == 0:
            w.checkpoint(0.5)
    w.flush()
    return w, gb * 1e3 / (time.perf_counter() - t0)


def _stored_bytes(root: str) -> int:
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(root) for f in files)


def _one(base: str, gb: float) -> tuple[float, float, float, float, int, int, float]:
    """(write MB/s, finalize s, full rehash s, verify s, files, files hashed while written, GB stored) for
    ``gb`` GB of raw frames."""
    with scratch(base, f"finalize-{gb:g}") as out:
        w, mb_s = make_store(out, gb)
        hashed = len(w.pool.hashes)
        t0 = time.perf_counter()
        finalize_run(w)
        t_fin = time.perf_counter() - t0
        _drop_caches(w.uri)
        t0 = time.perf_counter()
        files = hash_files(w.uri)  # what finalize did before: read every file back
        t_old = time.perf_counter() - t0
        _drop_caches(w.uri)
        t0 = time.perf_counter()
        rep = verify_checksums(w.uri)
        t_verify = time.perf_counter() - t0
        if not rep.ok:
            raise RuntimeError(f"a generated store does not verify: {rep}")
        stored = _stored_bytes(w.uri) / 1e9
        for dirpath, _, _ in os.walk(w.uri):  # finalized stores are read-only; let scratch delete it
            os.chmod(dirpath, 0o755)
        return mb_s, t_fin, t_old, t_verify, len(files), hashed, stored


def run(quick: bool, base: str = ".bench-tmp") -> str:
    sizes = QUICK_GB if quick else FULL_GB
    free_gb = shutil.disk_usage(base).free / 1e9
    load0 = os.getloadavg()[0]
    rows, skipped = [], []
    stored_share = 1.0  # GB stored per GB of raw frames: until a store is made, assume no compression
    for gb in sizes:
        need = 1.1 * gb * stored_share
        if shutil.disk_usage(base).free / 1e9 - need < KEEP_FREE_GB:
            skipped.append(gb)
            continue
        mb_s, t_fin, t_old, t_verify, n, hashed, stored = _one(base, gb)
        stored_share = max(stored_share if rows else 0.0, stored / gb)
        rows.append(
            f"| {gb:g} | {stored:.1f} | {n:,} | {hashed:,} | {mb_s:,.0f} | **{t_fin:.2f}** | {t_old:.1f} | "
            f"{t_verify:.1f} | {stored * 1e3 / t_verify:,.0f} |"
        )
    lines = [
        "## Finalize and verify against recording size",
        "",
        "Stores generated by the shard writer at full speed (camera 256x256 uint8 + a 4-channel 100 kS/s stream, "
        "a clock observation per second), then finalized with `finalize_run`. The shard writer takes each whole "
        "shard's sha256 on its compress threads as it writes, and finalize reads only what was written otherwise "
        "(metadata, tables, the last partial shard of each array, the rewritten sample times). *Before* is the "
        "manifest computed the old way on the same store (every file read back, page cache dropped). `verify` "
        f"reads every file, {os.cpu_count() or 1} + 1 at a time (page cache dropped). Load average at start: "
        f"{load0:.1f}; {os.cpu_count()} cores.",
        "",
        "| GB raw | GB stored | files | hashed while written | generated at MB/s | finalize s | "
        "before: hash every file s | verify s | verify MB/s (stored) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        "Finalize still rewrites every stream's sample times (t_ns, 8 bytes per sample) onto the fitted clock: "
        "that part grows with the number of samples, not with frame bytes (a 1 MS/s DAQ adds 8 MB of t_ns per "
        "second recorded).",
    ]
    if skipped:
        lines.append(
            f"\nNot run: {', '.join(f'{gb:g}' for gb in skipped)} GB (the store would leave less than "
            f"{KEEP_FREE_GB:g} GB of the {free_gb:.0f} GB free on the shared bench disk)."
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv))
