"""Curation: segmentation, labels, samples, splits, datasets."""

from ._executor import map_items, scheduler_address

__all__ = ["map_items", "scheduler_address"]
