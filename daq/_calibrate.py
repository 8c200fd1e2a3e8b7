"""`weldctl calibrate`: each host-stamped stream's residual latency, from physical events the
hardware-timed reference sees as well.

The events, and who sees them (the same detector runs on both sides where the physics is the
same, so its own delay cancels):

* laser on / off: the reference's laser-on line; the OCT validity (keyhole present) flag; the
  camera's brightness falling as the keyhole closes (only laser-off: the keyhole takes ms to
  form after laser-on, but closes within a frame); the IR hot spot's onset of cooling (laser-off),
  located between frames by fitting a cooling law to the frames around it (see ``_cooling_onset``).
* pores (keyhole collapses): a photodiode burst on the reference; a sharp drop of OCT depth; a
  step down in camera brightness.
* the spectrometer's total emission (summed over wavelength) falls at laser-off inside one spectrum's
  integration: the partial value of that spectrum places the edge inside its window (see
  ``_integration_edges``), each to within a bound from the scatter of the lit and dark levels.
* the microphone is aligned on the reference's acoustic channel: the cross-correlation of the
  two sound energies (bursts, welding noise starting and stopping).

Every estimate goes through ``weldctl.schema.offset_from_edges`` / ``offset_from_envelopes``,
the same code that aligns imported foreign recordings. The stated physical delay of a stream
(sound travelling ``sound_path_m``) is taken out first: it is physics, not latency.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from weldctl.schema import (
    AlignmentError,
    AlignmentMethod,
    EventOffset,
    RunReader,
    StoreError,
    offset_from_edges,
    offset_from_envelopes,
    signal_edges,
)

from ._integration_edges import laser_off_edges

EDGE_SEARCH_NS = 60e6  # widest latency difference looked for (the largest prior bound, plus margin)
PAIR_WINDOW_NS = 3e6  # after the coarse offset from laser edges: events this close are the same event
BURST_RISE_S = 0.001  # a collapse rises within this
ENERGY_STEP_NS = 100_000.0  # grid of the sound-energy cross-correlation
READ_BLOCK = 1 << 20
IR_WINDOW_S = (0.05, 0.06)  # plateau before and cooling after a laser-off used by the step-response fit
IR_SEARCH_S = 0.04  # the cooling onset is looked for this far either side of the reference's laser-off
IR_TAUS_S = np.geomspace(0.002, 0.2, 32)
# Cooling laws tried: 1 − (1 + s/τ)^−p (p = 0: 1 − e^(−s/τ), a first-order sensor or body). A point on a
# plate after the source stops cools as a power of time; the camera's own lag is first-order.
IR_COOLING_POWERS = (0.0, 0.5, 1.0, 2.0)


@dataclass(frozen=True)
class StreamCalibration:
    stream: str
    kind: str
    offset: EventOffset  # added to the run's times of this stream, lands them on the reference's
    applied_latency_us: float  # what the run applied
    physical_delay_us: float  # stated, not absorbed
    latency_us: float  # the calibrated latency: applied − offset − physical delay
    latency_uncertainty_us: float  # the offset's bound plus the run's clock-fit bound
    events: dict[str, int]


def _column(reader: RunReader, name: str, channel: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Times and one channel (or, for frames, the mean brightness) of a stream, read block by block."""
    spec, arr, out = reader.specs[name], reader.data(name), []
    for i0 in range(0, reader.length(name), READ_BLOCK if not spec.is_frames else 4096):
        block: np.ndarray[Any, Any] = np.asarray(arr[i0 : i0 + (READ_BLOCK if not spec.is_frames else 4096)])
        if spec.is_frames:
            out.append(block.reshape(len(block), -1).mean(axis=1))
        else:
            out.append(block[:, spec.channel_index(str(channel))].astype(np.float64))
    return reader.t_ns(name).astype(np.float64), (np.concatenate(out) if out else np.empty(0))


