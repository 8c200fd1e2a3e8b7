"""The pure gate function: hysteresis, merging, minimum length, padding, confidence."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from weldctl.curation import GateScanner, GateThresholds, gate_segments

MS = 1_000_000


def Gate(on: float, off: float, **kw: float) -> GateThresholds:
    return GateThresholds(on_threshold=on, off_threshold=off, **kw)


def _signal(levels: list[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
    """Piecewise-constant signal at 1 kHz from (duration ms, level) pieces."""
    v = np.concatenate([np.full(n, lvl) for n, lvl in levels])
    return np.arange(len(v), dtype=np.int64) * MS, v


def test_hysteresis_keeps_the_gate_open_between_thresholds() -> None:
    t, v = _signal([(100, 0.0), (50, 5.0), (30, 2.0), (50, 5.0), (100, 0.0)])
    segs = gate_segments(t, v, Gate(on=4.0, off=1.0, min_length_s=0.0, merge_gap_s=0.0))
    assert [(s.t_start_ns, s.t_end_ns) for s in segs] == [(100 * MS, 230 * MS)]
    assert segs[0].confidence == pytest.approx(100 / 130)


def test_without_hysteresis_a_dip_splits_and_merging_joins() -> None:
    t, v = _signal([(100, 0.0), (50, 5.0), (30, 2.0), (50, 5.0), (100, 0.0)])
    split = gate_segments(t, v, Gate(on=4.0, off=4.0, min_length_s=0.0, merge_gap_s=0.0))
    assert [(s.t_start_ns, s.t_end_ns) for s in split] == [(100 * MS, 150 * MS), (180 * MS, 230 * MS)]
    joined = gate_segments(t, v, Gate(on=4.0, off=4.0, min_length_s=0.0, merge_gap_s=0.03))
    assert [(s.t_start_ns, s.t_end_ns) for s in joined] == [(100 * MS, 230 * MS)]


def test_short_segments_dropped_and_spikes_debounced() -> None:
    t, v = _signal([(100, 0.0), (1, 9.0), (5, 0.0), (200, 5.0), (3, 0.0), (20, 5.0), (100, 0.0)])
    gate = Gate(on=4.0, off=1.0, min_length_s=0.05, merge_gap_s=0.01)
    segs = gate_segments(t, v, gate)
    # The 1 ms spike 5 ms before the weld is merged into it: the start moves early.
    assert [(s.t_start_ns, s.t_end_ns) for s in segs] == [(100 * MS, 329 * MS)]
    debounced = gate_segments(t, v, gate.model_copy(update={"debounce_s": 0.002}))
    assert [(s.t_start_ns, s.t_end_ns) for s in debounced] == [(106 * MS, 329 * MS)]


def test_padding_clips_to_the_record_and_merges_overlaps() -> None:
    t, v = _signal([(10, 0.0), (100, 5.0), (20, 0.0), (100, 5.0), (50, 0.0)])
    gate = Gate(on=4.0, off=1.0, min_length_s=0.0, merge_gap_s=0.0, pad_s=0.015)
    segs = gate_segments(t, v, gate)
    assert [(s.t_start_ns, s.t_end_ns) for s in segs] == [(0, 245 * MS)]


def test_weld_running_at_end_of_record_and_nans() -> None:
    t, v = _signal([(20, 0.0), (30, 5.0)])
    v[25] = np.nan  # a NaN neither opens nor closes the gate
    segs = gate_segments(t, v, Gate(on=4.0, off=1.0, min_length_s=0.0))
    assert [(s.t_start_ns, s.t_end_ns) for s in segs] == [(20 * MS, 50 * MS)]
    assert gate_segments(t[:0], v[:0], Gate(on=1, off=0)) == []
    assert gate_segments(t, np.zeros(len(t)), Gate(on=1, off=0)) == []


def test_off_above_on_rejected() -> None:
    with pytest.raises(ValueError, match="must not exceed"):
        Gate(on=1.0, off=2.0)


@pytest.mark.parametrize("seed", range(20))
def test_gating_in_pieces_equals_gating_at_once(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1000, 5000))
    t = np.arange(n, dtype=np.int64) * MS
    v = np.repeat(rng.normal(2, 3, n // 50 + 1), 50)[:n] + rng.normal(0, 1, n)
    v[rng.random(n) < 0.01] = np.nan
    gate = Gate(on=3.0, off=float(rng.choice([1.0, 3.0])), min_length_s=float(rng.choice([0, 0.01])),
                merge_gap_s=float(rng.choice([0, 0.02])), pad_s=float(rng.choice([0, 0.01])),
                debounce_s=float(rng.choice([0, 0.002])))
    whole = gate_segments(t, v, gate)
    scanner = GateScanner(gate)
    cuts = [0, *sorted(rng.integers(0, n, 6)), n]  # empty and one-sample pieces included
    for a, b in itertools.pairwise(cuts):
        scanner.feed(t[a:b], v[a:b])
    assert scanner.segments() == whole
    assert whole, "the signal opens the gate somewhere"
