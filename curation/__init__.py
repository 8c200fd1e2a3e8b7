"""Curation: segmentation, labels, samples, splits, datasets."""

from ._augment import apply as apply_augment
from ._augment import draw as draw_augment
from ._card import tree_hash, write_card
from ._channel_select import pearson_scores, run_channel_select, select_channels
from ._dataset_build import replay, run_augment, run_balance, run_build, run_split
from ._dataset_params import DatasetParams, load_params, read_params_doc
from ._dataset_reader import DatasetSplit, class_map, iter_dataset, torch_dataset
from ._executor import READ_THREADS, map_items, scheduler_address
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
from ._gate import GateScanner, GateSegment, GateThresholds, gate_segments
from ._import import ImportResult, align_streams, find_runs, import_run
from ._import_labels import import_label_record, merge_labels_jsonl, read_labels_jsonl
from ._import_source import SourceStream
from ._label_choice import chosen_labels
from ._label_rules import label_problems, with_problems
from ._label_status import LabelStatus, label_status
from ._leak_audit import LeakError, leak_audit
from ._ls_client import LabelStudioError, LabelStudioSettings, connect, ls_errors
from ._ls_config import TIME_COLUMN, TS_NAME, SignalColumn, label_config
from ._ls_pull import Agreement, agreement, merge_records, pull_records
from ._ls_push import PREDICTION_PREFIX, PushOptions, PushReport, find_project, push_welds
from ._plots import PanelInfo, QuicklookResult, Segment, laser_segments, load_segments
from ._quicklook import quicklook
from ._resample import band_limited
from ._samples import build_samples, list_runs
from ._sampleset import DatasetError, SampleArrays, SampleSet
from ._segment_run import DEFAULT_GATES, GateChoice, SegmentParams, gate_signal, pick_gate, segment_run, segment_uri
from ._segments_io import (
    SEGMENT_COLUMNS,
    SEGMENT_SOURCES,
    read_segments,
    segment_tables,
    segments_path,
    write_segments,
)
from ._signals import Signal, find_signal, read_signal
from ._spectral_features import (
    continuum_temperature,
    electron_temperature,
    line_intensity,
    read_spectra,
    spectral_features,
    spectrometer_streams,
)
from ._split import SplitError, assign_splits, missing_classes
from ._truth import labels_from_truth

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
    "continuum_temperature",
    "draw_augment",
    "eemd",
    "electron_temperature",
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
    "line_intensity",
    "list_runs",
    "load_params",
    "load_segments",
    "ls_errors",
    "map_items",
    "mel_spectrogram",
    "merge_labels_jsonl",
    "merge_records",
    "missing_classes",
    "pearson_scores",
    "pick_gate",
    "pull_records",
    "push_welds",
    "quicklook",
    "read_labels_jsonl",
    "read_params_doc",
    "read_segments",
    "read_signal",
    "read_spectra",
    "replay",
    "run_augment",
    "run_balance",
    "run_build",
    "run_channel_select",
    "run_split",
    "scheduler_address",
    "segment_run",
    "segment_tables",
    "segment_uri",
    "segments_path",
    "select_channels",
    "sliding_stats",
    "spectral_features",
    "spectrometer_streams",
    "torch_dataset",
    "tree_hash",
    "with_problems",
    "write_card",
    "write_features",
    "write_segments",
]
