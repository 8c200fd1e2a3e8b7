"""The dataset stages after ``samples``: split, balance, augment, build, and replay of augmented samples."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

from ._augment import apply, draw, library_versions, sample_seed
from ._balance import balance_train, class_weights
from ._dataset_params import DatasetParams
from ._leak_audit import leak_audit, raise_on_leak
from ._sampleset import DatasetError, SampleSet, SampleSetWriter, read_table, write_table
from ._split import assign_splits

MANIFEST = "manifest.parquet"
AUDIT = "audit.json"
WEIGHTS = "class_weights.json"


def _dump_json(obj: Any, path: str | os.PathLike[str]) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")


def _read_split(path: str | os.PathLike[str]) -> dict[str, str]:
    return {r["sample_id"]: r["split"] for r in read_table(path)}


def run_split(
    samples: str | os.PathLike[str], params: DatasetParams, out: str | os.PathLike[str]
) -> dict[str, Any]:
    rows = SampleSet(samples).rows
    assignment = assign_splits(rows, params.split)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    write_table([{"sample_id": s, "split": assignment[s]} for s in sorted(assignment)], out)
    counts: dict[str, int] = defaultdict(int)
    for s in assignment.values():
        counts[s] += 1
    return dict(sorted(counts.items()))


def label_columns(params: DatasetParams) -> list[str]:
    return sorted(set(params.split.strata) | {params.balance.by})


def run_balance(
    samples: str | os.PathLike[str],
    split: str | os.PathLike[str],
    params: DatasetParams,
    out: str | os.PathLike[str],
    weights_out: str | os.PathLike[str],
) -> dict[str, Any]:
    rows = SampleSet(samples).rows
    balanced, report = balance_train(rows, _read_split(split), params.balance)
    write_table(balanced, out)
    by_id = {r["sample_id"]: r for r in rows}
    full = [by_id[b["parent_id"] or b["sample_id"]] for b in balanced]
    _dump_json({"balance": report, "class_weights": class_weights(full, label_columns(params))}, weights_out)
    return report


def run_augment(
    samples: str | os.PathLike[str],
    balance: str | os.PathLike[str],
    params: DatasetParams,
    out: str | os.PathLike[str],
) -> int:
    """Materialise the synthetic train samples: every over-sampled copy, plus ``copies`` per original."""
    src = SampleSet(samples)
    bal = read_table(balance)
    todo = [(b["sample_id"], b["parent_id"], "oversample") for b in bal if b["origin"] == "oversample"]
    todo += [
        (f"{b['sample_id']}~a{k}", b["sample_id"], "augment")
        for b in bal
        if b["origin"] == "original"
        for k in range(params.augment.copies)
    ]
    writer = SampleSetWriter(src.layout)
    versions = library_versions()
    for sid, parent_id, origin in todo:
        parent = src.by_id[parent_id]
        seed = sample_seed(params.augment.seed, sid)
        chain = draw(params.augment, seed, len(src.layout.channels))
        arrays = apply(src.arrays_of(parent), chain, seed, src.layout.signal_rate_hz)
        row = {k: v for k, v in parent.items() if not k.endswith(("_offset", "_len")) and k != "content_hash"}
        row.update(
            sample_id=sid,
            parent_id=parent_id,
            origin=origin,
            transform="+".join(chain) or "identity",
            transform_params=json.dumps(chain, sort_keys=True),
            seed=seed,
            lib_version=versions,
        )
        writer.add(row, arrays)
    writer.write(out, {"params": params.augment.model_dump()})
    return len(todo)


def run_build(
    samples: str | os.PathLike[str],
    split: str | os.PathLike[str],
    balance: str | os.PathLike[str],
    augmented: str | os.PathLike[str],
    weights: str | os.PathLike[str],
    params: DatasetParams,
    out: str | os.PathLike[str],
    metrics_out: str | os.PathLike[str],
) -> dict[str, Any]:
    """Packed split stores + manifest + audit; fails (and writes nothing) if the audit finds a leak."""
    src, aug = SampleSet(samples), SampleSet(augmented)
    assignment = _read_split(split)
    keep_train = {b["sample_id"] for b in read_table(balance)}
    per_split: dict[str, list[tuple[dict[str, Any], SampleSet]]] = defaultdict(list)
    for r in src.rows:
        s = assignment.get(r["sample_id"])
        if s is None:
            raise DatasetError(f"sample {r['sample_id']} has no split", "re-run `weldctl dataset split`")
        if s != "train" or r["sample_id"] in keep_train:
            per_split[s].append((r, src))
    for r in aug.rows:
        per_split["train"].append((r, aug))
    # Audit the split as assigned (train samples dropped by under-sampling included) plus every synthetic row.
    audited = [dict(r, split=assignment[r["sample_id"]]) for r in src.rows]
    audited += [dict(r, split="train") for r in aug.rows]
    report = leak_audit(audited, params.split.audit)
    raise_on_leak(report)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    metrics: dict[str, Any] = {"splits": {}, "leak_audit_ok": report["ok"]}
    manifest: list[dict[str, Any]] = []
    for s, items in sorted(per_split.items()):
        writer = SampleSetWriter(src.layout)
        for r, owner in items:
            row = {k: v for k, v in r.items() if not k.endswith(("_offset", "_len")) and k != "content_hash"}
            writer.add(dict(row, split=s), owner.arrays_of(r))
        writer.write(out / s, {"split": s})
        manifest += writer.rows
        files = sum(len(f) for _, _, f in os.walk(out / s))
        if files > params.build.max_files_per_split:
            raise DatasetError(
                f"split {s} has {files} files, over build.max_files_per_split="
                f"{params.build.max_files_per_split}",
                "raise the bound or use fewer image streams",
            )
        metrics["splits"][s] = {
            "samples": len(items),
            "files": files,
            **{c: _counts(writer.rows, c) for c in label_columns(params)},
        }
    write_table(sorted(manifest, key=lambda r: (r["split"], r["sample_id"])), out / MANIFEST)
    _dump_json(report, out / AUDIT)
    _dump_json(json.loads(Path(weights).read_text()), out / WEIGHTS)
    _dump_json(metrics, metrics_out)
    return metrics


def _counts(rows: list[dict[str, Any]], col: str) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for r in rows:
        out[str(r.get(col))] += 1
    return dict(sorted(out.items()))


def replay(dataset: str | os.PathLike[str], sample_id: str) -> tuple[bool, str]:
    """Rebuild an augmented sample from its parent; (identical?, explanation)."""
    rows = {r["sample_id"]: r for r in read_table(Path(dataset) / MANIFEST)}
    row = rows.get(sample_id)
    if row is None:
        raise DatasetError(f"no sample {sample_id!r} in {dataset}", f"ids are in {Path(dataset) / MANIFEST}")
    if row.get("origin", "original") == "original":
        raise DatasetError(
            f"{sample_id} is an original sample, not a synthetic one",
            "replay an id with origin oversample or augment",
        )
    store = SampleSet(Path(dataset) / row["split"])
    parent = store.arrays(row["parent_id"])
    rebuilt = apply(
        parent, json.loads(row["transform_params"]), int(row["seed"]), store.layout.signal_rate_hz
    )
    stored = store.arrays(sample_id)
    same = rebuilt.content_hash() == stored.content_hash() == row["content_hash"]
    now = library_versions()
    note = "" if now == row["lib_version"] else f" (recorded with {row['lib_version']}, now {now})"
    return same, f"{sample_id} <- {row['parent_id']} [{row['transform']}] seed={row['seed']}{note}"
