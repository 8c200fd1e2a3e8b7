"""Signals at screen resolution: per time bucket the min and max (and mean square) of each channel.

A min/max envelope keeps every spike visible however many samples fall into one pixel, which is what an
operator looks for (a photodiode burst, an OCT depth drop); the mean square gives a microphone's level.
The same ring serves the live view (a few windows of buckets, overwritten as time goes on) and the replay of
a run (as many buckets as the run is long).
"""

from __future__ import annotations

import base64

import numpy as np

from weldctl.schema import StreamSpec

P_REF_PA = 20e-6  # sound pressure reference for dB SPL


class TraceRing:
    def __init__(self, channels: int, bucket_ns: int, slots: int, level: bool = False) -> None:
        self.bucket_ns = max(1, int(bucket_ns))
        self.slots = max(1, int(slots))
        self.level = level  # also keep the mean square (a microphone's level)
        self.ids = np.full(self.slots, -1, np.int64)
        self.lo = np.full((self.slots, channels), np.nan, np.float32)
        self.hi = np.full((self.slots, channels), np.nan, np.float32)
        self.ss = np.zeros((self.slots, channels), np.float64)
        self.n = np.zeros(self.slots, np.int64)
        self.last_t_ns: int | None = None
        self.last: np.ndarray | None = None  # the newest sample of each channel

    def add(self, t_ns: np.ndarray, data: np.ndarray) -> None:
        """Samples at run times ``t_ns`` (ascending), data (N,) or (N, channels)."""
        if not len(t_ns):
            return
        x = data.reshape(len(data), -1)
        idx = np.asarray(t_ns, np.int64) // self.bucket_ns
        starts = np.flatnonzero(np.concatenate(([True], idx[1:] != idx[:-1])))
        ids = idx[starts]
        lo = np.minimum.reduceat(x, starts, axis=0)
        hi = np.maximum.reduceat(x, starts, axis=0)
        cnt = np.diff(np.append(starts, len(x)))
        ss = np.add.reduceat(np.square(x, dtype=np.float64), starts, axis=0) if self.level else None
        slots = ids % self.slots
        fresh = self.ids[slots] != ids
        f, o = slots[fresh], slots[~fresh]
        self.ids[f] = ids[fresh]
        self.lo[f], self.hi[f], self.n[f] = lo[fresh], hi[fresh], cnt[fresh]
        self.lo[o] = np.fmin(self.lo[o], lo[~fresh])
        self.hi[o] = np.fmax(self.hi[o], hi[~fresh])
        self.n[o] += cnt[~fresh]
        if ss is not None:
            self.ss[f] = ss[fresh]
            self.ss[o] += ss[~fresh]
        self.last_t_ns = int(t_ns[-1])
        self.last = np.asarray(x[-1], np.float64)

    def window(self, t_end_ns: int, points: int) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        """The ``points`` buckets up to the one holding ``t_end_ns``: (t of the first, lo, hi, mean square);
        buckets with no sample are NaN."""
        end = int(t_end_ns) // self.bucket_ns
        want = np.arange(end - points + 1, end + 1)
        slots = want % self.slots
        ok = (self.ids[slots] == want)[:, None]
        lo = np.where(ok, self.lo[slots], np.nan)
        hi = np.where(ok, self.hi[slots], np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            ms = np.where(ok, self.ss[slots] / self.n[slots][:, None], np.nan)
        return float(want[0] * self.bucket_ns), lo, hi, ms


TOTAL_EMISSION = "total_emission"


def trace_width(spec: StreamSpec) -> int:
    """Channels a stream's trace ring holds: one per channel, one (the total emission) for a spectrometer."""
    return 1 if spec.spectrum is not None else int(np.prod(spec.sample_shape, dtype=np.int64))


def trace_values(spec: StreamSpec, data: np.ndarray) -> np.ndarray:
    """What the traces show of a block: the data, or a spectrometer's dark-subtracted total counts (its
    emission over time; the picture of the spectra is the quicklook's and the labelling task's)."""
    if spec.spectrum is None:
        return data
    return spec.spectrum.total_emission(data)[:, None]


def _b64(x: np.ndarray) -> str:
    """float32 little-endian, base64: the page reads it with one Float32Array (NaN for empty buckets)."""
    return base64.b64encode(np.ascontiguousarray(x, "<f4").tobytes()).decode("ascii")


def is_level(spec: StreamSpec) -> bool:
    """Microphones are shown as a level (dB), everything else as its envelope in physical units."""
    return spec.kind.value == "audio"


def held(x: np.ndarray, buckets: int) -> np.ndarray:
    """Each empty bucket takes the value of the last one with data if that is fewer than ``buckets`` before it.

    A stream slower than the buckets (a spectrum every 10 ms in 4 ms buckets) would otherwise be single
    buckets between empty ones, which the page cannot draw as a line; each sample holds over its own period
    instead, as a spectrum's counts stand for its whole integration."""
    if buckets <= 1 or not len(x):
        return x
    at = np.arange(len(x))
    last = np.maximum.accumulate(np.where(np.isfinite(x), at, -1))
    fill = ~np.isfinite(x) & (last >= 0) & (at - last < buckets)
    out = x.copy()
    out[fill] = x[last[fill]]
    return out


def trace_channels(spec: StreamSpec, ring: TraceRing, t_end_ns: int, points: int) -> list[dict[str, object]]:
    """Each channel of a stream's window, calibrated, as the page draws it."""
    t0_ns, lo, hi, ms = ring.window(t_end_ns, points)
    period = int(np.ceil(1e9 / spec.nominal_rate_hz / ring.bucket_ns)) if spec.nominal_rate_hz > 0 else 1
    # A spectrometer's one trace is its total emission (trace_values), named as what it is.
    names = [TOTAL_EMISSION] if spec.spectrum is not None else (spec.channels or [spec.name])
    out: list[dict[str, object]] = []
    for j, ch in enumerate(names):
        cal = spec.calibration_of(ch)
        if is_level(spec):
            with np.errstate(divide="ignore", invalid="ignore"):
                ref = P_REF_PA if spec.units == "Pa" else 1.0
                db = 10.0 * np.log10(ms[:, j] / ref**2)
            a = b = np.where(np.isfinite(db), db, np.nan)
            units = "dB SPL" if spec.units == "Pa" else f"dB re 1 {spec.units}"
        else:
            a, b = lo[:, j].astype(np.float64), hi[:, j].astype(np.float64)
            if cal is not None:
                a, b = cal.apply(a), cal.apply(b)
                a, b = np.fmin(a, b), np.fmax(a, b)  # a negative scale swaps min and max
            units = spec.units_of(ch)  # per channel: an OCT quality is dimensionless beside a depth in um
        out.append({"stream": spec.name, "channel": ch, "kind": spec.kind.value, "units": units,
                    "level": is_level(spec), "t0_s": t0_ns / 1e9, "dt_s": ring.bucket_ns / 1e9,
                    "lo": _b64(held(a, period)), "hi": _b64(held(b, period))})
    return out


def laser_channel(spec: StreamSpec) -> int | None:
    """The index of a laser-on line in a DAQ stream, if it has one."""
    return spec.channels.index("laser_on") if spec.kind.value == "daq" and "laser_on" in spec.channels else None


LASER_MIN_HIGH = 1.0  # a laser-on line that never went above this (stored units, V) has not switched yet


class LaserState:
    """Laser on/off from the laser-on line: above half of the highest level seen (a TTL line is 0/5 V or
    0/24 V); counts rising edges, so the page can number the welds. Until the line has once gone above
    ``LASER_MIN_HIGH``, it is off: half of the noise's peak would count noise as welds."""

    def __init__(self) -> None:
        self.peak = 0.0
        self.on = False
        self.welds = 0
        self.since_ns: int | None = None  # run time of the last edge

    def add(self, t_ns: np.ndarray, level: np.ndarray) -> None:
        if not len(level):
            return
        self.peak = max(self.peak, float(np.max(level)))
        if self.peak < LASER_MIN_HIGH:
            return
        on = level > 0.5 * self.peak
        edges = np.flatnonzero(on != np.concatenate(([self.on], on[:-1])))
        if len(edges):
            self.welds += int(np.count_nonzero(on[edges]))
            self.since_ns = int(t_ns[edges[-1]])
        self.on = bool(on[-1])
