"""`weldctl calibrate`: measure each host-stamped stream's latency in a recording, write it into a rig file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from weldctl.daq import StreamCalibration, calibrate_run
from weldctl.schema import RigFileError, dump_rig, load_rig

from ._app import app, console, user_errors
from ._tables import table


def _calibrated_rig(rig_path: Path, run_id: str, results: list[StreamCalibration]) -> tuple[str, list[str]]:
    rig = load_rig(rig_path)
    by_name = {c.stream: c for c in results}
    when = datetime.now(UTC).strftime("%Y-%m-%d")
    devices, missing = [], set(by_name)
    for d in rig.devices:
        c = by_name.get(d.name)
        if c is not None:
            missing.discard(d.name)
            d = d.model_copy(update={
                "latency_us": round(c.latency_us, 1), "latency_uncertainty_us": round(c.latency_uncertainty_us, 1),
                "latency_source": f"weldctl calibrate {run_id} ({when}): {c.offset.n_events} shared events",
                "latency_calibration": c.offset})
        devices.append(d)
    return dump_rig(rig.model_copy(update={"devices": devices})), sorted(missing)


@app.command()
@user_errors
def calibrate(
    run: str = typer.Argument(..., help="a recording of this rig with welds in it (path/URL or run id)"),
    rig: Path = typer.Option(..., "--rig", help="the rig file the run was recorded with"),
    out: Path = typer.Option(..., "--out", "-o", help="where to write the calibrated rig file"),
    runs: str = typer.Option("runs", "--runs", help="folder holding <run-id>.zarr"),
) -> None:
    """Measure each host-stamped stream's latency against the hardware-timed reference from events both
    see (laser on/off, keyhole collapses, weld sound), and write a rig file with latency_us filled in."""
    if out.resolve() == rig.resolve():
        raise RigFileError(f"{out}: --out must not overwrite the rig file the run was recorded with",
                           "write the calibrated rig next to it and compare")
    load_rig(rig)  # a broken rig file fails before any measuring
    ref, results, skipped = calibrate_run(run, runs)
    run_id = Path(run.rstrip("/")).name.removesuffix(".zarr")
    text, missing = _calibrated_rig(rig, run_id, results)
    t = table(f"latency against {ref} (hardware-timed)",
              ("stream", "events", "applied µs", "offset µs", "delay µs", "latency µs", "± µs"),
              left=("stream", "events"))
    t.caption = (f"events: what the stream's detectors found, by kind; offset: measured against {ref}, "
                 "after the physical delay (sound travel) is taken off; latency = applied - offset, ± its bound")
    for c in results:
        t.add_row(c.stream, ", ".join(f"{k} {n}" for k, n in c.events.items()), f"{c.applied_latency_us:,.1f}",
                  f"{c.offset.offset_ns / 1e3:+,.1f}", f"{c.physical_delay_us:,.1f}", f"{c.latency_us:,.1f}",
                  f"{c.latency_uncertainty_us:,.1f}")
    console.print(t)
    for name, why in skipped.items():
        console.print(f"[yellow]not calibrated[/] {name}: {why}")
    for name in missing:
        console.print(f"[yellow]not in {rig}[/] {name}: measured, but the rig file has no device of that name")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    tmp.write_text(text)
    tmp.replace(out)  # never a half-written rig file
    console.print(f"wrote {out}: {len(results)} latencies; record with `weldctl record --rig {out}`")
