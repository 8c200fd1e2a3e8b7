"""Placing a stream on the run time base from a physical event that several sensors see.

One implementation serves two users:

* ``weldctl import``: a foreign logger's audio or video has no clock shared with the process
  logger, but the arc striking is seen by both (current rises, the arc sound starts, the picture
  brightens). The stream is shifted so its onsets land on the reference's.
* ``weldctl calibrate``: on a real rig, host-stamped streams carry a transport/ADC latency the
  clock fit cannot see. Laser-on/off edges and keyhole collapses are seen by the hardware-timed
  reference and by the stream at once; the median difference is the stream's residual latency.

Convention everywhere: ``offset_ns`` is *added* to the stream's times to put them on the
reference's time base (a stream that starts early gets a positive offset).

The uncertainty is meant to bound the error, not to describe the scatter: it adds, linearly, the
time resolution of both streams at the events (half a sample period each, or the stated edge
resolution) and a 3-sigma standard error of the median over the matched events.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field


class AlignmentMethod(StrEnum):
    """How a stream was put on the run time base (stored as ``alignment`` under ``clock/<stream>``)."""

    sample_clock = "sample_clock"  # hardware-timed on the reference sample clock: exact
    strobe = "strobe"  # frames numbered onto exposure-strobe edges recorded on the reference
    fitted = "fitted"  # device clock fitted to host receive times; latency not calibrated
    calibrated = "calibrated"  # fitted, with a fixed latency stated or measured from shared events
    event_aligned = "event_aligned"  # shifted so a shared physical event lines up with the reference
    wall_clock = "wall_clock"  # the source's own wall-clock timestamps (a foreign logger)
    assumed = "assumed"  # placed by assumption (e.g. "starts with the run"); the error is unknown


class EventOffset(BaseModel):
    """The result of aligning a stream on shared events; stored under ``clock/<stream>``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reference: str = Field(description="the stream (or events) the offset is measured against")
    offset_ns: int = Field(description="added to the stream's times to put them on the reference's")
    uncertainty_ns: int = Field(ge=0, description="bounds |error| of offset_ns (resolution + 3 s.e.)")
    n_events: int = Field(ge=0, description="events matched between the two streams")
    residual_rms_ns: float = Field(ge=0, description="scatter of the per-event differences about the offset")
    estimator: str = Field(description="'edges' (matched onsets) or 'envelope' (cross-correlation)")

    def as_attrs(self, prefix: str = "event_") -> dict[str, object]:
        return {f"{prefix}{k}": v for k, v in self.model_dump().items()}


class AlignmentError(ValueError):
    """The shared event could not be found in one of the streams, or the match is ambiguous."""


@dataclass(frozen=True)
class Edges:
    """Rising and falling crossings of a signal (ns, interpolated between samples)."""

    rising_ns: NDArray[Any]
    falling_ns: NDArray[Any]
    resolution_ns: float  # how well one crossing is located: half the local sample spacing


