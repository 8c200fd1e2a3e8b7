"""Curation: segmentation, labels, samples, splits, datasets."""

from ._augment import apply as apply_augment
from ._augment import draw as draw_augment
from ._card import tree_hash, write_card
from ._dataset_build import replay, run_augment, run_balance, run_build, run_split
from ._dataset_params import DatasetParams, load_params, read_params_doc
from ._dataset_reader import DatasetSplit, class_map, iter_dataset, torch_dataset
from ._export import export_csv, export_hdf5
from ._import import ImportResult, align_streams, find_runs, import_run
from ._import_labels import import_label_record, merge_labels_jsonl, read_labels_jsonl
from ._import_source import SourceStream
from ._label_choice import chosen_labels
from ._leak_audit import LeakError, leak_audit
from ._ls_client import LabelStudioError, LabelStudioSettings, connect, ls_errors
from ._ls_config import TIME_COLUMN, TS_NAME, SignalColumn, label_config
from ._ls_pull import Agreement, agreement, merge_records, pull_records
from ._ls_push import PREDICTION_PREFIX, PushOptions, PushReport, find_project, push_welds
from ._plots import PanelInfo, QuicklookResult, Segment, laser_segments, load_segments
from ._quicklook import quicklook
from ._samples import build_samples, list_runs
from ._sampleset import DatasetError, SampleArrays, SampleSet
from ._split import SplitError, assign_splits, missing_classes
from .core import READ_THREADS, Signal, band_limited, find_signal, map_items, read_signal, scheduler_address
from .features import (
    BandParams,
    FeatureParams,
    MelParams,
    MorphologyParams,
    WindowParams,
    band_energies,
    compute_features,
    eemd,
    frame_morphology,
    mel_spectrogram,
    sliding_stats,
    write_features,
)
from .labels import LabelStatus, label_problems, label_status, labels_from_truth, with_problems
from .segment import (
    DEFAULT_GATES,
    SEGMENT_COLUMNS,
    SEGMENT_SOURCES,
    GateChoice,
    GateScanner,
    GateSegment,
    GateThresholds,
    SegmentParams,
    gate_segments,
    gate_signal,
    pick_gate,
    read_segments,
    segment_run,
    segment_tables,
    segment_uri,
    segments_path,
    write_segments,
)

__all__ = [
    "DEFAULT_GATES",
    "PREDICTION_PREFIX",
    "READ_THREADS",
    "SEGMENT_COLUMNS",
    "SEGMENT_SOURCES",
    "TIME_COLUMN",
    "TS_NAME",
    "Agreement",
    "BandParams",
    "DatasetError",
    "DatasetParams",
    "DatasetSplit",
    "FeatureParams",
    "GateChoice",
    "GateScanner",
    "GateSegment",
    "GateThresholds",
    "ImportResult",
    "LabelStatus",
    "LabelStudioError",
    "LabelStudioSettings",
    "LeakError",
    "MelParams",
    "MorphologyParams",
    "PanelInfo",
    "PushOptions",
    "PushReport",
    "QuicklookResult",
    "SampleArrays",
    "SampleSet",
    "Segment",
    "SegmentParams",
    "Signal",
    "SignalColumn",
    "SourceStream",
    "SplitError",
    "WindowParams",
    "agreement",
    "align_streams",
    "apply_augment",
    "assign_splits",
    "band_energies",
    "band_limited",
    "build_samples",
    "chosen_labels",
    "class_map",
    "compute_features",
    "connect",
    "draw_augment",
    "eemd",
    "export_csv",
    "export_hdf5",
    "find_project",
    "find_runs",
    "find_signal",
    "frame_morphology",
    "gate_segments",
    "gate_signal",
    "import_label_record",
    "import_run",
    "iter_dataset",
    "label_config",
    "label_problems",
    "label_status",
    "labels_from_truth",
    "laser_segments",
    "leak_audit",
    "list_runs",
    "load_params",
    "load_segments",
    "ls_errors",
    "map_items",
    "mel_spectrogram",
    "merge_labels_jsonl",
    "merge_records",
    "missing_classes",
    "pick_gate",
    "pull_records",
    "push_welds",
    "quicklook",
    "read_labels_jsonl",
    "read_params_doc",
    "read_segments",
    "read_signal",
    "replay",
    "run_augment",
    "run_balance",
    "run_build",
    "run_split",
    "scheduler_address",
    "segment_run",
    "segment_tables",
    "segment_uri",
    "segments_path",
    "sliding_stats",
    "torch_dataset",
    "tree_hash",
    "with_problems",
    "write_card",
    "write_features",
    "write_segments",
]
