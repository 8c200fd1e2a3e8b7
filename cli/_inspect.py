"""`weldctl inspect`: what a run store holds, at a glance (and what a feature store holds)."""

from __future__ import annotations

import os

import numpy as np
import typer

from weldctl.schema import FEATURES_ATTR, RunReader, is_url, resolve_run, zarr_store

from ._app import app, console, user_errors
from ._tables import table

WIDE = typer.Option(False, "--wide", help="one wide table (needs ~160 columns) instead of stacked ones")


def _stored_bytes(uri: str, stream: str) -> int:
    """Bytes on disk of the stream's data array: compared with its raw size, this is the compression ratio."""
    if is_url(uri):
        return 0
    total = 0
    for root, _dirs, files in os.walk(os.path.join(uri, "streams", stream, "data")):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total


def _alignment(clock: dict[str, object]) -> tuple[str, str, str, str]:
    """How a stream was put on the run time base, the bound on its time error, the latency applied
    (and whether it was stated or only bounded by the kind's prior), and its fit residual."""
    if not clock:
        return "-", "-", "-", "-"
    how = str(clock.get("alignment", clock.get("source", "-")))
    if how == "strobe":
        how = f"strobe ({clock.get('frames_on_edges', '?')} frames on pulses)"
    unc = clock.get("uncertainty_ns")
    rms = clock.get("residual_rms_ns")  # absent where nothing was fitted (an import placed by assumption)
    lat = clock.get("latency_ns")
    latency = "-" if lat is None else f"{float(lat) / 1e3:,.0f}" + (" (unstated)" if clock.get("latency_prior") else "")  # type: ignore[arg-type]
    return (how, f"{float(unc) / 1e3:,.1f}" if unc is not None else "unknown", latency,  # type: ignore[arg-type]
            f"{float(rms) / 1e3:.1f}" if rms is not None else "-")  # type: ignore[arg-type]


def _loss_table(gaps: dict[str, np.ndarray]) -> None:
    """Samples lost per stream and cause (device overflow, queue overflow, packet loss, ...)."""
    if not len(gaps["count"]):
        console.print("losses: none")
        return
    lt = table("losses", ("stream", "cause", "gaps", "samples lost", "first at s"), left=("stream", "cause"))
    causes = np.asarray([str(n).split(":")[0] for n in gaps["note"]])
    for stream in sorted(set(gaps["stream"].tolist())):
        for cause in sorted(set(causes[gaps["stream"] == stream].tolist())):
            m = (gaps["stream"] == stream) & (causes == cause)
            lt.add_row(stream, cause, str(int(m.sum())), f"{int(gaps['count'][m].sum()):,}",
                       f"{gaps['t_ns'][m].min() / 1e9:.3f}")
    console.print(lt)


_LOSS_ACCOUNTING = {
    "device_counter": "lost spectra counted from the device's spectrum counter (exact)",
    "host_timing": "lost spectra inferred from host timing (no spectrum counter): a late reply counts as lost, "
                   "so over, never under",
}


def _loss_accounting(r: RunReader) -> None:
    """How each spectrometer's losses were counted: a counting model's are exact, the others' an upper bound."""
    for name, spec in r.specs.items():
        how = spec.spectrum.loss_accounting if spec.spectrum is not None else None
        if how is not None:
            console.print(f"{name}: {_LOSS_ACCOUNTING[how]}", highlight=False, soft_wrap=True)


# Column groups of the stream table: stacked (one table each) by default, side by side with --wide.
_SHAPE = ("stream", "kind", "sample", "dtype", "rate Hz", "nominal Hz", "samples", "lost", "gaps")
_SIZE = ("stream", "MB raw", "MB stored", "ratio")
_TIME = ("stream", "aligned by", "time ± µs", "latency µs", "fit rms µs")
_LEFT = ("stream", "kind", "dtype", "aligned by", "sample", "latency µs")


def _sample_shape(shape: tuple[int, ...]) -> str:
    """One sample: a frame (height x width), a row of channels, or one value."""
    if len(shape) == 2:
        return f"{shape[0]}x{shape[1]}"
    return f"{shape[0]} ch" if shape else "1 value"


def _rate(hz: float) -> str:
    return f"{hz:,.1f}" if hz < 100 else f"{hz:,.0f}"


