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
from weldctl.curation.labelstudio._config import PLOT_PX, plot_height
from weldctl.schema import LabelRecord, LabelStudioRef, load_taxonomy


def test_config_from_taxonomy_has_signals_regions_choices_and_images() -> None:
    cols = [SignalColumn("daq_photodiode", "daq/photodiode", "V"),
            SignalColumn("oct_quality", "oct/quality", "1")]
    root = ET.fromstring(label_config(load_taxonomy("laser"), cols, ["camera", "ir"]))
    ts = root.find(".//TimeSeries")
    assert ts is not None and ts.get("timeColumn") == "time" and ts.get("valueType") == "url"
    assert ts.get("overviewWidth") == "100%", "the whole weld is in view when a task opens"
    channels = {c.get("column"): c for c in ts.findall("Channel")}
    assert list(channels) == ["weld", "daq_photodiode", "oct_quality"], "the weld band comes first"
    # One unit per channel; a dimensionless one shows none (not the stream's um).
    assert channels["daq_photodiode"].get("legend") == "daq/photodiode [V]"
    assert channels["daq_photodiode"].get("units") == "V"
    assert channels["oct_quality"].get("legend") == "oct/quality" and channels["oct_quality"].get("units") == ""
    assert {c.get("displayFormat") for c in channels.values()} == {".6~g"}
    assert [c.get("name") for c in root.iter("Choices")] == ["penetration", "porosity", "condition"]
    pen = root.find(".//Choices[@name='penetration']")
    assert [ch.get("value") for ch in pen] == ["lack", "partial", "full"]
    # The pore label shows once porosity is "present" (the consistency rule, in the page).
    shown_when = root.find(".//View[@visibleWhen='choice-selected']")
    assert shown_when is not None and shown_when.get("whenTagName") == "porosity"
    assert shown_when.get("whenChoiceValue") == "present"
    tsl = shown_when.find("TimeSeriesLabels")
    assert tsl is not None and tsl.get("name") == "pore" and tsl.get("toName") == "signals"
    assert [i.get("value") for i in root.iter("Image")] == ["$img_camera", "$img_ir"]
    assert [h.get("value") for h in root.iter("Header") if "caption" in (h.get("value") or "")] == \
        ["$img_camera_caption", "$img_ir_caption"]
    # The arc taxonomy is another file, not another code path.
    arc = ET.fromstring(label_config(load_taxonomy("arc"), cols, []))
    assert [c.get("name") for c in arc.iter("Choices")] == ["quality"]
    assert next(arc.iter("TimeSeriesLabels"), None) is None


def test_plots_shrink_to_keep_every_channel_on_the_first_screen() -> None:
    for n in (2, 6, 9):
        h = plot_height(n)
        assert PLOT_PX[0] <= h <= PLOT_PX[1]
        if PLOT_PX[0] < h < PLOT_PX[1]:
            assert n * (h + 30) + 60 <= 560


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
