"""Curation: import/export, derived features, plots (segmentation, labels, datasets to come)."""

from ._export import export_csv, export_hdf5
from ._import import ImportResult, align_streams, find_runs, import_run
from ._import_labels import import_label_record, merge_labels_jsonl, read_labels_jsonl
from ._import_source import SourceStream

__all__ = [
    "ImportResult", "SourceStream", "align_streams", "export_csv", "export_hdf5", "find_runs",
    "import_label_record", "import_run", "merge_labels_jsonl", "read_labels_jsonl",
]
