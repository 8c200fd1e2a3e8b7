"""Foreign formats in and out: recordings made without weldctl (CSV, HDF5, TDMS, audio, video, image folders)
imported into a run store with their labels, and a run exported to HDF5 or CSV.

A new import format is one ``_read_<format>.py`` module returning a ``SourceStream``, its name in the reader
table of ``_import._read_stream`` and in the mapping schema's ``reader`` choices.
"""

from ._export import export_csv, export_hdf5
from ._import import ImportResult, align_streams, find_runs, import_run
from ._import_labels import import_label_record, merge_labels_jsonl, read_labels_jsonl
from ._source import SourceStream

__all__ = [
    "ImportResult",
    "SourceStream",
    "align_streams",
    "export_csv",
    "export_hdf5",
    "find_runs",
    "import_label_record",
    "import_run",
    "merge_labels_jsonl",
    "read_labels_jsonl",
]
