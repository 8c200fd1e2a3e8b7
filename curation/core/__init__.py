"""Shared low-level parts of curation: whole-file Parquet tables, the parallel map with progress, band-limited
resampling, signals read from a run store, and vendor modules imported on demand.

Every other curation package may use these; this package uses none of them.
"""

from ._executor import READ_THREADS, iter_items, map_items, scheduler_address
from ._parquet_io import read_parquet, write_parquet
from ._resample import band_limited, on_axis
from ._signals import Signal, channels_of, find_signal, frame_streams, read_signal
from ._vendor import need_module

__all__ = [
    "READ_THREADS",
    "Signal",
    "band_limited",
    "channels_of",
    "find_signal",
    "frame_streams",
    "iter_items",
    "map_items",
    "need_module",
    "on_axis",
    "read_parquet",
    "read_signal",
    "scheduler_address",
    "write_parquet",
]
