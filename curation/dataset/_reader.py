"""Reading a built dataset: a plain iterator for any ML stack, and an optional PyTorch Dataset."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

from weldctl.schema import glob_uri, join_uri, read_bytes, uri_exists

from ._build import CLASSES, WEIGHTS
from ._sampleset import TABLE, DatasetError, SampleSet

LABEL_KEYS = ("penetration", "porosity", "condition")


class DatasetSplit:
    """One split of a built dataset. Items: metadata + ``signals`` (T, C) + ``frames`` per image stream."""

    def __init__(self, dataset: str | os.PathLike[str], split: str) -> None:
        path = join_uri(dataset, split)
        if not uri_exists(join_uri(path, TABLE)):
            raise DatasetError(
                f"no split {split!r} in {dataset}", f"splits here: {splits_in(dataset) or 'none (run dvc pull)'}"
            )
        self.set = SampleSet(path, eager=False)  # a few samples of a big split read only their shards
        self.split = split
        self.channels = self.set.layout.channels
        wfile = join_uri(dataset, WEIGHTS)
        self.class_weights: dict[str, dict[str, float]] = (
            json.loads(read_bytes(wfile)).get("class_weights", {}) if uri_exists(wfile) else {}
        )

    def __len__(self) -> int:
        return len(self.set)

    def __getitem__(self, i: int) -> dict[str, Any]:
        row = self.set.rows[i]
        a = self.set.arrays_of(row)
        meta = {k: v for k, v in row.items() if not k.endswith(("_offset", "_len"))}
        return {**meta, "signals": a.signals, "frames": a.frames, "frames_t_ns": a.frames_t}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for i in range(len(self)):
            yield self[i]


def splits_in(dataset: str | os.PathLike[str]) -> list[str]:
    """Names of the built splits of a dataset (folders holding a samples table)."""
    return [p.split("/", 1)[0] for p in glob_uri(dataset, f"*/{TABLE}")]


def iter_dataset(dataset: str | os.PathLike[str], split: str = "train") -> Iterator[dict[str, Any]]:
    """Yield every sample of a split, in sample-id order."""
    yield from DatasetSplit(dataset, split)


def class_map(dataset: str | os.PathLike[str], label: str | None = None) -> tuple[str, list[str]]:
    """(label, its classes in index order): one map for every split of the dataset, so class 3 means the
    same in train, val and test. ``label`` None: the dataset's only label, or penetration, or quality."""
    path = join_uri(dataset, CLASSES)
    if not uri_exists(path):
        raise DatasetError(f"{dataset} has no {CLASSES}", "rebuild it with `weldctl dataset build`")
    classes: dict[str, list[str]] = json.loads(read_bytes(path))
    if label is None:
        only = list(classes) if len(classes) == 1 else []
        label = next(iter(only + [c for c in ("penetration", "quality") if c in classes]), None)
    if label is None or label not in classes:
        raise DatasetError(f"no label {label!r} in {dataset}", f"labels here: {', '.join(classes) or 'none'}")
    return label, classes[label]


def torch_dataset(dataset: str | os.PathLike[str], split: str = "train", label: str | None = None) -> Any:
    """A ``torch.utils.data.Dataset`` of (signals, frames, label index); needs the ``torch`` extra.

    The label index follows the dataset's class map (``ds.classes``, the same for every split)."""
    try:
        import torch
        from torch.utils.data import Dataset
    except ModuleNotFoundError:
        raise DatasetError("the PyTorch loader needs torch", "pip install 'weldctl[torch]'") from None

    base = DatasetSplit(dataset, split)
    key, classes = class_map(dataset, label)

    class _WeldDataset(Dataset):
        def __len__(self) -> int:
            return len(base)

        def __getitem__(self, i: int) -> dict[str, Any]:
            item = base[i]
            return {
                "signals": torch.from_numpy(item["signals"]),
                "frames": {k: torch.from_numpy(v) for k, v in item["frames"].items()},
                "label": classes.index(str(item[key])),
                "sample_id": item["sample_id"],
            }

    ds = _WeldDataset()
    ds.classes = classes  # type: ignore[attr-defined]
    ds.label = key  # type: ignore[attr-defined]
    return ds
