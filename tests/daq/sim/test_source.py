"""The simulator's clocks are the truth alignment is measured against: check them against the
configured faults with independent arithmetic (numerical integration of the configured drift)."""

from __future__ import annotations

import time

import numpy as np
from scipy.integrate import cumulative_trapezoid

from weldctl.daq.sim._source import SimSource
from weldctl.schema import ClockFault


class _Clock(SimSource):
    def __init__(self, fault: ClockFault, start_delay_s: float = 0.0037) -> None:
        self._init_source(1000.0, 100, fault, [], 5, start_delay_s, 1e9)

    def _render(self, t_true: np.ndarray, index: np.ndarray) -> np.ndarray:
        return np.zeros((len(t_true), 1))


FAULT = ClockFault(offset_ms=3.0, drift_ppm=200.0, drift_walk_ppm=5.0, drift_walk_period_s=60.0, latency_us=1234.0)


def test_drift_wanders_within_the_configured_bound() -> None:
    clock = _Clock(FAULT)
    drift = clock.drift_ppm_at(np.linspace(0, 600, 60_001))
    assert np.all(np.abs(drift - 200.0) <= 5.0 + 1e-9)
    assert np.ptp(drift) > 5.0  # it really wanders over ten minutes


def test_sample_clock_is_the_integral_of_the_drift() -> None:
    clock = _Clock(FAULT)
    t = clock.start_delay_s + np.linspace(0.0, 600.0, 600_001)
    elapsed = cumulative_trapezoid(1.0 + clock.drift_ppm_at(t) * 1e-6, t, initial=0.0)
    assert np.abs(clock.run_time_ns(t) - elapsed * 1e9).max() < 2.0  # ns
    # Sample k is taken when the device has counted k / rate seconds.
    k = np.arange(0, 600_000, 997, dtype=np.float64)
    assert np.abs(clock.run_time_ns(clock.true_time(k)) - k * 1e6).max() <= 1
    dev = clock.device_time_ns(t) - (FAULT.offset_ms * 1e6 + (1 + 200e-6) * t[0] * 1e9)
    assert np.abs(dev - elapsed * 1e9).max() < 2.0


def test_blocks_arrive_the_configured_latency_after_their_last_sample() -> None:
    clock = _Clock(FAULT)
    clock._source_start(time.monotonic_ns() - 10**12)  # long started: no pacing waits
    for _ in range(5):
        block = clock._source_read(0.1)
        assert block is not None
        last = clock.true_time(np.array([float(block.seq[-1])]))[0]
        assert abs(block.t_host_ns - last * 1e9 - FAULT.latency_us * 1e3) <= 1
