"""DATASET.md: what is in each split, where it came from, the leak audit, params and content hashes."""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from typing import Any

import yaml

from weldctl.schema import (
    check_destination,
    fs_and_root,
    join_uri,
    list_files,
    read_bytes,
    storage_errors,
    uri_exists,
    write_bytes,
)

from ._build import AUDIT, CLASSES, INPUTS, MANIFEST, WEIGHTS
from ._card_sections import (
    audit_section,
    balance_section,
    inputs_section,
    intended_use,
    loading_section,
    md_table,
    plots,
    what_it_is,
)
from ._channel_select import channels_section
from ._params import load_params
from ._sampleset import read_rows
from ._split import labels_carried, missing_classes


def tree_hash(path: str | os.PathLike[str]) -> str:
    """sha256 over (relative path, file sha256) of every file under ``path`` (folder, file or URL), sorted."""
    with storage_errors(path):
        fs, root = fs_and_root(path)
        single = fs.isfile(root)
    h = hashlib.sha256()
    for rel in ["."] if single else list_files(path):
        h.update(rel.encode())
        h.update(hashlib.sha256(read_bytes(path if single else join_uri(path, rel))).digest())
    return h.hexdigest()


def _optional_json(path: str) -> Any:
    return json.loads(read_bytes(path)) if uri_exists(path) else {}


def _sim_label_check() -> str:
    """What the sim's label check (``python -m bench.sim_labels``) measured, for cards of simulated data."""
    from importlib.resources import files

    r = json.loads(files("weldctl.curation.dataset").joinpath("sim_label_check.json").read_text())
    per = ", ".join(f"{c} {a:.2f}" for c, a in r["per_condition"].items())
    return ("Labels from sim truth: a simple classifier (logistic regression on per-weld sensor summaries, "
            f"cross-validated) reads the laser condition with accuracy {r['accuracy']:.2f} (chance "
            f"{r['chance']:.2f}; {per}) on {r['welds']} simulated welds "
            f"with parameters varied within each condition ({r['wide']['accuracy']:.2f} when the conditions' "
            f"settings approach each other), and {r['control']['accuracy']:.2f} (chance "
            f"{r['control']['chance']:.2f}) when differently labelled welds share one setting.")


def write_card(
    dataset: str | os.PathLike[str],
    out: str | os.PathLike[str],
    params_path: str | os.PathLike[str] = "params.yaml",
    channels: str | os.PathLike[str] | None = None,
) -> str:
    """DATASET.md and its PNG figures into ``out`` (a folder or URL prefix); the Markdown goes last."""
    check_destination(out)
    params = load_params(params_path)
    rows = read_rows(join_uri(dataset, MANIFEST))
    audit = json.loads(read_bytes(join_uri(dataset, AUDIT)))
    weights = json.loads(read_bytes(join_uri(dataset, WEIGHTS)))
    classes = _optional_json(join_uri(dataset, CLASSES))
    inputs = _optional_json(join_uri(dataset, INPUTS))
    splits = sorted({r["split"] for r in rows})
    labels = sorted(classes) or sorted(set(labels_carried(rows, params.split.strata)))
    by = weights.get("balance", {}).get("by") or (labels[0] if labels else "")
    figures = plots(rows, labels, by, out)
    originals = [r for r in rows if r["origin"] == "original"]
    md = ["# Dataset card", ""]
    md += what_it_is(rows, originals, labels, inputs)
    md += intended_use(rows, originals, labels, by, audit, inputs, params)
    md += ["## Samples per split (as shipped)", "",
           "Counts include the synthetic train samples (over-sampled and augmented copies); a synthetic "
           "sample names its parent, transform, parameters, seed and library versions, and "
           "`weldctl dataset replay ID` rebuilds it bit-identical.", ""]
    origin = Counter((r["split"], r["origin"]) for r in rows)
    md.append(md_table(
        ["split", "samples", "original", "oversample", "augment", "runs", "workpieces", "days"],
        [[s, sum(r["split"] == s for r in rows), origin[(s, "original")], origin[(s, "oversample")],
          origin[(s, "augment")], *(len({r[c] for r in rows if r["split"] == s}) for c in ("run_id", "workpiece",
                                                                                        "day"))]
         for s in splits]))
    for lab in labels:
        names = classes.get(lab) or sorted({str(r.get(lab)) for r in rows})
        c = Counter((r["split"], str(r.get(lab))) for r in rows)
        md += ["", f"### {lab}", "", md_table(["split", *names], [[s, *(c[(s, k)] for k in names)] for s in splits])]
    missing = missing_classes(rows, {r["sample_id"]: r["split"] for r in rows}, labels)
    for s, by_label in sorted(missing.items()):
        for lab, cls in sorted(by_label.items()):
            md += ["", f"**Warning:** split `{s}` has no sample of {lab} {', '.join(cls)}: its metrics say "
                   "nothing about that class."]
    md += ["", "## Plots", ""] + [f"![{p}]({p}.png)" for p in figures]
    md += ["", "## Label provenance", ""]
    prov = Counter((r["label_source"], r["annotators"]) for r in originals)
    md.append(md_table(["source", "annotators", "samples"], [[s, a, n] for (s, a), n in sorted(prov.items())]))
    if any(s == "truth" for s, _ in prov):
        md += ["", _sim_label_check()]
    md += audit_section(audit)
    md += balance_section(weights, by)
    md += loading_section(classes, by)
    md += inputs_section(inputs)
    if channels is not None:  # the channel-selection step's result (`weldctl dataset channels`)
        md += channels_section(_optional_json(str(channels)))
    md += ["", "## Params", "", "```yaml", yaml.safe_dump(params.model_dump(), sort_keys=True).rstrip(), "```"]
    md += ["", "## Content hashes (sha256)", ""]
    md.append(md_table(["part", "sha256"], [[s, tree_hash(join_uri(dataset, s))] for s in splits]
                     + [[MANIFEST, tree_hash(join_uri(dataset, MANIFEST))]]))
    return write_bytes(join_uri(out, "DATASET.md"), ("\n".join(md) + "\n").encode())
