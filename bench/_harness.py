"""Running the recorder on the load generator with a given writer, and the raw-disk baseline.

Every writer sits in the same place (the recorder's writer thread), behind the same acquisition threads,
queues and loss accounting, on the same load (``load_sim_rig``). A rate "holds" when nothing was lost and
the simulator kept real time (the camera delivered >= 97 % of its nominal frames).
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from unittest import mock

import numpy as np

from weldctl.daq import Recorder, build_devices, manifest_for
from weldctl.daq._writer_loop import WriterLoop
from weldctl.schema import load_sim_rig
from weldctl.schema._shard_io import ALIGN, aligned_empty

from ._sinks import SINKS

KEEP_UP = 0.97  # share of nominal camera frames that must arrive for a rate to count
PROBE_QUEUE = 0.5  # a short probe also fails if a recorder queue filled past this: it would overflow later


@dataclass
class LoadResult:
    writer: str
    kfps: float
    duration_s: float
    lost: int
    camera_share: float  # camera frames received / nominal
    ingest_mb_s: float
    cpu_s: float
    gb: float
    error: str = ""
    max_queue: float = 0.0  # deepest recorder queue fill seen during the run
    stored_gb: float = 0.0  # what the run left on disk

    @property
    def held(self) -> bool:
        return not self.error and self.lost == 0 and self.camera_share >= KEEP_UP

    @property
    def probe_held(self) -> bool:
        return self.held and self.max_queue <= PROBE_QUEUE

    @property
    def cpu_s_per_gb(self) -> float:
        return self.cpu_s / self.gb if self.gb else float("nan")


class _SinkLoop(WriterLoop):
    """The writer loop with another library in the run store's place for the samples."""

    sink: object
    written: dict[str, int]  # samples and bytes the sink took, per stream (the summary counts the store's)

    def write_block(self, pipe, block) -> None:  # type: ignore[no-untyped-def]
        t_prov = pipe.device_ns(block) + (pipe.provisional or 0)
        try:
            self.sink.append(pipe.spec, block.data, t_prov, block.seq)  # type: ignore[attr-defined]
        except Exception as exc:  # the writer thread must not die silently: count the run as failed
            self.stop.fail(f"{type(exc).__name__}: {exc}")
            raise OSError(str(exc)) from exc
        name = pipe.spec.name
        self.written[name] = self.written.get(name, 0) + len(block)
        self.written[f"{name}.bytes"] = self.written.get(f"{name}.bytes", 0) + block.nbytes
        pipe.appended(self.written[name], int(block.seq[-1]))  # as the recorder's own write path does
        pipe.stats.samples += len(block)
        pipe.stats.bytes += block.nbytes


class _SinkRecorder(Recorder):
    """The recorder with another library in the writer's place (the run store keeps events and clocks)."""

    sink: object
    written: dict[str, int]  # samples and bytes the sink took, per stream (the summary counts the store's)

    def _writer_loop(self, writer):  # type: ignore[no-untyped-def]
        loop = _SinkLoop(writer, self.pipes, self._flag, t0_ns=self.t0_ns, end_ns=self.end_ns,
                         flush_interval_s=self.flush_interval_s, max_at_risk_s=self.max_at_risk_s)
        loop.sink = self.sink
        loop.written = self.written
        return loop


def _flush_only(writer, **_: object) -> dict:  # type: ignore[no-untyped-def]
    """Finalize minus clock fits and checksums: those run after recording and are not ingest."""
    writer.flush()
    writer.pool.close()
    return {}


