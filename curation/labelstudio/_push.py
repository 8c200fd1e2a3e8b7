"""`label push`: one Label Studio task per weld, with signals, keyframes and pre-annotations; idempotent."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from weldctl.schema import RunReader, Taxonomy, WeldctlError

from ._config import LEGACY_TIME_UNIT_NS, TIME_UNIT_NS, TS_NAME, SignalColumn, label_config
from ._media import WeldWindow, picture_streams, signal_columns
from ._media_cache import weld_media
from ._task import task_data

if TYPE_CHECKING:
    import pandas as pd
    from label_studio_sdk import LabelStudio

PREDICTION_PREFIX = "weldctl-"  # model_version of our pre-annotations; other predictions are left alone
# One prediction per task (manifest and, on request, truth answers together): Label Studio pre-fills a task
# only from predictions of the project's model version, so two versions would hide one of them.
PREDICTION_VERSION = f"{PREDICTION_PREFIX}prelabel"


class PushOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    project: str = Field(description="Label Studio project title")
    media_dir: Path = Field(description="where CSVs/PNGs go; inside the server's local-files document root")
    document_root: Path = Field(description="LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT of the server")
    context_s: float = Field(default=0.05, ge=0, description="signal shown before and after each weld")
    max_points: int = Field(default=60_000, ge=100, description="samples per task over all channels")
    keyframes: int = Field(default=4, ge=1, le=16)
    truth: bool = Field(default=False, description="pre-annotate from the sim's truth too")
    annotations_per_task: int | None = Field(
        default=None, ge=1, description="annotators per weld (overlap for agreement); None leaves the project's")


@dataclass
class PushReport:
    project_id: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rendered: int = 0  # welds whose CSV/PNGs were rendered now; the others' media were reused unchanged
    tasks: list[int] = field(default_factory=list)


def find_project(client: LabelStudio, title: str) -> Any | None:
    projects: Iterable[Any] = client.projects.list(title=title)
    matches = [p for p in projects if p.title == title]
    return min(matches, key=lambda p: p.id) if matches else None


def _ensure_project(client: LabelStudio, title: str, config: str, taxonomy: Taxonomy,
                    annotations_per_task: int | None) -> int:
    # Pre-fill every task from our prediction: the project must name its model version (see PREDICTION_VERSION).
    wanted: dict[str, Any] = {"model_version": PREDICTION_VERSION, "show_collab_predictions": True}
    if annotations_per_task is not None:
        wanted.update(maximum_annotations=annotations_per_task, overlap_cohort_percentage=100)
    project = find_project(client, title)
    if project is None:
        created = client.projects.create(title=title, label_config=config,
                                         description=f"weldctl welds, taxonomy {taxonomy.name} v{taxonomy.version}",
                                         **wanted)
        if created.id is None:  # typed optional by the SDK; a server always sends it
            raise WeldctlError(f"Label Studio created project {title!r} without an id", "check the server's log")
        return created.id
    if (project.label_config or "").strip() != config.strip():
        wanted["label_config"] = config
    changed = {k: v for k, v in wanted.items() if getattr(project, k, None) != v}
    if changed:
        client.projects.update(project.id, **changed)
    return int(project.id)


def _ensure_storage(client: LabelStudio, project_id: int, media_dir: Path) -> None:
    """Label Studio serves local files only below a local-files storage of the project (never synced)."""
    path = str(media_dir.resolve())
    if not any(s.path == path for s in client.import_storage.local.list(project=project_id)):
        client.import_storage.local.create(project=project_id, path=path, title="weldctl media",
                                           use_blob_urls=False)


def _axis(t_ns: float, win: WeldWindow) -> float:
    """A run time on the task's time axis, to the nanosecond."""
    return round(win.axis(t_ns), len(str(win.unit_ns)) - 1)


def _choice(group: str, value: str) -> dict[str, Any]:
    return {"id": f"{group}", "from_name": group, "to_name": TS_NAME, "type": "choices",
            "value": {"choices": [value]}}


