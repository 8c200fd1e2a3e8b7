"""Segmentation against truth: every sim weld found, IoU >= 0.95, nothing extra; one weld per GMAW run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import GMAW_SAMPLE, need
from weldctl.curation import (
    DEFAULT_GATES,
    GateScanner,
    SegmentParams,
    gate_segments,
    gate_signal,
    pick_gate,
    read_segments,
    segment_run,
    write_segments,
)
from weldctl.schema import RunReader, WeldctlError


def iou_to_truth(seg: pd.DataFrame, t_start: np.ndarray, t_end: np.ndarray) -> np.ndarray:
    """For each true weld, the IoU of the best-overlapping segment."""
    s, e = seg["t_start_ns"].to_numpy(), seg["t_end_ns"].to_numpy()
    inter = np.clip(np.minimum(e[None], t_end[:, None]) - np.maximum(s[None], t_start[:, None]), 0, None)
    union = np.maximum(e[None], t_end[:, None]) - np.minimum(s[None], t_start[:, None])
    return (inter / union).max(axis=1)


@pytest.mark.parametrize(("kwargs", "source"), [
    ({}, "laser_on"),  # auto-pick
    ({"stream": "daq", "channel": "photodiode"}, "photodiode"),
    ({"stream": "oct"}, "oct_valid"),
])
def test_sim_segments_match_truth(sim_welds_run: str, kwargs: dict[str, str], source: str) -> None:
    reader = RunReader(sim_welds_run)
    truth = reader.truth("welds")
    seg = segment_run(reader, SegmentParams(**kwargs))
    assert set(seg["source"]) == {source}
    assert len(seg) == len(truth["weld_id"]), "every weld found and no extra segment"
    iou = iou_to_truth(seg, truth["t_start_ns"], truth["t_end_ns"])
    print(f"{source}: IoU min {iou.min():.4f} mean {iou.mean():.4f}")
    assert iou.min() >= 0.95
    # One segment per weld, in weld order: each segment's best match is its own weld.
    assert list(seg["weld_id"]) == list(truth["weld_id"])
    assert (seg["confidence"] > 0.9).all()


def test_gating_a_long_run_piece_by_piece_finds_the_same_welds(sim_welds_run: str) -> None:
    reader = RunReader(sim_welds_run)
    params = SegmentParams(stream="daq", channel="photodiode")
    whole = segment_run(reader, params)
    choice = pick_gate(reader.specs, params)
    pieces = list(gate_signal(reader, choice, chunk=7_777))  # chunks cut through welds and through pores
    assert len(pieces) > 10
    scanner = GateScanner(params.thresholds(choice.source))
    for t_ns, values in pieces:
        scanner.feed(t_ns, values)
    got = [(s.t_start_ns, s.t_end_ns, s.confidence) for s in scanner.segments()]
    assert got == list(zip(whole["t_start_ns"], whole["t_end_ns"], whole["confidence"], strict=True))


def test_padding_widens_segments(sim_welds_run: str) -> None:
    reader = RunReader(sim_welds_run)
    plain = segment_run(reader, SegmentParams())
    padded = segment_run(reader, SegmentParams(pad_s=0.05))
    assert ((padded["t_start_ns"] - plain["t_start_ns"]) == -50_000_000).all()
    assert ((padded["t_end_ns"] - plain["t_end_ns"]) == 50_000_000).all()


def test_unknown_gate_stream_is_a_user_error(sim_welds_run: str) -> None:
    with pytest.raises(WeldctlError, match="no stream 'nope'"):
        segment_run(RunReader(sim_welds_run), SegmentParams(stream="nope"))
    with pytest.raises(WeldctlError, match="which channel of stream 'audio'"):
        segment_run(RunReader(sim_welds_run), SegmentParams(stream="audio"))


def test_segments_table_round_trip(tmp_path, sim_welds_run: str) -> None:  # type: ignore[no-untyped-def]
    import pyarrow.parquet as pq

    seg = segment_run(RunReader(sim_welds_run), SegmentParams())
    path = write_segments(tmp_path / "RSEG.segments.parquet", seg)
    schema = pq.read_schema(path)
    assert [(f.name, str(f.type)) for f in schema] == [
        ("run_id", "string"), ("weld_id", "int64"), ("t_start_ns", "int64"), ("t_end_ns", "int64"),
        ("source", "string"), ("confidence", "double")]
    pd.testing.assert_frame_equal(read_segments(path), seg)
    bad = seg.assign(source="guess")
    with pytest.raises(WeldctlError, match="unknown segment source"):
        write_segments(tmp_path / "bad.parquet", bad)


def _gmaw_runs() -> list:  # type: ignore[type-arg]
    return sorted(GMAW_SAMPLE.glob("*/*/*/*.csv"))


def test_gmaw_one_weld_per_run_from_arc_current() -> None:
    runs = _gmaw_runs()
    need(len(runs) == 12, f"GMAW sample data (12 runs) at {GMAW_SAMPLE}")
    for csv in runs:
        df = pd.read_csv(csv)
        # The header's trailing space belongs to the last column (Remarks), not to the current.
        current = df["Primary Weld Current"].to_numpy(dtype=np.float64)
        stamp = pd.to_datetime(df["Date"] + " " + df["Time"], format="%m/%d/%Y %H:%M:%S.%f")
        t_ns = (stamp - stamp.iloc[0]).dt.total_seconds().to_numpy() * 1e9
        segs = gate_segments(t_ns.astype(np.int64), current, DEFAULT_GATES["arc_current"])
        assert len(segs) == 1, f"{csv.name}: {len(segs)} segments"
        s = segs[0]
        # The weld covers every sample where the arc clearly burns, and nothing before the first.
        burning = t_ns[current > 50.0]
        assert s.t_start_ns <= burning[0] and s.t_end_ns > burning[-1], csv.name
        assert (current[t_ns < s.t_start_ns] < 30.0).all(), csv.name
        assert (s.t_end_ns - s.t_start_ns) / 1e9 > 10.0, csv.name


@pytest.mark.parametrize("confidence", [[1.0, 0.5, 0.25], [1.0, 0.5, None]])
def test_segments_table_of_another_writer(tmp_path, confidence: list[float | None]) -> None:  # type: ignore[no-untyped-def]
    """A table written by another tool (float weld ids, an extra column, maybe a null) reads as pandas reads it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "R2.segments.parquet"
    pq.write_table(pa.table({
        "run_id": ["R2", "R1", "R1"], "weld_id": [0.0, 1.0, 0.0], "t_start_ns": [5, 10, 0], "t_end_ns": [9, 20, 4],
        "source": ["truth", "laser_on", "laser_on"], "confidence": confidence, "note": ["a", "b", "c"]}), path)
    c = pd.read_parquet(path)["confidence"].to_numpy()
    want = pd.DataFrame({
        "run_id": ["R1", "R1", "R2"], "weld_id": np.array([0, 1, 0]), "t_start_ns": np.array([0, 10, 5]),
        "t_end_ns": np.array([4, 20, 9]), "source": ["laser_on", "laser_on", "truth"],
        "confidence": np.array([c[2], c[1], c[0]], dtype=np.float64)})
    pd.testing.assert_frame_equal(read_segments(path), want)
