"""Fits that follow a drifting clock, their composition onto the run time base, and an uncertainty
that bounds the error of every stored time.

A device clock's fit to the host clock is piecewise linear: a knot every ``KNOT_SPACING_NS`` of
device time, each from the lower envelope of the observations within one spacing of it, so a
clock whose drift wanders (a warming oscillator) is followed rather than averaged. A stream's
fit is then composed with the inverse of the reference's fit after removing the difference of
their stated latencies:

    t_run = F_ref⁻¹( F_stream(t_dev) − latency_stream + latency_ref )

The uncertainty adds, linearly, what bounds each term: the precision of both envelope fits
(twice the disagreement of fits to the even and odd observations of each window), the error of
interpolating between knots (from the knots' second differences), and the latency: the stated
bound of a stated or calibrated latency, or the kind's prior bound (``LATENCY_PRIOR_US``) when
nothing was stated.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ._clock import ClockFit, ClockObservations, fit_clock, piecewise

KNOT_SPACING_NS = 10e9
MIN_WINDOW_OBS = 16
SPLIT_FACTOR = 2.0  # fit error vs. the even/odd disagreement: measured with synthetic jitter in tests
CURVATURE_FACTOR = 0.5  # interpolation error vs. the knots' second difference (≈ f''·K²/8 + window bias)

# Bound (µs) on an unknown latency from the instant a sample stands for to its host receipt,
# by kind: what the device classes we know add at most (frame readout and buffering, sound-card
# buffers, TCP pipelines). Stated in docs/timebase.md; a rig states latency_us to do better.
LATENCY_PRIOR_US: dict[str, float] = {"camera": 10_000.0, "ir": 20_000.0, "daq": 10_000.0, "audio": 50_000.0,
                                      "oct": 10_000.0, "spectrometer": 20_000.0}
DEFAULT_PRIOR_US = 50_000.0

STATED = ("stated_latency_us", "stated_latency_uncertainty_us", "latency_source", "sound_path_m")


def stated_timing(config: object) -> dict[str, object]:
    """What a device's rig entry states about its timing, as stored under clock/<stream> at the start of
    a recording (so `recover` finalizes with it too)."""
    out: dict[str, object] = {
        "stated_latency_us": getattr(config, "latency_us", None),
        "stated_latency_uncertainty_us": getattr(config, "latency_uncertainty_us", None),
        "latency_source": getattr(config, "latency_source", None),
        "sound_path_m": getattr(config, "sound_path_m", None),
    }
    calibration = getattr(config, "latency_calibration", None)
    if calibration is not None:
        out.update(calibration.as_attrs())
    return out


@dataclass(frozen=True)
class WindowedFit:
    """A device → host fit that follows drift, with what bounds its error."""

    fit: ClockFit
    residual_ns: np.ndarray
    precision_ns: float  # bound on the envelope line's error
    curvature_ns: float  # bound on the error between knots


def fit_windows(obs: ClockObservations, source: str, spacing_ns: float = KNOT_SPACING_NS) -> WindowedFit:
    d = np.asarray(obs.device_ns, dtype=np.float64)
    h = np.asarray(obs.host_ns, dtype=np.float64)
    line, resid = fit_clock(obs, source)
    if len(d) < MIN_WINDOW_OBS:
        # Too few receipts to find the envelope: the spread of the delays is all that bounds the error.
        spread = float(np.ptp(h - d)) if len(d) else 0.0
        return WindowedFit(line, resid, spread, 0.0)
    span = float(d.max() - d.min())
    n_knots = max(2, int(np.ceil(span / spacing_ns)) + 1)
    knots = np.linspace(d.min(), d.max(), n_knots)
    step = span / (n_knots - 1) if n_knots > 1 else span
    values, disagreement = [], []
    for k in knots:
        sel = np.flatnonzero(np.abs(d - k) <= step)
        if len(sel) < MIN_WINDOW_OBS:  # a stretch without receipts: widen to the nearest observations
            sel = np.sort(np.argsort(np.abs(d - k), kind="stable")[:MIN_WINDOW_OBS])
        values.append(_at(d[sel], h[sel], k, source))
        even, odd = sel[0::2], sel[1::2]
        disagreement.append(abs(_at(d[even], h[even], k, source) - _at(d[odd], h[odd], k, source)))
    v = np.asarray(values)
    residual = h - piecewise(knots, v, d)
    line = replace(line, residual_rms_ns=float(np.sqrt(np.mean(residual**2))),
                   residual_max_ns=float(np.abs(residual).max()))
    fit = _with_knots(line, knots, v, source)
    curvature = CURVATURE_FACTOR * float(np.abs(np.diff(v, 2)).max()) if n_knots >= 3 else 0.0
    return WindowedFit(fit, np.round(residual).astype(np.int64), SPLIT_FACTOR * float(max(disagreement)), curvature)


def _at(d: np.ndarray, h: np.ndarray, k: float, source: str) -> float:
    """Host time at device time k of the lower-envelope line through these observations."""
    fit, _ = fit_clock(ClockObservations(list(d.astype(np.int64)), list(h.astype(np.int64))), source)
    return float(fit.offset_ns + k * (1.0 + fit.drift_ppm * 1e-6))


def _with_knots(like: ClockFit, xk: np.ndarray, yk: np.ndarray, source: str) -> ClockFit:
    if len(xk) >= 2 and xk[-1] > xk[0]:
        slope, off = np.polyfit(xk - xk[0], yk, 1)
        off -= slope * xk[0]
    else:
        slope, off = 1.0, float(yk[0] - xk[0]) if len(xk) else 0.0
    return ClockFit(float(off), float((slope - 1.0) * 1e6), source, like.n_observations, like.residual_rms_ns,
                    like.residual_max_ns, like.envelope_rms_ns, tuple(map(float, xk)), tuple(map(float, yk)))


def knots_of(fit: ClockFit) -> tuple[np.ndarray, np.ndarray]:
    if len(fit.knots_device_ns) >= 2:
        return np.asarray(fit.knots_device_ns), np.asarray(fit.knots_run_ns)
    x = np.array([0.0, 1e12])
    return x, fit.offset_ns + x * (1.0 + fit.drift_ppm * 1e-6)


def shifted(fit: ClockFit, shift_ns: float, source: str) -> ClockFit:
    """The same map, ``shift_ns`` later."""
    x, y = knots_of(fit)
    return _with_knots(fit, x, y + shift_ns, source)


def compose(stream: ClockFit, ref: ClockFit, shift_ns: float, source: str) -> ClockFit:
    """t_run = ref⁻¹(stream(t_dev) + shift_ns), exactly (both piecewise linear): its knots are the
    stream's and the device times at which the reference's knots are reached."""
    xs, ys = knots_of(stream)
    xr, yr = knots_of(ref)
    back = piecewise(ys, xs, yr - shift_ns)  # device times whose host time meets a reference knot
    dk = np.unique(np.concatenate([xs, back]))
    rk = piecewise(yr, xr, piecewise(xs, ys, dk) + shift_ns)
    return _with_knots(stream, dk, rk, source)


@dataclass(frozen=True)
class LatencyTerm:
    applied_ns: float  # latency removed from this stream's receipts
    uncertainty_ns: float  # bound on its error
    stated: bool


def latency_term(kind: str, clock_attrs: dict[str, object], ref_latency_us: float) -> LatencyTerm:
    """The latency applied to a stream and the bound on its error, from what its rig entry stated.
    Unstated: assumed equal to the reference's, with the kind's prior bound."""
    stated = clock_attrs.get("stated_latency_us")
    prior = LATENCY_PRIOR_US.get(kind, DEFAULT_PRIOR_US) * 1e3
    if stated is None:
        return LatencyTerm(ref_latency_us * 1e3, prior, False)
    unc = clock_attrs.get("stated_latency_uncertainty_us")
    return LatencyTerm(float(stated) * 1e3, prior if unc is None else float(unc) * 1e3, True)  # type: ignore[arg-type]
