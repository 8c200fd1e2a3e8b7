"""Sections of the dataset card that describe the data rather than count it: what it is, what it is for and
where it stops, how to load it, what it was made from."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from weldctl.schema import join_uri

from ._card_plots import class_counts, class_matrix, group_counts, provenance
from ._params import DatasetParams
from ._samples import ATTACHMENT_PREFIX

Rows = Sequence[Mapping[str, Any]]
FEW_RUNS = 3  # a class seen in fewer runs than this cannot be both learned and evaluated


def md_table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def plots(rows: Rows, labels: list[str], by: str, out: str | os.PathLike[str]) -> list[str]:
    """The card's figures; names without extension."""
    made = []
    if by:
        class_counts(rows, by, join_uri(out, f"classes_{by}.png"))
        made.append(f"classes_{by}")
        others = [lab for lab in labels if lab != by]
        if others:  # the balanced label against another one, never against itself
            class_matrix(rows, by, others[0], join_uri(out, f"{by}_by_{others[0]}.png"))
            made.append(f"{by}_by_{others[0]}")
    for c in ("workpiece", "run_id", "day"):
        group_counts(rows, c, join_uri(out, f"per_{c}.png"))
        made.append(f"per_{c}")
    provenance(rows, join_uri(out, "provenance.png"))
    return [*made, "provenance"]


def what_it_is(rows: Rows, originals: Rows, labels: list[str], inputs: Mapping[str, Any]) -> list[str]:
    days = sorted({r["day"] for r in originals})
    status = Counter(str(r.get("run_status", "?")) for r in {r["run_id"]: r for r in originals}.values())
    how = ", ".join(f"{n} {'imported from another system' if s == 'imported' else s}" for s, n in
                    sorted(status.items()))
    md = [
        "## What this is", "",
        f"{len(rows)} samples ({len(originals)} original welds or windows) from "
        f"**{len({r['run_id'] for r in originals})} runs** ({how}), "
        f"**{len({r['workpiece'] for r in originals})} workpieces** and "
        f"**{len(days)} days** ({days[0]} to {days[-1]})." if days else "No samples.",
        "",
        md_table(["", "values"], [
            ["process", ", ".join(sorted({str(r.get("process", "?")) for r in originals}))],
            ["rigs", ", ".join(sorted({str(r["rig"]) for r in originals}))],
            ["labels", ", ".join(labels)],
            ["label sources", ", ".join(sorted({str(r["label_source"]) for r in originals}))],
        ]),
    ]
    layout = inputs.get("layout", {})
    if layout:
        md += ["", f"Each sample: {len(layout.get('channels', []))} signal channels at "
               f"{layout.get('signal_rate_hz', '?'):g} Hz (`{'`, `'.join(layout.get('channels', []))}`), "
               f"anti-alias filtered; image arrays: {', '.join(f'`{k}`' for k in layout.get('images', {})) or 'none'}."]
    for name in layout.get("images", {}):
        if name.startswith(ATTACHMENT_PREFIX):
            md += ["", f"**Warning: `{name}` shows the finished part, photographed after the weld.** It can show "
                   "the label itself (the bead's appearance, a run-id sticker or a note on the plate). A model "
                   "given it may learn the label from the photo, not from the process."]
    for name, have in sorted(inputs.get("dropped_streams", {}).items()):
        md += ["", f"Left out: `{name}` (only in {len(have)} run(s): {', '.join(have[:5])})."]
    return [*md, ""]


