"""Stratified and grouped at once: whole groups go to one split, strata keep their shares across splits."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._params import GROUP_COLUMNS, SplitParams
from ._sampleset import DatasetError


class SplitError(DatasetError):
    """The requested split cannot be made from these groups."""


def _components(rows: Sequence[Mapping[str, Any]], groups: list[str]) -> list[list[int]]:
    """Samples joined by any shared group value (a workpiece welded on two days joins both days)."""
    parent = list(range(len(rows)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for g in groups:
        first: dict[str, int] = {}
        for i, r in enumerate(rows):
            key = str(r[GROUP_COLUMNS[g]])
            if key in first:
                parent[find(i)] = find(first[key])
            else:
                first[key] = i
    comps: dict[int, list[int]] = defaultdict(list)
    for i in range(len(rows)):
        comps[find(i)].append(i)
    return list(comps.values())


def _stable_key(seed: int, text: str) -> str:
    return hashlib.sha256(f"{seed}:{text}".encode()).hexdigest()


def labels_carried(rows: Sequence[Mapping[str, Any]], names: Sequence[str]) -> list[str]:
    """The labels among ``names`` that some sample has a value for (an arc dataset has no penetration)."""
    return [n for n in names if any(r.get(n) is not None for r in rows)]


def separable_groups(rows: Sequence[Mapping[str, Any]], groups: Sequence[str]) -> tuple[list[str], list[str]]:
    """(groups that can keep splits apart, groups with one value for every sample).

    A group with one value (every run recorded the same day) cannot be kept out of two splits. When other
    groups remain it is set aside and declared (split report, audit, card); alone, the split is impossible.
    """
    one = [g for g in groups if len({str(r[GROUP_COLUMNS[g]]) for r in rows}) == 1]
    keep = [g for g in groups if g not in one]
    return (keep, one) if keep else (list(groups), [])


def missing_classes(rows: Sequence[Mapping[str, Any]], assignment: Mapping[str, str],
                    labels: Sequence[str]) -> dict[str, dict[str, list[str]]]:
    """split -> label -> classes that the dataset has but that split has not."""
    out: dict[str, dict[str, list[str]]] = {}
    splits = sorted(set(assignment.values()))
    for lab in labels_carried(rows, labels):
        every = {str(r.get(lab)) for r in rows}
        for s in splits:
            have = {str(r.get(lab)) for r in rows if assignment.get(r["sample_id"]) == s}
            if every - have:
                out.setdefault(s, {})[lab] = sorted(every - have)
    return out


def assign_splits(rows: Sequence[Mapping[str, Any]], params: SplitParams) -> dict[str, str]:
    """sample_id -> split. Deterministic for the same rows and params (no global RNG, no set order)."""
    names = [s for s, f in params.fractions.items() if f > 0]
    fr = np.array([params.fractions[s] for s in names], dtype=np.float64)
    fr /= fr.sum()
    groups, _single = separable_groups(rows, params.groups)
    group_desc = " x ".join(groups) or "sample"
    comps = _components(rows, groups)
    if len(comps) < len(names):
        raise SplitError(
            f"cannot make {len(names)} splits ({', '.join(names)}) from {len(comps)} independent "
            f"group(s) of {group_desc}",
            "record more workpieces/runs/days, group by fewer columns, or set a fraction to 0",
        )
    labels = labels_carried(rows, params.strata)
    strata = sorted({tuple(str(r.get(c)) for c in labels) for r in rows})
    sidx = {s: i for i, s in enumerate(strata)}
    counts = np.zeros((len(comps), len(strata)))
    for c, members in enumerate(comps):
        for i in members:
            counts[c, sidx[tuple(str(rows[i].get(k)) for k in labels)]] += 1
    total = counts.sum(axis=0)
    target = fr[:, None] * total[None, :]  # wanted samples per split and stratum
    n_target = fr * len(rows)
    # Big groups first (they constrain most); a seeded hash breaks ties so order never depends on input order.
    order = sorted(
        range(len(comps)),
        key=lambda c: (
            -len(comps[c]),
            _stable_key(params.seed, min(str(rows[i]["sample_id"]) for i in comps[c])),
        ),
    )
    cur = np.zeros_like(target)
    n_cur = np.zeros(len(names))
    out: dict[str, str] = {}
    empty_left = len(names)
    for pos, c in enumerate(order):
        remaining = len(order) - pos
        cand: Sequence[int] = range(len(names))
        if remaining <= empty_left:  # make sure every split gets at least one group
            cand = [s for s in cand if n_cur[s] == 0] or list(cand)
        best, best_cost = -1, np.inf
        for s in cand:
            # Chi-square increments: a deviation counts relative to the expected count, so a rare class
            # keeps its shares as well as a common one (absolute squares would let it drift).
            d_strat = (((cur[s] + counts[c] - target[s]) ** 2 - (cur[s] - target[s]) ** 2)
                       / np.maximum(target[s], 0.5)).sum()
            d_size = ((n_cur[s] + len(comps[c]) - n_target[s]) ** 2 - (n_cur[s] - n_target[s]) ** 2) \
                / max(n_target[s], 0.5)
            cost = d_strat + d_size
            if cost < best_cost - 1e-9:
                best, best_cost = s, cost
        if n_cur[best] == 0:
            empty_left -= 1
        cur[best] += counts[c]
        n_cur[best] += len(comps[c])
        for i in comps[c]:
            out[str(rows[i]["sample_id"])] = names[best]
    return out


def split_summary(
    rows: Sequence[Mapping[str, Any]], assignment: Mapping[str, str], strata: list[str]
) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        out[assignment[r["sample_id"]]][" x ".join(str(r.get(c)) for c in strata)] += 1
    return {s: dict(sorted(v.items())) for s, v in sorted(out.items())}