def manifest_prediction(reader: RunReader, taxonomy: Taxonomy, weld_id: int) -> dict[str, Any] | None:
    """The run manifest's intended class(es) for this weld."""
    plans = {p.weld_id: p for p in reader.manifest.welds}
    plan = plans.get(weld_id)
    if plan is None:
        return None
    result = []
    for g in taxonomy.choices:
        if g.from_manifest:
            value = getattr(plan, g.from_manifest, None)
            if value in g.classes:
                result.append(_choice(g.name, str(value)))
    if not result:
        return None
    return {"model_version": f"{PREDICTION_PREFIX}manifest", "score": 1.0, "result": result}


def truth_prediction(reader: RunReader, taxonomy: Taxonomy, win: WeldWindow) -> dict[str, Any] | None:
    """What the simulator really did in this weld (only on request: it would give the answers away)."""
    if not reader.has_truth():
        return None
    welds = reader.truth("welds")
    overlap = np.minimum(welds["t_end_ns"], win.t_end_ns) - np.maximum(welds["t_start_ns"], win.t_start_ns)
    if not len(overlap) or overlap.max() <= 0:
        return None
    i = int(np.argmax(overlap))
    result: list[dict[str, Any]] = []
    for g in taxonomy.choices:
        if g.from_truth and g.from_truth in welds and str(welds[g.from_truth][i]) in g.classes:
            result.append(_choice(g.name, str(welds[g.from_truth][i])))
    for r in taxonomy.regions:
        if not r.from_truth:
            continue
        instants = reader.truth(r.from_truth)["t_ns"]
        inside = instants[(instants >= win.t_start_ns) & (instants < win.t_end_ns)]
        for k, t in enumerate(np.sort(inside)):
            start = max(float(t) - r.truth_before_ms * 1e6, win.view_start_ns)
            end = min(float(t) + r.truth_after_ms * 1e6, win.view_end_ns)
            result.append({"id": f"{r.name}{k}", "from_name": r.name, "to_name": TS_NAME,
                           "type": "timeserieslabels",
                           "value": {"start": _axis(start, win), "end": _axis(end, win),
                                     "instant": False, "timeserieslabels": [r.label]}})
    return {"model_version": f"{PREDICTION_PREFIX}truth", "score": 1.0, "result": result} if result else None


def _predictions(reader: RunReader, taxonomy: Taxonomy, win: WeldWindow, truth: bool) -> list[dict[str, Any]]:
    """At most one prediction: the manifest's answers, overridden and completed by the truth's on request."""
    parts = [manifest_prediction(reader, taxonomy, win.weld_id)]
    if truth:
        parts.append(truth_prediction(reader, taxonomy, win))
    merged: dict[str, dict[str, Any]] = {}
    for part in parts:
        for item in (part or {}).get("result", []):
            merged[item["id"]] = item
    if not merged:
        return []
    return [{"model_version": PREDICTION_VERSION, "score": 1.0, "result": list(merged.values())}]


def _sync_predictions(client: LabelStudio, task_id: int, wanted: list[dict[str, Any]]) -> bool:
    """Replace our predictions on a task when they changed; returns whether anything changed."""
    ours = [p for p in client.predictions.list(task=task_id)
            if (p.model_version or "").startswith(PREDICTION_PREFIX)]
    have = sorted(((p.model_version, p.result) for p in ours), key=lambda x: x[0])
    want = sorted(((p["model_version"], p["result"]) for p in wanted), key=lambda x: x[0])
    if have == want:
        return False
    for p in ours:
        client.predictions.delete(p.id)
    for p in wanted:
        client.predictions.create(task=task_id, result=p["result"], model_version=p["model_version"],
                                  score=p["score"])
    return True


