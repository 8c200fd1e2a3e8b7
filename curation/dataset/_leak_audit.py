"""Leak audit: no group in two splits, no overlapping time windows across splits, no duplicate content."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from ._params import GROUP_COLUMNS
from ._sampleset import DatasetError
from ._split import separable_groups


class LeakError(DatasetError):
    """The splits share a group, a time window or a sample's content."""


def leak_audit(rows: Iterable[Mapping[str, Any]], audit_groups: list[str]) -> dict[str, Any]:
    """Rows need split, sample_id, run_id, t_start_ns, t_end_ns, content_hash and the audited group columns.

    Synthetic rows (oversampled, augmented) inherit their parent's group, so they are audited like it.
    """
    rows = list(rows)
    report: dict[str, Any] = {"groups": {}, "time_overlaps": [], "duplicate_content": [], "ok": True,
                              "not_separable": []}
    _keep, single = separable_groups(rows, audit_groups)
    for g in audit_groups:
        col = GROUP_COLUMNS[g]
        where: dict[str, set[str]] = defaultdict(set)
        for r in rows:
            where[str(r[col])].add(r["split"])
        shared = {k: sorted(v) for k, v in sorted(where.items()) if len(v) > 1}
        if g in single:  # one value for every sample: no split could keep it apart; declared, not a leak
            report["not_separable"].append({"group": g, "value": next(iter(where)), "splits": sorted(
                set().union(*where.values()))})
            shared = {}
        report["groups"][g] = {"distinct": len(where), "in_several_splits": shared}
    by_run: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for r in rows:
        by_run[r["run_id"]].append(r)
    for run, rs in sorted(by_run.items()):
        rs = sorted(rs, key=lambda r: (r["t_start_ns"], r["sample_id"]))
        # Sweep: an interval overlaps a previous one in another split if it starts before that one ends.
        open_: list[Mapping[str, Any]] = []
        for r in rs:
            open_ = [o for o in open_ if o["t_end_ns"] > r["t_start_ns"]]
            for o in open_:
                if o["split"] != r["split"]:
                    report["time_overlaps"].append(
                        [run, o["sample_id"], o["split"], r["sample_id"], r["split"]]
                    )
            open_.append(r)
    seen: dict[str, set[str]] = defaultdict(set)
    ids: dict[str, str] = {}
    for r in rows:
        seen[r["content_hash"]].add(r["split"])
        ids.setdefault(r["content_hash"], r["sample_id"])
    report["duplicate_content"] = [[ids[h], sorted(s)] for h, s in sorted(seen.items()) if len(s) > 1]
    report["ok"] = not (
        any(v["in_several_splits"] for v in report["groups"].values())
        or report["time_overlaps"]
        or report["duplicate_content"]
    )
    return report


def raise_on_leak(report: Mapping[str, Any]) -> None:
    if report["ok"]:
        return
    parts = [
        f"{g} {k!r} in {'+'.join(v)}"
        for g, d in report["groups"].items()
        for k, v in list(d["in_several_splits"].items())[:3]
    ]
    if report["time_overlaps"]:
        o = report["time_overlaps"][0]
        parts.append(
            f"{len(report['time_overlaps'])} overlapping windows across splits (e.g. {o[1]} / {o[3]})"
        )
    if report["duplicate_content"]:
        parts.append(f"{len(report['duplicate_content'])} identical samples in several splits")
    raise LeakError(
        "leak audit failed: " + "; ".join(parts),
        "re-run `weldctl dataset split` (do not edit split files by hand), or group by what leaks",
    )
