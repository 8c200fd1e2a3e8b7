"""`weldctl import` and `weldctl export`: recordings from other systems in, files for other tools out."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import Progress

from weldctl.schema import RunReader, WeldctlError, load_mapping

from ._app import app, console, err_console, fail, user_errors


@app.command("import")
@user_errors
def import_(
    mapping: Path = typer.Argument(..., help="import mapping YAML (see examples/import/)"),
    source: Path = typer.Argument(..., help="a run folder, or with --batch a folder tree of runs"),
    run_id: str | None = typer.Option(
        None, "--run-id", help="run id (default: from the mapping's run.pattern)"
    ),
    out: Path = typer.Option(
        Path("imported"), "--out", help="folder for <run-id>.zarr (not runs/, where your own recordings go)"),
    labels: str = typer.Option(
        "labels/import.jsonl", "--labels", help="labels JSONL (path or URL) to add the run's labels to"
    ),
    batch: bool = typer.Option(False, "--batch", help="import every run folder under SOURCE"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace runs that already exist"),
) -> None:
    """Import a recording made by another system as a run store (all or nothing)."""
    from weldctl.curation import find_runs, import_run

    m = load_mapping(mapping)
    if not source.is_dir():
        raise fail(f"{source}: no such folder", "pass the folder that holds the recordings (one run, or --batch)")
    if not batch:
        r = import_run(m, source, out, run_id=run_id, labels_path=labels, overwrite=overwrite)
        counts = ", ".join(f"{k}={v:,}" for k, v in r.samples.items())
        console.print(f"imported {r.run_id} -> {r.uri} ({counts}) labels={r.labels} in {r.seconds:.2f} s")
        for stream, how in r.alignment.items():
            console.print(f"  {stream}: {how}", highlight=False)
        console.print(f"next: weldctl inspect {r.uri}   (streams, clock fits, losses)", highlight=False)
        return
    if run_id:
        raise fail("--run-id names one run; with --batch run ids come from the mapping's run.pattern")
    folders = find_runs(m, source)
    if not folders:
        raise fail(
            f"no folder under {source} matches run.pattern of mapping {m.name}", "check the path or pattern"
        )
    failed: list[tuple[Path, WeldctlError]] = []
    with Progress(console=err_console, transient=True) as progress:
        task = progress.add_task("importing", total=len(folders))
        for folder in folders:
            progress.update(task, description=f"importing {folder.name}")
            try:
                r = import_run(m, folder, out, labels_path=labels, overwrite=overwrite)
                console.print(
                    f"  {r.run_id}: {', '.join(f'{k}={v:,}' for k, v in r.samples.items())} "
                    f"{r.labels} {r.seconds:.2f} s"
                )
            except WeldctlError as err:  # one bad run must not stop the batch; all are reported at the end
                failed.append((folder, err))
            progress.advance(task)
    console.print(f"imported {len(folders) - len(failed)} of {len(folders)} runs into {out}")
    if len(failed) < len(folders):
        console.print(f"next: weldctl segment {out} --out segments   (one weld table per run)", highlight=False)
    for folder, exc in failed:
        err_console.print(f"[red]failed[/] {folder}: {escape(exc.message)}", highlight=False)
        if exc.hint:
            err_console.print(f"  → {escape(exc.hint)}", highlight=False)
    if failed:
        raise typer.Exit(2)


@app.command()
@user_errors
def export(
    run: str = typer.Argument(..., help="run store path/URL, or a run id under --runs"),
    fmt: str = typer.Option("hdf5", "--format", help="hdf5 (all streams) or csv (one stream)"),
    stream: str | None = typer.Option(None, "--stream", help="stream for --format csv"),
    out: Path | None = typer.Option(
        None, "--out", help="output file (default exports/<run-id>.h5 / exports/<run-id>.<stream>.csv)"
    ),
    runs: str = typer.Option("runs", "--runs", help="folder holding <run-id>.zarr"),
) -> None:
    """Export a run for tools without weldctl: HDF5 (h5py) or CSV (pandas)."""
    from weldctl.curation import export_csv, export_hdf5

    r = RunReader(run, runs)
    if fmt == "hdf5":
        path = export_hdf5(r, _made_parent(out or Path("exports", f"{r.run_id}.h5")))
    elif fmt == "csv":
        if not stream:
            raise fail("--format csv exports one stream", f"add --stream, one of: {', '.join(r.specs)}")
        path = export_csv(r, stream, _made_parent(out or Path("exports", f"{r.run_id}.{stream}.csv")))
    else:
        raise fail(f"unknown export format {fmt!r}", "use --format hdf5 or --format csv")
    console.print(f"exported {r.run_id} -> {path}")


def _made_parent(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
