"""Curation: segmentation, labels, samples, splits, datasets."""

from ._executor import map_items, scheduler_address
from ._gate import GateSegment, GateThresholds, gate_segments
from ._label_status import LabelStatus, label_status
from ._ls_client import LabelStudioError, LabelStudioSettings, connect, ls_errors
from ._ls_config import TIME_COLUMN, TS_NAME, SignalColumn, label_config
from ._ls_pull import Agreement, agreement, merge_records, pull_records
from ._ls_push import PREDICTION_PREFIX, PushOptions, PushReport, find_project, push_welds
from ._segment_run import DEFAULT_GATES, GateChoice, SegmentParams, gate_signal, pick_gate, segment_run
from ._segments_io import SEGMENT_COLUMNS, SEGMENT_SOURCES, read_segments, segments_path, write_segments

__all__ = [
    "DEFAULT_GATES",
    "PREDICTION_PREFIX",
    "SEGMENT_COLUMNS",
    "SEGMENT_SOURCES",
    "TIME_COLUMN",
    "TS_NAME",
    "Agreement",
    "GateChoice",
    "GateSegment",
    "GateThresholds",
    "LabelStatus",
    "LabelStudioError",
    "LabelStudioSettings",
    "PushOptions",
    "PushReport",
    "SegmentParams",
    "SignalColumn",
    "agreement",
    "connect",
    "find_project",
    "gate_segments",
    "gate_signal",
    "label_config",
    "label_status",
    "ls_errors",
    "map_items",
    "merge_records",
    "pick_gate",
    "pull_records",
    "push_welds",
    "read_segments",
    "scheduler_address",
    "segment_run",
    "segments_path",
    "write_segments",
]
