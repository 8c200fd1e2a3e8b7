"""`weldctl label from-truth`: labels of simulated runs from their truth, in the labels JSONL format."""

from __future__ import annotations

import typer

from ._app import console, user_errors
from ._label import label_app


@label_app.command("from-truth")
@user_errors
def from_truth(
    runs: list[str] = typer.Argument(..., help="run stores, run ids, or folders of runs"),
    out: str = typer.Option("labels.jsonl", "--out", "-o", help="labels file (path or URL)"),
    runs_dir: str = typer.Option("runs", "--runs", help="where bare run ids are looked up"),
) -> None:
    """One label record per weld of each sim run (annotator "sim-truth", source "truth")."""
    from weldctl.curation import labels_from_truth, list_runs
    from weldctl.schema import RunReader, check_destination, is_url, uri_exists, write_labels

    check_destination(out)
    records = []
    for run in runs:
        folder = not run.rstrip("/").endswith(".zarr") and (is_url(run) or uri_exists(run))
        stores = list_runs(run) if folder else [run]
        for s in stores:
            records += labels_from_truth(RunReader(str(s), runs_dir))
    write_labels(out, records)
    console.print(f"{len(records)} label records -> {out}")
