"""Curation: segmentation, labels, samples, splits, datasets."""

from ._gate import GateSegment, GateThresholds, gate_segments
from ._segment_run import DEFAULT_GATES, GateChoice, SegmentParams, gate_signal, pick_gate, segment_run
from ._segments_io import SEGMENT_COLUMNS, SEGMENT_SOURCES, read_segments, segments_path, write_segments

__all__ = [
    "DEFAULT_GATES", "SEGMENT_COLUMNS", "SEGMENT_SOURCES", "GateChoice", "GateSegment", "GateThresholds",
    "SegmentParams", "gate_segments", "gate_signal", "pick_gate", "read_segments", "segment_run",
    "segments_path", "write_segments",
]
