"""The dataset stages after ``samples``: split, balance, augment, build, and replay of augmented samples."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from functools import partial
from typing import Any

from weldctl.schema import absolute_uri, check_destination, join_uri, list_files, read_bytes, remove_uri, write_bytes

from ..core import map_items
from ._augment import apply, draw, library_versions, sample_seed
from ._balance import balance_label, balance_train, class_weights
from ._leak_audit import leak_audit, raise_on_leak
from ._params import DatasetParams
from ._sampleset import DatasetError, SampleSet, read_rows, write_rows
from ._sampleset_write import SampleSetWriter
from ._split import assign_splits, labels_carried, missing_classes, separable_groups

MANIFEST = "manifest.parquet"
AUDIT = "audit.json"
WEIGHTS = "class_weights.json"
CLASSES = "classes.json"  # label -> its classes over every split: one class index map for all of them
INPUTS = "inputs.json"  # what the dataset was made from: run checksum digests, labels file hash, layout
COUNTS = "counts.json"  # samples, files and classes per split, the leak audit and missing classes, in full
SAMPLES, AUGMENTED = "samples", "augmented"

Uri = str | os.PathLike[str]


def _dump_json(obj: Any, path: Uri) -> None:
    write_bytes(path, (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode())


def _check_outputs(*uris: Uri) -> None:
    """Before any work: an unusable object-storage output fails now, with nothing written anywhere."""
    for uri in uris:
        check_destination(uri)


def _read_split(path: Uri) -> dict[str, str]:
    return {r["sample_id"]: r["split"] for r in read_rows(path)}


def run_split(samples: Uri, params: DatasetParams, out: Uri) -> dict[str, Any]:
    """Assign every sample to a split. One global pass over the row table (no arrays): in-process only.

    Returns the samples per split, the classes a split lacks, and the groups that no split can keep apart
    (one value for every sample)."""
    _check_outputs(out)
    rows = SampleSet(samples).rows
    assignment = assign_splits(rows, params.split)
    write_rows([{"sample_id": s, "split": assignment[s]} for s in sorted(assignment)], out)
    counts: dict[str, int] = defaultdict(int)
    for s in assignment.values():
        counts[s] += 1
    return {
        "counts": dict(sorted(counts.items())),
        "missing_classes": missing_classes(rows, assignment, params.split.strata),
        "not_separable": separable_groups(rows, params.split.groups)[1],
    }


def label_columns(params: DatasetParams, rows: list[dict[str, Any]]) -> list[str]:
    """The label columns these samples carry: the strata and the balanced label."""
    return sorted(set(labels_carried(rows, params.split.strata)) | {balance_label(rows, params.balance)})


def run_balance(samples: Uri, split: Uri, params: DatasetParams, out: Uri, weights_out: Uri) -> dict[str, Any]:
    """Balanced train rows, and class weights of the balanced train split before augmentation (``build``
    ships the weights of the train split as it is packed)."""
    _check_outputs(out, weights_out)
    rows = SampleSet(samples).rows
    balanced, report = balance_train(rows, _read_split(split), params.balance)
    write_rows(balanced, out)
    by_id = {r["sample_id"]: r for r in rows}
    full = [by_id[b["parent_id"] or b["sample_id"]] for b in balanced]
    _dump_json({"balance": report, "class_weights": class_weights(full, label_columns(params, rows))},
               weights_out)
    return report


def run_augment(samples: Uri, balance: Uri, params: DatasetParams, out: Uri) -> int:
    """Materialise the synthetic train samples: every over-sampled copy, plus ``copies`` per original."""
    _check_outputs(out)
    src = SampleSet(samples)
    bal = read_rows(balance)
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


class _Sources:
    """The sample sets a build packs from, each opened once per process.

    In-process every split task shares one instance, so each set's arrays are read once. A Dask task
    gets a pickled copy without the open sets and opens them where it runs (by absolute URI).
    """

    def __init__(self, uris: dict[str, str]) -> None:
        self.uris = uris
        self._open: dict[str, SampleSet] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"uris": self.uris}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["uris"])  # type: ignore[misc]

    def __getitem__(self, name: str) -> SampleSet:
        if name not in self._open:
            self._open[name] = SampleSet(self.uris[name])
        return self._open[name]


SplitJob = tuple[str, list[tuple[str, str]]]  # (split, [(source, sample_id), ...])


def _pack_split(job: SplitJob, sources: _Sources, out: str) -> tuple[list[dict[str, Any]], int]:
    """Write one split store; (its rows, its file count). Pure in its inputs: safe as a (retried) Dask task."""
    split, items = job
    writer = SampleSetWriter(sources[SAMPLES].layout)
    for source, sample_id in items:
        owner = sources[source]
        r = owner.by_id[sample_id]
        row = {k: v for k, v in r.items() if not k.endswith(("_offset", "_len")) and k != "content_hash"}
        writer.add(dict(row, split=split), owner.arrays_of(r))
    dest = join_uri(out, split)
    writer.write(dest, {"split": split})
    return writer.rows, len(list_files(dest))


def run_build(
    samples: Uri,
    split: Uri,
    balance: Uri,
    augmented: Uri,
    weights: Uri,
    params: DatasetParams,
    out: Uri,
    metrics_out: Uri,
    scheduler: str | None = None,
) -> dict[str, Any]:
    """Packed split stores + manifest + audit; fails (and writes nothing) if the audit finds a leak.

    Packing runs one task per split (on Dask with a scheduler); the manifest is written after every split
    and the metrics last, so a dataset with a manifest is complete.
    """
    _check_outputs(out, metrics_out)
    sources = _Sources({SAMPLES: absolute_uri(samples), AUGMENTED: absolute_uri(augmented)})
    src, aug = sources[SAMPLES], sources[AUGMENTED]
    assignment = _read_split(split)
    keep_train = {b["sample_id"] for b in read_rows(balance)}
    class_weights_doc = json.loads(read_bytes(weights))
    per_split: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in src.rows:
        s = assignment.get(r["sample_id"])
        if s is None:
            raise DatasetError(f"sample {r['sample_id']} has no split", "re-run `weldctl dataset split`")
        if s != "train" or r["sample_id"] in keep_train:
            per_split[s].append((SAMPLES, r["sample_id"]))
    for r in aug.rows:
        per_split["train"].append((AUGMENTED, r["sample_id"]))
    # Audit the split as assigned (train samples dropped by under-sampling included) plus every synthetic row.
    audited = [dict(r, split=assignment[r["sample_id"]]) for r in src.rows]
    audited += [dict(r, split="train") for r in aug.rows]
    report = leak_audit(audited, params.split.audit)
    raise_on_leak(report)
    labels = label_columns(params, src.rows)
    missing = missing_classes(src.rows, assignment, labels)
    if missing and params.split.missing_classes == "fail":
        s, by_label = next(iter(sorted(missing.items())))
        lab, classes = next(iter(sorted(by_label.items())))
        gaps = sum(len(v) for v in missing.values())
        raise DatasetError(
            f"split {s} has no sample of {lab} {', '.join(classes)}"
            + (f" (and {gaps - 1} more split/label gaps)" if gaps > 1 else ""),
            "record more runs of that class, change split.seed or fractions, or set split.missing_classes: warn",
        )
    remove_uri(join_uri(out, MANIFEST))  # until the new manifest is written, the dataset reads as incomplete
    jobs = sorted(per_split.items())
    packed = map_items(partial(_pack_split, sources=sources, out=absolute_uri(out)), jobs, label="build",
                       scheduler=scheduler)
    metrics: dict[str, Any] = {"splits": {}, "leak_audit_ok": report["ok"], "missing_classes": missing}
    manifest: list[dict[str, Any]] = []
    for (s, items), (rows, files) in zip(jobs, packed, strict=True):
        if files > params.build.max_files_per_split:
            raise DatasetError(
                f"split {s} has {files} files, over build.max_files_per_split="
                f"{params.build.max_files_per_split}",
                "raise the bound or use fewer image streams",
            )
        manifest += rows
        metrics["splits"][s] = {
            "samples": len(items),
            "files": files,
            **{c: _counts(rows, c) for c in labels},
        }
    shipped_train = [r for r in manifest if r["split"] == "train"]
    # Weights of the train split as shipped (after over-sampling and augmentation), not as balanced.
    weights_doc = {
        "balance": class_weights_doc.get("balance", {}),
        "train_as_shipped": {c: _counts(shipped_train, c) for c in labels},
        "class_weights": class_weights(shipped_train, labels),
    }
    _dump_json(report, join_uri(out, AUDIT))
    _dump_json(weights_doc, join_uri(out, WEIGHTS))
    _dump_json({c: sorted({str(r.get(c)) for r in manifest}) for c in labels}, join_uri(out, CLASSES))
    _dump_json({
        "runs": dict(sorted({r["run_id"]: r.get("run_sha256", "") for r in src.rows}.items())),
        "labels_sha256": src.group.attrs.get("labels_sha256", ""),
        "dropped_streams": src.group.attrs.get("dropped_streams", {}),
        "layout": src.layout.to_attrs(),
    }, join_uri(out, INPUTS))
    _dump_json(metrics, join_uri(out, COUNTS))
    write_rows(sorted(manifest, key=lambda r: (r["split"], r["sample_id"])), join_uri(out, MANIFEST))
    _dump_json(flat_metrics(metrics), metrics_out)
    return metrics


def flat_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    """The headline figures, one level deep, so `dvc metrics show` prints one short row (and `dvc metrics diff`
    one line each): samples per split, the most files a split has, whether the leak audit passed, how many
    split/label/class combinations are missing. Class counts per split are in the dataset's counts.json and card."""
    splits = metrics["splits"]
    flat: dict[str, Any] = {s: splits[s]["samples"] for s in sorted(splits)}
    flat["files"] = max((v["files"] for v in splits.values()), default=0)  # what build.max_files_per_split bounds
    flat["leak_free"] = bool(metrics["leak_audit_ok"])
    flat["class_gaps"] = sum(len(v) for by_label in metrics["missing_classes"].values() for v in by_label.values())
    return flat


