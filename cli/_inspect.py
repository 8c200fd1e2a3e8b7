"""`weldctl inspect`: what a run store holds, at a glance."""

from __future__ import annotations

import os

import numpy as np
import typer
from rich.table import Table

from weldctl.schema import RunReader, is_url

from ._app import app, console, user_errors


def _stored_bytes(uri: str, stream: str) -> int:
    if is_url(uri):
        return 0
    total = 0
    for root, _dirs, files in os.walk(os.path.join(uri, "streams", stream)):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total


@app.command()
@user_errors
def inspect(
    run: str = typer.Argument(..., help="run store path/URL, or a run id under --runs"),
    runs: str = typer.Option("runs", "--runs", help="folder holding <run-id>.zarr"),
) -> None:
    """Streams, shapes, rates, counts, sizes, compression, losses and clock fits of a run."""
    r = RunReader(run, runs)
    m = r.manifest
    console.print(f"[bold]{m.run_id}[/]  {m.status}  rig={m.rig}  {m.material} {m.thickness_mm or '?'} mm  "
                  f"operator={m.operator}  start={m.start_utc:%Y-%m-%d %H:%M:%S} UTC  "
                  f"duration={r.duration_s():.3f} s  welds planned={len(m.welds)}")
    t = Table(title="streams", title_justify="left")
    for col in ("stream", "kind", "shape", "dtype", "rate Hz", "nominal", "samples", "MB raw", "MB stored",
                "ratio", "lost", "gaps", "clock", "fit rms µs"):
        t.add_column(col, justify="left" if col in ("stream", "kind", "dtype", "clock", "shape") else "right")
    gaps = r.gaps()
    for name, spec in r.specs.items():
        n = r.length(name)
        tt = r.t_ns(name)
        rate = (n - 1) / ((tt[-1] - tt[0]) / 1e9) if n > 1 and tt[-1] > tt[0] else 0.0
        raw = n * spec.bytes_per_sample
        stored = _stored_bytes(r.uri, name)
        mine = gaps["stream"] == name
        clock = r.clock(name)
        t.add_row(name, spec.kind.value, str((n, *spec.sample_shape)), spec.dtype, f"{rate:,.1f}",
                  f"{spec.nominal_rate_hz:,.0f}", f"{n:,}", f"{raw / 1e6:,.1f}",
                  f"{stored / 1e6:,.1f}" if stored else "-", f"{raw / stored:.2f}" if stored else "-",
                  f"{int(np.sum(gaps['count'][mine])):,}", str(int(mine.sum())), str(clock.get("source", "-")),
                  f"{float(clock.get('residual_rms_ns', 0.0)) / 1e3:.1f}" if clock else "-")
    console.print(t)
    if r.has_truth():
        welds = r.truth("welds")
        wt = Table(title="truth: welds", title_justify="left")
        for col in ("weld", "start s", "end s", "condition", "penetration", "porosity", "pores"):
            wt.add_column(col)
        for i in range(len(welds["weld_id"])):
            wt.add_row(str(welds["weld_id"][i]), f"{welds['t_start_ns'][i] / 1e9:.3f}",
                       f"{welds['t_end_ns'][i] / 1e9:.3f}", str(welds["condition"][i]),
                       str(welds["penetration"][i]), str(welds["porosity"][i]), str(welds["n_pores"][i]))
        console.print(wt)
