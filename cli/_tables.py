"""Tables that fit a terminal: a cell wraps (or folds a long word) instead of being cut to "…"."""

from __future__ import annotations

from collections.abc import Iterable

from rich import box
from rich.table import Table


def table(title: str, columns: Iterable[str], *, left: Iterable[str] = ()) -> Table:
    """A titled table; columns in ``left`` are left-justified, the rest (figures) right-justified."""
    t = Table(
        title=title,
        title_justify="left",
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        collapse_padding=True,
        show_edge=False,
        pad_edge=False,
    )  # one space between columns: 9 columns of figures fit 80
    keep_left = set(left)
    for col in columns:
        t.add_column(col, justify="left" if col in keep_left else "right", overflow="fold")
    return t
