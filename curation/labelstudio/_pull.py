"""`label pull`: annotations back into label records on the run time base; agreement between annotators."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from weldctl.schema import LabelRecord, LabelStudioRef, Taxonomy, TimeRegion, WeldctlError

from ..labels import with_problems
from ._config import LEGACY_TIME_UNIT_NS
from ._push import existing_tasks, find_project

if TYPE_CHECKING:
    from label_studio_sdk import LabelStudio


def _t_ns(value: Any, t0_ns: int, unit_ns: int) -> int:
    """A time on the task's CSV axis (units of ``unit_ns`` since ``t0_ns``) on the run time base."""
    return t0_ns + round(float(value) * unit_ns)


def record_from_annotation(ann: Any, task: Any, taxonomy: Taxonomy, annotator: str,
                           project_id: int) -> LabelRecord:
    data = task.data
    t0 = int(data["t0_ns"])
    unit = int(data.get("time_unit_ns", LEGACY_TIME_UNIT_NS))
    labels: dict[str, str | None] = {g.name: None for g in taxonomy.choices}
    regions: dict[str, list[TimeRegion]] = {r.record_key: [] for r in taxonomy.regions}
    by_name = {r.name: r for r in taxonomy.regions}
    for item in ann.result or []:
        name, value = item.get("from_name"), item.get("value") or {}
        if name in labels and value.get("choices"):
            labels[name] = str(value["choices"][0])
        elif name in by_name and by_name[name].label in (value.get("timeserieslabels") or []):
            start, end = _t_ns(value["start"], t0, unit), _t_ns(value.get("end", value["start"]), t0, unit)
            regions[by_name[name].record_key].append(TimeRegion(t_start_ns=min(start, end),
                                                                t_end_ns=max(start, end)))
    for key in regions:
        regions[key].sort(key=lambda r: (r.t_start_ns, r.t_end_ns))
    rec = LabelRecord(run_id=str(data["run_id"]), weld_id=int(data["weld_id"]), annotator=annotator,
                      labels=labels, created_at=ann.created_at, updated_at=ann.updated_at or ann.created_at,
                      source="label_studio",
                      ls=LabelStudioRef(task_id=int(task.id), annotation_id=int(ann.id), project_id=project_id),
                      **regions)
    return with_problems(rec, taxonomy)  # an inconsistent record is kept (and reported), flagged


def pull_records(client: LabelStudio, taxonomy: Taxonomy, project: str) -> tuple[int, list[LabelRecord]]:
    """Every non-cancelled annotation of the project, one record per weld and annotator (their latest)."""
    found = find_project(client, project)
    if found is None:
        raise WeldctlError(f"no Label Studio project {project!r}", "push welds first: weldctl label push …")
    pid = int(found.id)
    users = {int(u.id): (u.email or u.username or f"user{u.id}") for u in client.users.list()}
    latest: dict[tuple[str, int, str], LabelRecord] = {}
    for (_run, _weld), task in sorted(existing_tasks(client, pid).items()):
        anns = task.annotations if task.annotations is not None else client.annotations.list(int(task.id))
        for ann in anns:
            ann = ann if hasattr(ann, "result") else _AnnotationView(ann)
            if ann.was_cancelled:
                continue
            who = users.get(int(ann.completed_by), f"user{ann.completed_by}") if ann.completed_by else "?"
            rec = record_from_annotation(ann, task, taxonomy, who, pid)
            prev = latest.get(rec.key)
            if prev is None or _order(rec) > _order(prev):
                latest[rec.key] = rec
    return pid, list(latest.values())


def _order(rec: LabelRecord) -> tuple[object, int]:
    """Latest edit wins; the annotation id breaks ties."""
    return (rec.updated_at, rec.ls.annotation_id if rec.ls else 0)


class _AnnotationView:
    """Task listings carry annotations as plain dicts; give them the attributes of the SDK model."""

    def __init__(self, d: dict[str, Any]) -> None:
        from datetime import datetime

        self.id = d["id"]
        self.result = d.get("result") or []
        self.was_cancelled = bool(d.get("was_cancelled"))
        cb = d.get("completed_by")
        self.completed_by = cb.get("id") if isinstance(cb, dict) else cb
        self.created_at = datetime.fromisoformat(d["created_at"].replace("Z", "+00:00"))
        updated = d.get("updated_at") or d["created_at"]
        self.updated_at = datetime.fromisoformat(updated.replace("Z", "+00:00"))


def merge_records(existing: list[LabelRecord], fresh: list[LabelRecord],
                  project_id: int) -> list[LabelRecord]:
    """This project's Label Studio records are replaced as a whole; truth and other projects' records stay."""
    def ours(r: LabelRecord) -> bool:
        return r.source == "label_studio" and r.ls is not None and r.ls.project_id == project_id

    keep = [r for r in existing if not ours(r)]
    return keep + fresh


@dataclass(frozen=True)
class Agreement:
    group: str
    welds: int  # welds labelled by two or more annotators
    agreed: int  # of those, welds where every annotator gave the same class
    pairwise: float  # share of annotator pairs that agree, over all such welds (nan when none)


def agreement(records: list[LabelRecord], taxonomy: Taxonomy) -> list[Agreement]:
    by_weld: dict[tuple[str, int], list[LabelRecord]] = defaultdict(list)
    for r in records:
        if r.source == "label_studio":
            by_weld[(r.run_id, r.weld_id)].append(r)
    multi = [rs for rs in by_weld.values() if len({r.annotator for r in rs}) > 1]
    out = []
    for g in taxonomy.choices:
        agreed, pairs, same = 0, 0, 0
        for rs in multi:
            values = [r.labels.get(g.name) for r in rs]
            agreed += len(set(values)) == 1
            for i in range(len(values)):
                for j in range(i + 1, len(values)):
                    pairs += 1
                    same += values[i] == values[j]
        out.append(Agreement(g.name, len(multi), agreed, same / pairs if pairs else float("nan")))
    return out