def _bursts(t: np.ndarray, x: np.ndarray, min_rise: float, step: bool = False) -> np.ndarray:
    """Times of sharp rises of ``x`` by more than ``min_rise`` within BURST_RISE_S: the peak that
    follows (a kink, placed at the extreme sample), or for a step (``step``: frames that see the level
    change between two of them) the middle between the last sample before and the first after."""
    if len(t) < 3:
        return np.empty(0)
    lag = max(1, round(BURST_RISE_S * 1e9 / float(np.median(np.diff(t)))))
    rise = np.zeros(len(x), dtype=bool)
    rise[lag:] = x[lag:] - x[:-lag] > min_rise
    idx = np.flatnonzero(rise)
    if not len(idx):
        return np.empty(0)
    starts = idx[np.concatenate([[True], np.diff(idx) > lag])]
    out = []
    for s in starts:
        lo, hi = max(0, s - lag), min(len(x), s + 2 * lag + 1)
        k = lo + int(np.argmax(x[lo:hi]))
        if step:
            k = lo + int(np.argmax(np.diff(x[lo:hi]))) + 1  # the sample the level changed at
            out.append((t[k - 1] + t[k]) / 2 if k > 0 else t[k])
        else:
            out.append(t[k])
    return np.asarray(out)


def _cooling_law(s: np.ndarray, tau: float, p: float) -> np.ndarray:
    x = np.clip(s, 0.0, None) / tau
    return np.where(s > 0, -np.expm1(-x) if p == 0 else 1.0 - (1.0 + x) ** -p, 0.0)


def _step_fits(t: np.ndarray, y: np.ndarray, near: float, t0s: np.ndarray) -> np.ndarray:
    """SSE of y = a + b·(t − near) + A·law(t − t0) for every t0 (rows) and law (τ, p) (columns): the
    plateau may drift with the laser power; after t0 the hot spot cools by a law of the family."""
    s = (t[None, :] - t0s[:, None]) / 1e9
    trend = (t - near) / 1e9
    out = []
    for p in IR_COOLING_POWERS:
        for tau in IR_TAUS_S:
            g = _cooling_law(s, float(tau), p)  # (k, n)
            x = np.stack([np.broadcast_to(np.ones_like(trend), g.shape), np.broadcast_to(trend, g.shape), g], -1)
            xtx = np.einsum("kni,knj->kij", x, x)
            xty = np.einsum("kni,n->ki", x, y)
            ok = np.abs(np.linalg.det(xtx)) > 1e-9 * np.einsum("kii->k", xtx) ** 3
            coef = np.zeros_like(xty)
            coef[ok] = np.linalg.solve(xtx[ok], xty[ok][..., None])[..., 0]
            sse = np.sum((y[None, :] - np.einsum("kni,ki->kn", x, coef)) ** 2, axis=1)
            out.append(np.where(ok & (coef[:, 2] < 0), sse, np.inf))  # cooling: the level falls
    return np.stack(out, axis=1)


def _cooling_onset(t: np.ndarray, y: np.ndarray, near: float) -> tuple[float, float] | None:
    """Where the hot spot starts to cool after a laser-off near ``near``, and how far the laws of the
    family that fit about as well (within 3 σ of the best) place it from there: the model's own bound.

    A thermal image does not kink at the instant the laser stops: its level follows a cooling law
    whose curvature is largest at the start, so a line or parabola through a few 10 ms frames lands
    milliseconds late. Fitting the law itself locates the onset between frames."""
    coarse_t0 = near + np.arange(-IR_SEARCH_S, IR_SEARCH_S, 5e-4) * 1e9
    m = (t >= near - (IR_SEARCH_S + IR_WINDOW_S[0]) * 1e9) & (t <= near + (IR_SEARCH_S + IR_WINDOW_S[1]) * 1e9)
    if m.sum() < 8:
        return None
    sse = _step_fits(t[m], y[m], near, coarse_t0)
    if not np.isfinite(sse).any():
        return None
    c = float(coarse_t0[np.unravel_index(np.argmin(sse), sse.shape)[0]])
    m = (t >= c - IR_WINDOW_S[0] * 1e9) & (t <= c + IR_WINDOW_S[1] * 1e9)
    n = int(m.sum())
    if n < 8:
        return None
    fine_t0 = c + np.arange(-3e-3, 3e-3, 25e-6) * 1e9
    sse = _step_fits(t[m], y[m], c, fine_t0)
    if not np.isfinite(sse).any():
        return None
    best = float(np.min(sse))
    t0 = float(fine_t0[np.unravel_index(np.argmin(sse), sse.shape)[0]])
    # Laws (and onsets) the data cannot tell from the best: SSE within 9 σ² of it, σ² from the best fit.
    close = sse <= best * (1.0 + 9.0 / max(n - 5, 1))
    spread = float(np.max(np.abs(fine_t0[np.nonzero(close)[0]] - t0)))
    return t0, spread