def signal_edges(t_ns: NDArray[Any], x: NDArray[Any], low: float | None = None, high: float | None = None,
                 min_width_ns: float = 0.0, *, levels: tuple[float, float] = (0.3, 0.7),
                 min_gap_ns: float = 0.0) -> Edges:
    """Onsets and ends of the 'on' stretches of a signal, with hysteresis.

    Levels default to 30 % and 70 % (``levels``) of the way from the signal's 5th to its 95th
    percentile (an arc current, a photodiode, a sound envelope: each has a clear off and on level;
    a flickering arc picture needs low levels, e.g. (0.1, 0.3)). An edge is placed where the signal
    crosses the midpoint between ``low`` and ``high``, interpolated linearly between the two samples
    around it. Off stretches shorter than ``min_gap_ns`` are bridged (flicker, a dip of the arc),
    then on stretches shorter than ``min_width_ns`` are ignored (spikes).
    """
    t = np.asarray(t_ns, dtype=np.float64)
    v = np.asarray(x, dtype=np.float64)
    if len(t) != len(v) or len(t) < 2:
        raise AlignmentError(f"need matching times and values of at least 2 samples, got {len(t)} and {len(v)}")
    if not np.all(np.isfinite(v)):
        raise AlignmentError("the signal has non-finite values")
    p5, p95 = np.percentile(v, [5, 95])
    if p95 <= p5:
        raise AlignmentError("the signal is flat: it shows no event to align on")
    lo = p5 + levels[0] * (p95 - p5) if low is None else low
    hi = p5 + levels[1] * (p95 - p5) if high is None else high
    mid = (lo + hi) / 2.0
    # Hysteresis state: on after crossing hi, off after crossing lo; in between, keep the last state.
    state = np.where(v >= hi, 1, np.where(v <= lo, 0, -1))
    idx = np.flatnonzero(state >= 0)
    if not len(idx):
        raise AlignmentError("the signal never settles above or below its thresholds")
    filled = state[idx][np.maximum(np.searchsorted(idx, np.arange(len(v)), side="right") - 1, 0)]
    filled[: idx[0]] = state[idx[0]]
    change = np.flatnonzero(np.diff(filled)) + 1  # first sample of the new state

    def crossing(k: int, rising: bool) -> float:
        # Walk back from the state change to the sample pair that straddles the midpoint.
        j = k
        while j > 0 and ((v[j - 1] >= mid) if rising else (v[j - 1] <= mid)):
            j -= 1
        if j == 0:
            return float(t[0])
        a, b = v[j - 1], v[j]
        frac = (mid - a) / (b - a) if b != a else 0.0
        return float(t[j - 1] + frac * (t[j] - t[j - 1]))

    rising = [crossing(k, True) for k in change if filled[k] == 1]
    falling = [crossing(k, False) for k in change if filled[k] == 0]
    if min_gap_ns > 0 and rising and falling:
        # A falling edge followed soon by a rising one is a dip inside one 'on' stretch: drop both.
        r_arr, f_arr = np.asarray(rising), np.asarray(falling)
        nxt = np.searchsorted(r_arr, f_arr, side="right")  # the rising edge that ends each 'off' stretch
        has = nxt < len(r_arr)
        short = np.zeros(len(f_arr), dtype=bool)
        short[has] = r_arr[nxt[has]] - f_arr[has] < min_gap_ns
        dropped = set(nxt[short].tolist())
        falling = [f for f, s in zip(falling, short, strict=True) if not s]
        rising = [r for j, r in enumerate(rising) if j not in dropped]
    if min_width_ns > 0 and rising:
        keep_r, keep_f = [], []
        for r in rising:
            after = [f for f in falling if f > r]
            end = after[0] if after else float(t[-1])
            if end - r >= min_width_ns:
                keep_r.append(r)
                if after:
                    keep_f.append(after[0])
        rising, falling = keep_r, keep_f
    spacing = float(np.median(np.diff(t))) if len(t) > 1 else 0.0
    return Edges(np.asarray(rising), np.asarray(falling), spacing / 2.0)


EventTimes = NDArray[Any] | Mapping[str, NDArray[Any]]


def offset_from_edges(reference_ns: EventTimes, stream_ns: EventTimes, *, reference: str,
                      max_lag_ns: float, reference_resolution_ns: float = 0.0,
                      stream_resolution_ns: float = 0.0) -> EventOffset:
    """Offset that moves the stream's event times onto the reference's.

    Events may come in kinds (``{"rising": ..., "falling": ...}``, or laser-on / laser-off /
    pore): an event is only paired with the reference's events of its own kind, so a rising edge
    is never taken for the falling edge nearest to it. Each stream event is paired with the
    nearest reference event after a coarse shift (the median of nearest differences, iterated);
    pairs farther apart than ``max_lag_ns`` after the shift are not the same event and are
    dropped, and a reference event is claimed once at most. The offset is the median difference.
    """
    ref_by_kind, ev_by_kind = _by_kind(reference_ns), _by_kind(stream_ns)
    kinds = [k for k in ev_by_kind if k in ref_by_kind and len(ref_by_kind[k]) and len(ev_by_kind[k])]
    if not kinds:
        which = "stream" if any(len(v) for v in ref_by_kind.values()) else "reference"
        raise AlignmentError(f"no events of a common kind in the {which} to align on")
    coarse: float | None = None
    for _ in range(4):  # nearest-neighbour pairing converges in a step or two
        d = np.concatenate([_paired(ref_by_kind[k], ev_by_kind[k], coarse, max_lag_ns) for k in kinds])
        if not len(d):
            raise AlignmentError(f"no event of the stream lies within {max_lag_ns / 1e9:g} s of one of {reference!r}")
        coarse = float(np.median(d))
    offset = float(np.median(d))
    resid = d - offset
    rms = float(np.sqrt(np.mean(resid**2)))
    # Standard error of a median ~ 1.2533 sigma / sqrt(n); with one event there is no scatter to see,
    # so the resolution terms carry it alone.
    sem = 1.2533 * float(np.std(d, ddof=1)) / np.sqrt(len(d)) if len(d) > 1 else 0.0
    unc = reference_resolution_ns + stream_resolution_ns + 3.0 * sem
    return EventOffset(reference=reference, offset_ns=round(offset), uncertainty_ns=int(np.ceil(unc)),
                       n_events=len(d), residual_rms_ns=rms, estimator="edges")


def _by_kind(times: EventTimes) -> dict[str, NDArray[Any]]:
    if isinstance(times, Mapping):
        return {str(k): np.sort(np.asarray(v, dtype=np.float64)) for k, v in times.items()}
    return {"event": np.sort(np.asarray(times, dtype=np.float64))}


