"""Curation throughput (segment + samples) against a plain zarr read of the same run stores."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np
import zarr
from zarr.core.sync import sync

REPO = Path(__file__).resolve().parents[1]


def _sim_runs():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("sim_runs", REPO / "scripts" / "sim_runs.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _drop_caches(root: Path) -> None:
    """Evict the stores from the page cache (best effort), so both contenders read from disk alike."""
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            try:
                fd = os.open(os.path.join(dirpath, f), os.O_RDONLY)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                os.close(fd)
            except OSError:
                pass


def plain_zarr_read_serial(runs: list[str]) -> int:
    """Read every array of every run completely with zarr-python's synchronous API, one array after another;
    returns bytes decoded."""
    n = 0
    for uri in runs:
        g = zarr.open_group(uri, mode="r")
        for _name, sg in g["streams"].groups():
            for arr_name in ("data", "t_ns", "seq"):
                n += np.asarray(sg[arr_name][:]).nbytes
    return n


def plain_zarr_read(runs: list[str]) -> int:
    """The same reads through zarr-python's asynchronous API, every array of every run in flight at once (its
    docs' advice for concurrent I/O; curation batches its reads the same way): the baseline curation is held to.
    Returns bytes decoded."""

    async def one(uri: str) -> int:
        g = await zarr.api.asynchronous.open_group(uri, mode="r")
        streams = await g.getitem("streams")
        assert isinstance(streams, zarr.AsyncGroup)
        arrays = [await sg.getitem(a) async for _n, sg in streams.groups() for a in ("data", "t_ns", "seq")]
        got = await asyncio.gather(*(a.getitem(slice(None)) for a in arrays))  # type: ignore[union-attr]
        return sum(np.asarray(x).nbytes for x in got)

    async def every() -> list[int]:
        return await asyncio.gather(*(one(u) for u in runs))

    return sum(sync(every()))


def plain_tensorstore_read(runs: list[str]) -> int:
    """The same arrays read with tensorstore, every one in flight at once: the fastest plain read of these
    stores here, and the engine curation itself reads local stores with. Returns bytes decoded."""
    import tensorstore as ts

    ctx = ts.Context({"cache_pool": {"total_bytes_limit": 0}})
    paths = [f"{uri}/streams/{e.name}/{a}" for uri in runs for e in sorted(os.scandir(f"{uri}/streams"),
                                                                           key=lambda e: e.name)
             if e.is_dir() for a in ("data", "t_ns", "seq")]
    opened = [ts.open({"driver": "zarr3", "kvstore": {"driver": "file", "path": p}}, context=ctx, open=True,
                      read=True) for p in paths]
    reads = [o.result().read() for o in opened]
    return sum(r.result().nbytes for r in reads)


def write_truth_labels(runs: list[str], labels: Path) -> None:
    """The labels file is an input of curation (from Label Studio in a lab): made before the clock starts."""
    from weldctl.curation import labels_from_truth
    from weldctl.schema import RunReader, write_labels

    write_labels(labels, [rec for uri in runs for rec in labels_from_truth(RunReader(uri))])


def curate(runs: list[str], runs_dir: Path, labels: Path, work: Path) -> None:
    from weldctl.curation import (
        READ_THREADS,
        SegmentParams,
        build_samples,
        load_params,
        map_items,
        segment_uri,
        segments_path,
        write_segments,
    )

    # As `weldctl segment` runs it: one task per run, gathered in order.
    for df in map_items(partial(segment_uri, params=SegmentParams()), runs, label="segment",
                        threads=READ_THREADS):
        write_segments(segments_path(work / "segments", str(df.attrs["run_id"])), df)
    build_samples(runs_dir, work / "segments", labels, load_params(REPO / "params.yaml").samples, work / "samples")


# (what, runs, quick runs, camera px, camera fps): many tiny runs, where per-file overhead dominates, and
# fewer runs with a full-size high-speed camera, where the frames dominate.
CASES = [("small runs", 20, 6, 64, 500.0), ("runs, full-size camera", 6, 2, 256, 1000.0)]


def _measure(tmp: Path, n_runs: int, px: int, fps: float) -> tuple[float, float, float, float, float, float]:
    """(median plain read s, median curation s, MB stored, MB decoded, median one-array-at-a-time read s, median
    tensorstore read s) over 3 passes, caches dropped."""
    runs_dir = tmp / "runs"
    runs = _sim_runs().record_sim_runs(runs_dir, n_runs, camera_px=px, camera_fps=fps)
    labels = tmp / "labels.jsonl"
    write_truth_labels(runs, labels)
    stored = sum(f.stat().st_size for f in runs_dir.rglob("*") if f.is_file())
    rows = []
    for rep in range(3):
        _drop_caches(runs_dir)
        t0 = time.perf_counter()
        decoded = plain_zarr_read(runs)
        t_read = time.perf_counter() - t0
        _drop_caches(runs_dir)
        t0 = time.perf_counter()
        if plain_zarr_read_serial(runs) != decoded:
            raise SystemExit("the two plain reads decoded different amounts")
        t_serial = time.perf_counter() - t0
        _drop_caches(runs_dir)
        t0 = time.perf_counter()
        if plain_tensorstore_read(runs) != decoded:
            raise SystemExit("tensorstore and zarr-python decoded different amounts")
        t_ts = time.perf_counter() - t0
        work = tmp / f"work{rep}"
        _drop_caches(runs_dir)
        t0 = time.perf_counter()
        curate(runs, runs_dir, labels, work)
        t_cur = time.perf_counter() - t0
        shutil.rmtree(work)
        rows.append((t_read, t_cur, t_serial, t_ts))
    t_read, t_cur, t_serial, t_ts = (float(np.median([r[i] for r in rows])) for i in (0, 1, 2, 3))
    return t_read, t_cur, stored / 1e6, decoded / 1e6, t_serial, t_ts


def run(quick: bool = False) -> str:
    lines = [
        "## Curation throughput against a plain zarr read",
        "",
        "Page cache dropped before each pass; median of 3. Curation = `segment` + `dataset samples` "
        "(in-process; the labels file is an input, made beforehand); plain read = every array of every run "
        "read whole with zarr-python alone, all in flight at once through its asynchronous API (one array after "
        "another through the synchronous API is shown too; it is slower, so it is not the baseline). Curation "
        "reads local run stores through tensorstore, so the same plain read through tensorstore is shown too, "
        "with curation's ratio to it: what curation costs beyond reading with the engine it uses. Sim runs of "
        "3 welds each (IR 16x16, DAQ 5 kHz, OCT 2 kHz, spectrometer 100 Hz).",
        "",
        "| runs | MB stored | MB decoded | plain zarr read (s) | one array at a time (s) | tensorstore read (s) "
        "| segment + samples (s) | ratio to the zarr read | target ≥ 0.8 | ratio to the tensorstore read |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for what, n_full, n_quick, px, fps in CASES:
        n_runs = n_quick if quick else n_full
        with tempfile.TemporaryDirectory(dir=REPO) as tmp:
            t_read, t_cur, stored, decoded, t_serial, t_ts = _measure(Path(tmp), n_runs, px, fps)
        ratio = t_read / t_cur
        verdict = "meets" if ratio >= 0.8 else "below"
        lines.append(
            f"| {n_runs} {what} ({px}x{px} @ {fps:g} fps) | {stored:.0f} | {decoded:.0f} | "
            f"{t_read:.2f} | {t_serial:.2f} | {t_ts:.2f} | {t_cur:.2f} | {ratio:.2f} | {verdict} | "
            f"{t_ts / t_cur:.2f} |"
        )
    lines += [
        "",
        "Curation reads each run's arrays in batches of concurrent reads (one for the signals and time axes, "
        "one for the frames of all its welds, spans that share a chunk read once), two runs at a time, each "
        "run opened once, and gates long signals piece by piece. Each run's samples are hashed (BLAKE3) in its "
        "own task and stream to the sample-set writer as they arrive, which compresses them from the sample "
        "arrays straight into shards (O_DIRECT). Beyond the read, curation decodes and re-encodes the frames "
        "of every weld, hashes them and writes the sample set: that work, not the read, is what the last "
        "column measures.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv))
