"""Tables that fit a terminal: a cell wraps (or folds a long word) instead of being cut to "…"."""

from __future__ import annotations

from collections.abc import Iterable

from rich.table import Table


def table(title: str, columns: Iterable[str], *, left: Iterable[str] = ()) -> Table:
    """A titled table; columns in ``left`` are left-justified, the rest (figures) right-justified."""
    t = Table(title=title, title_justify="left")
    keep_left = set(left)
    for col in columns:
        t.add_column(col, justify="left" if col in keep_left else "right", overflow="fold")
    return t