def _counts(rows: list[dict[str, Any]], col: str) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for r in rows:
        out[str(r.get(col))] += 1
    return dict(sorted(out.items()))


def replay(dataset: Uri, sample_id: str) -> tuple[bool, str]:
    """Rebuild an augmented sample from its parent; (identical?, explanation)."""
    manifest = join_uri(dataset, MANIFEST)
    rows = {r["sample_id"]: r for r in read_rows(manifest)}
    row = rows.get(sample_id)
    if row is None:
        raise DatasetError(f"no sample {sample_id!r} in {dataset}", f"ids are in {manifest}")
    if row.get("origin", "original") == "original":
        raise DatasetError(
            f"{sample_id} is an original sample, not a synthetic one",
            "replay an id with origin oversample or augment",
        )
    store = SampleSet(join_uri(dataset, row["split"]))
    parent = store.arrays(row["parent_id"])
    rebuilt = apply(
        parent, json.loads(row["transform_params"]), int(row["seed"]), store.layout.signal_rate_hz
    )
    stored = store.arrays(sample_id)
    same = rebuilt.content_hash() == stored.content_hash() == row["content_hash"]
    now = library_versions()
    note = "" if now == row["lib_version"] else f" (recorded with {row['lib_version']}, now {now})"
    return same, f"{sample_id} <- {row['parent_id']} [{row['transform']}] seed={row['seed']}{note}"
