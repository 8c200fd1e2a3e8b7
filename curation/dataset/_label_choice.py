"""One label per weld for the dataset, chosen from the labels file (a weld may have several annotators)."""

from __future__ import annotations

import os
from typing import Any

from weldctl.schema import LabelRecord, check_label_values, read_labels, taxonomy_of, uri_exists

from ._sampleset import DatasetError

# A label checked in Label Studio beats one carried in by an import, which beats sim truth; within a source
# the latest edit wins (then the annotator name, for stability).
_SOURCE_RANK = {"label_studio": 3, "import": 2, "truth": 1}


def _rank(r: LabelRecord) -> tuple[int, str, str]:
    return (_SOURCE_RANK.get(r.source, 0), r.updated_at.isoformat(), r.annotator)


def chosen_labels(path: str | os.PathLike[str]) -> dict[tuple[str, int], dict[str, Any]]:
    """(run_id, weld_id) -> {labels, pore_regions, source, annotators} of the chosen record."""
    if not uri_exists(path):
        raise DatasetError(
            f"no labels file {path}",
            "pull labels with `weldctl label pull`, or for sim runs `weldctl label from-truth`",
        )
    records = read_labels(path)
    taxonomy = taxonomy_of(records)
    if taxonomy is not None:  # a value outside it would become a class of its own
        check_label_values(records, taxonomy, str(path))
    groups: dict[tuple[str, int], list[LabelRecord]] = {}
    for rec in records:
        if rec.problems:  # contradicting answers (porosity present, no pore): out until fixed and pulled again
            continue
        groups.setdefault((rec.run_id, rec.weld_id), []).append(rec)
    out: dict[tuple[str, int], dict[str, Any]] = {}
    for key, recs in groups.items():
        best = max(recs, key=_rank)
        out[key] = {
            "labels": dict(best.labels),
            "source": best.source,
            "pore_regions": [r.model_dump() for r in best.pore_regions],
            "annotators": sorted({r.annotator for r in recs}),
        }
    return out
