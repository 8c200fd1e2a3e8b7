"""Reading a built dataset: a plain iterator for any ML stack, and an optional PyTorch Dataset."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ._dataset_build import WEIGHTS
from ._sampleset import DatasetError, SampleSet

LABEL_KEYS = ("penetration", "porosity", "condition")


class DatasetSplit:
    """One split of a built dataset. Items: metadata + ``signals`` (T, C) + ``frames`` per image stream."""

    def __init__(self, dataset: str | os.PathLike[str], split: str) -> None:
        path = Path(dataset) / split
        if not path.exists():
            have = (
                sorted(p.name for p in Path(dataset).iterdir() if p.is_dir())
                if Path(dataset).exists()
                else []
            )
            raise DatasetError(
                f"no split {split!r} in {dataset}", f"splits here: {have or 'none (run dvc pull)'}"
            )
        self.set = SampleSet(path, eager=False)
        self.split = split
        self.channels = self.set.layout.channels
        wfile = Path(dataset) / WEIGHTS
        self.class_weights: dict[str, dict[str, float]] = (
            json.loads(wfile.read_text()).get("class_weights", {}) if wfile.exists() else {}
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


def iter_dataset(dataset: str | os.PathLike[str], split: str = "train") -> Iterator[dict[str, Any]]:
    """Yield every sample of a split, in sample-id order."""
    yield from DatasetSplit(dataset, split)


def torch_dataset(dataset: str | os.PathLike[str], split: str = "train", label: str = "penetration") -> Any:
    """A ``torch.utils.data.Dataset`` of (signals, frames, label index); needs the ``torch`` extra."""
    try:
        import torch
        from torch.utils.data import Dataset
    except ModuleNotFoundError:
        raise DatasetError("the PyTorch loader needs torch", "pip install 'weldctl[torch]'") from None

    base = DatasetSplit(dataset, split)
    classes = sorted({str(r[label]) for r in base.set.rows})

    class _WeldDataset(Dataset):  # type: ignore[misc]
        def __len__(self) -> int:
            return len(base)

        def __getitem__(self, i: int) -> dict[str, Any]:
            item = base[i]
            return {
                "signals": torch.from_numpy(item["signals"]),
                "frames": {k: torch.from_numpy(v) for k, v in item["frames"].items()},
                "label": classes.index(str(item[label])),
                "sample_id": item["sample_id"],
            }

    ds = _WeldDataset()
    ds.classes = classes  # type: ignore[attr-defined]
    return ds
