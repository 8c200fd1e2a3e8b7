"""`weldctl upload`: verified copies of finalized runs to object storage."""

from __future__ import annotations

from functools import partial

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from weldctl.schema import upload_run

from ._app import app, console, user_errors


@app.command()
@user_errors
def upload(
    runs: list[str] = typer.Argument(..., help="run stores (paths) to upload"),
    dest: str = typer.Option(..., "--to", help="destination prefix, e.g. s3://bucket/runs"),
    jobs: int = typer.Option(8, "--jobs", "-j", min=1, help="files sent at once (large ones in parts)"),
) -> None:
    """Copy finalized runs to DEST, several files at a time, and verify every file there against the run's
    checksums (each file is also checked as it is read: a damaged local copy is not uploaded).

    Credentials come from the environment or your AWS config (AWS_ACCESS_KEY_ID, AWS_ENDPOINT_URL, ...).
    """
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console, transient=True) as progress:
        for run in runs:
            task = progress.add_task(f"upload {run}", total=None)
            uri = upload_run(run, dest, threads=jobs, progress=partial(_advance, progress, task))
            console.print(f"[green]verified[/] {uri}")


def _advance(progress: Progress, task: TaskID, done: int, total: int) -> None:
    progress.update(task, completed=done, total=total)
