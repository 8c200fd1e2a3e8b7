"""`weldctl segment`: params.yaml section, CLI overrides, one table per run outside the run store."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from weldctl.cli import app
from weldctl.curation import read_segments
from weldctl.schema import verify_checksums


def test_segment_writes_one_table_per_run(tmp_path: Path, sim_welds_run: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    Path("params.yaml").write_text("segment:\n  stream: daq\n  channel: photodiode\n  pad_s: 0.01\n"
                                   "  out: segs\n")
    res = CliRunner().invoke(app, ["segment", sim_welds_run])
    assert res.exit_code == 0, res.output
    seg = read_segments(tmp_path / "segs" / "RSEG.segments.parquet")
    assert set(seg["source"]) == {"photodiode"} and len(seg) == 3
    # CLI options beat params.yaml.
    res = CliRunner().invoke(app, ["segment", sim_welds_run, "--stream", "oct", "--pad", "0", "-o", "other"])
    assert res.exit_code == 0, res.output
    assert set(read_segments(tmp_path / "other" / "RSEG.segments.parquet")["source"]) == {"oct_valid"}
    assert verify_checksums(sim_welds_run).ok, "the raw run store is never written to"


def test_segment_bad_params_is_one_line_error(tmp_path: Path, sim_welds_run: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    Path("params.yaml").write_text("segment:\n  on_threshold: 1.0\n  off_threshold: 2.0\n")
    res = CliRunner().invoke(app, ["segment", sim_welds_run, "--stream", "daq", "--channel", "photodiode"])
    assert res.exit_code == 2
    assert "must not exceed" in res.output


def test_segment_takes_a_folder_of_runs_and_a_glob(tmp_path: Path, sim_welds_run: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """As `dataset samples` does: a folder (or URL prefix) of runs, or a pattern the shell did not expand."""
    monkeypatch.chdir(tmp_path)
    folder = str(Path(sim_welds_run).parent)
    res = CliRunner().invoke(app, ["segment", folder, "-o", "by_folder"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "by_folder" / "RSEG.segments.parquet").exists()
    assert "next: weldctl view" in res.output
    res = CliRunner().invoke(app, ["segment", f"{folder}/RS*.zarr", "-o", "by_glob"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "by_glob" / "RSEG.segments.parquet").exists()
    res = CliRunner().invoke(app, ["segment", f"{folder}/NOPE*.zarr"])
    assert res.exit_code == 2 and "no run stores (*.zarr) match" in res.output
