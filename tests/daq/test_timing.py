"""A drifting clock gets a fit that follows it, and the fit's reported bound covers its real error."""

from __future__ import annotations

import numpy as np
import pytest

from weldctl.daq import ClockObservations, fit_clock
from weldctl.daq._timing import compose, fit_windows


def _drifting(seed: int, minutes: float = 10.0, jitter_ns: float = 2e6):
    """Block receipts of a clock at 200 ppm whose drift wanders by 5 ppm (two slow sinusoids),
    with 300 us latency and half-normal jitter: (device ns, host ns, true host-at-device function)."""
    rng = np.random.default_rng(seed)
    dev = np.arange(0.0, minutes * 60e9, 20e6)  # a block every 20 ms

    def true_host(d: np.ndarray) -> np.ndarray:
        s = d / 1e9
        wander = 3e-6 * 90 / (2 * np.pi) * (1 - np.cos(2 * np.pi * s / 90)) + 2e-6 * 41 / (2 * np.pi) * np.sin(
            2 * np.pi * s / 41)
        return 7.1e6 + d * (1 + 200e-6) + wander * 1e9

    host = true_host(dev) + 300e3 + np.abs(rng.normal(0.0, jitter_ns, len(dev)))
    return dev, host, lambda d: true_host(d) + 300e3


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_piecewise_fit_follows_a_wandering_drift_and_bounds_its_error(seed: int) -> None:
    dev, host, truth = _drifting(seed)
    obs = ClockObservations(list(dev.astype(np.int64)), list(host.astype(np.int64)))
    wf = fit_windows(obs, "host")
    probe = np.linspace(dev[0], dev[-1], 20_001)
    err = np.abs(wf.fit.apply(probe) - truth(probe))
    line, _ = fit_clock(obs, "host")
    line_err = np.abs(line.apply(probe) - truth(probe))
    print(f"seed {seed}: windows max {err.max() / 1e3:.1f} us, bound {(wf.precision_ns + wf.curvature_ns) / 1e3:.1f}"
          f" us; one line max {line_err.max() / 1e3:.1f} us")
    assert line_err.max() > 100e3, "the wander must matter for this test to mean anything"
    assert err.max() < 50e3
    assert wf.precision_ns + wf.curvature_ns >= err.max()


def test_composition_equals_applying_one_fit_after_the_other() -> None:
    dev, host, _ = _drifting(4, minutes=3)
    a = fit_windows(ClockObservations(list(dev.astype(np.int64)), list(host.astype(np.int64))), "a").fit
    rdev = np.arange(0.0, 190e9, 20e6)
    rhost = rdev * (1 - 50e-6) + 1e6 + 2e3 * np.sin(rdev / 3e10)
    r = fit_windows(ClockObservations(list(rdev.astype(np.int64)), list(rhost.astype(np.int64))), "r").fit
    c = compose(a, r, -1234.0, "c")
    d = np.linspace(dev[0], dev[-1], 5001)
    host_of_d = a.apply(d).astype(np.float64) - 1234.0
    # The reference's inverse by bisection on its forward map: independent of the composition's knots.
    lo, hi = np.full_like(d, -1e12), np.full_like(d, 1e12)
    for _ in range(80):
        mid = (lo + hi) / 2
        above = r.apply(mid) > host_of_d
        hi, lo = np.where(above, mid, hi), np.where(above, lo, mid)
    assert np.abs(c.apply(d) - (lo + hi) / 2).max() <= 2