@contextmanager
def scratch(base: str, name: str) -> Iterator[str]:
    path = os.path.join(base, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def record_load(writer: str, kfps: float, duration_s: float, base: str) -> LoadResult:
    """One recording of the load at ``kfps`` for ``duration_s`` with ``writer`` ("weldctl" or a sink)."""
    rig = load_sim_rig(kfps, duration_s)
    with scratch(base, f"load-{writer}-{kfps:g}") as out:
        devices = build_devices(rig)
        manifest = manifest_for(rig, "BENCH")
        settings = rig.recorder
        kwargs = {"queue_seconds": settings.queue_seconds, "flush_interval_s": settings.flush_interval_s}
        sink = None
        if writer.startswith("weldctl"):  # "weldctl" (the rig's default durability) or "weldctl:<durability>"
            durability = writer.partition(":")[2] or settings.durability
            rec: Recorder = Recorder(devices, manifest, out, durability=durability, **kwargs)
        else:
            rec = _SinkRecorder(devices, manifest, out, **kwargs)
            sink = SINKS[writer](out, duration_s)
            rec.sink = sink  # type: ignore[attr-defined]
            rec.written = {}  # type: ignore[attr-defined]
        for d in devices:
            d.configure()  # banks are built here, outside the timed part
        deepest = [0.0]

        def watch(r: Recorder) -> None:
            deepest[0] = max([deepest[0], *(s.queue_fill for s in r.stats.values())])

        c0, t0 = os.times(), time.perf_counter()
        with mock.patch("weldctl.daq._store_lifecycle.finalize_run", _flush_only):
            result = rec.run(duration_s=duration_s, stop_after_sequence=False, on_tick=watch, tick_s=0.1)
        if sink is not None:
            sink.close()
        c1 = os.times()
        wall = time.perf_counter() - t0
        stored = sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(out) for f in files)
        cam = result.stats["camera"]
        if sink is None:
            nbytes = sum(s.bytes for s in result.stats.values())
        else:
            nbytes = sum(v for k, v in rec.written.items() if k.endswith(".bytes"))  # type: ignore[attr-defined]
        return LoadResult(
            writer=writer, kfps=kfps, duration_s=result.duration_s,
            lost=sum(s.lost for s in result.stats.values()),
            camera_share=cam.received / (kfps * 1000.0 * duration_s),
            ingest_mb_s=nbytes / result.duration_s / 1e6,
            cpu_s=(c1.user + c1.system) - (c0.user + c0.system), gb=nbytes / 1e9, error=result.error,
            max_queue=deepest[0], stored_gb=stored / 1e9,
        ) if wall > 0 else LoadResult(writer, kfps, 0, 0, 0, 0, 0, 0, "no time")


def _fitting_duration(base: str, kfps: float, duration_s: float, probe: LoadResult | None = None) -> float:
    """The longest run up to ``duration_s`` whose store fits in 70 % of the free space (each store is deleted
    after its run): estimated from what the probe at this rate stored, else from the raw bytes."""
    if probe is not None and probe.stored_gb > 0:
        per_s = probe.stored_gb * 1e9 / probe.duration_s * 1.15
    else:
        per_s = kfps * 1000 * 65536 + 500 * 163840 + 16e6 + 0.8e6
    return min(duration_s, 0.7 * shutil.disk_usage(base).free / per_s)


MAX_CONFIRMATIONS = 3  # long runs per writer: enough to step below a rate that held only for a probe


def highest_rate(writer: str, start: float, step: float, base: str, *, probe_s: float, confirm_s: float,
                 max_probes: int, max_kfps: float) -> tuple[LoadResult | None, list[LoadResult]]:
    """The highest camera rate ``writer`` records for ``confirm_s`` with zero losses.

    Short probes (zero losses, queues never past half full) step up from ``start`` (down while they fail),
    then bisect once between the best rate held and the lowest that failed; the best probed rate is then
    recorded for ``confirm_s`` (the next one down if that fails, stepping below the probes if need be).
    Returns the confirmed run (or None) and every run.
    """
    runs: list[LoadResult] = []
    held: list[float] = []
    failed: float | None = None
    kfps = start
    for _ in range(max_probes):
        if kfps <= 0 or kfps > max_kfps or _fitting_duration(base, kfps, probe_s) < probe_s:
            break
        r = record_load(writer, kfps, probe_s, base)
        runs.append(r)
        if r.probe_held:
            held.append(kfps)
        else:
            failed = kfps if failed is None else min(failed, kfps)
        if held and failed is not None:
            mid = round((max(held) + failed) / 2, 1)
            if failed - max(held) <= step / 2 + 1e-9 or mid in held:
                break
            kfps = mid
        else:
            kfps = kfps + step if held else kfps - step
    # Confirmation: the best rates held, highest first, then steps down from the lowest (a 10 s probe can
    # hold where 30 s does not, when the disk's slow stretches come less often than every 10 s).
    below = [round(min(held) - k * step, 1) for k in range(1, MAX_CONFIRMATIONS + 1)] if held else []
    candidates = sorted(held, reverse=True) + [r for r in below if r > 0]
    tries = 0
    for rate in candidates:
        # The nearest probe at or above this rate: it stored at least as fast, so the estimate errs long.
        probe = min((r for r in runs if r.probe_held and r.kfps >= rate), key=lambda r: r.kfps, default=None)
        # A fast writer fills the disk sooner: its confirmation is as long as the free space allows, but at
        # least half of confirm_s (else the next rate down is confirmed instead).
        if tries == MAX_CONFIRMATIONS:
            break
        seconds = float(int(_fitting_duration(base, rate, confirm_s, probe)))
        if seconds < confirm_s / 2:
            continue
        tries += 1
        r = record_load(writer, rate, seconds, base)
        runs.append(r)
        if r.held:
            return r, runs
    return None, runs


