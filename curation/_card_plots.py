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


def class_matrix(
    rows: Sequence[Mapping[str, Any]], row_col: str, col_col: str, path: str | os.PathLike[str]
) -> str:
    """One heatmap per split: counts of ``row_col`` classes (y) by ``col_col`` classes (x)."""
    splits = sorted({r["split"] for r in rows})
    ys = sorted({str(r.get(row_col)) for r in rows})
    xs = sorted({str(r.get(col_col)) for r in rows})
    fig = _figure((3.2 * len(splits) + 1, 0.5 * len(ys) + 2.5))
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
        ax.set_xticks(range(len(xs)), xs, rotation=60, ha="right", fontsize=7)
        ax.set_yticks(range(len(ys)), ys, fontsize=7)
        ax.set_title(f"{s} (n={int(m.sum())})", fontsize=9)
    fig.suptitle(f"{row_col} x {col_col}", fontsize=10)
    return _save(fig, path)


def group_counts(rows: Sequence[Mapping[str, Any]], group_col: str, path: str | os.PathLike[str]) -> str:
    """Samples per group value, stacked by split (a group in two colours would be a leak)."""
    splits = sorted({r["split"] for r in rows})
    keys = sorted({str(r.get(group_col)) for r in rows})
    counts = Counter((str(r.get(group_col)), r["split"]) for r in rows)
    fig = _figure((max(4.0, 0.25 * len(keys) + 2), 3))
    ax = fig.subplots()
    bottom = np.zeros(len(keys))
    for s in splits:
        v = np.array([counts[(k, s)] for k in keys], dtype=float)
        ax.bar(range(len(keys)), v, bottom=bottom, label=s)
        bottom += v
    ax.set_xticks(range(len(keys)), keys, rotation=90, fontsize=6)
    ax.set_ylabel("samples")
    ax.set_title(f"samples per {group_col}", fontsize=10)
    ax.legend(fontsize=7)
    return _save(fig, path)


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
