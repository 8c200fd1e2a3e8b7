"""Curation: segmentation, labels, samples, splits, datasets."""
