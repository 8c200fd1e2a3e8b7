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
) -> None:
    """Copy finalized runs to DEST and verify every file there against the run's checksums.

    Credentials come from the environment or your AWS config (AWS_ACCESS_KEY_ID, AWS_ENDPOINT_URL, ...).
    """
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console, transient=True) as progress:
        for run in runs:
            task = progress.add_task(f"upload {run}", total=None)
            uri = upload_run(run, dest, progress=partial(_advance, progress, task))
            console.print(f"[green]verified[/] {uri}")


def _advance(progress: Progress, task: TaskID, done: int, total: int) -> None:
    progress.update(task, completed=done, total=total)
