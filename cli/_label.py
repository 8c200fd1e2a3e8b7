"""`weldctl label push|pull|status`: the Label Studio loop."""

from __future__ import annotations

import math
import os
from pathlib import Path

import typer
from rich.progress import Progress

from weldctl.curation import (
    LabelStudioSettings,
    PushOptions,
    agreement,
    connect,
    label_status,
    ls_errors,
    merge_records,
    pull_records,
    push_welds,
    read_segments,
    segment_tables,
    segments_path,
)
from weldctl.schema import RunReader, WeldctlError, check_destination, load_taxonomy, read_labels, write_labels

from ._app import app, console, user_errors
from ._tables import table

label_app = typer.Typer(help="Label welds in Label Studio: push tasks, pull labels, show progress.",
                        no_args_is_help=True)
app.add_typer(label_app, name="label")

TAXONOMY = typer.Option("laser", "--taxonomy", "-t", help="shipped taxonomy (laser, arc) or a YAML file")
PROJECT = typer.Option(None, "--project", "-p", help="Label Studio project title [weldctl-<taxonomy>]")
URL = typer.Option(None, "--url", help="[LABEL_STUDIO_URL]; key from LABEL_STUDIO_API_KEY")
# Labels pulled from Label Studio live under labels/ beside import's labels/import.jsonl: never the
# labels.jsonl a dataset repository's pipeline reads, which is filled on purpose (`pull -o labels.jsonl`).
PULLED = "labels/labelstudio.jsonl"


def _document_root(value: Path | None) -> Path:
    root = value or os.environ.get("LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT")
    if not root:
        raise WeldctlError("no local-files document root",
                           "set LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT (as the server has it) "
                           "or pass --document-root")
    return Path(root)


@label_app.command("push")
@user_errors
def push(
    runs_: list[str] = typer.Argument(..., metavar="RUN...", help="run stores (path/URL) or run ids"),
    runs: str = typer.Option("runs", "--runs", help="folder holding <run-id>.zarr"),
    segments: str = typer.Option("segments", "--segments", "-s", help="folder (or URL) of segments tables"),
    taxonomy: str = TAXONOMY,
    project: str | None = PROJECT,
    url: str | None = URL,
    document_root: Path | None = typer.Option(None, "--document-root",
                                              help="[LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT]"),
    media: Path | None = typer.Option(None, "--media", help="CSV/PNG folder under the root [<root>/weldctl]"),
    truth: bool = typer.Option(False, "--truth", help="also pre-annotate from the sim's truth"),
    context: float = typer.Option(0.05, "--context", help="s of signal shown before and after each weld"),
    max_points: int = typer.Option(60_000, "--max-points", help="samples per task over all channels"),
    annotations_per_task: int | None = typer.Option(
        None, "--annotations-per-task", min=1,
        help="annotators who label each weld (2+ gives agreement figures) [project's setting, new: 1]"),
) -> None:
    """Create or update the project and one task per weld (pushing again updates, never duplicates)."""
    tax = load_taxonomy(taxonomy)
    work = []
    for run in runs_:
        reader = RunReader(run, runs)
        work.append((reader, read_segments(segments_path(segments, reader.run_id))))
    root = _document_root(document_root)
    opts = PushOptions(project=project or f"weldctl-{tax.name}", media_dir=media or root / "weldctl",
                       document_root=root, context_s=context, max_points=max_points, truth=truth,
                       annotations_per_task=annotations_per_task)
    settings = LabelStudioSettings.from_env(url)
    client = connect(settings)  # before anything is rendered or changed
    n_welds = sum(len(s) for _, s in work)
    bar = Progress(*Progress.get_default_columns(), console=console, transient=True)
    with bar, ls_errors(settings):
        job = bar.add_task(f"welds → {settings.shown}", total=n_welds)
        rep = push_welds(client, tax, work, opts, on_weld=lambda _r, _w: bar.advance(job))
    console.print(f"project {opts.project!r} (id {rep.project_id}): {rep.created} tasks created, "
                  f"{rep.updated} updated, {rep.unchanged} unchanged; media of {rep.rendered} welds rendered, "
                  f"{n_welds - rep.rendered} reused")
    console.print(f"next: label in the browser ({settings.shown}/projects/{rep.project_id}, Label All Tasks), "
                  "then weldctl label pull", highlight=False, soft_wrap=True)


