"""What the CLI prints fits an 80-100 column terminal: no table cell cut to "…", no line wider than the
terminal; the wide layouts are behind --wide. Rendered by rich itself at a given width."""

from __future__ import annotations

import os
import re
import shutil
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.cli.widths import assert_fits as _fits
from tests.cli.widths import narrow_console as _console
from tests.cli.widths import printed
from tests.conftest import complete_rig
from weldctl.cli import app

WIDTHS = (80, 100)


@pytest.mark.parametrize("width", WIDTHS)
def test_inspect_fits_the_terminal_and_says_what_its_figures_are(
    sim_run_3s: str, width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    con = _console(width)
    monkeypatch.setattr("weldctl.cli._inspect.console", con)
    res = CliRunner().invoke(app, ["inspect", sim_run_3s])
    assert res.exit_code == 0, res.output
    text = con.file.getvalue()  # type: ignore[attr-defined]
    _fits(text, width)
    for table in ("streams", "storage", "time alignment", "truth: welds"):
        assert table in text
    assert "time ±: bound on a sample's time error" in " ".join(text.split())
    assert "next: weldctl view" in text


def test_inspect_wide_is_one_table_with_every_column(sim_run_3s: str, monkeypatch: pytest.MonkeyPatch) -> None:
    con = _console(200)
    monkeypatch.setattr("weldctl.cli._inspect.console", con)
    assert CliRunner().invoke(app, ["inspect", sim_run_3s, "--wide"]).exit_code == 0
    text = con.file.getvalue()  # type: ignore[attr-defined]
    header = next(ln for ln in text.splitlines() if "MB stored" in ln)
    assert "aligned by" in header and "rate Hz" in header and "storage" not in text
    assert "…" not in text


def test_live_table_and_summary_fit_80_and_100_columns(tmp_path: Path) -> None:
    from weldctl.daq import live_table, make_recorder, summary_table
    from weldctl.schema import default_sim_rig

    rig = complete_rig(default_sim_rig())
    rec = make_recorder(rig, "RW", str(tmp_path), duration_s=1.0)
    live: dict[int, list[str]] = {w: [] for w in WIDTHS}

    def tick(r) -> None:  # type: ignore[no-untyped-def]
        for w in WIDTHS:
            con = _console(w)
            con.print(live_table(r))
            live[w].append(con.file.getvalue())  # type: ignore[attr-defined]

    result = rec.run(duration_s=1.0, on_tick=tick)
    assert result.ok, result.error
    for w in WIDTHS:
        assert live[w], "the live table was never drawn"
        for text in live[w]:
            _fits(text, w)
        con = _console(w)
        con.print(summary_table(result))
        summary = con.file.getvalue()  # type: ignore[attr-defined]
        _fits(summary, w)
        flat = " ".join(summary.split())
        assert "peak at risk" in flat and "Hz: samples written ÷ wall time" in flat
        assert "writes wait" not in flat  # a queue figure of a moment is not a summary of the run
    con = _console(200)
    con.print(summary_table(result, wide=True))
    assert "kind" in con.file.getvalue()  # type: ignore[attr-defined]


def _two_annotators_labels(folder: Path) -> None:
    """16 welds of two runs labelled by two technicians who disagree on some, one answer contradicting itself;
    10 welds a run found by segment, so 4 are unlabelled."""
    from datetime import UTC, datetime

    import pandas as pd

    from weldctl.curation import segments_path, write_segments
    from weldctl.schema import LabelRecord, LabelStudioRef, TimeRegion, load_taxonomy, write_labels

    tax = {c.name: c.classes for c in load_taxonomy("laser").choices}
    when = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    records = []
    for r, run in enumerate(("R0042", "R0043")):
        for w in range(8):
            for a, who in enumerate(("anna.kowalska@weldlab.example", "ben.okafor@weldlab.example")):
                cond = tax["condition"][(w + a * (w % 3 == 0)) % len(tax["condition"])]
                porous = "present" if w % 4 == 1 else "none"
                pores = porous == "present" and (r, w, a) != (1, 5, 1)  # one forgot to mark the pore
                records.append(
                    LabelRecord(
                        run_id=run,
                        weld_id=w,
                        annotator=who,
                        source="label_studio",
                        created_at=when,
                        updated_at=when,
                        labels={"penetration": tax["penetration"][w % 3], "porosity": porous, "condition": cond},
                        pore_regions=[TimeRegion(t_start_ns=10**9, t_end_ns=10**9 + 2 * 10**6)] * pores,
                        ls=LabelStudioRef(task_id=100 * r + w, annotation_id=1000 * r + 10 * w + a, project_id=3),
                    )
                )
    write_labels(folder / "labels" / "labelstudio.jsonl", records)
    for run in ("R0042", "R0043"):
        write_segments(
            segments_path(folder / "segments", run),
            pd.DataFrame(
                {
                    "run_id": [run] * 10,
                    "weld_id": range(10),
                    "t_start_ns": [i * 10**9 for i in range(10)],
                    "t_end_ns": [i * 10**9 + 5 * 10**8 for i in range(10)],
                    "source": ["laser_on"] * 10,
                    "confidence": [1.0] * 10,
                }
            ),
        )


@pytest.mark.parametrize("width", WIDTHS)
def test_label_status_reads_what_pull_writes_and_fits_the_terminal(
    tmp_path: Path, width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import typer.main

    pull = typer.main.get_command(app).commands["label"].commands["pull"]  # type: ignore[attr-defined]
    assert next(p.default for p in pull.params if p.name == "out") == "labels/labelstudio.jsonl"
    _two_annotators_labels(tmp_path)
    monkeypatch.chdir(tmp_path)
    con = _console(width)
    monkeypatch.setattr("weldctl.cli._label.console", con)
    res = CliRunner().invoke(app, ["label", "status", "-s", "segments"])  # no -l: the file pull writes
    assert res.exit_code == 0, res.output
    text = printed(con)
    _fits(text, width)
    flat = " ".join(text.split())
    assert "16/20 welds labelled, 32 records in labels/labelstudio.jsonl" in flat
    assert "unlabelled: R0042/8, R0042/9, R0043/8, R0043/9" in flat
    assert "agreement (welds with several annotators)" in flat and "contradict themselves" in flat
    assert re.search(r"^\s*condition\s+disputed\s+\d+\s*$", text, re.M), text
    assert re.search(r"^\s*penetration\s+full\s+\d+\s*$", text, re.M), text


@pytest.mark.parametrize("width", WIDTHS)
def test_recover_fits_the_terminal(
    sim_run_3s: str, tmp_path: Path, width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import zarr

    from weldctl.schema import RunReader

    store = tmp_path / "R3S.zarr"
    shutil.copytree(sim_run_3s, store)
    for dirpath, _dirs, files in os.walk(store):  # a copy of a finalized store is read-only too
        for p in [dirpath, *(os.path.join(dirpath, f) for f in files)]:
            os.chmod(p, os.stat(p).st_mode | stat.S_IWUSR)
    attrs = zarr.open_group(store, mode="r").attrs["weldctl"]
    zarr.open_group(store, mode="r+").attrs["weldctl"] = {
        **attrs,
        "manifest": {**attrs["manifest"], "status": "recording"},
    }
    (store / "integrity" / "zarr.json").unlink()  # as a killed recorder leaves it: never finalized
    con = _console(width)
    monkeypatch.setattr("weldctl.cli._integrity.console", con)
    res = CliRunner().invoke(app, ["recover", str(store)])
    assert res.exit_code == 0, res.output
    text = printed(con)
    _fits(text, width)
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.strip() == "streams kept")
    rows = {ln.split()[0]: ln.split()[1:] for ln in lines[start + 3 :] if ln.strip() and not ln.startswith(" ")}
    for name in RunReader(str(store)).specs:
        assert name in rows, (name, text)
