"""`weldctl recover` and `weldctl verify`: crash recovery and the raw-stays-raw check."""

from __future__ import annotations

import typer
from rich.table import Table

from weldctl.daq import recover_run
from weldctl.schema import resolve_run, verify_checksums

from ._app import app, console, fail, user_errors

SHOW_FILES = 10


@app.command()
@user_errors
def recover(
    run: str = typer.Argument(..., help="run store path/URL, or a run id under --runs"),
    runs: str = typer.Option("runs", "--runs", help="folder holding <run-id>.zarr"),
) -> None:
    """Finalize a store left by a killed recorder or a full disk: trim, align clocks, checksum."""
    uri = resolve_run(run, runs)
    with console.status(f"recovering {uri}"):
        kept = recover_run(uri)
    t = Table(title=f"recovered {uri}", title_justify="left")
    for col in ("stream", "samples kept", "last sample s"):
        t.add_column(col, justify="left" if col == "stream" else "right")
    for s in kept:
        t.add_row(s.name, f"{s.samples:,}", f"{s.last_t_ns / 1e9:.3f}")
    console.print(t)
    console.print(f"[green]recovered[/] {uri}  (`weldctl verify {run}` checks it from now on)")


@app.command()
@user_errors
def verify(
    run: str = typer.Argument(..., help="run store path/URL, or a run id under --runs"),
    runs: str = typer.Option("runs", "--runs", help="folder holding <run-id>.zarr"),
) -> None:
    """Check every file of a finalized run against its checksum manifest (exit 1 if anything changed)."""
    uri = resolve_run(run, runs)
    with console.status(f"hashing {uri}"):
        report = verify_checksums(uri)
    if report.ok:
        console.print(f"[green]ok[/] {uri}: {report.checked} files match their checksums")
        return
    for label, files in (("changed", report.changed), ("missing", report.missing), ("added", report.added)):
        if files:
            more = f" (+{len(files) - SHOW_FILES} more)" if len(files) > SHOW_FILES else ""
            console.print(f"[red]{label}[/] {len(files)}: {', '.join(files[:SHOW_FILES])}{more}", highlight=False)
    raise fail(f"{uri} does not match its checksum manifest: the raw data was modified",
               "restore the run from a copy (e.g. `dvc pull` or the object store)", code=1)
