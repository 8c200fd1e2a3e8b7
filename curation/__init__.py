"""Curation: import/export, derived features, plots (segmentation, labels, datasets to come)."""

from ._executor import map_items, scheduler_address
from ._export import export_csv, export_hdf5
from ._features import (
    BandParams,
    MelParams,
    MorphologyParams,
    WindowParams,
    band_energies,
    eemd,
    frame_morphology,
    mel_spectrogram,
    sliding_stats,
)
from ._features_run import FeatureParams, compute_features, write_features
from ._import import ImportResult, align_streams, find_runs, import_run
from ._import_labels import import_label_record, merge_labels_jsonl, read_labels_jsonl
from ._import_source import SourceStream
from ._plots import PanelInfo, QuicklookResult, Segment, laser_segments, load_segments
from ._quicklook import quicklook
from ._signals import Signal, find_signal, read_signal

__all__ = [
    "BandParams", "FeatureParams", "ImportResult", "MelParams", "MorphologyParams", "PanelInfo",
    "QuicklookResult", "Segment", "Signal", "SourceStream", "WindowParams", "align_streams", "band_energies",
    "compute_features", "eemd", "export_csv", "export_hdf5", "find_runs", "find_signal", "frame_morphology",
    "import_label_record", "import_run", "laser_segments", "load_segments", "map_items", "mel_spectrogram",
    "merge_labels_jsonl", "quicklook", "read_labels_jsonl", "read_signal", "scheduler_address", "sliding_stats",
    "write_features",
]
