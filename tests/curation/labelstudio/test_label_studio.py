"""The label loop against a real Label Studio server: push, annotate, pull, repeat, server down.

The tests run in file order and share one project: each step starts from what the previous one left.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from typer.testing import CliRunner

from tests.peers.label_studio import LabelStudioServer
from weldctl.cli import app
from weldctl.schema import RunReader, read_labels

pytestmark = pytest.mark.integration
PROJECT = "weldctl-test-welds"
MAX_POINTS = 30_000


class Loop:
    """What the steps share: where things are, and what the technicians entered."""

    def __init__(self, root: Path, run: str, server: LabelStudioServer) -> None:
        self.root, self.run, self.server = root, run, server
        self.segments = root / "segments"
        self.labels = root / "labels.jsonl"
        self.entered: dict[tuple[str, int, str], dict[str, Any]] = {}

    def cli(self, *args: str) -> Any:
        return CliRunner().invoke(app, list(args))

    def client(self) -> Any:
        from label_studio_sdk import LabelStudio

        return LabelStudio(base_url=self.server.url, api_key=self.server.token)

    def get(self, url: str) -> httpx.Response:
        return httpx.get(self.server.url + url, headers={"Authorization": f"Token {self.server.token}"})

    def tasks(self) -> list[Any]:
        c = self.client()
        (project,) = [p for p in c.projects.list(title=PROJECT) if p.title == PROJECT]
        return sorted(c.tasks.list(project=project.id, fields="all"), key=lambda t: t.data["weld_id"])


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory, sim_welds_run: str, sim_welds_segments: Path,
         label_studio: LabelStudioServer) -> Loop:
    out = Loop(tmp_path_factory.mktemp("label_loop"), sim_welds_run, label_studio)
    out.segments = sim_welds_segments
    return out


@pytest.fixture(autouse=True)
def _env(loop: Loop, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABEL_STUDIO_URL", loop.server.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", loop.server.token)
    monkeypatch.setenv("LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT", str(loop.server.document_root))


def _push(loop: Loop) -> Any:
    return loop.cli("label", "push", loop.run, "--segments", str(loop.segments), "--project", PROJECT,
                    "--truth", "--max-points", str(MAX_POINTS))


def test_push_creates_one_task_per_weld_with_data_and_predictions(loop: Loop) -> None:
    res = _push(loop)
    assert res.exit_code == 0, res.output
    assert "3 tasks created" in res.output
    reader = RunReader(loop.run)
    truth = reader.truth("welds")
    tasks = loop.tasks()
    assert [t.data["weld_id"] for t in tasks] == [0, 1, 2]
    for task, w in zip(tasks, range(3), strict=True):
        d = task.data
        assert d["run_id"] == reader.run_id and task.meta["run_id"] == reader.run_id
        assert task.meta["weld_id"] == w and d["store_uri"].endswith("RSEG.zarr")
        assert d["t0_ns"] == d["t_start_ns"] < d["t_end_ns"] and d["time_unit_ns"] == 1_000_000
        assert "laser_on" not in d["title"] and "laser-on line" in d["axis"]
        # The CSV is served by Label Studio and holds the decimated, ascending time axis and the channels.
        r = loop.get(d["csv"])
        assert r.status_code == 200, r.text[:200]
        rows = list(csv.reader(io.StringIO(r.text)))
        header, body = rows[0], np.array(rows[1:], dtype=np.float64)
        assert header[:2] == ["time", "weld"] and "daq_photodiode" in header and "oct_keyhole_depth" in header
        assert len(body) * (len(header) - 1) <= MAX_POINTS
        assert (np.diff(body[:, 0]) > 0).all()
        on = body[:, header.index("daq_laser_on")] > 2.5
        t_on = d["t0_ns"] + body[on, 0] * 1e6
        # CSV time (ms) + t0 is the run time base: the laser switches on where the segment starts, at time 0.
        assert abs(t_on[0] - d["t_start_ns"]) <= d["sample_ns"]
        band = body[:, 1] == 1
        assert body[band, 0].min() >= 0 and body[band, 0].max() * 1e6 < d["t_end_ns"] - d["t_start_ns"]
        assert d["img_camera_caption"].startswith("camera keyframes at ") and " ms" in d["img_camera_caption"]
        assert d["img_spectrometer_caption"].startswith("spectrometer: wavelength × time")
        for key in ("img_camera", "img_ir", "img_spectrometer"):
            img = loop.get(d[key])
            assert img.status_code == 200 and img.content[:4] == b"\x89PNG"
        # One prediction (Label Studio pre-fills from one model version): the manifest's and the truth's answers.
        (pred,) = [x if isinstance(x, dict) else x.dict() for x in task.predictions]
        assert pred["model_version"] == "weldctl-prelabel"
        by_group = {r["from_name"]: r["value"] for r in pred["result"]}
        assert by_group["condition"]["choices"] == [reader.manifest.welds[w].condition]
        assert by_group["penetration"]["choices"] == [truth["penetration"][w]]
        assert by_group["porosity"]["choices"] == [truth["porosity"][w]]
        pores = [r["value"] for r in pred["result"] if r["from_name"] == "pore"]
        assert len(pores) == truth["n_pores"][w]
        for p in pores:  # pre-annotated pores sit on the task's axis (ms from the weld start)
            assert 0 <= p["start"] < p["end"] <= (d["t_end_ns"] - d["t_start_ns"]) / 1e6
    project = loop.client().projects.get(tasks[0].project)
    assert project.model_version == "weldctl-prelabel" and project.show_collab_predictions


def _choice(group: str, value: str) -> dict[str, Any]:
    return {"from_name": group, "to_name": "signals", "type": "choices", "value": {"choices": [value]}}


def _annotate(loop: Loop) -> None:
    """Two technicians label through the API as the UI would: choices, and pores marked on the signals."""
    c = loop.client()
    me = c.users.whoami()
    other = c.users.create(username="welder2", email="welder2@example.com", password="welder2-pass-123")
    reader = RunReader(loop.run)
    pores_t = reader.truth("pores")["t_ns"]
    for task in loop.tasks():
        d = task.data
        body = np.array(list(csv.reader(io.StringIO(loop.get(d["csv"]).text)))[1:], dtype=np.float64)
        time_s = body[:, 0]
        mine = pores_t[(pores_t >= d["t_start_ns"]) & (pores_t < d["t_end_ns"])]
        regions, marked = [], []
        for k, tp in enumerate(mine):
            i = int(np.argmin(np.abs(time_s - (tp - d["t0_ns"]) / d["time_unit_ns"])))  # a click on a sample
            start, end = float(time_s[i - 2]), float(time_s[i + 2])
            regions.append({"id": f"p{k}", "from_name": "pore", "to_name": "signals",
                            "type": "timeserieslabels",
                            "value": {"start": start, "end": end, "instant": False,
                                      "timeserieslabels": ["pore"]}})
            marked.append((start, end, int(tp)))
        pen = ["full", "lack", "full"][d["weld_id"]]
        for user, cond in ((me, reader.manifest.welds[d["weld_id"]].condition), (other, "baseline")):
            if user is other and d["weld_id"] == 0:
                continue  # weld 0 has one annotator only
            result = [
                _choice("penetration", pen),
                _choice("porosity", "present" if len(mine) else "none"),
                _choice("condition", cond),
                *regions,
            ]
            c.annotations.create(task.id, result=result, completed_by=user.id)
            loop.entered[(d["run_id"], d["weld_id"], user.email)] = {
                "labels": {"penetration": pen, "porosity": "present" if len(mine) else "none",
                           "condition": cond},
                "marked": marked, "t0_ns": d["t0_ns"], "sample_ns": d["sample_ns"]}


def test_annotations_come_back_exactly(loop: Loop) -> None:
    _annotate(loop)
    res = loop.cli("label", "pull", "--project", PROJECT, "--out", str(loop.labels))
    assert res.exit_code == 0, res.output
    assert "agreement" in res.output
    records = read_labels(loop.labels)
    assert {r.key for r in records} == set(loop.entered)
    n_pores = 0
    for r in records:
        want = loop.entered[r.key]
        assert r.labels == want["labels"] and r.source == "label_studio" and r.ls is not None
        assert len(r.pore_regions) == len(want["marked"])
        for got, (start, end, tp) in zip(r.pore_regions, want["marked"], strict=True):
            assert got.t_start_ns == want["t0_ns"] + round(start * 1e6)
            assert got.t_end_ns == want["t0_ns"] + round(end * 1e6)
            # Right to the decimated sample: the marked span holds the true pore, centred within one sample.
            assert got.t_start_ns <= tp <= got.t_end_ns
            assert abs((got.t_start_ns + got.t_end_ns) / 2 - tp) <= want["sample_ns"]
            n_pores += 1
    assert n_pores >= 2, "the oil-treatment weld has pores to mark"
    # Condition: the two technicians disagree on weld 1 (cold_weld vs baseline) and weld 2.
    status = loop.cli("label", "status", "--labels", str(loop.labels), "--segments", str(loop.segments))
    assert status.exit_code == 0, status.output
    assert "3/3 welds labelled" in status.output and "disputed" in status.output


def _media(loop: Loop) -> dict[Path, int]:
    """This project's rendered CSVs and PNGs (other tests share the server and its document root)."""
    folder = loop.server.document_root / "weldctl" / PROJECT
    return {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.suffix in (".csv", ".png")}


