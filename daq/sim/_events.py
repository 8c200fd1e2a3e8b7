"""Fast process events drawn from the state's rates, and their shapes in time.

Pores are keyhole collapses (a sharp depth drop, then recovery and a ringing opening); spatter and film
pops are impulsive ejections. Each event has a size from the state at its instant, so its signature
scales with the keyhole or the film, and every event lies inside laser-on time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._state import STEP_S, ProcessState

COLLAPSE_S = 0.0008  # depth falls this fast in a collapse
RECOVER_S = 0.004  # and recovers with this time constant
COLLAPSE_DEPTH = 0.6  # share of depth lost at the bottom of a collapse
AREA_RING_HZ = 120.0  # keyhole-opening oscillation after a collapse (visible at >= 1 kfps)
AREA_RING_S = 0.012
PORE_MARGIN_S = 0.05  # collapses are kept off the laser ramps, so each is seen whole
PORE_SPACING_S = 0.03
EJECTION_MARGIN_S = (0.01, 0.005)
SPATTER_DECAY_S = 0.00015  # acoustic click / photodiode flash of an ejection
POP_DECAY_S = 0.0004
FLIGHT_S = 0.004  # an ejected droplet stays in the camera/IR view this long
REF_KEYHOLE_MM3 = 2.2 * 0.165**2  # depth × radius² of the nominal keyhole: pore size 1


@dataclass(frozen=True)
class Events:
    t_s: np.ndarray
    weld: np.ndarray
    size: np.ndarray  # relative strength
    kind: np.ndarray  # "pore", "spatter" or "pop"
    angle: np.ndarray  # flight direction of an ejection (rad; 0 = travel direction)
    speed: np.ndarray  # flight speed, frame widths per second... scaled by the renderers

    def of(self, *kinds: str) -> Events:
        m = np.isin(self.kind, kinds)
        return Events(*(getattr(self, f)[m] for f in ("t_s", "weld", "size", "kind", "angle", "speed")))

    @classmethod
    def empty(cls) -> Events:
        return cls(np.empty(0), np.empty(0, np.int64), np.empty(0), np.empty(0, dtype="<U7"), np.empty(0),
                   np.empty(0))


def _draw(rng: np.random.Generator, t: np.ndarray, rate: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Inhomogeneous Poisson instants in [lo, hi) from a rate sampled on the step grid."""
    inside = (t >= lo) & (t < hi - STEP_S)
    counts = rng.poisson(np.where(inside, rate, 0.0) * STEP_S)
    starts = np.repeat(t, counts)
    return np.sort(starts + rng.uniform(0.0, STEP_S, len(starts)))


def draw_events(state: ProcessState, welds: list[tuple[float, float]], rng: np.random.Generator) -> Events:
    rows: list[tuple[float, int, float, str, float, float]] = []
    for i, (t0, t1) in enumerate(welds):
        m = state.weld == i
        t = state.t_s[m]
        if t1 - t0 > 2 * PORE_MARGIN_S + 0.02:
            pores = _draw(rng, t, state.pore_rate_hz[m], t0 + PORE_MARGIN_S, t1 - PORE_MARGIN_S)
            if len(pores) > 1:
                pores = pores[np.concatenate([[True], np.diff(pores) > PORE_SPACING_S])]
            depth = np.interp(pores, t, state.keyhole_depth_mm[m])
            radius = np.interp(pores, t, state.keyhole_radius_mm[m])
            for tp, size in zip(pores, np.clip(depth * radius**2 / REF_KEYHOLE_MM3, 0.02, 3.0), strict=True):
                rows.append((float(tp), i, float(size), "pore", 0.0, 0.0))
        lo, hi = t0 + EJECTION_MARGIN_S[0], t1 - EJECTION_MARGIN_S[1]
        for kind, rate in (("spatter", state.spatter_rate_hz[m]), ("pop", state.pop_rate_hz[m])):
            for te in _draw(rng, t, rate, lo, hi):
                size = float(rng.lognormal(0.0, 0.4))
                if kind == "spatter":
                    size *= float(np.interp(te, t, state.absorbed_power_w[m])) / 1600.0
                rows.append((float(te), i, size, kind, float(rng.uniform(-np.pi, np.pi)),
                             float(rng.uniform(0.5, 1.5))))
    if not rows:
        return Events.empty()
    rows.sort()
    cols = list(zip(*rows, strict=True))
    return Events(np.asarray(cols[0]), np.asarray(cols[1], dtype=np.int64), np.asarray(cols[2]),
                  np.asarray(cols[3]), np.asarray(cols[4]), np.asarray(cols[5]))


def _window(times: np.ndarray, t: np.ndarray, before: float, after: float) -> tuple[int, int]:
    if not len(times) or not len(t):
        return 0, 0
    lo, hi = np.searchsorted(times, [t.min() - after, t.max() + before])
    return int(lo), int(hi)


def collapse(pores: Events, t: np.ndarray, weighted: bool = False) -> np.ndarray:
    """0..1 keyhole collapse profile (times the pore size if ``weighted``): sharp drop, exponential recovery."""
    out = np.zeros_like(t, dtype=np.float64)
    lo, hi = _window(pores.t_s, t, COLLAPSE_S, 10 * RECOVER_S)
    for tp, size in zip(pores.t_s[lo:hi], pores.size[lo:hi], strict=True):
        d = t - tp
        m = (d > -COLLAPSE_S) & (d < 10 * RECOVER_S)
        prof = np.where(d[m] < 0, 1.0 + d[m] / COLLAPSE_S, np.exp(-d[m] / RECOVER_S))
        if weighted:
            prof = prof * size**0.7
        out[m] = np.maximum(out[m], prof)
    return out


def ring(pores: Events, t: np.ndarray) -> np.ndarray:
    """The keyhole opening's damped oscillation after each collapse."""
    out = np.zeros_like(t, dtype=np.float64)
    lo, hi = _window(pores.t_s, t, 0.0, 6 * AREA_RING_S)
    for tp in pores.t_s[lo:hi]:
        d = t - tp
        m = (d >= 0) & (d < 6 * AREA_RING_S)
        out[m] += np.exp(-d[m] / AREA_RING_S) * np.sin(2 * np.pi * AREA_RING_HZ * d[m] + np.pi / 2)
    return out


def impulses(ev: Events, t: np.ndarray, decay_s: float) -> np.ndarray:
    """Sum of one-sided exponential impulses, each scaled by its event's size."""
    out = np.zeros_like(t, dtype=np.float64)
    lo, hi = _window(ev.t_s, t, 0.0, 8 * decay_s)
    for te, size in zip(ev.t_s[lo:hi], ev.size[lo:hi], strict=True):
        d = t - te
        m = (d >= 0) & (d < 8 * decay_s)
        out[m] += size * np.exp(-d[m] / decay_s)
    return out