def _paired(ref: NDArray[Any], ev: NDArray[Any], coarse: float | None, max_lag_ns: float) -> NDArray[Any]:
    """reference − stream time of each stream event and its nearest reference event (after the
    coarse shift), within ``max_lag_ns`` of the shift; one stream event per reference event."""
    shift = coarse or 0.0
    nearest = _nearest(ref, ev + shift)
    d = ref[nearest] - ev
    ok = np.abs(d - shift) <= max_lag_ns
    nearest, d = nearest[ok], d[ok]
    # Two stream events on one reference event are ambiguous: keep the closer one.
    order = np.argsort(np.abs(d - shift), kind="stable")
    _, first = np.unique(nearest[order], return_index=True)
    paired: NDArray[Any] = d[order][np.sort(first)]
    return paired


def offset_from_envelopes(ref_t_ns: NDArray[Any], ref_x: NDArray[Any], t_ns: NDArray[Any], x: NDArray[Any], *,
                          reference: str, max_lag_ns: float, step_ns: float) -> EventOffset:
    """Offset from the cross-correlation of two envelopes (for events with no clean on/off level).

    Both envelopes are put on one grid of ``step_ns`` (mean per cell), standardised, and
    correlated for lags up to ``max_lag_ns``; the peak is refined by a parabola. The uncertainty
    is half a grid step plus half the width of the lag range whose correlation is within 5 % of
    the peak (a broad or double peak says the match is loose, and the bound widens with it).
    """
    if step_ns <= 0 or max_lag_ns <= 0:
        raise AlignmentError("step_ns and max_lag_ns must be positive")
    t0 = min(float(np.min(ref_t_ns)), float(np.min(t_ns)))
    t1 = max(float(np.max(ref_t_ns)), float(np.max(t_ns)))
    n = int(np.ceil((t1 - t0) / step_ns)) + 1
    a = _on_grid(ref_t_ns, ref_x, t0, step_ns, n)
    b = _on_grid(t_ns, x, t0, step_ns, n)
    max_k = int(max_lag_ns // step_ns)
    lags = np.arange(-max_k, max_k + 1)
    corr = np.array([_corr_at(a, b, int(k)) for k in lags])
    if not np.isfinite(corr).any():
        raise AlignmentError("the two envelopes do not overlap at any lag")
    corr = np.nan_to_num(corr, nan=-np.inf)
    i = int(np.argmax(corr))
    peak = float(corr[i])
    frac = 0.0
    if 0 < i < len(lags) - 1 and np.isfinite(corr[i - 1]) and np.isfinite(corr[i + 1]):
        den = corr[i - 1] - 2 * corr[i] + corr[i + 1]
        frac = 0.5 * (corr[i - 1] - corr[i + 1]) / den if den else 0.0
    lag_ns = (lags[i] + frac) * step_ns  # b shifted by lag matches a: stream time + lag = reference time
    near = lags[corr >= peak - 0.05 * abs(peak)]
    width_ns = float(near.max() - near.min()) * step_ns
    unc = step_ns / 2.0 + width_ns / 2.0
    return EventOffset(reference=reference, offset_ns=round(lag_ns), uncertainty_ns=int(np.ceil(unc)),
                       n_events=1, residual_rms_ns=0.0, estimator="envelope")


def _nearest(sorted_ref: NDArray[Any], values: NDArray[Any]) -> NDArray[Any]:
    j = np.clip(np.searchsorted(sorted_ref, values), 1, max(len(sorted_ref) - 1, 1))
    if len(sorted_ref) == 1:
        return np.zeros(len(values), dtype=np.int64)
    left = sorted_ref[j - 1]
    right = sorted_ref[j]
    return np.where(np.abs(values - left) <= np.abs(right - values), j - 1, j)


def _on_grid(t_ns: NDArray[Any], x: NDArray[Any], t0: float, step: float, n: int) -> NDArray[Any]:
    cell = np.clip(((np.asarray(t_ns, dtype=np.float64) - t0) // step).astype(np.int64), 0, n - 1)
    s = np.bincount(cell, weights=np.asarray(x, dtype=np.float64), minlength=n)
    c = np.bincount(cell, minlength=n)
    out = np.full(n, np.nan)
    out[c > 0] = s[c > 0] / c[c > 0]
    return out


def _corr_at(a: NDArray[Any], b: NDArray[Any], k: int) -> float:
    """Pearson correlation of a[i] with b[i - k] over the cells both have."""
    if k >= 0:
        aa, bb = a[k:], b[: len(b) - k]
    else:
        aa, bb = a[: len(a) + k], b[-k:]
    m = np.isfinite(aa) & np.isfinite(bb)
    if m.sum() < 3:
        return float("nan")
    aa, bb = aa[m], bb[m]
    sa, sb = aa.std(), bb.std()
    if sa == 0 or sb == 0:
        return float("nan")
    return float(np.mean((aa - aa.mean()) * (bb - bb.mean())) / (sa * sb))
