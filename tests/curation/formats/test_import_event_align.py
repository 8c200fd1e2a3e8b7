"""Event alignment at import, against injected offsets: a sound file that starts a known time before the
logger sees the arc strike lands on the logged current, within the uncertainty stored with it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

ARC_ON_S = 5.03  # the arc strikes at this time of the logger
MAPPING = {
    "name": "cell",
    "run": {"pattern": r"(?P<run_id>C\d+)$", "manifest": {"process": "arc"}, "taxonomy": "arc",
            "labels": {"quality": "good"}},
    "streams": [
        {"name": "process", "kind": "daq", "reader": "csv", "file": "log.csv",
         "time": {"source": "column", "columns": ["t"]}, "align": {"mode": "wall_clock"},
         "channels": [{"source": "I", "name": "current", "units": "A"}]},
        {"name": "audio", "kind": "audio", "reader": "audio", "file": "arc.wav", "time": {"source": "rate"},
         "align": {"mode": "event", "to": "process", "channel": "current"}},
    ],
}


def _write_run(folder: Path, lead_s: float, *, silent: bool = False) -> None:
    """A 10 rows/s logger (current 0 -> 170 A at ARC_ON_S) and an 8 kHz sound file whose own time 0 is the
    logger's start, but whose arc noise starts ``lead_s`` early (its clock is ahead by that much)."""
    import soundfile as sf

    folder.mkdir(parents=True)
    t = np.arange(0, 20, 0.1) + 1_700_000_000.0
    current = np.where(t - t[0] >= ARC_ON_S, 170.0, 0.0) + np.random.default_rng(1).normal(0, 1, len(t))
    (folder / "log.csv").write_text("t,I\n" + "".join(f"{a:.3f},{b:.2f}\n" for a, b in zip(t, current, strict=True)))
    rate = 8000
    ts = np.arange(0, 20 * rate) / rate
    rng = np.random.default_rng(2)
    sound = rng.normal(0, 0.005, len(ts))  # fans, gas
    if not silent:
        on = (ts >= ARC_ON_S - lead_s) & (ts < ARC_ON_S - lead_s + 10)
        sound[on] += rng.normal(0, 0.2, on.sum()) * (1 + 0.5 * np.sin(2 * np.pi * 3 * ts[on]))  # crackle
    sf.write(folder / "arc.wav", sound.astype(np.float32), rate, subtype="PCM_16")


def _mapping(**align: object) -> object:
    from weldctl.schema import ImportMapping

    doc = yaml.safe_load(yaml.safe_dump(MAPPING))
    doc["streams"][1]["align"].update(align)
    return ImportMapping.model_validate(doc)


@pytest.mark.parametrize("lead_s", [0.6, 1.2, 2.1])
def test_sound_lands_on_the_current_onset(tmp_path: Path, lead_s: float) -> None:
    from weldctl.curation import import_run
    from weldctl.schema import RunReader

    _write_run(tmp_path / "src" / "C1", lead_s)
    res = import_run(_mapping(), tmp_path / "src" / "C1", tmp_path / "runs")
    r = RunReader(res.uri)
    clock = r.clock("audio")
    assert clock["alignment"] == "event_aligned" and clock["event_n_events"] == 1
    # Injected: the sound is lead_s ahead, so it must be moved by +lead_s; the bound must cover the error.
    err = clock["event_offset_ns"] / 1e9 - lead_s
    assert abs(err) <= clock["uncertainty_ns"] / 1e9 < 0.1, (err, clock)
    assert r.clock("process")["alignment"] == "wall_clock" and r.clock("process")["uncertainty_ns"] == 0
    assert "residual_rms_ns" not in clock  # one event shows no scatter: no "exact fit" claimed


def test_no_event_is_stored_as_assumed_or_refused(tmp_path: Path) -> None:
    from weldctl.curation import import_run
    from weldctl.schema import ImportSourceError, RunReader

    _write_run(tmp_path / "src" / "C2", 1.0, silent=True)
    res = import_run(_mapping(), tmp_path / "src" / "C2", tmp_path / "runs")
    clock = RunReader(res.uri).clock("audio")
    assert clock["alignment"] == "assumed" and clock["uncertainty_ns"] >= 19e9  # the recordings' length
    assert "event not found" in clock["assumed_because"]
    with pytest.raises(ImportSourceError, match=r"arc\.wav: cannot align stream 'audio' on process\.current"):
        import_run(_mapping(on_failure="fail"), tmp_path / "src" / "C2", tmp_path / "runs2")


def test_inspect_shows_method_and_bound(tmp_path: Path) -> None:
    from weldctl.cli import app
    from weldctl.curation import import_run

    _write_run(tmp_path / "src" / "C3", 1.0)
    doc = yaml.safe_load(yaml.safe_dump(MAPPING))
    doc["streams"].append({**doc["streams"][1], "name": "mic2", "align": {"mode": "start_at", "to": "process"}})
    from weldctl.schema import ImportMapping

    res = import_run(ImportMapping.model_validate(doc), tmp_path / "src" / "C3", tmp_path / "runs")
    out = CliRunner().invoke(app, ["inspect", res.uri, "--wide"])  # one table: a row per stream, all columns
    assert out.exit_code == 0, out.output
    # The wide table: one row per stream whose last four cells are aligned by, time ± µs, latency µs, fit rms µs.
    lines = out.output.splitlines()
    assert any("aligned by" in line and "fit rms" in line for line in lines), out.output
    col = {"aligned": -4, "±": -3, "fit rms": -1}
    rows = {cells[0]: cells for cells in (line.split() for line in lines) if cells and cells[0] in
            ("audio", "mic2", "process")}
    assert rows["audio"][col["aligned"]].startswith("event_al")
    assert 0 < float(rows["audio"][col["±"]].replace(",", "")) < 1e5  # µs
    mic2 = rows["mic2"][col["±"]]
    assert rows["mic2"][col["aligned"]] == "assumed" and mic2[0].isdigit() and mic2 not in ("0.0", "0")
    assert rows["mic2"][col["fit rms"]] == "-" and rows["process"][col["aligned"]].startswith("wall_clo")


def test_labels_must_belong_to_the_taxonomy() -> None:
    from pydantic import ValidationError

    from weldctl.schema import ImportMapping

    doc = yaml.safe_load(yaml.safe_dump(MAPPING))
    doc["run"]["labels"] = {"condition": "good"}  # the arc taxonomy asks for `quality`
    with pytest.raises(ValidationError, match="label 'condition' is not a group of taxonomy 'arc'"):
        ImportMapping.model_validate(doc)
    doc["run"]["labels"] = {"quality": {"from": "run_id", "map": {"C1": "porous"}}}
    with pytest.raises(ValidationError, match=r"maps to \['porous'\], not classes"):
        ImportMapping.model_validate(doc)
