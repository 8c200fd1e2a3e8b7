"""The labels file (JSONL): one record per (run_id, weld_id, annotator), written by `weldctl label pull`
and `weldctl import`."""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ._errors import WeldctlError
from ._location import read_bytes, uri_exists, write_bytes
from ._taxonomy import Taxonomy, load_taxonomy, shipped_taxonomies


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
    source: Literal["label_studio", "truth", "import"] = Field(
        description="label_studio: a person in Label Studio; truth: the simulator; import: carried in by "
        "`weldctl import` from the source's own labelling (folder names, run ids)")
    ls: LabelStudioRef | None = None
    origin: str | None = Field(
        default=None, description="where an imported label came from: mapping, source folder, path fields")
    problems: list[str] | None = Field(
        default=None, description="why the answers contradict each other (e.g. porosity present but no pore "
                                  "marked); such a record stays out of datasets until it is fixed and pulled again")

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.run_id, self.weld_id, self.annotator)


def read_labels(path: str | os.PathLike[str], taxonomy: Taxonomy | None = None) -> list[LabelRecord]:
    """The records of a labels file (a local path or URL); none if it does not exist yet.

    One record per (run, weld, annotator): a second one is an error, not a silent choice. With ``taxonomy``,
    every value must be one of its classes (a typo would otherwise become a class of its own)."""
    if not uri_exists(path):
        return []
    hint = "fix or remove that line; `weldctl label pull` rewrites the file from Label Studio"
    try:
        text = read_bytes(path).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WeldctlError(f"{path}: not a labels file (byte {exc.start} is not UTF-8)",
                           "a labels file is UTF-8 JSON lines, one record a line") from None
    out: list[LabelRecord] = []
    seen: dict[tuple[str, int, str], int] = {}
    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = LabelRecord.model_validate_json(line)
        except ValidationError as exc:
            e = exc.errors()[0]
            field = ".".join(map(str, e["loc"])) or "record"
            raise WeldctlError(f"{path}:{i}: not a label record ({field}: {e['msg']})", hint) from None
        if rec.key in seen:
            raise WeldctlError(f"{path}:{i}: a second record for run {rec.run_id} weld {rec.weld_id} by "
                               f"{rec.annotator} (the first is on line {seen[rec.key]})", hint)
        seen[rec.key] = i
        if taxonomy is not None:
            _check_values(rec, taxonomy, f"{path}:{i}", hint)
        out.append(rec)
    return out


def taxonomy_of(records: list[LabelRecord]) -> Taxonomy | None:
    """The shipped taxonomy whose label groups cover every record's labels (None: none, or a lab's own)."""
    names = {k for r in records for k in r.labels}
    for name in shipped_taxonomies():
        tax = load_taxonomy(name)
        if names and names <= {g.name for g in tax.choices}:
            return tax
    return None


def check_label_values(records: list[LabelRecord], taxonomy: Taxonomy, where: str) -> None:
    """Every value one of the taxonomy's classes."""
    for rec in records:
        _check_values(rec, taxonomy, f"{where} (run {rec.run_id} weld {rec.weld_id})",
                      "fix the label in Label Studio and pull again, or fix that line")


def _check_values(rec: LabelRecord, taxonomy: Taxonomy, where: str, hint: str) -> None:
    groups = {g.name: g for g in taxonomy.choices}
    for name, value in rec.labels.items():
        group = groups.get(name)
        if group is None:
            raise WeldctlError(f"{where}: label {name!r} is not in taxonomy {taxonomy.name} "
                               f"({', '.join(groups)})", hint)
        if value is not None and value not in group.classes:
            raise WeldctlError(f"{where}: {name} = {value!r} is not one of {', '.join(group.classes)}", hint)


def write_labels(path: str | os.PathLike[str], records: list[LabelRecord]) -> str:
    """Sorted, one JSON object a line, replaced whole: the same labels give the same bytes."""
    ordered = sorted(records, key=lambda r: (r.run_id, r.weld_id, r.annotator, r.source))
    text = "".join(json.dumps(r.model_dump(mode="json", exclude_none=True), sort_keys=True) + "\n" for r in ordered)
    return write_bytes(path, text.encode())
