"""`weldctl recover` and `weldctl verify`: crash recovery and the raw-stays-raw check."""

from __future__ import annotations

import typer
from rich.markup import escape

from weldctl.daq import recover_run
from weldctl.schema import resolve_run, verify_run

from ._app import app, console, fail, user_errors
from ._tables import table

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
    t = table("streams kept", ("stream", "samples kept", "last sample s"), left=("stream",))
    for s in kept:
        t.add_row(s.name, f"{s.samples:,}", f"{s.last_t_ns / 1e9:.3f}")
    console.print(t)
    console.print(f"[green]recovered[/] {escape(uri)}", highlight=False)
    console.print(f"next: weldctl verify {escape(run)}   (checks it against its checksums from now on)",
                  highlight=False)


@app.command()
@user_errors
def verify(
    run: str = typer.Argument(..., help="run store path/URL, or a run id under --runs"),
    runs: str = typer.Option("runs", "--runs", help="folder holding <run-id>.zarr"),
) -> None:
    """Check a finalized run: every file against its checksum manifest, and what it means (monotonic times,
    plausible clock fits, consistent lengths, gap rows for every sequence jump). Exit 1 if anything is wrong."""
    uri = resolve_run(run, runs)
    with console.status(f"checking {escape(uri)}"):
        report = verify_run(uri)
    if report.ok:
        console.print(f"[green]ok[/] {escape(uri)}: {report.checked} files match their checksums; times, "
                      "sequence numbers, gaps and clock fits are consistent", highlight=False)
        return
    for label, files in (("changed", report.changed), ("missing", report.missing), ("added", report.added)):
        if files:
            more = f" (+{len(files) - SHOW_FILES} more)" if len(files) > SHOW_FILES else ""
            console.print(f"[red]{label}[/] {len(files)}: {escape(', '.join(files[:SHOW_FILES]))}{more}",
                          highlight=False)
    for problem in report.problems:
        console.print(f"[red]wrong[/] {escape(problem)}", highlight=False)
    if report.changed or report.missing or report.added:
        raise fail(f"{uri} does not match its checksum manifest: the raw data was modified",
                   "restore the run from a copy (e.g. `dvc pull` or the object store)", code=1)
    raise fail(f"{uri} is not what it was when finalized, or contradicts itself ({len(report.problems)} problem(s) "
               "above)", "restore the run from a copy; `recover` does not re-finalize a finalized store", code=1)
