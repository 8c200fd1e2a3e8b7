"""Reading and writing the labels JSONL file (one record per run, weld and annotator)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ._sampleset import DatasetError

# When several annotators labelled a weld, a human label beats sim truth, then the latest edit wins.
_SOURCE_RANK = {"label_studio": 2, "truth": 1}


def write_labels(records: Iterable[dict[str, Any]], path: str | os.PathLike[str]) -> int:
    rows = sorted(records, key=lambda r: (r["run_id"], int(r["weld_id"]), r["annotator"]))
    Path(path).write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))
    return len(rows)


def read_labels(path: str | os.PathLike[str]) -> dict[tuple[str, int], dict[str, Any]]:
    """(run_id, weld_id) -> the chosen record, with ``annotators`` listing everyone who labelled it."""
    p = Path(path)
    if not p.exists():
        raise DatasetError(
            f"no labels file {p}",
            "pull labels with `weldctl label pull`, or for sim runs `weldctl label from-truth`",
        )
    chosen: dict[tuple[str, int], dict[str, Any]] = {}
    who: dict[tuple[str, int], set[str]] = {}
    for n, line in enumerate(p.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            key = (str(rec["run_id"]), int(rec["weld_id"]))
            rec["labels"]
        except (ValueError, KeyError, TypeError) as exc:
            raise DatasetError(
                f"{p}:{n}: not a label record ({exc})", "each line must be one JSON record"
            ) from None
        who.setdefault(key, set()).add(str(rec.get("annotator", "?")))
        rank = (
            _SOURCE_RANK.get(rec.get("source", ""), 0),
            str(rec.get("updated_at", "")),
            rec.get("annotator", ""),
        )
        old = chosen.get(key)
        if old is None or rank > old["_rank"]:
            chosen[key] = {**rec, "_rank": rank}
    for key, rec in chosen.items():
        rec.pop("_rank")
        rec["annotators"] = sorted(who[key])
    return chosen
