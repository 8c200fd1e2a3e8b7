"""Channel selection, as in the spectral-fusion literature: rank channels by their Pearson correlation with
the label on the train split, keep the best ``top_k``.

A multi-class label is one-vs-rest: a channel's score is its largest |r| with any class's indicator (the
class it tells apart best is recorded with it). Each sample contributes its channel's mean over the sample.
Only train samples are used, so the selection leaks nothing of val or test. The result (label, method,
scores of every candidate, the selected channels) is written as JSON: a DVC output the card shows.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from ._params import ChannelSelectParams
from ._sampleset import SampleSet, read_rows
from ._spectral_bands import is_band


def pearson_scores(x: np.ndarray, labels: list[str]) -> list[tuple[float, str]]:
    """Per column of ``x`` (samples × channels): (max |r| over one-vs-rest class indicators, that class)."""
    classes = sorted(set(labels))
    y = np.array([[lab == c for c in classes] for lab in labels], dtype=np.float64)
    xc = x - x.mean(axis=0)
    yc = y - y.mean(axis=0)
    denom = np.sqrt((xc**2).sum(axis=0))[:, None] * np.sqrt((yc**2).sum(axis=0))[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(denom > 0, (xc.T @ yc) / denom, 0.0)  # channels × classes
    best = np.argmax(np.abs(r), axis=1)
    return [(float(abs(r[i, j])), classes[j]) for i, j in enumerate(best)]


def select_channels(
    samples: str | os.PathLike[str], split_file: str | os.PathLike[str], params: ChannelSelectParams
) -> dict[str, Any]:
    s = SampleSet(samples)
    split = {r["sample_id"]: r["split"] for r in read_rows(split_file)}
    train = [r for r in s.rows if split.get(r["sample_id"]) == "train" and r.get(params.label) not in (None, "")]
    channels = s.layout.channels
    cand = [i for i, c in enumerate(channels) if params.candidates == "all" or is_band(c)]
    none = {
        "label": params.label,
        "method": "pearson, one-vs-rest, train split",
        "train_samples": len(train),
        "selected": [],
        "candidates": [],
    }
    if not cand:  # runs without a spectrometer (an arc-welding dataset): nothing to select, and the card says so
        return none | {"note": f"no candidate channels ({params.candidates}) in these samples"}
    if len({r[params.label] for r in train}) < 2:
        return none | {"note": f"the train split has fewer than two classes of {params.label!r}"}
    x = np.array([s.arrays_of(r).signals[:, cand].mean(axis=0) for r in train], dtype=np.float64)
    scores = pearson_scores(x, [str(r[params.label]) for r in train])
    ranked = sorted(zip(cand, scores, strict=True), key=lambda t: (-t[1][0], channels[t[0]]))
    every = [{"channel": channels[i], "r": round(sc, 6), "class": cls} for i, (sc, cls) in ranked]
    return {
        "label": params.label,
        "method": "pearson, one-vs-rest, train split",
        "train_samples": len(train),
        "selected": every[: params.top_k],
        "candidates": every,
    }


def run_channel_select(
    samples: str | os.PathLike[str],
    split_file: str | os.PathLike[str],
    params: ChannelSelectParams,
    out: str | os.PathLike[str],
) -> dict[str, Any]:
    res = select_channels(samples, split_file, params)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(res, f, indent=1, sort_keys=True)
        f.write("\n")
    return res


def channels_section(res: dict[str, Any]) -> list[str]:
    """The card's section: which channels the selection kept, by how much they correlate with the label."""
    if not res:
        return []
    if not res["selected"]:
        return ["", "## Selected channels", "", f"None: {res.get('note', 'no candidates')}."]
    rows = "\n".join(f"| `{c['channel']}` | {c['r']:.3f} | {c['class']} |" for c in res["selected"])
    return [
        "",
        "## Selected channels",
        "",
        f"Channels ranked by |Pearson r| with `{res['label']}` ({res['method']}; {res['train_samples']} "
        f"samples); the {len(res['selected'])} best of {len(res['candidates'])} are the model's spectral "
        "inputs:",
        "",
        "| channel | abs r | class it separates |",
        "|---|---|---|",
        rows,
    ]
