"""The run time base, and fitting each stream's clock onto it.

The run time base
-----------------
* A rig with a hardware-timed stream on a shared start trigger (``clock: sample_clock`` and a
  ``trigger``; the DAQ) is timed by that stream's sample clock: t = 0 is the trigger edge and
  sample i is at exactly ``i / rate``. That stream is the *reference*. Every other stream on the
  same trigger and sample clock gets ``seq / rate`` as well, and a camera whose exposure strobe
  is recorded on a reference channel gets the time of its k-th strobe edge for frame k.
* A rig without one is timed by the host monotonic clock, in ns since the recorder started.

Streams that are not hardware-timed are fitted: observations are pairs (device time of a
block's last sample, host receive time). Transport latency only ever adds delay, so the fit
follows the lower envelope of host − device rather than its mean (see ``fit_clock``). With a
reference, a stream's device→host fit is composed with the inverse of the reference's own
device→host fit, so constant transport latency common to both cancels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

ENVELOPE_BINS = 32
HOST_TIME_BASE = "host_monotonic"


def reference_stream(streams: list) -> str | None:  # type: ignore[type-arg]
    """Name of the stream whose sample clock is the run time base (stream specs or device configs):
    the first hardware-timed one on a shared start trigger, or None (host clock)."""
    for s in streams:
        if str(getattr(s, "clock", "")) == "sample_clock" and getattr(s, "trigger", None):
            return str(s.name)
    return None


def on_reference_clock(spec: object, reference: object) -> bool:
    """A stream on the reference's trigger and sample clock: timed by seq / rate exactly."""
    return (str(getattr(spec, "clock", "")) == "sample_clock" and getattr(spec, "trigger", None) is not None
            and getattr(spec, "trigger", None) == getattr(reference, "trigger", None))


@dataclass
class ClockObservations:
    device_ns: list[int] = field(default_factory=list)
    host_ns: list[int] = field(default_factory=list)

    def add(self, device_ns: int, host_ns: int) -> None:
        self.device_ns.append(int(device_ns))
        self.host_ns.append(int(host_ns))

    def __len__(self) -> int:
        return len(self.device_ns)


@dataclass(frozen=True)
class ClockFit:
    """run time = offset_ns + (1 + drift_ppm·1e-6) · device time; or, when ``knots_device_ns`` is
    set, the piecewise-linear map through the knots (a drifting clock), extended beyond the first
    and last knot along the end segments. offset_ns and drift_ppm then summarise it as one line."""

    offset_ns: float
    drift_ppm: float
    source: str
    n_observations: int
    residual_rms_ns: float
    residual_max_ns: float
    envelope_rms_ns: float = 0.0  # scatter of the lower-envelope points about the line: the fit's precision
    knots_device_ns: tuple[float, ...] = ()
    knots_run_ns: tuple[float, ...] = ()

    def apply(self, device_ns: np.ndarray) -> np.ndarray:
        d = np.asarray(device_ns, dtype=np.float64)
        if len(self.knots_device_ns) >= 2:
            return np.round(piecewise(self.knots_device_ns, self.knots_run_ns, d)).astype(np.int64)
        return np.round(self.offset_ns + d * (1.0 + self.drift_ppm * 1e-6)).astype(np.int64)

    def then(self, outer: ClockFit, source: str) -> ClockFit:
        """This fit followed by ``outer`` (both linear, so the result is one line)."""
        scale = 1.0 + outer.drift_ppm * 1e-6
        return ClockFit(outer.offset_ns + scale * self.offset_ns,
                        ((1.0 + self.drift_ppm * 1e-6) * scale - 1.0) * 1e6, source, self.n_observations,
                        self.residual_rms_ns, self.residual_max_ns,
                        float(np.hypot(self.envelope_rms_ns, outer.envelope_rms_ns)))

    def inverse(self, source: str) -> ClockFit:
        scale = 1.0 + self.drift_ppm * 1e-6
        return ClockFit(-self.offset_ns / scale, (1.0 / scale - 1.0) * 1e6, source, self.n_observations,
                        self.residual_rms_ns, self.residual_max_ns, self.envelope_rms_ns)

    def as_attrs(self) -> dict[str, object]:
        out: dict[str, object] = {
            "offset_ns": self.offset_ns, "drift_ppm": self.drift_ppm, "source": self.source,
            "n_observations": self.n_observations, "residual_rms_ns": self.residual_rms_ns,
            "residual_max_ns": self.residual_max_ns, "envelope_rms_ns": self.envelope_rms_ns,
            "model": "t_run = offset_ns + (1 + drift_ppm*1e-6) * t_dev"}
        if self.knots_device_ns:
            out.update(knots_device_ns=list(self.knots_device_ns), knots_run_ns=list(self.knots_run_ns),
                       model="t_run = piecewise-linear through (knots_device_ns, knots_run_ns), end segments "
                             "extended; offset_ns and drift_ppm: the least-squares line through the knots")
        return out

    @classmethod
    def from_attrs(cls, attrs: dict[str, object]) -> ClockFit:
        return cls(_num(attrs, "offset_ns"), _num(attrs, "drift_ppm"), str(attrs["source"]),
                   int(_num(attrs, "n_observations", 0)), _num(attrs, "residual_rms_ns", 0.0),
                   _num(attrs, "residual_max_ns", 0.0),
                   _num(attrs, "envelope_rms_ns", 0.0),
                   _nums(attrs, "knots_device_ns"),
                   _nums(attrs, "knots_run_ns"))


