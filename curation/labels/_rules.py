"""Consistency rules between the answers of one label record, from the taxonomy (porosity present <=> pores)."""

from __future__ import annotations

from typing import Any

from weldctl.schema import LabelRecord, Taxonomy


def _regions(rec: LabelRecord, key: str) -> list[Any]:
    """A record's regions of one group: `pore_regions` is a field, other groups are extra fields."""
    value = getattr(rec, key, None)
    if value is None and rec.model_extra:
        value = rec.model_extra.get(key)
    return list(value or [])


def label_problems(rec: LabelRecord, taxonomy: Taxonomy) -> list[str]:
    """What contradicts itself in ``rec``; empty when the record is consistent."""
    out: list[str] = []
    for group in taxonomy.regions:
        rule = group.exactly_when
        if rule is None:
            continue
        n = len(_regions(rec, group.record_key))
        answer = rec.labels.get(rule.choice)
        if answer == rule.value and n == 0:
            out.append(f"{rule.choice} is {answer!r} but no {group.label} region is marked")
        elif answer is None and n:
            out.append(f"{n} {group.label} region(s) marked but {rule.choice} is not answered")
        elif answer is not None and answer != rule.value and n:
            out.append(f"{n} {group.label} region(s) marked but {rule.choice} is {answer!r}")
    return out


def with_problems(rec: LabelRecord, taxonomy: Taxonomy) -> LabelRecord:
    """``rec`` carrying its consistency problems (None when there are none), for the labels file."""
    found = label_problems(rec, taxonomy)
    return rec.model_copy(update={"problems": found or None})
