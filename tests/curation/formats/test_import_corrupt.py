"""A corrupt or truncated input gives one clear error naming the file and where, and leaves no run behind."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import GMAW_SAMPLE, REPO, need

MAPPING = REPO / "examples" / "import" / "gmaw-sample.yaml"
RUN = "12-21-22-0461-00"


@pytest.fixture
def run_copy(tmp_path: Path) -> Path:
    need(GMAW_SAMPLE.is_dir(), f"gmaw-sample dataset not found at {GMAW_SAMPLE}")
    src = next(GMAW_SAMPLE.glob(f"*/*/{RUN}"))
    dst = tmp_path / "src" / src.parent.name / RUN
    shutil.copytree(src, dst)
    return dst


def _truncate_flac(run: Path) -> str:
    f = run / f"{RUN}.flac"
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
    return f"{RUN}.flac"


def _broken_csv_row(run: Path) -> str:
    f = run / f"{RUN}.csv"
    lines = f.read_text().splitlines()
    lines[120] = lines[120] + ",1.0,2.0"  # two extra fields: a logger glitch
    f.write_text("\n".join(lines) + "\n")
    return "line 121"


def _truncated_csv(run: Path) -> str:
    f = run / f"{RUN}.csv"
    text = f.read_text()
    f.write_text(text[: len(text) - 30])  # cut mid-row, as a copy interrupted would
    return "line 334"


def _garbled_number(run: Path) -> str:
    f = run / f"{RUN}.csv"
    lines = f.read_text().splitlines()
    cells = lines[200].split(",")
    cells[6] = "17#.2"
    lines[200] = ",".join(cells)
    f.write_text("\n".join(lines) + "\n")
    return "line 201"


def _missing_column(run: Path) -> str:
    f = run / f"{RUN}.csv"
    f.write_text(f.read_text().replace("Primary Weld Current", "Primary Current", 1))
    return "Primary Weld Current"


def _unreadable_video(run: Path) -> str:
    (run / f"{RUN}.avi").write_bytes(b"RIFF\x00\x00\x00\x00AVI garbage, not a video" * 100)
    return f"{RUN}.avi"


def _truncated_video(run: Path) -> str:
    video = next(GMAW_SAMPLE.glob("*/*/*/*.avi"))
    data = video.read_bytes()
    (run / f"{RUN}.avi").write_bytes(data[: len(data) // 2])  # the index claims 669 frames; half decode
    return "truncated video: decoding stopped at frame"


def _unreadable_image(run: Path) -> str:
    img = sorted((run / "images").glob("*.jpg"))[2]
    img.write_bytes(b"\xff\xd8 not really a jpeg")
    return img.name


def _truncated_jpeg(run: Path) -> str:
    img = sorted((run / "images").glob("*.jpg"))[1]
    data = img.read_bytes()
    img.write_bytes(data[: len(data) * 2 // 3])  # OpenCV still decodes it, with a flat grey bottom third
    return f"{img.name}: truncated JPEG"


def _duplicated_row(run: Path) -> str:
    f = run / f"{RUN}.csv"
    lines = f.read_text().splitlines()
    lines.insert(150, lines[149])  # the logger wrote data line 149 twice (file line 150 -> 151)
    f.write_text("\n".join(lines) + "\n")
    return "line 151: same time as line 150 (a duplicated row)"


def _duplicated_time(run: Path) -> str:
    f = run / f"{RUN}.csv"
    lines = f.read_text().splitlines()
    prev, cells = lines[99].split(","), lines[100].split(",")
    cells[:2] = prev[:2]  # another reading stamped with the previous row's time
    lines[100] = ",".join(cells)
    f.write_text("\n".join(lines) + "\n")
    return "line 101: same time as line 100 (a duplicated time stamp)"


@pytest.mark.parametrize(
    "damage",
    [
        _truncate_flac,
        _broken_csv_row,
        _truncated_csv,
        _garbled_number,
        _missing_column,
        _unreadable_video,
        _truncated_video,
        _unreadable_image,
        _truncated_jpeg,
        _duplicated_row,
        _duplicated_time,
    ],
)
def test_damaged_input_is_refused_cleanly(
    run_copy: Path, tmp_path: Path, damage: Callable[[Path], str]
) -> None:
    from weldctl.cli import app

    where = damage(run_copy)
    out = tmp_path / "runs"
    labels = tmp_path / "labels.jsonl"
    res = CliRunner().invoke(
        app, ["import", str(MAPPING), str(run_copy), "--out", str(out), "--labels", str(labels)]
    )
    assert res.exit_code == 2, res.output
    message = "".join(res.output.splitlines())  # rich wraps long paths mid-name
    assert "error:" in message and where in message, message
    assert not out.exists() or not any(out.iterdir()), list(out.iterdir())  # no store, no temp folder
    assert not labels.exists()


def test_undamaged_copy_imports(run_copy: Path, tmp_path: Path) -> None:
    """The control: the same copy, undamaged, imports (so the failures above are the damage)."""
    from weldctl.cli import app

    out = tmp_path / "runs"
    res = CliRunner().invoke(
        app, ["import", str(MAPPING), str(run_copy), "--out", str(out), "--labels", str(tmp_path / "l.jsonl")]
    )
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == [f"{RUN}.zarr"]
    again = CliRunner().invoke(app, ["import", str(MAPPING), str(run_copy), "--out", str(out)])
    assert again.exit_code == 2 and "already exists" in again.output


def test_batch_mode_keeps_the_hint(run_copy: Path, tmp_path: Path) -> None:
    """One damaged run in a batch: reported with its file, line and what to do, the others imported."""
    from weldctl.cli import app

    where = _duplicated_row(run_copy)
    res = CliRunner().invoke(app, ["import", str(MAPPING), str(run_copy.parent.parent), "--batch", "--out",
                                   str(tmp_path / "runs"), "--labels", str(tmp_path / "l.jsonl")])
    assert res.exit_code == 2, res.output
    message = " ".join(res.output.split())  # rich wraps the line at a space
    assert where in message and "→ drop the repeated line" in message, message


def test_missing_input_folder_is_named(tmp_path: Path) -> None:
    from weldctl.cli import app

    gone = tmp_path / "no-such-recordings"
    for extra in ([], ["--batch"]):
        res = CliRunner().invoke(app, ["import", str(MAPPING), str(gone), *extra, "--out", str(tmp_path / "r")])
        message = "".join(res.output.splitlines())
        assert res.exit_code == 2 and f"{gone}: no such folder" in message and "run.pattern" not in message, message
