"""`weldctl record`."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import NoReturn

import typer
from rich.live import Live
from rich.markup import escape

from weldctl.daq import (
    LiveView,
    Recorder,
    ViewServer,
    ViewTap,
    live_table,
    make_recorder,
    stop_on_signals,
    summary_table,
)
from weldctl.schema import Rig, ViewSettings, default_sim_rig, load_rig, load_sim_rig, validate_run_id

from ._app import app, console, fail, user_errors
from ._startup import interrupted_early, notes_ctrl_c


@app.command()
@user_errors
@notes_ctrl_c
def record(
    run_id: str = typer.Option(..., "--run-id", "-r", help="run id, e.g. R0042 (letters, digits, _ - .)"),
    rig: Path | None = typer.Option(None, "--rig", help="rig YAML; default: the simulated rig"),
    duration: float | None = typer.Option(None, "--duration", "-d", min=0.01, help="stop after S seconds"),
    out: str = typer.Option("runs", "--out", "-o", help="folder (or URL) that receives <run-id>.zarr"),
    operator: str = typer.Option("unknown", "--operator", help="who is at the cell"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace an existing run with this id"),
    live: bool = typer.Option(True, "--live/--no-live", help="live table of rates, losses, queues and disk"),
    wide: bool = typer.Option(False, "--wide", help="live table and summary with every column (~110 columns)"),
    load_kfps: float | None = typer.Option(
        None, "--load-kfps", min=0.1,
        help="record the load-generator sim rig instead: camera 256x256 at this many kfps + IR 500 Hz + "
             "DAQ 4 ch at 1 MS/s + OCT 100 kHz (needs --duration)"),
    view: bool | None = typer.Option(
        None, "--view/--no-view",
        help="serve a live page (frames, traces, laser, losses) while recording; default: the rig's view.enabled"),
    view_port: int | None = typer.Option(
        None, "--view-port", min=0, max=65535, help="port of the live page (0: any free one; default: the rig's)"),
) -> None:
    """Record every device of the rig into one time-aligned run store (Ctrl-C stops and finalizes)."""
    try:  # a first Ctrl-C is only noted while the rig is set up; a second one raises
        rig_model, rec = _set_up(run_id, rig, duration, out, operator, overwrite, load_kfps)
    except KeyboardInterrupt:
        _stopped_before_recording()
    with ExitStack() as stack:
        stack.enter_context(stop_on_signals(rec.stop))  # from here on, Ctrl-C stops the recorder
        if interrupted_early(keep_noting=True):
            _stopped_before_recording()
        if view if view is not None else rig_model.view.enabled:
            _serve_live_view(rec, rig_model.view, view_port, stack)
        stop_after_sequence = rig_model.recorder.stop_after_sequence
        if live and console.is_terminal:
            with Live(console=console, refresh_per_second=4, transient=True) as table:
                result = rec.run(duration, stop_after_sequence,
                                 on_tick=lambda r: table.update(live_table(r, wide=wide)))
        else:
            result = rec.run(duration, stop_after_sequence)
    if not result.kept:
        if result.error:
            raise fail(f"{result.error}; nothing was recorded and no store was kept",
                       "check the device (power, cable, address in the rig file), then record again", code=1)
        console.print(f"stopped: {escape(result.stop_reason)}; nothing was recorded, no store was kept "
                      f"(run id {escape(run_id)} is still free)", highlight=False, soft_wrap=True)
        raise typer.Exit(130)
    console.print(summary_table(result, wide=wide))
    lost = sum(s.lost for s in result.stats.values())
    if lost:
        console.print(f"[yellow]{lost:,} samples lost; every gap is in the store's events table "
                      f"(`weldctl inspect {result.uri}`)[/]")
    if result.error:
        raise fail(result.error, f"what was written before the failure is in {result.uri}", code=1)
    console.print(f"[green]finalized[/] {escape(result.uri)}", highlight=False)
    run = escape(run_id if out == "runs" else result.uri)  # as short as the user can type it
    console.print(f"next: weldctl view {run}   (one time-aligned picture), weldctl inspect {run}   (streams, "
                  "clock fits, losses)", highlight=False, soft_wrap=True)


def _stopped_before_recording() -> NoReturn:
    console.print("stopped: interrupted (Ctrl-C) while the rig was set up; nothing was recorded, no store was "
                  "written", highlight=False, soft_wrap=True)
    raise typer.Exit(130)


def _set_up(run_id: str, rig: Path | None, duration: float | None, out: str, operator: str, overwrite: bool,
            load_kfps: float | None) -> tuple[Rig, Recorder]:
    if load_kfps is not None:
        if rig is not None or duration is None:
            raise fail("--load-kfps records the load-generator rig for a given time",
                       "drop --rig and pass --duration, e.g. --load-kfps 10 --duration 30")
        rig_model = load_sim_rig(load_kfps, duration)
    else:
        rig_model = load_rig(rig) if rig else default_sim_rig()
    validate_run_id(run_id)  # before anything is created
    if "://" not in out and Path(out).exists() and not Path(out).is_dir():
        raise fail(f"--out {out} is a file, not a folder", "pass the folder that receives <run-id>.zarr")
    return rig_model, make_recorder(rig_model, run_id, out, overwrite=overwrite, operator=operator,
                                    duration_s=duration)


def _serve_live_view(rec: Recorder, settings: ViewSettings, port: int | None, stack: ExitStack) -> None:
    """The live page, torn down (in this order) when the recording ends, however it ends."""
    tap = ViewTap()
    source = LiveView(rec, tap, window_s=settings.window_s, refresh_hz=settings.refresh_hz)
    server = ViewServer(source, settings.host, settings.port if port is None else port)
    rec.tap = tap
    stack.callback(source.stop)
    stack.callback(server.close)
    server.start()
    source.start()
    console.print(f"live view: [bold]{server.url}[/]  (open it in a browser on this machine)")
