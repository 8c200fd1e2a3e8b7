"""One weld-process model behind every simulated device, so all streams agree with truth.

The process state (``_state.ProcessState``: one set of physical quantities per time step) and the fast
events drawn from it (``_events``) are computed once per run. Everything here is a function of true time
t (seconds on the run time base) that samples them and adds the laser-on/off transients. Devices sample
it at their own (possibly drifting) clocks; the truth tables record what really happened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np

from weldctl.schema import Penetration, SimProcess, WeldPlan

from . import _events as ev
from ._conditions import default_weld_sequence, surface_of
from ._physics import AMBIENT_C
from ._state import POOL_RISE_S, RAMP_S, STEP_S, ProcessState, WeldConstants, weld_state

CAMERA_MM_PER_PX = 0.025  # keyhole camera scale (a 256 px frame spans 6.4 mm)
RING_DEPTH = 0.35  # keyhole radius swing in the ring after a collapse
EMISSION_FALL_S = 0.001  # the hot spot stops glowing for the photodiode within ~ms of laser off
IR_RISE_S = 0.02  # the IR field settles to its moving-source shape
IR_COOL_S = 0.02  # IR peak after laser off: ΔT / (1 + τ / IR_COOL_S)
# Impulse heights: photodiode (V) and acoustic (Pa) per unit event size.
PORE_PD_V, PORE_AE_PA = 1.2, 3.0
SPATTER_PD_V, SPATTER_AE_PA = 0.3, 2.0
POP_PD_V, POP_AE_PA = 0.5, 1.5
AE_BACKGROUND_PA = 0.05
ACOUSTIC_BANDS = ("pool", "keyhole", "jet", "white")


@dataclass(frozen=True)
class Weld:
    plan: WeldPlan
    t_start: float
    t_end: float
    depth_mm: float  # fusion depth in metal
    keyhole_radius_px: float
    penetration: Penetration
    pores: np.ndarray  # times (s) of keyhole collapses
    steady: WeldConstants


def penetration_of(depth_mm: float, thickness_mm: float) -> Penetration:
    ratio = depth_mm / thickness_mm
    if ratio < 0.6:
        return Penetration.lack
    if ratio < 1.0:
        return Penetration.partial
    return Penetration.full


def _plans(cfg: SimProcess, min_duration_s: float) -> list[WeldPlan]:
    plans = list(cfg.welds if cfg.welds is not None else default_weld_sequence(cfg.workpiece))
    repeats = cfg.repeat
    if plans and min_duration_s > 0:
        cycle = sum((p.length_mm or 30.0) / (p.speed_mm_s or 60.0) + cfg.gap_s for p in plans)
        if cycle > 0:
            repeats = max(repeats, int(np.ceil(max(min_duration_s - cfg.lead_s, 0.0) / cycle)))
    if repeats > 1:  # long recordings: the same sequence again, welds numbered on
        plans = [p.model_copy(update={"weld_id": k * len(plans) + i})
                 for k in range(repeats) for i, p in enumerate(plans)]
    return plans


class WeldProcess:
    def __init__(self, cfg: SimProcess, min_duration_s: float = 0.0) -> None:
        """``min_duration_s``: repeat the weld sequence (new weld ids) until it fills this long a run."""
        self.cfg = cfg
        rng = np.random.default_rng(cfg.seed)
        t = cfg.lead_s
        spans: list[tuple[float, float]] = []
        parts: list[ProcessState] = []
        steady: list[WeldConstants] = []
        plans = _plans(cfg, min_duration_s)
        for i, plan in enumerate(plans):
            dur = (plan.length_mm or 30.0) / (plan.speed_mm_s or 60.0)
            part, const = weld_state(plan, i, t, t + dur, cfg.thickness_mm, rng)
            parts.append(part)
            steady.append(const)
            spans.append((t, t + dur))
            t += dur + cfg.gap_s
        self.state = ProcessState.concat(parts)
        self.events = ev.draw_events(self.state, spans, rng)
        pores = self.events.of("pore")
        self._pores, self._spatter, self._pops = pores, self.events.of("spatter"), self.events.of("pop")
        self.ejections = self.events.of("spatter", "pop")  # what flies through the camera and IR views
        self.welds = [
            Weld(plan, a, b, c.melt_depth_mm, c.kappa * c.wall_mm / CAMERA_MM_PER_PX,
                 penetration_of(c.melt_depth_mm, cfg.thickness_mm), pores.t_s[pores.weld == i], c)
            for i, (plan, (a, b), c) in enumerate(zip(plans, spans, steady, strict=True))
        ]
        self.end_s = t - cfg.gap_s + cfg.lead_s if plans else cfg.lead_s
        self.pores = pores.t_s
        self._starts = np.array([a for a, _ in spans])
        self._ends = np.array([b for _, b in spans])
        self._offsets = np.concatenate([[0], np.cumsum([len(p.t_s) for p in parts])]).astype(np.int64)

    # -- sampling the state ----------------------------------------------------------------------
    def _locate(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Index of the last weld started at each t (-1 before the first), and whether it is on."""
        i = np.searchsorted(self._starts, t, side="right") - 1
        on = (i >= 0) & (t < self._ends[np.maximum(i, 0)]) if len(self._starts) else np.zeros(t.shape, bool)
        return i, on

    def sample(self, name: str, t: np.ndarray) -> np.ndarray:
        """A state quantity at times t, linearly interpolated inside welds; 0 outside them."""
        t = np.asarray(t, dtype=np.float64)
        out = np.zeros(t.shape)
        i, on = self._locate(t)
        if not on.any():
            return out
        arr = getattr(self.state, name)
        w = i[on]
        pos = (t[on] - self._starts[w]) / STEP_S
        n = self._offsets[w + 1] - self._offsets[w]
        k = np.clip(np.floor(pos).astype(np.int64), 0, n - 2)
        frac = np.clip(pos - k, 0.0, 1.0)
        base = self._offsets[w] + k
        out[on] = arr[base] * (1 - frac) + arr[base + 1] * frac
        return out

    def state_at(self, t: np.ndarray) -> ProcessState:
        """Every state quantity at times t (for a sensor that derives from the state)."""
        t = np.asarray(t, dtype=np.float64)
        vals = {f.name: self.sample(f.name, t) for f in fields(ProcessState) if f.name not in ("t_s", "weld")}
        i, on = self._locate(t)
        return ProcessState(t_s=t, weld=np.where(on, i, -1), **vals)

    def _since_start(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        i, on = self._locate(t)
        j = np.maximum(i, 0)
        started = i >= 0
        since = np.where(started, t - self._starts[j], 0.0) if len(self._starts) else np.zeros(t.shape)
        after = np.where(started & ~on, t - self._ends[j], -1.0) if len(self._ends) else np.full(t.shape, -1.0)
        return on, since, after

    def _ramp(self, t: np.ndarray) -> np.ndarray:
        on, since, _ = self._since_start(t)
        return np.where(on, np.clip(since / RAMP_S, 0.0, 1.0), 0.0)

    # -- physical quantities (vectorised over true time in seconds) ----------------------------
    def laser_on(self, t: np.ndarray) -> np.ndarray:
        return self._locate(np.asarray(t, dtype=np.float64))[1]

    def keyhole_depth(self, t: np.ndarray) -> np.ndarray:
        """mm; the capillary's depth (0 where there is none), with the drop of every collapse."""
        t = np.asarray(t, dtype=np.float64)
        collapse = ev.collapse(self._pores, t)
        return self.sample("keyhole_depth_mm", t) * self._ramp(t) * (1.0 - ev.COLLAPSE_DEPTH * collapse)

    def keyhole_radius(self, t: np.ndarray) -> np.ndarray:
        """px on the camera; opens with the keyhole, rings after a collapse."""
        t = np.asarray(t, dtype=np.float64)
        r = self.sample("keyhole_radius_mm", t) / CAMERA_MM_PER_PX * self._ramp(t)
        return np.clip(r * (1.0 - RING_DEPTH * ev.ring(self._pores, t)), 0, None)

    def keyhole_area(self, t: np.ndarray) -> np.ndarray:
        return np.pi * self.keyhole_radius(t) ** 2

    def _emission(self, t: np.ndarray, name: str, rise_s: float, fall_s: float) -> np.ndarray:
        """A state quantity switched on with a rise and off with a fall (from its value at laser off)."""
        on, since, after = self._since_start(t)
        out = np.where(on, self.sample(name, t) * (1.0 - np.exp(-since / rise_s)), 0.0)
        tail = (after >= 0) & (after < 20 * fall_s)
        if tail.any():
            i, _ = self._locate(t[tail])
            last = getattr(self.state, name)[self._offsets[i + 1] - 1]
            out[tail] = last * np.exp(-after[tail] / fall_s)
        return out

    def photodiode(self, t: np.ndarray) -> np.ndarray:
        """V, noise-free: pool, plume and flame emission, a burst at every collapse, a flash per ejection."""
        t = np.asarray(t, dtype=np.float64)
        slow = self._emission(t, "photodiode_v", POOL_RISE_S, EMISSION_FALL_S)
        bursts = (PORE_PD_V * ev.collapse(self._pores, t, weighted=True)
                  + SPATTER_PD_V * ev.impulses(self._spatter, t, 2 * ev.SPATTER_DECAY_S)
                  + POP_PD_V * ev.impulses(self._pops, t, ev.POP_DECAY_S))
        return slow + bursts * self.laser_on(t)

    def acoustic_bands(self, t: np.ndarray) -> dict[str, np.ndarray]:
        """Pa rms per band: melt pool (low), keyhole oscillation (mid), vapour jet (high), and the white part
        (room background, collapse bursts, spatter clicks, film pops)."""
        t = np.asarray(t, dtype=np.float64)
        on, since, _ = self._since_start(t)
        ramp = self._ramp(t)
        bursts = (PORE_AE_PA * ev.collapse(self._pores, t, weighted=True)
                  + SPATTER_AE_PA * ev.impulses(self._spatter, t, ev.SPATTER_DECAY_S)
                  + POP_AE_PA * ev.impulses(self._pops, t, ev.POP_DECAY_S)) * on
        return {
            "pool": self.sample("acoustic_pool_pa", t) * np.where(on, 1.0 - np.exp(-since / POOL_RISE_S), 0.0),
            "keyhole": self.sample("acoustic_keyhole_pa", t) * ramp,
            "jet": self.sample("acoustic_jet_pa", t) * ramp,
            "white": np.sqrt(AE_BACKGROUND_PA**2 + bursts**2),
        }

    def acoustic_envelope(self, t: np.ndarray) -> np.ndarray:
        """Pa (rms envelope): the bands' powers added."""
        bands = self.acoustic_bands(t)
        return np.sqrt(sum(b**2 for b in bands.values()))

    def ir_level(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For the IR field at t: which weld's field shows (-1: none yet), its scale on the weld's nominal
        absorbed power, and the cap on the temperature rise (the surface cannot pass its peak)."""
        t = np.asarray(t, dtype=np.float64)
        i, on = self._locate(t)
        _, since, after = self._since_start(t)
        rise = 1.0 - np.exp(-since / IR_RISE_S)
        q_nom = np.array([w.steady.absorbed_w for w in self.welds] + [1.0])[i]
        scale = np.where(on, self.sample("absorbed_power_w", t) / np.maximum(q_nom, 1e-9) * rise, 0.0)
        cap = np.where(on, (self.sample("pool_peak_c", t) - AMBIENT_C) * rise, 0.0)
        cool = (after >= 0)
        if cool.any():
            end = self._offsets[i[cool] + 1] - 1
            c = 1.0 / (1.0 + after[cool] / IR_COOL_S)
            scale[cool] = self.state.absorbed_power_w[end] / np.maximum(q_nom[cool], 1e-9) * c
            cap[cool] = (self.state.pool_peak_c[end] - AMBIENT_C) * c
        return np.where(i >= 0, i, -1), scale, cap

    def ir_peak_c(self, t: np.ndarray) -> np.ndarray:
        """°C at the hottest point of the surface: rises while welding, cools after."""
        i, scale, cap = self.ir_level(t)
        centre = np.array([w.steady.absorbed_w for w in self.welds] + [0.0])[i] * np.array(
            [self.field_centre[k] for k in range(len(self.welds))] + [0.0])[i]
        return AMBIENT_C + np.minimum(scale * centre, cap)

    @property
    def field_centre(self) -> list[float]:
        """Temperature rise per absorbed watt at the beam, per weld (from the heat field)."""
        cached = getattr(self, "_field_centre", None)
        if cached is None:
            from ._physics import heat_field

            cached = [float(heat_field(np.zeros(1), np.zeros(1), w.plan.speed_mm_s or 60.0, w.steady.spot_mm,
                                       w.steady.surface_share, w.steady.wall_mm, w.steady.keyhole_mm,
                                       w.steady.plate_mm)[0]) for w in self.welds]
            self._field_centre = cached
        return cached

    # -- truth tables -------------------------------------------------------------------------
    # ``to_run_ns`` maps true time (s) onto the run time base (ns); by default the host clock,
    # which the sim treats as true time.
    @staticmethod
    def _ns(t: np.ndarray | list[float] | float, to_run_ns: Callable[[np.ndarray], np.ndarray] | None) -> np.ndarray:
        arr = np.atleast_1d(np.asarray(t, dtype=np.float64))
        return to_run_ns(arr) if to_run_ns else np.round(arr * 1e9).astype(np.int64)

    def truth_welds(self, to_run_ns: Callable[[np.ndarray], np.ndarray] | None = None,
                    ) -> tuple[dict[str, list[object]], dict[str, str]]:
        dtypes = {"weld_id": "int64", "t_start_ns": "int64", "t_end_ns": "int64", "condition": "str",
                  "penetration": "str", "porosity": "str", "n_pores": "int64", "depth_mm": "float64",
                  "laser_power_w": "float64", "speed_mm_s": "float64", "focus_offset_mm": "float64",
                  "gap_mm": "float64", "workpiece": "str", "water_film": "float64", "oil_film": "float64",
                  "absorbed_power_w": "float64", "keyhole_fraction": "float64", "pool_width_mm": "float64",
                  "n_spatter": "int64"}
        rows: dict[str, list[object]] = {k: [] for k in dtypes}
        for i, w in enumerate(self.welds):
            p, s = w.plan, surface_of(w.plan)
            t_start, t_end = (int(x) for x in self._ns([w.t_start, w.t_end], to_run_ns))
            for k, v in (("weld_id", p.weld_id), ("t_start_ns", t_start),
                         ("t_end_ns", t_end), ("condition", p.condition or "baseline"),
                         ("penetration", str(w.penetration)), ("porosity", "present" if len(w.pores) else "none"),
                         ("n_pores", len(w.pores)), ("depth_mm", w.depth_mm), ("laser_power_w", p.laser_power_w),
                         ("speed_mm_s", p.speed_mm_s), ("focus_offset_mm", p.focus_offset_mm),
                         ("gap_mm", p.gap_mm), ("workpiece", p.workpiece or self.cfg.workpiece),
                         ("water_film", s.water), ("oil_film", s.oil), ("absorbed_power_w", w.steady.absorbed_w),
                         ("keyhole_fraction", w.steady.kappa), ("pool_width_mm", w.steady.pool_width_mm),
                         ("n_spatter", int(np.sum(self.events.weld[self.events.kind != "pore"] == i)))):
                rows[k].append(v)
        return rows, dtypes

    def truth_pores(self, to_run_ns: Callable[[np.ndarray], np.ndarray] | None = None,
                    ) -> tuple[dict[str, list[object]], dict[str, str]]:
        weld_ids: list[object] = [self.welds[int(i)].plan.weld_id for i in self._pores.weld]
        t_ns = self._ns(self.pores, to_run_ns) if len(self.pores) else np.empty(0, np.int64)
        return ({"t_ns": [int(x) for x in t_ns], "weld_id": weld_ids},
                {"t_ns": "int64", "weld_id": "int64"})

    def truth_ejections(self, to_run_ns: Callable[[np.ndarray], np.ndarray] | None = None,
                        ) -> tuple[dict[str, list[object]], dict[str, str]]:
        """Spatter and film pops: instant, weld, kind, size."""
        ej = self.events.kind != "pore"
        t_ns = self._ns(self.events.t_s[ej], to_run_ns) if ej.any() else np.empty(0, np.int64)
        return ({"t_ns": [int(x) for x in t_ns],
                 "weld_id": [self.welds[int(i)].plan.weld_id for i in self.events.weld[ej]],
                 "kind": [str(k) for k in self.events.kind[ej]], "size": [float(s) for s in self.events.size[ej]]},
                {"t_ns": "int64", "weld_id": "int64", "kind": "str", "size": "float64"})

    def truth_signals(self, rate_hz: float = 1000.0, to_run_ns: Callable[[np.ndarray], np.ndarray] | None = None,
                      ) -> tuple[dict[str, np.ndarray], dict[str, str]]:
        t = np.arange(0.0, self.end_s, 1.0 / rate_hz)
        rows = {"t_ns": self._ns(t, to_run_ns), "keyhole_depth_mm": self.keyhole_depth(t),
                "keyhole_area_px": self.keyhole_area(t), "ir_peak_c": self.ir_peak_c(t),
                "photodiode_v": self.photodiode(t), "laser_on": self.laser_on(t).astype(np.int64)}
        return rows, {k: ("int64" if k in ("t_ns", "laser_on") else "float64") for k in rows}
