"""Segmentation: the welds of a run found on a gate signal (laser-on line or a thresholded sensor), and the
segments table written next to the dataset."""

from ._gate import GateScanner, GateSegment, GateThresholds, gate_segments
from ._run import DEFAULT_GATES, GateChoice, SegmentParams, gate_signal, pick_gate, segment_run, segment_uri
from ._segments_io import (
    SEGMENT_COLUMNS,
    SEGMENT_SOURCES,
    read_segments,
    segment_tables,
    segments_path,
    write_segments,
)

__all__ = [
    "DEFAULT_GATES",
    "SEGMENT_COLUMNS",
    "SEGMENT_SOURCES",
    "GateChoice",
    "GateScanner",
    "GateSegment",
    "GateThresholds",
    "SegmentParams",
    "gate_segments",
    "gate_signal",
    "pick_gate",
    "read_segments",
    "segment_run",
    "segment_tables",
    "segment_uri",
    "segments_path",
    "write_segments",
]
