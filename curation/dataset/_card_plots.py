"""Dataset-card plots (matplotlib Agg), reusable on any manifest rows: each returns the PNG it wrote."""

from __future__ import annotations

import io
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from weldctl.schema import write_bytes


def _figure(figsize: tuple[float, float]) -> Any:
    # A Figure with its own Agg canvas, not pyplot: a library must not switch a notebook's backend.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Any, path: str | os.PathLike[str]) -> str:
    # No Software/date chunks: the same rows give the same PNG bytes. Rendered in memory, written whole.
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, metadata={"Software": None}, bbox_inches="tight")
    return write_bytes(path, buf.getvalue())


def class_matrix_figure(rows: Sequence[Mapping[str, Any]], row_col: str, col_col: str) -> Any:
    """One heatmap per split: counts of ``row_col`` classes (y) by ``col_col`` classes (x)."""
    splits = sorted({r["split"] for r in rows})
    ys = sorted({str(r.get(row_col)) for r in rows})
    xs = sorted({str(r.get(col_col)) for r in rows})
    # Each class gets at least a quarter inch: names never run into each other.
    fig = _figure((max(3.2, 0.3 * len(xs) + 1.5) * len(splits) + 1, 0.3 * len(ys) + 3.0))
    axes = fig.subplots(1, len(splits), squeeze=False)
    for ax, s in zip(axes[0], splits, strict=True):
        m = np.zeros((len(ys), len(xs)), dtype=int)
        for r in rows:
            if r["split"] == s:
                m[ys.index(str(r.get(row_col))), xs.index(str(r.get(col_col)))] += 1
        ax.imshow(m, cmap="Blues", aspect="auto")
        for (i, j), v in np.ndenumerate(m):
            dark = v > m.max() / 2
            ax.text(j, i, str(v), ha="center", va="center", fontsize=7, color="white" if dark else "black")
        ax.set_xticks(range(len(xs)), xs, rotation=90, fontsize=7)
        ax.set_yticks(range(len(ys)), ys, fontsize=7)
        ax.set_title(f"{s} (n={int(m.sum())})", fontsize=9)
    fig.suptitle(f"{row_col} x {col_col}", fontsize=10)
    fig.tight_layout()
    return fig


def class_matrix(
    rows: Sequence[Mapping[str, Any]], row_col: str, col_col: str, path: str | os.PathLike[str]
) -> str:
    return _save(class_matrix_figure(rows, row_col, col_col), path)


def _bars_done(fig: Any, ax: Any, title: str) -> Any:
    """Horizontal bars read top-down, with the sample axis, a title and the splits' legend."""
    ax.invert_yaxis()
    ax.set_xlabel("samples")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def class_counts_figure(rows: Sequence[Mapping[str, Any]], label: str) -> Any:
    """Samples per class of ``label`` in each split, as shipped (horizontal bars: long class names fit)."""
    splits = sorted({r["split"] for r in rows})
    classes = sorted({str(r.get(label)) for r in rows})
    counts = Counter((str(r.get(label)), r["split"]) for r in rows)
    fig = _figure((6, 0.3 * len(classes) * len(splits) ** 0.5 + 1.5))
    ax = fig.subplots()
    height = 0.8 / max(1, len(splits))
    for i, s in enumerate(splits):
        y = np.arange(len(classes)) + i * height
        ax.barh(y, [counts[(c, s)] for c in classes], height, label=s)
    ax.set_yticks(np.arange(len(classes)) + 0.4 - height / 2, classes, fontsize=7)
    return _bars_done(fig, ax, f"{label} per split (as shipped)")


def class_counts(rows: Sequence[Mapping[str, Any]], label: str, path: str | os.PathLike[str]) -> str:
    return _save(class_counts_figure(rows, label), path)


MAX_GROUP_BARS = 80  # beyond this a group plot shows the largest groups (the table in the card has the count)


def group_counts_figure(rows: Sequence[Mapping[str, Any]], group_col: str) -> Any:
    """Samples per group value, stacked by split (a group in two colours would be a leak). Horizontal
    bars, a quarter inch each, so long names (a workpiece, a session folder) never overprint."""
    splits = sorted({r["split"] for r in rows})
    counts = Counter((str(r.get(group_col)), r["split"]) for r in rows)
    total = Counter(str(r.get(group_col)) for r in rows)
    keys = sorted(sorted(total), key=lambda k: -total[k])[:MAX_GROUP_BARS]
    keys = sorted(keys)
    fig = _figure((6, 0.25 * len(keys) + 1.2))
    ax = fig.subplots()
    left = np.zeros(len(keys))
    for s in splits:
        v = np.array([counts[(k, s)] for k in keys], dtype=float)
        ax.barh(range(len(keys)), v, left=left, label=s)
        left += v
    ax.set_yticks(range(len(keys)), keys, fontsize=7)
    shown = "" if len(keys) == len(total) else f" (largest {len(keys)} of {len(total)})"
    return _bars_done(fig, ax, f"samples per {group_col}{shown}")


def group_counts(rows: Sequence[Mapping[str, Any]], group_col: str, path: str | os.PathLike[str]) -> str:
    return _save(group_counts_figure(rows, group_col), path)


def provenance(rows: Sequence[Mapping[str, Any]], path: str | os.PathLike[str]) -> str:
    """Where labels and samples come from: label source x sample origin, per split."""
    splits = sorted({r["split"] for r in rows})
    cats = sorted({f"{r.get('label_source')}/{r.get('origin')}" for r in rows})
    counts = Counter((f"{r.get('label_source')}/{r.get('origin')}", r["split"]) for r in rows)
    fig = _figure((5, 3))
    ax = fig.subplots()
    width = 0.8 / max(1, len(cats))
    for i, c in enumerate(cats):
        ax.bar(np.arange(len(splits)) + i * width, [counts[(c, s)] for s in splits], width, label=c)
    ax.set_xticks(np.arange(len(splits)) + 0.4 - width / 2, splits)
    ax.set_ylabel("samples")
    ax.set_title("label source / sample origin", fontsize=10)
    ax.legend(fontsize=7)
    return _save(fig, path)
