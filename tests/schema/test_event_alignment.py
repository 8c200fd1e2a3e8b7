"""Shared-event alignment against injected, known shifts (and scipy's correlation as a second opinion)."""

import numpy as np
import pytest
from scipy import signal

from weldctl.schema import AlignmentError, offset_from_edges, offset_from_envelopes, signal_edges

MS = 1_000_000


def _pulses(t_ns: np.ndarray, starts_ns: list[float], width_ns: float, rng: np.random.Generator) -> np.ndarray:
    x = np.zeros(len(t_ns))
    for s in starts_ns:
        x[(t_ns >= s) & (t_ns < s + width_ns)] = 1.0
    return x + 0.02 * rng.standard_normal(len(t_ns))


@pytest.mark.parametrize("shift_ms", [-730.0, -3.0, 0.0, 1.5, 412.25])
def test_edges_recover_an_injected_shift_within_the_stated_bound(shift_ms: float) -> None:
    rng = np.random.default_rng(1)
    starts = [1e9, 3.2e9, 5.9e9, 8.1e9]
    t_ref = np.arange(0, 10e9, 1e5)  # 10 kS/s reference
    t_dev = np.arange(0, 10e9, 2.5e5) + 7e4  # 4 kS/s stream on its own grid
    ref = signal_edges(t_ref, _pulses(t_ref, starts, 0.6e9, rng))
    # The stream sees each event shift_ms early: its own times are too small by shift.
    dev = signal_edges(t_dev, _pulses(t_dev, [s - shift_ms * MS for s in starts], 0.6e9, rng))
    est = offset_from_edges({"on": ref.rising_ns, "off": ref.falling_ns}, {"on": dev.rising_ns, "off": dev.falling_ns},
                            reference="daq", max_lag_ns=1e9, reference_resolution_ns=ref.resolution_ns,
                            stream_resolution_ns=dev.resolution_ns)
    assert est.n_events == 8
    assert abs(est.offset_ns - shift_ms * MS) <= est.uncertainty_ns
    assert est.uncertainty_ns < 0.5 * MS  # and the bound is useful, not vacuous


def test_envelope_offset_matches_scipy_correlation_and_the_injection() -> None:
    rng = np.random.default_rng(2)
    step = 1e6
    t = np.arange(0, 20e9, step)
    u = np.convolve(rng.standard_normal(len(t)), np.ones(50) / 50, mode="same")
    k = 237  # the stream's clock is 237 ms behind: at its own time t it sees the process at t + 237 ms
    t_dev, x_dev = t[:-k], u[k:]
    est = offset_from_envelopes(t, u, t_dev, x_dev, reference="current", max_lag_ns=1e9, step_ns=step)
    assert abs(est.offset_ns - k * step) <= est.uncertainty_ns
    # scipy on the two arrays as sampled: the best lag of the reference against the stream is the same.
    c = signal.correlate(u - u.mean(), x_dev - x_dev.mean(), mode="full")
    lags = signal.correlation_lags(len(u), len(x_dev), mode="full")
    assert abs(est.offset_ns - lags[np.argmax(c)] * step) <= est.uncertainty_ns


def test_flat_signal_and_no_matching_event_are_errors() -> None:
    t = np.arange(0, 1e9, 1e6)
    with pytest.raises(AlignmentError, match="flat"):
        signal_edges(t, np.ones(len(t)))
    with pytest.raises(AlignmentError, match="within"):
        offset_from_edges(np.array([1e9]), np.array([9e9]), reference="daq", max_lag_ns=1e8)
