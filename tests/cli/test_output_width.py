"""What the CLI prints fits an 80-100 column terminal: no table cell cut to "…", no line wider than the
terminal; the wide layouts are behind --wide. Rendered by rich itself at a given width."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from tests.conftest import complete_rig
from weldctl.cli import app

WIDTHS = (80, 100)


def _console(width: int) -> Console:
    return Console(file=io.StringIO(), width=width, force_terminal=False, color_system=None, legacy_windows=False)


def _fits(text: str, width: int) -> None:
    assert "…" not in text, f"a cell was cut at {width} columns:\n{text}"
    # A next-step hint is a command to copy: it is not wrapped (a long path may make it longer).
    too_wide = [ln for ln in text.splitlines() if len(ln) > width and not ln.startswith("next: ")]
    assert not too_wide, f"lines over {width} columns:\n" + "\n".join(too_wide)


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
