"""Per-weld (or windowed) multimodal samples: signals resampled onto one time axis, plus the frames in it."""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import numpy as np

from weldctl.schema import (
    CHECKSUMS,
    RunReader,
    StreamSpec,
    absolute_uri,
    check_destination,
    glob_uri,
    join_uri,
    read_bytes,
    uri_exists,
)

from ..core import READ_THREADS, band_limited, iter_items, on_axis, scheduler_address
from ..segment import read_segments, segments_path
from ._label_choice import chosen_labels
from ._params import SamplesParams
from ._sample_attachments import attachment_frames
from ._sampleset import DatasetError, Layout, SampleArrays
from ._sampleset_write import SampleSetStream
from ._spectral_bands import band_names, band_values


def list_runs(runs_dir: str | os.PathLike[str]) -> list[str]:
    """Run stores in a folder or under an object-storage prefix (any fsspec URL), sorted by name."""
    base = absolute_uri(runs_dir)  # Dask workers open these from their own working directory
    runs = [join_uri(base, name) for name in glob_uri(base, "*.zarr")]
    if not runs:
        raise DatasetError(
            f"no runs (*.zarr) in {runs_dir}", "record some: `make sim-runs` or `weldctl record`"
        )
    return runs


ATTACHMENT_PREFIX = "attachments."  # image arrays of a sample that come from run attachments, not streams


def channel_names(name: str, spec: StreamSpec, bands: int = 0) -> list[str]:
    """The sample channel names of a 1-D stream: ``stream.channel``, or the stream name alone; a spectrometer's
    ``bands`` wavelength bands (none when 0)."""
    if spec.spectrum is not None:
        return band_names(name, spec, bands) if bands else []
    return [f"{name}.{ch}" for ch in spec.channels] if spec.channels else [name]


def open_runs(runs: list[str]) -> list[RunReader]:
    """Readers of these runs with their stream specs read, on the read threads: opening a store is mostly
    waiting for its metadata files."""

    def opened(uri: str) -> RunReader:
        r = RunReader(uri)
        r.specs  # noqa: B018 - read here, on this thread
        return r

    with ThreadPoolExecutor(READ_THREADS, thread_name_prefix="weldctl-specs") as pool:
        return list(pool.map(opened, runs))


def shared_streams(runs: list[RunReader], params: SamplesParams) -> tuple[SamplesParams, dict[str, list[str]]]:
    """What every run has: params naming those image streams and channels, and what is left out (with the
    runs that have it). Streams the params ask for must be in every run."""
    images_of: dict[str, set[str]] = {}
    channels_of: dict[str, set[str]] = {}
    for r in runs:
        images_of[r.run_id] = {n for n, sp in r.specs.items() if len(sp.sample_shape) == 2}
        channels_of[r.run_id] = {c for n, sp in r.specs.items() if len(sp.sample_shape) != 2
                                 for c in channel_names(n, sp, params.spectral_bands)}
    dropped: dict[str, list[str]] = {}

    def common(of: dict[str, set[str]], asked: list[str] | None, what: str, key: str) -> list[str]:
        every = set.union(*of.values()) if of else set()
        if asked:
            missing = {a: sorted(r for r, have in of.items() if a not in have) for a in asked}
            missing = {a: rs for a, rs in missing.items() if rs}
            if missing:
                a, rs = next(iter(sorted(missing.items())))
                raise DatasetError(
                    f"{what} {a!r} is not in run(s) {', '.join(rs[:5])}{' …' if len(rs) > 5 else ''} "
                    f"({len(rs)} of {len(of)})",
                    f"drop it from samples.{key} in params.yaml, or leave samples.{key} empty to use what "
                    "every run has",
                )
            keep = set(asked)
        else:
            keep = set.intersection(*of.values()) if of else set()
        for name in sorted(every - keep):
            dropped[name] = sorted(r for r, have in of.items() if name in have)
        return sorted(keep)

    images = common(images_of, params.images, "image stream", "images")
    channels = common(channels_of, params.channels, "channel", "channels")
    return params.model_copy(update={"images": images, "channels": channels}), dropped