def intended_use(rows: Rows, originals: Rows, labels: list[str], by: str, audit: Mapping[str, Any],
                 inputs: Mapping[str, Any], params: DatasetParams) -> list[str]:
    runs_of: dict[str, set[str]] = {}
    for r in originals:
        runs_of.setdefault(str(r.get(by)), set()).add(r["run_id"])
    limits = list(params.card.limits)
    few = sorted(c for c, rs in runs_of.items() if len(rs) < FEW_RUNS)
    if few:
        limits.append(f"classes seen in fewer than {FEW_RUNS} runs ({', '.join(f'{c}: {len(runs_of[c])}' for c in few)}"
                      "): a split either learns them or tests them, not both; per-class results are anecdotes")
    for g in audit.get("not_separable", []):
        limits.append(f"every sample has the same {g['group']} ({g['value']}): these splits do not measure "
                      f"how a model does on another {g['group']}")
    if any(r["label_source"] == "import" for r in originals):
        limits.append("labels of source `import` come from the source's own folder names or run ids, not from a "
                      "person in Label Studio: they are as good as that bookkeeping")
    if any(k.startswith(ATTACHMENT_PREFIX) for k in inputs.get("layout", {}).get("images", {})):
        limits.append("photos of the finished part are in the samples: they can give the label away")
    n_runs = len({r["run_id"] for r in originals})
    use = params.card.intended_use or (
        f"Training and comparing classifiers of `{by}` from the recorded process signals"
        f"{' and images' if inputs.get('layout', {}).get('images') else ''}, and measuring how they do on "
        "runs, workpieces and days they have not seen (no run, workpiece or day is in two splits). "
        f"With {n_runs} runs it is a small dataset: good for developing a pipeline and for first results, "
        "not for claims about a production line.")
    bullets = [f"- {x}" for x in limits or ["none found"]]
    return ["## Intended use and limits", "", use, "", "Limits:", "", *bullets, ""]


def audit_section(audit: Mapping[str, Any]) -> list[str]:
    md = ["", "## Leak audit", "", f"**{'passed' if audit['ok'] else 'FAILED'}**", ""]
    md.append(md_table(
        ["group", "distinct values", "in several splits"],
        [[g, d["distinct"], "not separable (one value)" if any(x["group"] == g for x in
                                                                  audit.get("not_separable", []))
          else len(d["in_several_splits"])] for g, d in audit["groups"].items()]))
    md += ["", f"Overlapping time windows across splits: {len(audit['time_overlaps'])}; identical content in "
           f"several splits: {len(audit['duplicate_content'])}."]
    return md


def balance_section(weights: Mapping[str, Any], by: str) -> list[str]:
    bal = weights.get("balance", {})
    shipped = weights.get("train_as_shipped", {}).get(by, {})
    classes = sorted(set(bal.get("before", {})) | set(shipped))
    md = ["", "## Balance and class weights (train)", "",
          f"Balanced by `{by}`. `class_weights.json` is computed from the train split as shipped (after "
          "over-sampling and augmentation): N / (K n_c) per class.", ""]
    md.append(md_table(
        ["class", "before", "target", "after balance", "shipped", "weight"],
        [[c, bal.get("before", {}).get(c, 0), bal.get("targets", {}).get(c, "-"), bal.get("after", {}).get(c, 0),
          shipped.get(c, 0), weights.get("class_weights", {}).get(by, {}).get(c, "-")] for c in classes]))
    return md


def loading_section(classes: Mapping[str, list[str]], by: str) -> list[str]:
    cmap = json.dumps({by: classes.get(by, [])})
    return ["", "## How to load it", "", "```python",
            "from weldctl.curation import class_map, iter_dataset, torch_dataset",
            f'label, classes = class_map("dataset", "{by}")   # one index map for every split: {cmap}',
            'for s in iter_dataset("dataset", "train"):   # dict: labels, ids, signals (T, C), frames, frames_t_ns',
            "    ...",
            f'ds = torch_dataset("dataset", "train", label="{by}")   # ds.classes == classes; needs weldctl[torch]',
            "```", "",
            "Class weights for a loss: `dataset/class_weights.json` (`class_weights`). Every split's class "
            "indices follow `dataset/classes.json`."]


def inputs_section(inputs: Mapping[str, Any]) -> list[str]:
    if not inputs:
        return []
    md = ["", "## Inputs", "",
          f"Labels file sha256: `{inputs.get('labels_sha256', '?')}`. Each run is named by the sha256 of its "
          "checksum manifest (`integrity/zarr.json`, which lists the sha256 of every file of the run store; "
          "`weldctl verify` checks it).", ""]
    md.append(md_table(["run", "checksum manifest sha256"], [[k, f"`{v}`"] for k, v in inputs.get("runs", {}).items()]))
    return md