def _reference_events(reader: RunReader, ref: str) -> dict[str, np.ndarray]:
    spec = reader.specs[ref]
    half = 0.5e9 / spec.nominal_rate_hz  # an edge is logged at the first sample of the new level
    ev = reader.events()
    mine = ev["stream"] == ref
    out = {k: ev["t_ns"][mine & (ev["kind"] == k)].astype(np.float64) - half for k in ("laser_on", "laser_off")}
    if "photodiode" in spec.channels:
        t, x = _column(reader, ref, "photodiode")
        out["pore"] = _bursts(t, x, min_rise=0.5)
    return out


def _stream_events(reader: RunReader, name: str, coarse_off: dict[str, np.ndarray],
                   ) -> tuple[dict[str, np.ndarray], float | None]:
    """The stream's events by kind, and how well one is located when that is not half a sample period."""
    spec = reader.specs[name]
    kind = spec.kind.value
    if kind == "oct":
        t, q = _column(reader, name, "quality")
        # Quality is 0 with the laser off and 0.6-1 while welding (lower when the keyhole opens at the bottom).
        e = signal_edges(t, q, low=0.2, high=0.5)
        _, depth = _column(reader, name, "keyhole_depth")
        drop = 0.3 * float(np.percentile(depth[q > 0.5], 50)) if np.any(q > 0.5) else np.inf
        return {"laser_on": e.rising_ns, "laser_off": e.falling_ns, "pore": _bursts(t, -depth, drop)}, None
    if kind == "camera":
        t, b = _column(reader, name, None)
        e = signal_edges(t, b)
        lit = b[b > np.percentile(b, 50)]
        return {"laser_off": e.falling_ns, "pore": _bursts(t, -b, 0.25 * float(np.median(lit)) if len(lit) else np.inf,
                                                           step=True)}, None
    if kind == "ir":
        t, _ = _column(reader, name, None)
        frames = reader.data(name)
        # The mean over the frame, not its hottest pixels: the pool's peak saturates (at boiling in a
        # keyhole, or at the camera's top count) and stays there for milliseconds after the laser goes
        # off, while the whole hot spot starts to shrink at once.
        peak = np.concatenate([np.asarray(frames[i : i + 512], dtype=np.float64).reshape(min(512, len(t) - i), -1)
                               .mean(axis=1) for i in range(0, len(t), 512)]) if len(t) else np.empty(0)
        # Near each laser-off the reference saw, the onset of cooling; located by the fitted cooling law,
        # each to within the spread of the laws that fit about as well (far less than a frame period).
        onsets = [o for o in (_cooling_onset(t, peak, float(x)) for x in coarse_off.get("laser_off", [])) if o]
        spread = float(np.median([o[1] for o in onsets])) if onsets else None
        return {"laser_off": np.asarray([o[0] for o in onsets])}, spread
    if kind == "spectrometer":
        t, total = _total_emission(reader, name)
        spectrum = spec.spectrum
        t_int = (spectrum.integration_time_us * 1e3) if spectrum is not None else 1e9 / spec.nominal_rate_hz
        # Laser-off only: at laser-on the keyhole and the pool build up over ms, so the emission ramps, not steps.
        edges = laser_off_edges(t, total, t_int, 1e9 / spec.nominal_rate_hz)
        # The median of the per-edge differences is off by no more than the median of the per-edge bounds.
        bound = float(np.median([e.bound_ns for e in edges])) if edges else None
        return {"laser_off": np.asarray([e.t_ns for e in edges])}, bound
    return {}, None