def existing_tasks(client: LabelStudio, project_id: int) -> dict[tuple[str, int], Any]:
    out: dict[tuple[str, int], Any] = {}
    tasks: Iterable[Any] = client.tasks.list(project=project_id, fields="all")
    for t in tasks:
        data = t.data or {}
        if "run_id" in data and "weld_id" in data:
            out.setdefault((str(data["run_id"]), int(data["weld_id"])), t)
    return out


def _window(reader: RunReader, row: Any, run_end_ns: int, context_s: float, task: Any | None) -> WeldWindow:
    """What a weld's task shows; an annotated task keeps its time axis (its regions are stored on it)."""
    ctx = round(context_s * 1e9)
    t_start, t_end = int(row.t_start_ns), int(row.t_end_ns)
    win = WeldWindow(reader.run_id, int(row.weld_id), t_start, t_end, max(0, t_start - ctx),
                     min(run_end_ns + 1, t_end + ctx), origin_ns=t_start, unit_ns=TIME_UNIT_NS)
    if task is not None and task.annotations and "t0_ns" in task.data:
        origin = int(task.data["t0_ns"])
        win = replace(win, origin_ns=origin, unit_ns=int(task.data.get("time_unit_ns", LEGACY_TIME_UNIT_NS)),
                      view_start_ns=min(win.view_start_ns, origin))
    return win


def push_welds(client: LabelStudio, taxonomy: Taxonomy, runs: list[tuple[RunReader, pd.DataFrame]],
               opts: PushOptions, on_weld: Callable[[str, int], None] | None = None) -> PushReport:
    """Render and push every weld of ``runs``; ``on_weld(run_id, weld_id)`` after each (progress)."""
    media_dir, root = opts.media_dir.resolve(), opts.document_root.resolve()
    if not media_dir.is_relative_to(root):
        raise WeldctlError(f"media folder {media_dir} is outside the local-files document root {root}",
                           "put --media under LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT")
    columns: list[SignalColumn] = []
    images: list[str] = []
    for reader, _ in runs:
        columns += [c for c in signal_columns(reader) if c.column not in {x.column for x in columns}]
        images += [s for s in picture_streams(reader) if s not in images]
    media_dir.mkdir(parents=True, exist_ok=True)
    project_id = _ensure_project(client, opts.project, label_config(taxonomy, columns, images), taxonomy,
                                 opts.annotations_per_task)
    _ensure_storage(client, project_id, media_dir)
    report = PushReport(project_id=project_id)
    known = existing_tasks(client, project_id)
    batch: list[Any] = []  # task dicts: the SDK takes them for its ImportApiRequest models
    for reader, segments in runs:
        run_end = max((int(reader.t_ns(n)[-1]) for n in reader.specs if reader.length(n)), default=0)
        for row in segments.itertuples(index=False):
            task = known.get((reader.run_id, int(row.weld_id)))
            win = _window(reader, row, run_end, opts.context_s, task)
            media, rendered = weld_media(reader, win, columns, images, media_dir / _slug(opts.project) / reader.run_id,
                                         opts.max_points, opts.keyframes)
            report.rendered += rendered
            data, meta = task_data(reader, win, media, images, str(row.source), root, taxonomy.name)
            preds = _predictions(reader, taxonomy, win, opts.truth)
            if task is None:
                batch.append({"data": data, "meta": meta, "predictions": preds})
            else:
                changed = False
                if task.data != data or (task.meta or {}) != meta:
                    client.tasks.update(str(task.id), data=data, meta=meta)
                    changed = True
                changed |= _sync_predictions(client, int(task.id), preds)
                report.tasks.append(int(task.id))
                report.updated += changed
                report.unchanged += not changed
            if on_weld:
                on_weld(reader.run_id, win.weld_id)
    if batch:
        res = client.projects.import_tasks(project_id, request=batch, return_task_ids=True)
        report.created = len(batch)
        report.tasks += [int(i) for i in (getattr(res, "task_ids", None) or [])]  # set by return_task_ids
    return report


def _slug(title: str) -> str:
    """A project title as one safe folder name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", title).strip("._") or "project"