def _stream_rows(r: RunReader) -> list[dict[str, str]]:
    gaps = r.gaps()
    rows = []
    for name, spec in r.specs.items():
        n = r.length(name)
        tt = r.t_ns(name)
        rate = (n - 1) / ((tt[-1] - tt[0]) / 1e9) if n > 1 and tt[-1] > tt[0] else 0.0
        raw = n * spec.bytes_per_sample
        stored = _stored_bytes(r.uri, name)
        mine = gaps["stream"] == name
        values = (name, spec.kind.value, _sample_shape(tuple(spec.sample_shape)), spec.dtype, _rate(rate),
                  f"{spec.nominal_rate_hz:,.0f}", f"{n:,}", f"{int(np.sum(gaps['count'][mine])):,}",
                  str(int(mine.sum())), f"{raw / 1e6:,.1f}", f"{stored / 1e6:,.1f}" if stored else "-",
                  f"{raw / stored:.2f}" if stored else "-", *_alignment(r.clock(name)))
        rows.append(dict(zip((*_SHAPE, *_SIZE[1:], *_TIME[1:]), values, strict=True)))
    return rows


def _print_streams(r: RunReader, wide: bool) -> None:
    rows = _stream_rows(r)
    time_base = r.group["clock"].attrs.get("time_base", "?") if "clock" in r.group else "?"
    caption = (f"run time base: {time_base}. rate: samples over their time span; sample: the shape of one; "
               "time ±: bound on a sample's time error on that base")
    groups = [("streams", (*_SHAPE, *_SIZE[1:], *_TIME[1:]))] if wide else [
        ("streams", _SHAPE), ("storage", _SIZE), ("time alignment", _TIME)]
    for i, (title, cols) in enumerate(groups):
        t = table(title, cols, left=_LEFT)
        for row in rows:
            t.add_row(*(row[c] for c in cols))
        if i == len(groups) - 1:
            t.caption = caption
        console.print(t)


def _print_features(uri: str) -> bool:
    """A feature store (`weldctl features`): what it is and its tables. False if ``uri`` is not one."""
    import zarr

    try:
        g = zarr.open_group(zarr_store(uri, read_only=True), mode="r", zarr_format=3)
    except Exception:  # not a zarr group at all: RunReader gives the error
        return False
    meta = g.attrs.get(FEATURES_ATTR)
    if not isinstance(meta, dict):
        return False
    console.print(f"[bold]{meta.get('run_id', '?')}[/] feature store (written by `weldctl features` "
                  f"{meta.get('weldctl_version', '')}) from {meta.get('source', '?')}; time base: "
                  f"{meta.get('time_base', '?')}", highlight=False, soft_wrap=True)
    t = table("feature tables", ("table", "rows", "columns"), left=("table", "columns"))
    for name, sub in sorted(g.groups()):
        arrays = sorted(sub.arrays())
        rows = arrays[0][1].shape[0] if arrays else 0
        t.add_row(name, f"{rows:,}", ", ".join(a for a, _ in arrays))
    console.print(t)
    return True


@app.command()
@user_errors
def inspect(
    run: str = typer.Argument(..., help="run store path/URL, or a run id under --runs"),
    runs: str = typer.Option("runs", "--runs", help="folder holding <run-id>.zarr"),
    wide: bool = WIDE,
) -> None:
    """Streams, shapes, rates, counts, sizes, compression, losses and clock fits of a run."""
    if _print_features(resolve_run(run, runs)):
        return
    r = RunReader(run, runs)
    m = r.manifest
    console.print(f"[bold]{m.run_id}[/]  {m.status}  rig={m.rig}  {m.material} {m.thickness_mm or '?'} mm  "
                  f"operator={m.operator}  start={m.start_utc:%Y-%m-%d %H:%M:%S} UTC  "
                  f"duration={r.duration_s():.3f} s  welds planned={len(m.welds)}")
    _print_streams(r, wide)
    _loss_table(r.gaps())
    _loss_accounting(r)
    if r.has_truth():
        welds = r.truth("welds")
        wt = table("truth: welds", ("weld", "start s", "end s", "condition", "penetration", "porosity", "pores"),
                   left=("condition", "penetration", "porosity"))
        for i in range(len(welds["weld_id"])):
            wt.add_row(str(welds["weld_id"][i]), f"{welds['t_start_ns'][i] / 1e9:.3f}",
                       f"{welds['t_end_ns'][i] / 1e9:.3f}", str(welds["condition"][i]),
                       str(welds["penetration"][i]), str(welds["porosity"][i]), str(welds["n_pores"][i]))
        console.print(wt)
    as_typed = run if runs == "runs" else f"{run} --runs {runs}"  # the hint repeats what the user typed
    console.print(f"next: weldctl view {as_typed}   (one time-aligned picture of the run)", highlight=False,
                  soft_wrap=True)