def test_push_and_pull_again_change_nothing(loop: Loop) -> None:
    before = [(t.id, t.data) for t in loop.tasks()]
    labels_before = loop.labels.read_bytes()
    media_before = _media(loop)
    res = _push(loop)
    assert res.exit_code == 0, res.output
    assert "0 tasks created, 0 updated, 3 unchanged; media of 0 welds rendered, 3 reused" in res.output
    assert _media(loop) == media_before, "unchanged media are not written again"
    after = loop.tasks()
    assert [(t.id, t.data) for t in after] == before
    assert all(len(t.predictions) == 1 for t in after), "predictions replaced, not stacked"
    # A media file removed (or edited) since is rendered again, and only that weld's.
    victim = sorted(p for p in media_before if p.suffix == ".png")[0]
    victim.unlink()
    res = _push(loop)
    assert res.exit_code == 0, res.output
    assert "media of 1 welds rendered, 2 reused" in res.output and victim.exists()
    res = loop.cli("label", "pull", "--project", PROJECT, "--out", str(loop.labels))
    assert res.exit_code == 0, res.output
    assert loop.labels.read_bytes() == labels_before


def test_push_with_other_settings_updates_in_place_and_keeps_annotated_time_base(loop: Loop) -> None:
    before = {t.id: t.data for t in loop.tasks()}
    labels_before = loop.labels.read_bytes()
    res = loop.cli("label", "push", loop.run, "--segments", str(loop.segments), "--project", PROJECT,
                   "--max-points", "12000", "--context", "0.1")
    assert res.exit_code == 0, res.output
    assert "0 tasks created, 3 updated" in res.output and "media of 3 welds rendered" in res.output
    after = {t.id: t for t in loop.tasks()}
    assert set(after) == set(before)
    for tid, task in after.items():
        assert task.data["t0_ns"] == before[tid]["t0_ns"], "annotated tasks keep their time base"
        assert task.data["sample_ns"] > before[tid]["sample_ns"]
        (pred,) = [p if isinstance(p, dict) else p.dict() for p in task.predictions]
        assert {r["from_name"] for r in pred["result"]} == {"condition"}, "--truth dropped: truth answers gone"
    res = loop.cli("label", "pull", "--project", PROJECT, "--out", str(loop.labels))
    assert res.exit_code == 0, res.output
    assert loop.labels.read_bytes() == labels_before