def _num(attrs: dict[str, object], key: str, default: float | None = None) -> float:
    """A number from a clock's stored attributes (JSON: an int or a float); a missing one without a default
    is a KeyError, as before."""
    value = attrs[key] if default is None else attrs.get(key, default)
    if not isinstance(value, int | float | str):
        raise TypeError(f"clock attribute {key!r} is {value!r}, not a number")
    return float(value)


def _nums(attrs: dict[str, object], key: str) -> tuple[float, ...]:
    value = attrs.get(key) or ()
    if not isinstance(value, list | tuple | np.ndarray):
        raise TypeError(f"clock attribute {key!r} is {value!r}, not a list of numbers")
    return tuple(float(x) for x in value)


def piecewise(xk: tuple[float, ...] | np.ndarray, yk: tuple[float, ...] | np.ndarray, x: np.ndarray) -> np.ndarray:
    """Piecewise-linear through the knots (xk ascending), continued along the end segments."""
    xk, yk = np.asarray(xk, dtype=np.float64), np.asarray(yk, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    y = np.interp(x, xk, yk)
    lo, hi = x < xk[0], x > xk[-1]
    if lo.any():
        y[lo] = yk[0] + (x[lo] - xk[0]) * (yk[1] - yk[0]) / (xk[1] - xk[0])
    if hi.any():
        y[hi] = yk[-1] + (x[hi] - xk[-1]) * (yk[-1] - yk[-2]) / (xk[-1] - xk[-2])
    return y


def _lower_hull(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Indices (into x sorted ascending) of the lower convex hull of the points."""
    hull: list[int] = []
    for i in range(len(x)):
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            # b is not below the segment a→i: drop it.
            if (y[b] - y[a]) * (x[i] - x[a]) >= (y[i] - y[a]) * (x[b] - x[a]):
                hull.pop()
            else:
                break
        hull.append(i)
    return np.asarray(hull)


def fit_clock(obs: ClockObservations, source: str) -> tuple[ClockFit, np.ndarray]:
    """Fit offset and drift of device → host; returns the fit and per-observation residuals (ns).

    The line is the one under every observation that stays closest to them on average (the
    linear-programming skew estimator of one-way delay measurements): it lies on the lower
    convex hull, on the hull edge above the mean device time.
    """
    d = np.asarray(obs.device_ns, dtype=np.float64)
    h = np.asarray(obs.host_ns, dtype=np.float64)
    if len(d) == 0:
        return ClockFit(0.0, 0.0, source, 0, 0.0, 0.0), np.empty(0, dtype=np.int64)
    lag = h - d
    if len(d) < 4 or np.ptp(d) == 0:
        off = float(lag.min())
        fit = ClockFit(off, 0.0, source, len(d), 0.0, 0.0)
        return fit, np.round(lag - off).astype(np.int64)
    order = np.argsort(d, kind="stable")
    # Seconds and microseconds keep the hull's cross products well inside float64 precision.
    x, y = (d[order] - d[order[0]]) / 1e9, (lag[order] - lag[order].min()) / 1e3
    hull = _lower_hull(x, y)
    j = int(np.clip(np.searchsorted(x[hull], x.mean()), 1, len(hull) - 1))
    a, b = hull[j - 1], hull[j]
    slope_us_per_s = (y[b] - y[a]) / (x[b] - x[a]) if x[b] > x[a] else 0.0
    slope = slope_us_per_s * 1e-6  # ns per ns
    off = float(lag[order][a] - slope * d[order][a])
    resid = lag - (off + slope * d)
    # Precision: how far the lowest observation per time bin sits above the line.
    bins = np.linspace(d.min(), d.max(), min(ENVELOPE_BINS, len(d) // 4) + 1)
    which = np.clip(np.searchsorted(bins, d, side="right") - 1, 0, len(bins) - 2)
    floor = [resid[which == k].min() for k in range(len(bins) - 1) if np.any(which == k)]
    fit = ClockFit(off, float(slope * 1e6), source, len(d), float(np.sqrt(np.mean(resid**2))),
                   float(np.abs(resid).max()), float(np.sqrt(np.mean(np.square(floor)))))
    return fit, np.round(resid).astype(np.int64)


def rising_edges(level: np.ndarray) -> np.ndarray:
    """Indices of the first high sample of every pulse (a pulse already high at index 0 counts)."""
    lv = np.asarray(level, dtype=bool)
    if not len(lv):
        return np.empty(0, dtype=np.int64)
    return np.flatnonzero(np.diff(np.concatenate([[False], lv]).astype(np.int8)) > 0)


@dataclass(frozen=True)
class StrobeMap:
    """Frame k of a camera exposed during the k-th strobe pulse recorded on the reference sample clock."""

    frame: np.ndarray  # frame sequence number of each pulse seen
    t_ns: np.ndarray  # that pulse's middle (mid-exposure) on the run time base
    period_ns: float
    residual_rms_ns: float  # pulses against a straight line: the camera's own clock jitter + quantisation
    quantisation_ns: float  # ± half a reference sample: each edge happened inside that sample period
    interpolation_ns: float = 0.0  # how far a pulse sits from the middle of its neighbours: bounds a frame
    #                                whose pulse was lost (placed between the pulses around it)
    unsure_gaps: int = 0  # reference gaps across which the frame count is not a clear whole number

    def times(self, seq: np.ndarray) -> np.ndarray:
        """Frame times: the frame's own pulse where it was seen, interpolated across reference losses."""
        s = np.asarray(seq, dtype=np.float64)
        t = np.interp(s, self.frame, self.t_ns.astype(np.float64))
        # Outside the pulses seen (the reference stopped first): extend by the measured period.
        lo, hi = s < self.frame[0], s > self.frame[-1]
        t[lo] = self.t_ns[0] + (s[lo] - self.frame[0]) * self.period_ns
        t[hi] = self.t_ns[-1] + (s[hi] - self.frame[-1]) * self.period_ns
        return np.round(t).astype(np.int64)


def strobe_map(mid_t_ns: np.ndarray, quantisation_ns: float, frame0_guess_ns: float,
               nominal_period_ns: float) -> StrobeMap | None:
    """Number the strobe pulses (their middles, on the run time base) frame by frame.

    Pulses lost in a reference gap are skipped by rounding the time between the pulses around it
    to whole frame periods; which pulse is frame 0 comes from the camera's own (fitted) clock,
    which only has to be right to within half a frame period.
    """
    t = np.asarray(mid_t_ns, dtype=np.float64)
    if len(t) < 2:
        return None
    diffs = np.diff(t)
    rough = float(np.median(diffs)) if len(diffs) else nominal_period_ns
    # The median of quantised differences can be off by a quantum: over a gap of thousands of frames that
    # slips whole frames. Straight lines through unbroken runs of pulses give the period to ppb.
    runs = np.split(np.arange(len(t)), np.flatnonzero(np.abs(diffs / rough - 1.0) > 0.25) + 1)
    fits = [(np.polyfit(np.arange(len(r), dtype=np.float64), t[r], 1)[0], len(r)) for r in runs if len(r) >= 3]
    period = float(np.average([s for s, _ in fits], weights=[w for _, w in fits])) if fits else rough
    ratio = diffs / period
    steps = np.maximum(1, np.round(ratio)).astype(np.int64)
    # A drift that wanders over a long gap can move the next pulse by a good part of a frame: then the
    # pulses alone cannot tell which frame it is.
    unsure = int(np.sum(np.abs(ratio - np.round(ratio)) > 0.25))
    k = np.concatenate([[0], np.cumsum(steps)])
    k0 = round(float(t[0] - frame0_guess_ns) / period)
    frame = k + k0
    slope, off = np.polyfit(frame.astype(np.float64), t, 1)
    resid = t - (off + slope * frame)
    # Leave-one-out: each pulse between two consecutive neighbours, against their middle.
    inner = np.flatnonzero((steps[:-1] == 1) & (steps[1:] == 1)) + 1
    interp = float(np.abs(t[inner] - (t[inner - 1] + t[inner + 1]) / 2).max()) if len(inner) else quantisation_ns
    return StrobeMap(frame.astype(np.int64), np.round(t).astype(np.int64), float(slope),
                     float(np.sqrt(np.mean(resid**2))), quantisation_ns, interp, unsure)