def _total_emission(reader: RunReader, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Times and the total emission of every spectrum (as the live view's trace shows it)."""
    arr, n, spectrum = reader.data(name), reader.length(name), reader.specs[name].spectrum
    assert spectrum is not None  # StreamSpec refuses a spectrometer stream without its wavelength axis
    sums = [spectrum.total_emission(np.asarray(arr[i : min(i + 4096, n)])) for i in range(0, n, 4096)]
    return reader.t_ns(name).astype(np.float64), (np.concatenate(sums) if sums else np.empty(0))


def _sound_offset(reader: RunReader, ref: str, name: str, delay_ns: float) -> EventOffset:
    """Microphone against the reference's acoustic channel: cross-correlated sound energy."""
    tr, xr = _column(reader, ref, "acoustic")
    ts, xs = _column(reader, name, reader.specs[name].channels[0])  # the first microphone
    return offset_from_envelopes(tr, xr**2, ts - delay_ns, xs**2, reference=f"{ref}.acoustic",
                                 max_lag_ns=EDGE_SEARCH_NS, step_ns=ENERGY_STEP_NS)


def _edge_offset(ref_ev: dict[str, np.ndarray], ev: dict[str, np.ndarray], ref: str, resolution: tuple[float, float],
                 ) -> EventOffset:
    """Coarse from the laser edges (far apart, so unambiguous), then every shared event near it."""
    edges: dict[str, np.ndarray] = {k: ev[k] for k in ("laser_on", "laser_off") if k in ev}
    coarse = offset_from_edges(ref_ev, edges, reference=ref, max_lag_ns=EDGE_SEARCH_NS)
    moved = {k: v + coarse.offset_ns for k, v in ev.items()}
    fine = offset_from_edges(ref_ev, moved, reference=ref, max_lag_ns=PAIR_WINDOW_NS,
                             reference_resolution_ns=resolution[0], stream_resolution_ns=resolution[1])
    return fine.model_copy(update={"offset_ns": fine.offset_ns + coarse.offset_ns})


def calibrate_run(uri: str, runs_dir: str | None = None) -> tuple[str, list[StreamCalibration], dict[str, str]]:
    """The reference's name, a calibration per host-stamped stream, and why any other stream was left out."""
    reader = RunReader(uri, runs_dir)
    ref = str(reader.group["clock"].attrs.get("reference", "")) if "clock" in reader.group else ""
    if not ref:
        raise StoreError(f"{reader.uri} has no hardware-timed reference (a DAQ on a start trigger): "
                             "there is nothing to calibrate against",
                             "record the calibration run on a rig whose DAQ has `clock: sample_clock` and a trigger")
    if "laser_on" not in reader.specs[ref].channels:
        raise StoreError(f"{reader.uri}: the reference {ref!r} has no laser_on channel to take events from",
                             "wire the laser-on signal to a channel named laser_on")
    ref_ev = _reference_events(reader, ref)
    ref_half = 0.5e9 / reader.specs[ref].nominal_rate_hz
    done: list[StreamCalibration] = []
    skipped: dict[str, str] = {}
    for name, spec in reader.specs.items():
        clock = reader.clock(name)
        how = str(clock.get("alignment", ""))
        if name == ref or how in (AlignmentMethod.sample_clock, AlignmentMethod.strobe):
            continue  # hardware-timed: nothing to calibrate
        if "latency_ns" not in clock:
            skipped[name] = f"not fitted through the host clock ({how or 'no clock fit'})"
            continue
        delay_ns = float(clock.get("physical_delay_ns") or 0.0)  # type: ignore[arg-type]
        half = 0.5e9 / spec.nominal_rate_hz
        try:
            if spec.kind.value == "audio":
                if "acoustic" not in reader.specs[ref].channels:
                    raise AlignmentError(f"the reference {ref!r} has no acoustic channel to compare sound with")
                off = _sound_offset(reader, ref, name, delay_ns)
                events = {"sound energy": 1}
            else:
                coarse = {k: v for k, v in ref_ev.items()}
                ev, located = _stream_events(reader, name, coarse)
                if not ev:
                    raise AlignmentError(f"no event detector for kind {spec.kind.value!r}")
                ev = {k: v - delay_ns for k, v in ev.items()}
                off = _edge_offset(ref_ev, ev, ref, (ref_half, half if located is None else located))
                events = {k: len(v) for k, v in ev.items()}
        except AlignmentError as exc:
            skipped[name] = str(exc)
            continue
        applied = float(clock["latency_ns"]) / 1e3  # type: ignore[arg-type]
        fit_unc = float(clock.get("fit_uncertainty_ns", 0.0)) + float(clock.get("reference_fit_uncertainty_ns", 0.0))  # type: ignore[arg-type]
        done.append(StreamCalibration(
            name, spec.kind.value, off, applied, delay_ns / 1e3, applied - off.offset_ns / 1e3,
            (off.uncertainty_ns + fit_unc) / 1e3, events))
    return ref, done, skipped

