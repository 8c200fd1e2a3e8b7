"""Labels carried by an import (folder names, run ids) as first-class label records (source "import")."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from weldctl.schema import ImportMapping, LabelRecord, load_taxonomy, read_labels, write_labels

ANNOTATOR = "import"


def import_label_record(run_id: str, weld_id: int, labels: Mapping[str, object], mapping: ImportMapping,
                        folder: Path, groups: Mapping[str, str]) -> LabelRecord:
    """The labels a mapping reads off a run folder, with where they came from."""
    now = datetime.now(UTC)
    fields = ", ".join(f"{k}={v}" for k, v in sorted(groups.items()))
    return LabelRecord(
        run_id=run_id,
        weld_id=int(weld_id),
        annotator=ANNOTATOR,
        labels={k: None if v is None else str(v) for k, v in labels.items()},
        created_at=now,
        updated_at=now,
        source="import",
        origin=f"mapping {mapping.name}; folder {folder.name}; path fields {fields}",
    )


def manifest_fields(mapping: ImportMapping, labels: Mapping[str, object]) -> dict[str, object]:
    """WeldPlan fields the taxonomy fills from labels (arc: quality -> condition, the intended class)."""
    if mapping.run.taxonomy is None:
        return {"condition": labels["condition"]} if "condition" in labels else {}
    tax = load_taxonomy(mapping.run.taxonomy)
    return {g.from_manifest: labels[g.name] for g in tax.choices if g.from_manifest and g.name in labels}


def merge_labels_jsonl(path: str | os.PathLike[str], records: Iterable[LabelRecord]) -> int:
    """Add/replace records keyed by (run_id, weld_id, annotator); written whole. Returns the count."""
    merged = {r.key: r for r in read_labels(path)}
    for r in records:
        old = merged.get(r.key)
        # Re-importing keeps when the weld was first labelled.
        merged[r.key] = r if old is None else r.model_copy(update={"created_at": old.created_at})
    write_labels(path, list(merged.values()))
    return len(merged)


def read_labels_jsonl(path: str | os.PathLike[str]) -> list[dict[str, object]]:
    """The records of a labels file as plain dicts (validated: a bad line is named)."""
    return [r.model_dump(mode="json") for r in read_labels(path)]
