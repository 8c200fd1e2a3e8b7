"""Curation: segmentation, labels, samples, splits, datasets."""

from ._augment import apply as apply_augment
from ._augment import draw as draw_augment
from ._card import tree_hash, write_card
from ._dataset_build import replay, run_augment, run_balance, run_build, run_split
from ._dataset_params import DatasetParams, load_params
from ._dataset_reader import DatasetSplit, iter_dataset, torch_dataset
from ._gate import GateSegment, GateThresholds, gate_segments
from ._label_file import read_labels, write_labels
from ._leak_audit import LeakError, leak_audit
from ._samples import build_samples, list_runs
from ._sampleset import DatasetError, SampleArrays, SampleSet
from ._segment_run import DEFAULT_GATES, GateChoice, SegmentParams, gate_signal, pick_gate, segment_run
from ._segments_io import SEGMENT_COLUMNS, SEGMENT_SOURCES, read_segments, segments_path, write_segments
from ._split import SplitError, assign_splits
from ._truth import labels_from_truth

__all__ = [
    "DEFAULT_GATES", "SEGMENT_COLUMNS", "SEGMENT_SOURCES", "DatasetError", "DatasetParams", "DatasetSplit",
    "GateChoice", "GateSegment", "GateThresholds", "LeakError", "SampleArrays", "SampleSet", "SegmentParams",
    "SplitError", "apply_augment", "assign_splits", "build_samples", "draw_augment", "gate_segments",
    "gate_signal", "iter_dataset", "labels_from_truth", "leak_audit", "list_runs", "load_params", "pick_gate",
    "read_labels", "read_segments", "replay", "run_augment", "run_balance", "run_build", "run_split",
    "segment_run", "segments_path", "torch_dataset", "tree_hash", "write_card",
    "write_labels", "write_segments",
]