class _RunSignals:
    """One run's streams loaded once: 1-D channels for resampling, image streams for frame cuts."""

    def __init__(self, reader: RunReader, params: SamplesParams) -> None:
        self.reader = reader
        self.channels: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # name -> (t_ns, band-limited values)
        self.images: dict[str, tuple[np.ndarray, Any]] = {}  # name -> (t_ns, lazy data)
        images = [n for n, s in reader.specs.items()
                  if len(s.sample_shape) == 2 and (params.images is None or n in params.images)]
        lines = [n for n, s in reader.specs.items() if len(s.sample_shape) != 2]
        self.attached = {name: attachment_frames(reader, name, size) for name, size in params.attachments.items()}
        reader.open_streams(images + lines)
        n_of = {n: reader.length(n) for n in images + lines}
        # Every time axis and every 1-D stream in one round trip of concurrent reads.
        got = reader.read_many([(n, "t_ns", slice(0, n_of[n])) for n in images + lines]
                               + [(n, "data", slice(0, n_of[n])) for n in lines])
        t_of = dict(zip(images + lines, got, strict=False))
        for name in images:
            self.images[name] = (t_of[name], reader.data(name))
        for name, raw in zip(lines, got[len(images) + len(lines):], strict=True):
            spec, t = reader.specs[name], t_of[name]
            data = raw.astype(np.float64)
            cols = band_values(spec, data, params.spectral_bands) if spec.spectrum is not None and \
                params.spectral_bands else data.reshape(len(t), -1)
            for i, full in enumerate(channel_names(name, spec, params.spectral_bands)):
                if not params.channels or full in params.channels:
                    self.channels[full] = band_limited(t, cols[:, i], params.signal_rate_hz)
        missing = sorted(set(params.channels) - set(self.channels))
        if missing:
            raise DatasetError(
                f"run {reader.run_id} has no channel(s) {missing}; it has {sorted(self.channels)}",
                "fix samples.channels in params.yaml",
            )

    def layout(self, rate: float) -> Layout:
        imgs = {k: ((int(d.shape[1]), int(d.shape[2])), str(d.dtype)) for k, (_t, d) in self.images.items()}
        imgs |= {f"{ATTACHMENT_PREFIX}{k}": ((int(f.shape[1]), int(f.shape[2])), str(f.dtype))
                 for k, (f, _t) in self.attached.items()}
        return Layout(sorted(self.channels), rate, imgs)

    def cut_many(self, windows: list[tuple[int, int]], rate: float) -> list[SampleArrays]:
        """The samples of all windows; their frames fetched in one round trip."""
        spans = {name: [np.searchsorted(t, [t0, t1]) for t0, t1 in windows] for name, (t, _d) in self.images.items()}
        fetched = iter(self.reader.read_spans([(name, int(i0), int(i1)) for name, ss in spans.items()
                                               for i0, i1 in ss]))
        frames_of = {name: [next(fetched) for _ in ss] for name, ss in spans.items()}
        out = []
        for k, (t0, t1) in enumerate(windows):
            n = max(1, int(np.floor((t1 - t0) * rate / 1e9)))
            axis = t0 + np.round(np.arange(n) * (1e9 / rate)).astype(np.int64)
            sig = np.zeros((n, len(self.channels)), np.float32)
            for j, name in enumerate(sorted(self.channels)):
                t, v = self.channels[name]
                sig[:, j] = on_axis(axis, t, v)
            frames, frames_t = {}, {}
            for name, (t, _data) in self.images.items():
                i0, i1 = spans[name][k]
                frames[name] = frames_of[name][k]
                frames_t[name] = (t[i0:i1] - t0).astype(np.int64)
            for name, (f, captured) in self.attached.items():
                # Attachments have no run time: their times are capture times after the run's start.
                frames[f"{ATTACHMENT_PREFIX}{name}"] = f
                frames_t[f"{ATTACHMENT_PREFIX}{name}"] = captured
            out.append(SampleArrays(sig, frames, frames_t))
        return out


def _windows(t0: int, t1: int, params: SamplesParams) -> list[tuple[int, int]]:
    if params.mode == "weld":
        return [(t0, t1)]
    w, s = round(params.window_s * 1e9), round(params.step_s * 1e9)
    return [(a, a + w) for a in range(t0, t1 - w + 1, s)]


def _window_labels(
    labels: dict[str, Any], regions: list[dict[str, int]], t0: int, t1: int, whole: bool
) -> dict[str, Any]:
    out = dict(labels)
    # A window shows porosity only if a labelled pore region reaches into it.
    if not whole and regions and "porosity" in out:
        hit = any(r["t_start_ns"] < t1 and r["t_end_ns"] > t0 for r in regions)
        out["porosity"] = "present" if hit else "none"
    return out


RunSamples = tuple[str, Layout, list[dict[str, Any]], list[SampleArrays], int]


