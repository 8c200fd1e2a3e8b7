"""The labels file (JSONL): one record per (run_id, weld_id, annotator), written by `weldctl label pull`."""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ._errors import WeldctlError
from ._location import read_bytes, uri_exists, write_bytes


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
    problems: list[str] | None = Field(
        default=None, description="why the answers contradict each other (e.g. porosity present but no pore "
                                  "marked); such a record stays out of datasets until it is fixed and pulled again")

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.run_id, self.weld_id, self.annotator)


def read_labels(path: str | os.PathLike[str]) -> list[LabelRecord]:
    """The records of a labels file (a local path or URL); none if it does not exist yet."""
    if not uri_exists(path):
        return []
    out: list[LabelRecord] = []
    for i, line in enumerate(read_bytes(path).decode().splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append(LabelRecord.model_validate_json(line))
        except ValidationError as exc:
            raise WeldctlError(f"{path}:{i}: not a label record: {exc.errors()[0]['msg']}") from None
    return out


def write_labels(path: str | os.PathLike[str], records: list[LabelRecord]) -> str:
    """Sorted, one JSON object a line, replaced whole: the same labels give the same bytes."""
    ordered = sorted(records, key=lambda r: (r.run_id, r.weld_id, r.annotator, r.source))
    text = "".join(json.dumps(r.model_dump(mode="json", exclude_none=True), sort_keys=True) + "\n" for r in ordered)
    return write_bytes(path, text.encode())