def test_the_key_is_never_written(loop: Loop) -> None:
    token = loop.server.token
    for path in loop.root.rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path
    for path in loop.server.document_root.rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path
    assert token not in json.dumps([r.model_dump(mode="json") for r in read_labels(loop.labels)])


def test_a_personal_access_token_works_too(loop: Loop, monkeypatch: pytest.MonkeyPatch) -> None:
    c = loop.client()
    c.jwt_settings.update(api_token_ttl_days=30, api_tokens_enabled=True, legacy_api_tokens_enabled=True)
    pat = c.tokens.create().token
    assert pat and pat != loop.server.token
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", pat)
    labels_before = loop.labels.read_bytes()
    res = loop.cli("label", "pull", "--project", PROJECT, "--out", str(loop.labels))
    assert res.exit_code == 0, res.output
    assert loop.labels.read_bytes() == labels_before and pat not in res.output
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "x" * 40)
    res = loop.cli("label", "pull", "--project", PROJECT, "--out", str(loop.labels))
    assert res.exit_code == 2 and "refused the API key" in res.output, res.output


def test_porosity_present_without_a_pore_is_reported_and_flagged_until_fixed(loop: Loop) -> None:
    c = loop.client()
    labels_before = loop.labels.read_bytes()
    third = c.users.create(username="welder3", email="welder3@example.com", password="welder3-pass-123")
    task = loop.tasks()[0]
    ann = c.annotations.create(task.id, completed_by=third.id, result=[
        _choice("penetration", "full"), _choice("porosity", "present"), _choice("condition", "baseline")])
    res = loop.cli("label", "pull", "--project", PROJECT, "--out", str(loop.labels))
    assert res.exit_code == 0, res.output
    assert "1 annotation(s) contradict themselves" in res.output
    assert "porosity is 'present' but no pore region is marked" in res.output
    assert f"{loop.server.url}/projects/{task.project}/data?task={task.id}" in res.output
    (flagged,) = [r for r in read_labels(loop.labels) if r.annotator == "welder3@example.com"]
    assert flagged.problems == ["porosity is 'present' but no pore region is marked"]
    status = loop.cli("label", "status", "--labels", str(loop.labels), "--segments", str(loop.segments))
    assert "1 annotation(s) contradict themselves" in status.output, status.output
    c.annotations.delete(ann.id)  # the technician fixes it (here: withdraws it)
    res = loop.cli("label", "pull", "--project", PROJECT, "--out", str(loop.labels))
    assert res.exit_code == 0 and "contradict" not in res.output, res.output
    assert loop.labels.read_bytes() == labels_before


def test_server_down_is_one_clear_line_and_changes_nothing(loop: Loop) -> None:
    labels_before = loop.labels.read_bytes()
    media = sorted((p, p.stat().st_mtime_ns) for p in loop.server.document_root.rglob("*"))
    loop.server.stop()
    try:
        for args in (("label", "pull", "--project", PROJECT, "--out", str(loop.labels)),
                     ("label", "push", loop.run, "--segments", str(loop.segments), "--project", PROJECT)):
            res = loop.cli(*args)
            assert res.exit_code == 2, res.output
            first = res.output.strip().splitlines()[0]
            assert "not reachable" in first and loop.server.url in first, res.output
            assert "Traceback" not in res.output and loop.server.token not in res.output
        assert loop.labels.read_bytes() == labels_before
        assert sorted((p, p.stat().st_mtime_ns) for p in loop.server.document_root.rglob("*")) == media
    finally:
        print(f"restart: {loop.server.start():.1f} s")
