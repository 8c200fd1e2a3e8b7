"""The labels file (JSONL): one record per (run_id, weld_id, annotator), written by `weldctl label pull`."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ._errors import WeldctlError


class TimeRegion(BaseModel):
    """A span on the run time base, e.g. a pore."""

    model_config = ConfigDict(extra="forbid")
    t_start_ns: int
    t_end_ns: int


class LabelStudioRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    task_id: int
    annotation_id: int
    project_id: int


class LabelRecord(BaseModel):
    """What one annotator said about one weld. Region groups other than pores appear as `<name>_regions`."""

    model_config = ConfigDict(extra="allow")
    run_id: str
    weld_id: int = Field(ge=0)
    annotator: str
    labels: dict[str, str | None]
    pore_regions: list[TimeRegion] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime
    source: Literal["label_studio", "truth"]
    ls: LabelStudioRef | None = None

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.run_id, self.weld_id, self.annotator)


def read_labels(path: str | os.PathLike[str]) -> list[LabelRecord]:
    p = Path(path)
    if not p.exists():
        return []
    out: list[LabelRecord] = []
    for i, line in enumerate(p.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append(LabelRecord.model_validate_json(line))
        except ValidationError as exc:
            raise WeldctlError(f"{p}:{i}: not a label record: {exc.errors()[0]['msg']}") from None
    return out


def write_labels(path: str | os.PathLike[str], records: list[LabelRecord]) -> Path:
    """Sorted, one JSON object a line, replaced atomically: the same labels give the same bytes."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    ordered = sorted(records, key=lambda r: (r.run_id, r.weld_id, r.annotator, r.source))
    tmp = p.with_name(p.name + ".tmp")
    with tmp.open("w") as f:
        for r in ordered:
            f.write(json.dumps(r.model_dump(mode="json", exclude_none=True), sort_keys=True) + "\n")
    os.replace(tmp, p)
    return p
