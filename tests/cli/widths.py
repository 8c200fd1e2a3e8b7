"""Rendering a command's output at a given terminal width, and the check that it fits there."""

from __future__ import annotations

import io

from rich.console import Console


def narrow_console(width: int) -> Console:
    """A plain console of ``width`` columns that keeps what it prints (read it with ``printed``)."""
    return Console(file=io.StringIO(), width=width, force_terminal=False, color_system=None, legacy_windows=False)


def printed(con: Console) -> str:
    return con.file.getvalue()  # type: ignore[attr-defined]


def assert_fits(text: str, width: int) -> None:
    assert "…" not in text, f"a cell was cut at {width} columns:\n{text}"
    # A next-step hint is a command to copy: it is not wrapped (a long path may make it longer).
    too_wide = [ln for ln in text.splitlines() if len(ln) > width and not ln.startswith("next: ")]
    assert not too_wide, f"lines over {width} columns:\n" + "\n".join(too_wide)