def odirect_write(base: str, nbytes: int, block: int = 32 << 20) -> float:
    """MB/s of one sequential O_DIRECT write of ``nbytes`` in shard-sized writes (the physical baseline)."""
    buf = aligned_empty(block)
    buf[:] = np.random.default_rng(0).integers(0, 255, block, dtype=np.uint8)
    path = os.path.join(base, "odirect.bin")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_DIRECT", 0)
    fd = os.open(path, flags, 0o644)
    try:
        t0 = time.perf_counter()
        done = 0
        view = memoryview(buf)
        while done < nbytes:
            done += os.write(fd, view[: min(block, -(-(nbytes - done) // ALIGN) * ALIGN)])
        os.fsync(fd)
        return done / (time.perf_counter() - t0) / 1e6
    finally:
        os.close(fd)
        os.unlink(path)


def camera_frames(n: int = 512) -> np.ndarray:
    """``n`` load-generator camera frames (256x256 uint8): a melt pool with a pulsing keyhole, noise varying."""
    from weldctl.daq.sim import FrameBank

    bank = FrameBank(256, 256, seed=1)
    bank.add_scene(1, pool_length_px=60.0, pool_width_px=30.0, spot_px=4.0, peak_c=1800.0, kappa=0.3)
    return bank.take(np.ones(n, np.int64), 5.0 + 3.0 * np.sin(np.arange(n) / 40.0), np.arange(n))


@dataclass
class Unpaced:
    mb_s: float
    cpu_s_per_gb: float
    busy_s_per_gb: dict[str, float]  # the writer's own threads: compress, hash, io (per GB of raw frames)
    profile: str  # cProfile of the appending thread, top entries


def unpaced_writer(base: str, nbytes: int, durability: str = "none", profile: bool = False) -> Unpaced:
    """MB/s and CPU s/GB of weldctl's writer alone, fed load-generator camera frames as fast as it takes
    them: the writer's capacity, to compare with the raw O_DIRECT write of the same bytes."""
    import cProfile
    import io
    import pstats

    from weldctl.schema import RunManifest, RunWriter, StreamSpec

    spec = StreamSpec(name="camera", kind="camera", device="bench", driver="bench", dtype="uint8",
                      sample_shape=(256, 256), units="counts", nominal_rate_hz=10_000.0)
    frames = camera_frames()
    with scratch(base, "unpaced") as out:
        w = RunWriter.create(out, RunManifest(run_id="UNPACED", host="bench"), [spec],
                             durability=durability)  # type: ignore[arg-type]
        app = w.streams["camera"]
        n = 0
        prof = cProfile.Profile() if profile else None
        c0, t0 = os.times(), time.perf_counter()
        if prof:
            prof.enable()
        while n * spec.bytes_per_sample < nbytes:
            idx = np.arange(n, n + 64, dtype=np.int64)
            app.append(frames[n % 512 : n % 512 + 64], idx, idx)
            n += 64
            if n % 4096 == 0:
                w.checkpoint(0.5, events=False)  # as the recorder does every flush interval
        w.flush()
        if prof:
            prof.disable()
        wall = time.perf_counter() - t0
        c1 = os.times()
        w.pool.close()
        gb = n * spec.bytes_per_sample / 1e9
        pool = w.pool
        busy = {"compress": (pool.compress_busy_s - pool.hash_busy_s) / gb, "hash": pool.hash_busy_s / gb,
                "io": pool.io_busy_s / gb}
        text = ""
        if prof:
            buf = io.StringIO()
            pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(8)
            # Paths relative to the checkout and to site-packages: no machine's folders in BENCHMARKS.md.
            root = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
            text = re.sub(r"\S*site-packages/", "", buf.getvalue().replace(root, ""))
        return Unpaced(gb * 1e3 / wall, ((c1.user + c1.system) - (c0.user + c0.system)) / gb, busy, text)
