"""Consistency between answers (porosity present <=> at least one pore): reported, and kept out of datasets."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from weldctl.cli import app
from weldctl.curation import chosen_labels, label_problems, label_status, with_problems
from weldctl.schema import LabelRecord, LabelStudioRef, TimeRegion, load_taxonomy, write_labels

T = datetime(2026, 1, 1, tzinfo=UTC)
PORE = TimeRegion(t_start_ns=1_000_000, t_end_ns=2_000_000)


def _rec(weld: int, who: str, porosity: str | None, pores: int, source: str = "label_studio") -> LabelRecord:
    return LabelRecord(run_id="R1", weld_id=weld, annotator=who, source=source, created_at=T, updated_at=T,
                       labels={"penetration": "full", "porosity": porosity, "condition": "baseline"},
                       pore_regions=[PORE] * pores,
                       ls=LabelStudioRef(task_id=weld, annotation_id=weld, project_id=1) if source != "truth" else None)


@pytest.mark.parametrize(("porosity", "pores", "problem"), [
    ("present", 1, None),
    ("none", 0, None),
    (None, 0, None),  # not answered yet: nothing contradicts
    ("present", 0, "porosity is 'present' but no pore region is marked"),
    ("none", 2, "2 pore region(s) marked but porosity is 'none'"),
    (None, 1, "1 pore region(s) marked but porosity is not answered"),
])
def test_porosity_present_exactly_when_a_pore_is_marked(porosity: str | None, pores: int,
                                                        problem: str | None) -> None:
    got = label_problems(_rec(0, "a", porosity, pores), load_taxonomy("laser"))
    assert got == ([problem] if problem else [])
    # The arc taxonomy has no such rule: the same record is fine there.
    assert label_problems(_rec(0, "a", porosity, pores), load_taxonomy("arc")) == []


def test_an_inconsistent_record_is_reported_and_kept_out_of_counts_and_datasets(tmp_path: Path) -> None:
    tax = load_taxonomy("laser")
    records = [with_problems(r, tax) for r in (
        _rec(0, "a", "present", 1),
        _rec(1, "a", "present", 0),  # forgot to mark the pore
        _rec(2, "a", "present", 0), _rec(2, "b", "present", 1),  # b did it right
        _rec(2, "truth", "present", 1, source="truth"),
    )]
    assert [r.problems is not None for r in records] == [False, True, True, False, False]
    st = label_status(records, tax, pd.DataFrame({"run_id": ["R1"] * 3, "weld_id": [0, 1, 2]}))
    assert [(r.weld_id, r.annotator) for r, _ in st.inconsistent] == [(1, "a"), (2, "a")]
    assert st.labelled == 3 and st.unlabelled == []  # tried, but weld 1 needs fixing
    assert st.counts["porosity"]["present"] == 2  # welds 0 and 2 (b); weld 1 counts nowhere
    path = tmp_path / "labels.jsonl"
    write_labels(path, records)
    chosen = chosen_labels(path)
    assert set(chosen) == {("R1", 0), ("R1", 2)}, "weld 1 stays out of datasets until fixed"
    assert chosen[("R1", 2)]["annotators"] == ["b", "truth"] and chosen[("R1", 2)]["source"] == "label_studio"


def test_status_reports_inconsistent_records_even_when_the_file_does_not_flag_them(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    write_labels(path, [_rec(0, "anna", "present", 0), _rec(1, "anna", "none", 0)])  # no `problems` written
    res = CliRunner().invoke(app, ["label", "status", "--labels", str(path)])
    assert res.exit_code == 0, res.output
    assert "1 annotation(s) contradict themselves" in res.output
    assert "R1/0 by anna: porosity is 'present' but no pore region is marked (task 0" in res.output
