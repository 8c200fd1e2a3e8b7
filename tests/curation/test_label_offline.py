"""Label logic that needs no server: the generated config, status, agreement, merging, connection errors."""

from __future__ import annotations

import socket
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pandas as pd
import pytest

from weldctl.curation import (
    LabelStudioError,
    LabelStudioSettings,
    SignalColumn,
    agreement,
    connect,
    label_config,
    label_status,
    merge_records,
)
from weldctl.schema import LabelRecord, LabelStudioRef, load_taxonomy


def test_config_from_taxonomy_has_signals_regions_choices_and_images() -> None:
    cols = [SignalColumn("daq_photodiode", "daq/photodiode", "V"),
            SignalColumn("oct_quality", "oct/quality", "")]
    root = ET.fromstring(label_config(load_taxonomy("laser"), cols, ["camera", "ir"]))
    ts = root.find("TimeSeries")
    assert ts is not None and ts.get("timeColumn") == "time_s" and ts.get("valueType") == "url"
    assert [c.get("column") for c in ts.findall("Channel")] == ["daq_photodiode", "oct_quality"]
    assert [c.get("name") for c in root.findall("Choices")] == ["penetration", "porosity", "condition"]
    pen = root.find("Choices[@name='penetration']")
    assert [ch.get("value") for ch in pen] == ["lack", "partial", "full"]
    tsl = root.find("TimeSeriesLabels")
    assert tsl is not None and tsl.get("name") == "pore" and tsl.get("toName") == "signals"
    assert [i.get("value") for i in root.findall("Image")] == ["$img_camera", "$img_ir"]
    # The arc taxonomy is another file, not another code path.
    arc = ET.fromstring(label_config(load_taxonomy("arc"), cols, []))
    assert [c.get("name") for c in arc.findall("Choices")] == ["quality"]
    assert arc.find("TimeSeriesLabels") is None


def _rec(run: str, weld: int, who: str, project: int = 1, **labels: str) -> LabelRecord:
    t = datetime(2026, 1, 1, tzinfo=UTC)
    return LabelRecord(run_id=run, weld_id=weld, annotator=who, labels=labels, created_at=t, updated_at=t,
                       source="label_studio",
                       ls=LabelStudioRef(task_id=weld, annotation_id=weld, project_id=project))


def test_status_counts_majority_ties_and_unlabelled() -> None:
    tax = load_taxonomy("laser")
    recs = [_rec("R1", 0, "a", penetration="full"), _rec("R1", 0, "b", penetration="full"),
            _rec("R1", 1, "a", penetration="lack"), _rec("R1", 1, "b", penetration="partial")]
    seg = pd.DataFrame({"run_id": ["R1"] * 3, "weld_id": [0, 1, 2]})
    st = label_status(recs, tax, seg)
    assert (st.welds, st.labelled, st.unlabelled) == (3, 2, [("R1", 2)])
    assert st.counts["penetration"] == {"lack": 0, "partial": 0, "full": 1}
    assert st.disputed["penetration"] == 1
    agree = {a.group: a for a in agreement(recs, tax)}["penetration"]
    assert (agree.welds, agree.agreed, agree.pairwise) == (2, 1, 0.5)


def test_merge_replaces_only_this_projects_records() -> None:
    old = [_rec("R1", 0, "a", project=1, penetration="lack"),
           _rec("R1", 0, "a", project=2, penetration="full")]
    fresh = [_rec("R1", 0, "a", project=1, penetration="partial")]
    merged = merge_records(old, fresh, 1)
    got = sorted((r.ls.project_id, r.labels["penetration"]) for r in merged if r.ls)
    assert got == [(1, "partial"), (2, "full")]


def test_no_server_is_one_line_and_the_key_stays_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "k" * 40)
    settings = LabelStudioSettings.from_env(f"http://127.0.0.1:{port}")
    assert "k" * 40 not in repr(settings)
    with pytest.raises(LabelStudioError, match="not reachable") as err:
        connect(settings)
    assert "k" * 40 not in str(err.value)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY")
    with pytest.raises(LabelStudioError, match="LABEL_STUDIO_API_KEY is not set"):
        LabelStudioSettings.from_env()