def run_samples(run: str | RunReader, segments_dir: str, labels: dict[tuple[str, int], dict[str, Any]],
                params: SamplesParams) -> RunSamples:
    """One run's samples: (run id, layout, rows, arrays, unlabelled welds). Pure: safe as a Dask task (given
    the run's URI; in-process, the reader that already read its specs)."""
    reader = run if isinstance(run, RunReader) else RunReader(run)
    run_uri = reader.uri
    seg_file = segments_path(segments_dir, reader.run_id)
    if not uri_exists(seg_file):
        raise DatasetError(f"no segments for run {reader.run_id} ({seg_file})", "run `weldctl segment` first")
    segs = read_segments(seg_file).sort_values(["t_start_ns", "weld_id"])
    sig = _RunSignals(reader, params)
    layout = sig.layout(params.signal_rate_hz)
    m = reader.manifest
    plans = {w.weld_id: w for w in m.welds}
    # The run's checksum manifest names every byte of it: its hash identifies the raw input of these samples.
    digest = hashlib.sha256(read_bytes(join_uri(join_uri(run_uri, CHECKSUMS), "zarr.json"))).hexdigest() \
        if uri_exists(join_uri(join_uri(run_uri, CHECKSUMS), "zarr.json")) else ""
    rows: list[dict[str, Any]] = []
    windows: list[tuple[int, int]] = []
    unlabelled = 0
    for seg in segs.itertuples(index=False):
        weld_id = int(seg.weld_id)
        rec = labels.get((reader.run_id, weld_id))
        if rec is None:
            unlabelled += 1
            continue
        plan = plans.get(weld_id)
        wins = _windows(int(seg.t_start_ns), int(seg.t_end_ns), params)
        for k, (t0, t1) in enumerate(wins):
            sid = f"{reader.run_id}-w{weld_id:03d}" + ("" if params.mode == "weld" else f"-{k:04d}")
            rows.append({
                "sample_id": sid,
                "run_id": reader.run_id,
                "weld_id": weld_id,
                "weld_key": f"{reader.run_id}/{weld_id}",
                "rig": m.rig,
                "process": m.process,
                "run_status": m.status,
                "run_sha256": digest,
                "day": m.start_utc.date().isoformat(),
                "workpiece": (plan.workpiece if plan and plan.workpiece else m.workpiece) or "unknown",
                "t_start_ns": t0,
                "t_end_ns": t1,
                "origin": "original",
                "parent_id": "",
                "label_source": str(rec.get("source", "")),
                "annotators": json.dumps(rec["annotators"]),
                **_window_labels(rec["labels"], rec.get("pore_regions") or [], t0, t1, params.mode == "weld"),
            })
            windows.append((t0, t1))
    arrays = sig.cut_many(windows, params.signal_rate_hz)
    for a in arrays:
        a.content_hash()  # here, in the per-run task: on Dask this spreads over the workers
    return reader.run_id, layout, rows, arrays, unlabelled


def build_samples(
    runs_dir: str | os.PathLike[str],
    segments_dir: str | os.PathLike[str],
    labels_path: str | os.PathLike[str],
    params: SamplesParams,
    out: str | os.PathLike[str],
    scheduler: str | None = None,
) -> dict[str, Any]:
    """Samples of every run under ``runs_dir`` (a folder or URL prefix); one task per run.

    Samples carry the image streams and channels every run has (or those ``params`` names, which every
    run must have); what only some runs have is left out and reported under ``dropped``.
    """
    check_destination(out)
    labels = chosen_labels(labels_path)
    runs = list_runs(runs_dir)
    readers = open_runs(runs)
    params, dropped = shared_streams(readers, params)
    # In-process, each run is opened once: the readers that read the specs go on to read the samples.
    items: list[str] | list[RunReader] = runs if scheduler_address(scheduler) else readers
    # Workers have their own working directory: hand them absolute paths.
    seg_dir = absolute_uri(segments_dir)
    results = iter_items(partial(run_samples, segments_dir=seg_dir, labels=labels, params=params),
                         items, label="samples", scheduler=scheduler, threads=READ_THREADS)
    first: Layout | None = None
    stream: SampleSetStream | None = None
    unlabelled = 0
    try:
        # Each run's samples go to the writer as they arrive: reading the next runs overlaps writing these.
        for run_id, layout, rows, arrays, skipped in results:
            first = first or layout
            if layout != first:
                raise DatasetError(
                    f"run {run_id}: image streams {layout.images} differ in size from earlier runs' "
                    f"{first.images}",
                    "resize them alike at import (the mapping's resize), or leave the stream out "
                    "with samples.images in params.yaml",
                )
            unlabelled += skipped
            for row, arr in zip(rows, arrays, strict=True):
                stream = stream or SampleSetStream(out, layout, {
                    "params": params.model_dump(), "dropped_streams": dropped,
                    "labels_sha256": hashlib.sha256(read_bytes(labels_path)).hexdigest()})
                stream.add(row, arr)
        if stream is None:
            raise DatasetError("no labelled welds in these runs", "check that labels.jsonl names these run ids")
        stream.close()
    except BaseException:
        if stream is not None:
            stream.abort()
        raise
    return {"samples": len(stream.rows), "unlabelled_welds": unlabelled, "dropped": dropped,
            "runs": len(runs)}
