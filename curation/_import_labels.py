"""Labels carried by an import (folder names, run ids) into the shared labels JSONL format."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from weldctl.schema import read_bytes, uri_exists, write_bytes

ANNOTATOR = "import"


def import_label_record(run_id: str, weld_id: int, labels: Mapping[str, object]) -> dict[str, object]:
    now = datetime.now(UTC).isoformat()
    return {
        "run_id": run_id,
        "weld_id": int(weld_id),
        "annotator": ANNOTATOR,
        "labels": dict(labels),
        "pore_regions": [],
        "created_at": now,
        "updated_at": now,
        "source": "import",
        "ls": None,
    }


def read_labels_jsonl(path: str | os.PathLike[str]) -> list[dict[str, object]]:
    if not uri_exists(path):
        return []
    return [json.loads(line) for line in read_bytes(path).decode().splitlines() if line.strip()]


def merge_labels_jsonl(path: str | os.PathLike[str], records: Iterable[Mapping[str, object]]) -> int:
    """Add/replace records keyed by (run_id, weld_id, annotator); written whole. Returns the count."""
    key = lambda r: (r["run_id"], int(r["weld_id"]), r["annotator"])  # noqa: E731
    merged = {key(r): dict(r) for r in read_labels_jsonl(path)}
    for r in records:
        old = merged.get(key(r))
        new = dict(r)
        if old is not None:
            new["created_at"] = old.get("created_at", new["created_at"])  # keep when it was first labelled
        merged[key(r)] = new
    ordered = sorted(merged, key=lambda k: (str(k[0]), k[1], str(k[2])))
    write_bytes(path, "".join(json.dumps(merged[k], sort_keys=True) + "\n" for k in ordered).encode())
    return len(merged)
