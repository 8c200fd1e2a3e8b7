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
    write_bytes,
)

from ._card_plots import class_matrix, group_counts, provenance
from ._dataset_build import AUDIT, MANIFEST, WEIGHTS
from ._dataset_params import load_params
from ._sampleset import read_table


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


def _sim_label_check() -> str:
    """What the sim's label check (``python -m bench.sim_labels``) measured, for cards of simulated data."""
    from importlib.resources import files

    r = json.loads(files("weldctl.curation").joinpath("sim_label_check.json").read_text())
    per = ", ".join(f"{c} {a:.2f}" for c, a in r["per_condition"].items())
    return ("Labels from sim truth: a simple classifier (logistic regression on per-weld sensor summaries, "
            f"cross-validated) reads the laser condition with accuracy {r['accuracy']:.2f} (chance "
            f"{r['chance']:.2f}; {per}) on {r['welds']} simulated welds "
            f"with parameters varied within each condition ({r['wide']['accuracy']:.2f} when the conditions' "
            f"settings approach each other), and {r['control']['accuracy']:.2f} (chance "
            f"{r['control']['chance']:.2f}) when differently labelled welds share one setting.")


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def write_card(
    dataset: str | os.PathLike[str],
    out: str | os.PathLike[str],
    params_path: str | os.PathLike[str] = "params.yaml",
) -> str:
    """DATASET.md and its PNG figures into ``out`` (a folder or URL prefix); the Markdown goes last."""
    check_destination(out)
    params = load_params(params_path)
    rows = read_table(join_uri(dataset, MANIFEST))
    audit = json.loads(read_bytes(join_uri(dataset, AUDIT)))
    weights = json.loads(read_bytes(join_uri(dataset, WEIGHTS)))
    splits = sorted({r["split"] for r in rows})
    labels = sorted(set(params.split.strata) | {params.balance.by})
    strata_x = "penetration" if "penetration" in labels else labels[0]
    class_matrix(rows, strata_x, "condition", join_uri(out, "class_by_condition.png"))
    plots = ["class_by_condition"]
    for c in ("workpiece", "run_id"):
        group_counts(rows, c, join_uri(out, f"per_{c}.png"))
        plots.append(f"per_{c}")
    provenance(rows, join_uri(out, "provenance.png"))
    plots.append("provenance")
    md = [
        "# Dataset card",
        "",
        f"{len(rows)} samples in {len(splits)} splits, built by `dvc repro` from raw runs and a labels file. "
        "Synthetic train samples (over-sampled, augmented) name their parent, transform, parameters, "
        "seed and library versions; `weldctl dataset replay ID` rebuilds any of them bit-identical.",
        "",
        "## Samples per split",
        "",
    ]
    origin = Counter((r["split"], r["origin"]) for r in rows)
    md.append(
        _table(
            ["split", "samples", "original", "oversample", "augment", "runs", "workpieces"],
            [
                [
                    s,
                    sum(r["split"] == s for r in rows),
                    origin[(s, "original")],
                    origin[(s, "oversample")],
                    origin[(s, "augment")],
                    len({r["run_id"] for r in rows if r["split"] == s}),
                    len({r["workpiece"] for r in rows if r["split"] == s}),
                ]
                for s in splits
            ],
        )
    )
    for lab in labels:
        classes = sorted({str(r.get(lab)) for r in rows})
        c = Counter((r["split"], str(r.get(lab))) for r in rows)
        md += [
            "",
            f"### {lab}",
            "",
            _table(["split", *classes], [[s, *(c[(s, k)] for k in classes)] for s in splits]),
        ]
    md += ["", "## Plots", ""] + [f"![{p}]({p}.png)" for p in plots]
    md += ["", "## Label provenance", ""]
    prov = Counter((r["label_source"], r["annotators"]) for r in rows if r["origin"] == "original")
    md.append(_table(["source", "annotators", "samples"], [[s, a, n] for (s, a), n in sorted(prov.items())]))
    if any(s == "truth" for s, _ in prov):
        md += ["", _sim_label_check()]
    md += ["", "## Leak audit", "", f"**{'passed' if audit['ok'] else 'FAILED'}**", ""]
    md.append(
        _table(
            ["group", "distinct values", "in several splits"],
            [[g, d["distinct"], len(d["in_several_splits"])] for g, d in audit["groups"].items()],
        )
    )
    md += [
        "",
        f"Overlapping time windows across splits: {len(audit['time_overlaps'])}; identical content in "
        f"several splits: {len(audit['duplicate_content'])}.",
    ]
    md += [
        "",
        "## Balance and class weights",
        "",
        "```json",
        json.dumps(weights, indent=2, sort_keys=True),
        "```",
    ]
    md += [
        "",
        "## Params",
        "",
        "```yaml",
        yaml.safe_dump(params.model_dump(), sort_keys=True).rstrip(),
        "```",
    ]
    md += ["", "## Content hashes (sha256)", ""]
    md.append(
        _table(
            ["part", "sha256"],
            [[s, tree_hash(join_uri(dataset, s))] for s in splits]
            + [[MANIFEST, tree_hash(join_uri(dataset, MANIFEST))]],
        )
    )
    return write_bytes(join_uri(out, "DATASET.md"), ("\n".join(md) + "\n").encode())