@label_app.command("pull")
@user_errors
def pull(
    out: str = typer.Option(PULLED, "--out", "-o", help="labels file (JSONL; path or URL)"),
    taxonomy: str = TAXONOMY,
    project: str | None = PROJECT,
    url: str | None = URL,
) -> None:
    """Annotations into the labels file: one record per weld and annotator; idempotent."""
    tax = load_taxonomy(taxonomy)
    check_destination(out)
    existing = read_labels(out)  # a broken file stops us before the server is asked anything
    settings = LabelStudioSettings.from_env(url)
    client = connect(settings)
    with ls_errors(settings):
        pid, fresh = pull_records(client, tax, project or f"weldctl-{tax.name}")
    records = merge_records(existing, fresh, pid)
    write_labels(out, records)
    annotators = len({r.annotator for r in fresh})
    console.print(f"{len(fresh)} label records ({len({(r.run_id, r.weld_id) for r in fresh})} welds, "
                  f"{annotators} annotators) from project id {pid} → {out}")
    _print_inconsistent([(r, r.problems) for r in fresh if r.problems], settings.url)
    _print_agreement(records, tax)
    shown = "" if out == PULLED else f" -l {out}"
    console.print(f"next: weldctl label status{shown} -s segments   (welds per class, unlabelled, disputed)",
                  highlight=False, soft_wrap=True)


def _print_inconsistent(found: list, url: str | None = None) -> None:  # type: ignore[type-arg]
    """Records whose answers contradict each other, each with what to fix and (when known) where."""
    if not found:
        return
    console.print(f"[yellow]{len(found)} annotation(s) contradict themselves; they stay out of datasets "
                  f"until fixed in Label Studio and pulled again:[/]")
    for rec, problems in found:
        where = ""
        if rec.ls is not None:
            where = f" (task {rec.ls.task_id}"
            where += f": {url}/projects/{rec.ls.project_id}/data?task={rec.ls.task_id})" if url else ")"
        # Wrapped at spaces to fit the terminal; the link has none, so it stays whole for a click.
        console.print(f"  {rec.run_id}/{rec.weld_id} by {rec.annotator}: {'; '.join(problems)}{where}")


def _print_agreement(records: list, tax) -> None:  # type: ignore[no-untyped-def, type-arg]
    rows = [a for a in agreement(records, tax) if a.welds]
    if not rows:
        return
    t = table("agreement (welds with several annotators)", ("group", "welds", "all agree", "pairwise"),
              left=("group",))
    for a in rows:
        t.add_row(a.group, str(a.welds), f"{a.agreed}/{a.welds}",
                  "-" if math.isnan(a.pairwise) else f"{a.pairwise:.2f}")
    console.print(t)


@label_app.command("status")
@user_errors
def status(
    labels: str = typer.Option(PULLED, "--labels", "-l", help="labels file (JSONL; path or URL)"),
    segments: str | None = typer.Option(None, "--segments", "-s", help="segments folder: lists unlabelled"),
    taxonomy: str = TAXONOMY,
) -> None:
    """Welds per class (annotators' majority) and welds nobody has labelled yet."""
    import pandas as pd

    tax = load_taxonomy(taxonomy)
    records = read_labels(labels, tax)
    seg = None
    if segments is not None:
        tables = [read_segments(p) for p in segment_tables(segments)]
        seg = pd.concat(tables) if tables else None
    st = label_status(records, tax, seg)
    console.print(f"{st.labelled}/{st.welds} welds labelled, {len(records)} records in {labels}")
    t = table("welds per class", ("group", "class", "welds"), left=("group", "class"))
    for group, classes in st.counts.items():
        for cls, n in classes.items():
            t.add_row(group, cls, str(n))
        if st.disputed[group]:
            t.add_row(group, "[yellow]disputed[/]", str(st.disputed[group]))
    console.print(t)
    if st.unlabelled:
        shown = ", ".join(f"{r}/{w}" for r, w in st.unlabelled[:20])
        more = f" … and {len(st.unlabelled) - 20} more" if len(st.unlabelled) > 20 else ""
        console.print(f"unlabelled: {shown}{more}")
    _print_inconsistent(st.inconsistent, os.environ.get("LABEL_STUDIO_URL"))
    _print_agreement(records, tax)
