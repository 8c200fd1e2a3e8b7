"""Fitting each stream's clock onto the run time base.

Observations are pairs (device time of a block's last sample, host receive time). Transport
latency only ever adds delay, so the fit follows the lower envelope of host − device rather
than its mean: the minimum per time bin is the best estimate of the true offset there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

ENVELOPE_BINS = 32


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
    """run time = offset_ns + (1 + drift_ppm·1e-6) · device time."""

    offset_ns: float
    drift_ppm: float
    source: str
    n_observations: int
    residual_rms_ns: float
    residual_max_ns: float

    def apply(self, device_ns: np.ndarray) -> np.ndarray:
        d = np.asarray(device_ns, dtype=np.float64)
        return np.round(self.offset_ns + d * (1.0 + self.drift_ppm * 1e-6)).astype(np.int64)

    def as_attrs(self) -> dict[str, object]:
        return {"offset_ns": self.offset_ns, "drift_ppm": self.drift_ppm, "source": self.source,
                "n_observations": self.n_observations, "residual_rms_ns": self.residual_rms_ns,
                "residual_max_ns": self.residual_max_ns, "model": "t_run = offset_ns + (1 + drift_ppm*1e-6) * t_dev"}


def fit_clock(obs: ClockObservations, source: str) -> tuple[ClockFit, np.ndarray]:
    """Fit offset and drift from observations; returns the fit and per-observation residuals (ns)."""
    d = np.asarray(obs.device_ns, dtype=np.float64)
    h = np.asarray(obs.host_ns, dtype=np.float64)
    if len(d) == 0:
        return ClockFit(0.0, 0.0, source, 0, 0.0, 0.0), np.empty(0, dtype=np.int64)
    lag = h - d
    if len(d) < 4 or np.ptp(d) == 0:
        off = float(lag.min())
        fit = ClockFit(off, 0.0, source, len(d), 0.0, 0.0)
        return fit, np.round(lag - off).astype(np.int64)
    edges = np.linspace(d.min(), d.max(), min(ENVELOPE_BINS, len(d) // 2) + 1)
    which = np.clip(np.searchsorted(edges, d, side="right") - 1, 0, len(edges) - 2)
    xs, ys = [], []
    for b in range(len(edges) - 1):
        m = which == b
        if m.any():
            i = np.argmin(np.where(m, lag, np.inf))
            xs.append(d[i])
            ys.append(lag[i])
    if len(xs) >= 2:
        slope, off = np.polyfit(np.asarray(xs) - d[0], np.asarray(ys), 1)
        off -= slope * d[0]
    else:
        slope, off = 0.0, float(lag.min())
    # Keep the line under every observation: a host can never receive before the sample exists.
    off += min(0.0, float((lag - (off + slope * d)).min()))
    resid = lag - (off + slope * d)
    fit = ClockFit(float(off), float(slope * 1e6), source, len(d), float(np.sqrt(np.mean(resid**2))),
                   float(np.abs(resid).max()))
    return fit, np.round(resid).astype(np.int64)
