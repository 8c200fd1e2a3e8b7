"""Balance the train split only: under-sample big classes, over-sample small ones, to targets from params.

An over-sampled row is a new sample (``<parent>~o<k>``) that inherits every column of its parent, groups
included, so the leak audit treats it like the parent. ``augment`` turns these copies into variants.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from ._params import BalanceParams
from ._sampleset import DatasetError


def _ranked(ids: list[str], seed: int, cls: str) -> list[str]:
    return sorted(ids, key=lambda s: hashlib.sha256(f"{seed}:{cls}:{s}".encode()).hexdigest())


def balance_label(rows: Sequence[Mapping[str, Any]], params: BalanceParams) -> str:
    """The label to balance: ``balance.by``, or the first of its list that every sample carries."""
    wanted = [params.by] if isinstance(params.by, str) else list(params.by)
    for name in wanted:
        if rows and all(r.get(name) is not None for r in rows):
            return name
    raise DatasetError(
        f"balance.by {params.by!r}: no such label on every sample",
        "set balance.by to a label the samples carry, e.g. penetration (laser) or quality (arc)",
    )


def class_targets(counts: Mapping[str, int], params: BalanceParams) -> dict[str, int]:
    if params.targets is not None:
        missing = sorted(c for c, n in params.targets.items() if n > 0 and counts.get(c, 0) == 0)
        if missing:
            raise DatasetError(
                f"cannot balance to targets: class(es) {missing} of {params.by!r} have no train "
                f"samples (train has {dict(sorted(counts.items()))})",
                "record welds of that class, set its target to 0, or drop it from balance.targets",
            )
        return {c: params.targets.get(c, n) for c, n in counts.items()} | dict(params.targets)
    if params.target == "none":
        return dict(counts)
    goal = (
        max(counts.values())
        if params.target == "max"
        else min(counts.values())
        if params.target == "min"
        else int(params.target)
    )
    return {c: goal for c in counts}


def balance_train(
    rows: Sequence[Mapping[str, Any]], assignment: Mapping[str, str], params: BalanceParams
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Rows of the balanced train split (sample_id, parent_id, origin) and a report with the counts."""
    train = [r for r in rows if assignment.get(r["sample_id"]) == "train"]
    if not train:
        raise DatasetError("the train split is empty", "check split.fractions in params.yaml")
    by = balance_label(rows, params)
    params = params.model_copy(update={"by": by})
    by_cls: dict[str, list[str]] = defaultdict(list)
    for r in train:
        by_cls[str(r[by])].append(r["sample_id"])
    before = {c: len(v) for c, v in sorted(by_cls.items())}
    targets = class_targets(before, params)
    out: list[dict[str, Any]] = []
    for cls, ids in sorted(by_cls.items()):
        goal = targets[cls]
        ranked = _ranked(ids, params.seed, cls)
        keep = ranked[:goal] if goal < len(ids) else ranked
        out += [{"sample_id": s, "parent_id": "", "origin": "original"} for s in sorted(keep)]
        # Copies cycle through the class in a seeded order, so each parent is used as evenly as possible.
        for k in range(max(0, goal - len(ids))):
            parent = ranked[k % len(ranked)]
            out.append(
                {"sample_id": f"{parent}~o{k // len(ranked)}", "parent_id": parent, "origin": "oversample"}
            )
    after: dict[str, int] = defaultdict(int)
    cls_of = {r["sample_id"]: str(r[by]) for r in train}
    for r in out:
        after[cls_of[r["parent_id"] or r["sample_id"]]] += 1
    report = {
        "by": by,
        "before": before,
        "targets": dict(sorted(targets.items())),
        "after": dict(sorted(after.items())),
    }
    return sorted(out, key=lambda r: r["sample_id"]), report


def class_weights(rows: Sequence[Mapping[str, Any]], label_columns: list[str]) -> dict[str, dict[str, float]]:
    """Inverse-frequency weights, N / (K * n_c), per label column of the (balanced) train rows."""
    out: dict[str, dict[str, float]] = {}
    for col in label_columns:
        counts: dict[str, int] = defaultdict(int)
        for r in rows:
            counts[str(r.get(col))] += 1
        n, k = sum(counts.values()), len(counts)
        out[col] = {c: round(n / (k * m), 6) for c, m in sorted(counts.items())}
    return out
