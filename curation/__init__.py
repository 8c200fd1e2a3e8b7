"""Curation: segmentation, labels, samples, splits, datasets."""

from ._augment import apply as apply_augment
from ._augment import draw as draw_augment
from ._card import tree_hash, write_card
from ._dataset_build import replay, run_augment, run_balance, run_build, run_split
from ._dataset_params import DatasetParams, load_params
from ._dataset_reader import DatasetSplit, iter_dataset, torch_dataset
from ._gate import GateSegment, GateThresholds, gate_segments
from ._label_choice import chosen_labels
from ._label_status import LabelStatus, label_status
from ._leak_audit import LeakError, leak_audit
from ._ls_client import LabelStudioError, LabelStudioSettings, connect, ls_errors
from ._ls_config import TIME_COLUMN, TS_NAME, SignalColumn, label_config
from ._ls_pull import Agreement, agreement, merge_records, pull_records
from ._ls_push import PREDICTION_PREFIX, PushOptions, PushReport, find_project, push_welds
from ._samples import build_samples, list_runs
from ._sampleset import DatasetError, SampleArrays, SampleSet
from ._segment_run import DEFAULT_GATES, GateChoice, SegmentParams, gate_signal, pick_gate, segment_run
from ._segments_io import SEGMENT_COLUMNS, SEGMENT_SOURCES, read_segments, segments_path, write_segments
from ._split import SplitError, assign_splits
from ._truth import labels_from_truth

__all__ = [
    "DEFAULT_GATES", "PREDICTION_PREFIX", "SEGMENT_COLUMNS", "SEGMENT_SOURCES", "TIME_COLUMN", "TS_NAME",
    "Agreement", "DatasetError", "DatasetParams", "DatasetSplit", "GateChoice", "GateSegment",
    "GateThresholds",
    "LabelStatus", "LabelStudioError", "LabelStudioSettings", "LeakError", "PushOptions", "PushReport",
    "SampleArrays", "SampleSet", "SegmentParams", "SignalColumn", "SplitError", "agreement", "apply_augment",
    "assign_splits", "build_samples", "chosen_labels", "connect", "draw_augment", "find_project",
    "gate_segments", "gate_signal", "iter_dataset", "label_config", "label_status", "labels_from_truth",
    "leak_audit", "list_runs", "load_params", "ls_errors", "merge_records", "pick_gate", "pull_records",
    "push_welds", "read_segments", "replay", "run_augment", "run_balance", "run_build", "run_split",
    "segment_run", "segments_path", "torch_dataset", "tree_hash", "write_card", "write_segments",
]
