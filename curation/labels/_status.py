"""How far labelling has got: classes per group (one vote per weld) and welds nobody has labelled."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from weldctl.schema import LabelRecord, Taxonomy

from ._rules import label_problems

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class LabelStatus:
    welds: int  # welds known from the segments tables (or from the labels when no segments are given)
    labelled: int
    counts: dict[str, dict[str, int]]  # group -> class -> welds whose annotators' majority says so
    disputed: dict[str, int]  # group -> welds with a tie between annotators
    unlabelled: list[tuple[str, int]] = field(default_factory=list)
    # records whose answers contradict each other: left out of the counts (and of datasets) until fixed
    inconsistent: list[tuple[LabelRecord, list[str]]] = field(default_factory=list)


# Labels a person gave: in Label Studio, or in the source's own labelling carried in by `weldctl import`.
HUMAN_SOURCES = ("label_studio", "import")


def label_status(records: list[LabelRecord], taxonomy: Taxonomy, segments: pd.DataFrame | None = None,
                 source: str | tuple[str, ...] = HUMAN_SOURCES) -> LabelStatus:
    sources = (source,) if isinstance(source, str) else source
    by_weld: dict[tuple[str, int], list[LabelRecord]] = defaultdict(list)
    inconsistent: list[tuple[LabelRecord, list[str]]] = []
    for r in records:
        if r.source not in sources:
            continue
        problems = label_problems(r, taxonomy)  # checked again: the file may come from elsewhere
        if problems:
            inconsistent.append((r, problems))
            continue
        by_weld[(r.run_id, r.weld_id)].append(r)
    attempted = set(by_weld) | {(r.run_id, r.weld_id) for r, _ in inconsistent}
    if segments is not None:
        pairs = zip(segments["run_id"], segments["weld_id"], strict=True)
        welds = sorted({(str(run), int(weld)) for run, weld in pairs})
    else:
        welds = sorted(attempted)
    counts = {g.name: dict.fromkeys(g.classes, 0) for g in taxonomy.choices}
    disputed = dict.fromkeys(counts, 0)
    for rs in by_weld.values():
        for g in taxonomy.choices:
            votes = Counter(r.labels.get(g.name) for r in rs if r.labels.get(g.name) is not None)
            if not votes:
                continue
            (top, n), *rest = votes.most_common()
            if rest and rest[0][1] == n:
                disputed[g.name] += 1
            elif top in counts[g.name]:
                counts[g.name][top] += 1
    unlabelled = [w for w in welds if w not in attempted]
    return LabelStatus(welds=len(welds), labelled=len(welds) - len(unlabelled), counts=counts,
                       disputed=disputed, unlabelled=unlabelled, inconsistent=inconsistent)
