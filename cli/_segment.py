"""`weldctl segment`: welds out of recordings, one segments table per run."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import typer
from pydantic import ValidationError

from weldctl.curation import READ_THREADS, SegmentParams, map_items, segment_uri, segments_path, write_segments
from weldctl.schema import WeldctlError, check_destination

from ._app import SCHEDULER, app, console, user_errors
from ._params import params_section
from ._run_args import expand_runs
from ._tables import table


@app.command()
@user_errors
def segment(
    runs_: list[str] = typer.Argument(
        ..., metavar="RUN...", help="run ids, run stores, folders of runs or globs (paths or URLs, e.g. s3://b/runs)"),
    runs: str = typer.Option("runs", "--runs", help="folder holding <run-id>.zarr"),
    out: str | None = typer.Option(None, "--out", "-o", help="folder or URL prefix for the tables [segments]"),
    params: Path = typer.Option(Path("params.yaml"), "--params", help="params file; its `segment:` section"),
    stream: str | None = typer.Option(None, "--stream", help="gate stream (default: auto-pick)"),
    channel: str | None = typer.Option(None, "--channel", help="gate channel of that stream"),
    source: str | None = typer.Option(None, "--source", help="laser_on|photodiode|arc_current|oct_valid"),
    on: float | None = typer.Option(None, "--on", help="gate opens at or above this (physical units)"),
    off: float | None = typer.Option(None, "--off", help="gate closes below this (hysteresis)"),
    min_length: float | None = typer.Option(None, "--min-length", help="s; drop shorter segments"),
    merge_gap: float | None = typer.Option(None, "--merge-gap", help="s; join segments closer than this"),
    pad: float | None = typer.Option(None, "--pad", help="s; widen every segment on both sides"),
    scheduler: str | None = SCHEDULER,
) -> None:
    """Cut welds out of runs from a gate signal (laser-on, photodiode, arc current or OCT validity)."""
    try:
        p = SegmentParams.model_validate(params_section(params, "segment")).merged({
            "stream": stream, "channel": channel, "source": source, "on_threshold": on, "off_threshold": off,
            "min_length_s": min_length, "merge_gap_s": merge_gap, "pad_s": pad, "out": out})
    except ValidationError as exc:
        err = exc.errors()[0]
        raise WeldctlError(f"segment parameters: {'.'.join(map(str, err['loc']))}: {err['msg']}",
                           f"check the `segment:` section of {params} and the options") from None
    summary = table("segments", ("run", "source", "welds", "mean length s", "min confidence", "file"),
                    left=("run", "source", "file"))
    check_destination(p.out)  # an unusable output URL fails before any run is read
    uris = expand_runs(runs_, runs)
    for df in map_items(partial(segment_uri, params=p), uris, label="segment", scheduler=scheduler,
                        threads=READ_THREADS):
        run_id = str(df.attrs["run_id"])
        path = write_segments(segments_path(p.out, run_id), df)
        lengths = (df["t_end_ns"] - df["t_start_ns"]) / 1e9
        summary.add_row(run_id, ",".join(sorted(set(df["source"]))) or "-", str(len(df)),
                        f"{lengths.mean():.3f}" if len(df) else "-",
                        f"{df['confidence'].min():.3f}" if len(df) else "-", str(path))
    console.print(summary)
    last = uris[-1]
    shown = run_id if os.path.abspath(last) == os.path.abspath(os.path.join(runs, f"{run_id}.zarr")) else last
    console.print(f"next: weldctl view {shown} --segments {p.out}   (the welds on a picture of the run), "
                  "weldctl label push RUN...   (label them)", highlight=False, soft_wrap=True)
