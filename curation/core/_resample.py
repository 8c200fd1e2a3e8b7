"""Signals onto a common sample axis without aliasing.

A channel sampled faster than the axis is first band-limited and decimated with a polyphase FIR filter
(``scipy.signal.resample_poly``, Kaiser window): plain interpolation would fold everything above the new
Nyquist frequency into the band (a 10.3 kHz tone at 100 kS/s read at 1 kS/s is a full-scale 300 Hz line).
Slower channels are interpolated linearly, which adds no frequencies. Stretches between gaps in the
time stamps are filtered one by one, so a loss never smears samples across it.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

MAX_RATIO_DENOMINATOR = 100  # rational approximation of new/old rate: keeps the polyphase filter short
GAP_FACTOR = 1.5  # a step this much longer than the median one is a gap in the recording


def band_limited(t_ns: np.ndarray, x: np.ndarray, rate_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """(times, values) of a channel at about ``rate_hz`` with nothing above rate_hz / 2, if it is faster;
    the channel itself otherwise."""
    from scipy.signal import resample_poly

    t = np.asarray(t_ns, dtype=np.int64)
    if len(t) < 3:
        return t, np.asarray(x, dtype=np.float64)
    step = float(np.median(np.diff(t)))
    native = 1e9 / step if step > 0 else 0.0
    if native <= rate_hz * 1.01:
        return t, np.asarray(x, dtype=np.float64)
    ratio = Fraction(rate_hz / native).limit_denominator(MAX_RATIO_DENOMINATOR)
    up, down = max(1, ratio.numerator), max(1, ratio.denominator)
    edges = np.flatnonzero(np.diff(t) > GAP_FACTOR * step) + 1
    ts, xs = [], []
    for a, b in zip([0, *edges], [*edges, len(t)], strict=True):
        seg = np.asarray(x[a:b], dtype=np.float64)
        if len(seg) < 2:
            continue
        y = resample_poly(seg, up, down, padtype="line")
        ts.append(t[a] + np.round(np.arange(len(y)) * (step * down / up)).astype(np.int64))
        xs.append(y)
    if not ts:
        return t[:0], np.zeros(0)
    return np.concatenate(ts), np.concatenate(xs)


def on_axis(axis_ns: np.ndarray, t_ns: np.ndarray, x: np.ndarray) -> np.ndarray:
    """A (band-limited) channel read at the axis times."""
    return np.interp(axis_ns, t_ns, x) if len(t_ns) else np.zeros(len(axis_ns))
