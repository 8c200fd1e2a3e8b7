"""Taxonomies are data; the labels file is sorted JSONL that round-trips."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from weldctl.schema import (
    LabelRecord,
    LabelStudioRef,
    LaserCondition,
    Penetration,
    TimeRegion,
    WeldctlError,
    load_taxonomy,
    read_labels,
    shipped_taxonomies,
    write_labels,
)


def test_shipped_taxonomies_match_the_design() -> None:
    assert shipped_taxonomies() == ["arc", "laser"]
    laser = load_taxonomy("laser")
    assert laser.group("penetration").classes == [str(p) for p in Penetration]
    assert laser.group("porosity").classes == ["none", "present"]
    assert laser.group("condition").classes == [str(c) for c in LaserCondition]
    assert [r.record_key for r in laser.regions] == ["pore_regions"]
    arc = load_taxonomy("arc")
    assert arc.process == "arc" and not arc.regions
    assert set(arc.group("quality").classes) == {"good", "burn_through", "lack_of_fusion", "overlap",
                                                 "crater_cracks", "excessive_convexity"}


def test_a_taxonomy_file_of_your_own(tmp_path: Path) -> None:
    p = tmp_path / "spatter.yaml"
    p.write_text("name: spatter\nprocess: arc\nchoices:\n  - name: spatter\n    classes: [low, high]\n")
    assert load_taxonomy(p).group("spatter").classes == ["low", "high"]
    p.write_text("name: bad\nprocess: arc\nchoices:\n  - name: a\n    classes: [x, x]\n")
    with pytest.raises(WeldctlError, match="repeats a class"):
        load_taxonomy(p)
    with pytest.raises(WeldctlError, match="no taxonomy"):
        load_taxonomy("nope")


def _rec(weld: int, who: str, pen: str) -> LabelRecord:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    return LabelRecord(run_id="R1", weld_id=weld, annotator=who, labels={"penetration": pen}, created_at=now,
                       updated_at=now, source="label_studio",
                       pore_regions=[TimeRegion(t_start_ns=10, t_end_ns=20)],
                       ls=LabelStudioRef(task_id=weld, annotation_id=weld * 10, project_id=1))


def test_labels_file_round_trip_is_sorted_and_stable(tmp_path: Path) -> None:
    recs = [_rec(1, "b@x", "full"), _rec(0, "a@x", "lack"), _rec(1, "a@x", "partial")]
    path = tmp_path / "labels.jsonl"
    assert write_labels(path, recs) == str(path)
    back = read_labels(path)
    assert [r.key for r in back] == [("R1", 0, "a@x"), ("R1", 1, "a@x"), ("R1", 1, "b@x")]
    assert back[0] == recs[1]
    first = path.read_bytes()
    write_labels(path, list(reversed(back)))
    assert path.read_bytes() == first
    path.write_text(path.read_text() + "{not json}\n")
    with pytest.raises(WeldctlError, match=r"labels.jsonl:4"):
        read_labels(path)
