"""One weld-process model behind every simulated device, so all streams agree with truth.

Everything is a function of true time t (seconds on the run time base). Devices sample it at
their own (possibly drifting) clocks; the truth tables record what really happened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from weldctl.schema import Penetration, SimProcess, WeldPlan

from ._conditions import default_weld_sequence, signature

RAMP_S = 0.010  # keyhole build-up after laser on
COLLAPSE_S = 0.0008  # depth falls this fast in a collapse
RECOVER_S = 0.004  # and recovers with this time constant
COLLAPSE_DEPTH = 0.6  # share of depth lost at the bottom of a collapse
AREA_RING_HZ = 120.0  # keyhole-opening oscillation after a collapse (visible at >= 1 kfps)
AREA_RING_S = 0.012
IR_TAU_S = 0.25  # cooling after the laser stops
AMBIENT_C = 25.0


@dataclass(frozen=True)
class Weld:
    plan: WeldPlan
    t_start: float
    t_end: float
    depth_mm: float
    keyhole_radius_px: float
    penetration: Penetration
    pores: np.ndarray  # times (s) of keyhole collapses


def _mean_depth(plan: WeldPlan, thickness: float, absorptivity: float) -> float:
    power = (plan.laser_power_w or 0.0) * absorptivity
    speed = plan.speed_mm_s or 60.0
    focus = plan.focus_offset_mm or 0.0
    # Depth scales with line energy; defocus spreads the spot (Rayleigh-like falloff).
    depth = 1.25 * (power / 1000.0) / np.sqrt(speed / 60.0) / (1.0 + (focus / 2.5) ** 2)
    if power < 800.0:  # below the keyhole threshold: conduction mode
        depth *= 0.35
    return float(min(depth, thickness * 1.02))


def penetration_of(depth_mm: float, thickness_mm: float) -> Penetration:
    ratio = depth_mm / thickness_mm
    if ratio < 0.6:
        return Penetration.lack
    if ratio < 1.0:
        return Penetration.partial
    return Penetration.full


class WeldProcess:
    def __init__(self, cfg: SimProcess, min_duration_s: float = 0.0) -> None:
        """``min_duration_s``: repeat the weld sequence (new weld ids) until it fills this long a run."""
        self.cfg = cfg
        rng = np.random.default_rng(cfg.seed)
        plans = list(cfg.welds if cfg.welds is not None else default_weld_sequence(cfg.workpiece))
        repeats = cfg.repeat
        if plans and min_duration_s > 0:
            cycle = sum((p.length_mm or 30.0) / (p.speed_mm_s or 60.0) + cfg.gap_s for p in plans)
            if cycle > 0:
                repeats = max(repeats, int(np.ceil(max(min_duration_s - cfg.lead_s, 0.0) / cycle)))
        if repeats > 1:  # long recordings: the same sequence again, welds numbered on
            plans = [p.model_copy(update={"weld_id": k * len(plans) + i})
                     for k in range(repeats) for i, p in enumerate(plans)]
        t = cfg.lead_s
        welds: list[Weld] = []
        for plan in plans:
            sig = signature(plan.condition)
            dur = (plan.length_mm or 30.0) / (plan.speed_mm_s or 60.0)
            depth = _mean_depth(plan, cfg.thickness_mm, sig.absorptivity)
            n_pores = rng.poisson(sig.pore_rate_hz * dur)
            # Keep collapses apart and away from the ramps so each is seen on its own.
            pores = np.sort(rng.uniform(t + 0.05, t + dur - 0.05, n_pores)) if dur > 0.12 else np.empty(0)
            if len(pores) > 1:
                keep = np.concatenate([[True], np.diff(pores) > 0.03])
                pores = pores[keep]
            spot = 1.0 + ((plan.focus_offset_mm or 0.0) / 2.5) ** 2
            power_ratio = (plan.laser_power_w or 0.0) / 2000.0
            radius = 7.0 * np.sqrt(max(power_ratio, 0.05)) * np.sqrt(spot)
            welds.append(Weld(plan, t, t + dur, depth, float(radius), penetration_of(depth, cfg.thickness_mm), pores))
            t += dur + cfg.gap_s
        self.welds = welds
        self.end_s = t - cfg.gap_s + cfg.lead_s if welds else cfg.lead_s
        self.pores = np.concatenate([w.pores for w in welds]) if welds else np.empty(0)

    # -- helpers ---------------------------------------------------------------------------
    def _per_weld(self, t: np.ndarray, attr: str) -> np.ndarray:
        """Value of a per-weld quantity at each t (0 outside welds), with the keyhole ramp."""
        out = np.zeros_like(t, dtype=np.float64)
        for w in self.welds:
            m = (t >= w.t_start) & (t < w.t_end)
            if m.any():
                ramp = np.clip((t[m] - w.t_start) / RAMP_S, 0.0, 1.0)
                out[m] = getattr(w, attr) * ramp
        return out

    def _collapse(self, t: np.ndarray) -> np.ndarray:
        """0..1 keyhole collapse profile: sharp drop, exponential recovery."""
        out = np.zeros_like(t, dtype=np.float64)
        if not len(self.pores):
            return out
        lo, hi = np.searchsorted(self.pores, [t[0] - 10 * RECOVER_S, t[-1] + COLLAPSE_S]) if len(t) else (0, 0)
        for tp in self.pores[lo:hi]:
            dt = t - tp
            m = (dt > -COLLAPSE_S) & (dt < 10 * RECOVER_S)
            d = dt[m]
            prof = np.where(d < 0, 1.0 + d / COLLAPSE_S, np.exp(-d / RECOVER_S))
            out[m] = np.maximum(out[m], prof)
        return out

    def _ring(self, t: np.ndarray) -> np.ndarray:
        out = np.zeros_like(t, dtype=np.float64)
        if not len(self.pores) or not len(t):
            return out
        lo, hi = np.searchsorted(self.pores, [t[0] - 6 * AREA_RING_S, t[-1]])
        for tp in self.pores[lo:hi]:
            d = t - tp
            m = (d >= 0) & (d < 6 * AREA_RING_S)
            out[m] += np.exp(-d[m] / AREA_RING_S) * np.sin(2 * np.pi * AREA_RING_HZ * d[m] + np.pi / 2)
        return out

    def weld_at(self, t: float) -> Weld | None:
        for w in self.welds:
            if w.t_start <= t < w.t_end:
                return w
        return None

    # -- physical quantities (vectorised over true time in seconds) ----------------------------
    def laser_on(self, t: np.ndarray) -> np.ndarray:
        out = np.zeros_like(t, dtype=bool)
        for w in self.welds:
            out |= (t >= w.t_start) & (t < w.t_end)
        return out

    def keyhole_depth(self, t: np.ndarray) -> np.ndarray:
        """mm; 0 where there is no keyhole."""
        base = self._per_weld(t, "depth_mm")
        return base * (1.0 - COLLAPSE_DEPTH * self._collapse(t)) * (1.0 + 0.02 * np.sin(2 * np.pi * 35.0 * t))

    def keyhole_radius(self, t: np.ndarray) -> np.ndarray:
        """px on the camera; opens with the keyhole, rings after a collapse."""
        base = self._per_weld(t, "keyhole_radius_px")
        return np.clip(base * (1.0 - 0.35 * self._ring(t)) * (1.0 + 0.02 * np.sin(2 * np.pi * 35.0 * t)), 0, None)

    def keyhole_area(self, t: np.ndarray) -> np.ndarray:
        return np.pi * self.keyhole_radius(t) ** 2

    def _plume(self, t: np.ndarray, attr: str) -> np.ndarray:
        out = np.zeros_like(t, dtype=np.float64)
        for w in self.welds:
            m = (t >= w.t_start) & (t < w.t_end)
            if m.any():
                sig = signature(w.plan.condition)
                val = getattr(sig, attr)
                if attr == "plume":
                    flick = 1.0 + sig.plume_flicker * np.sin(2 * np.pi * 23.0 * t[m]) * np.sin(2 * np.pi * 7.0 * t[m])
                    val = val * flick * (w.plan.laser_power_w or 0.0) / 2000.0
                out[m] = val
        return out

    def photodiode(self, t: np.ndarray) -> np.ndarray:
        """V, noise-free: plume emission plus a burst at every collapse."""
        return 0.8 * self._plume(t, "plume") * self.laser_on(t) + 1.2 * self._collapse(t)

    def acoustic_envelope(self, t: np.ndarray) -> np.ndarray:
        """Pa (rms envelope): process noise while welding, spatter, and a burst at every collapse."""
        on = self.laser_on(t)
        power = self._per_weld(t, "depth_mm") > 0
        return 0.05 + 0.4 * (on & power) + 0.5 * self._plume(t, "spatter") + 3.0 * self._collapse(t)

    def ir_peak_c(self, t: np.ndarray) -> np.ndarray:
        """°C at the hottest pixel: heats while welding, cools exponentially afterwards."""
        out = np.full_like(t, AMBIENT_C, dtype=np.float64)
        for w in self.welds:
            peak = AMBIENT_C + 1400.0 * min((w.plan.laser_power_w or 0.0) / 2000.0, 1.5)
            heat = (t >= w.t_start) & (t < w.t_end)
            out[heat] = np.maximum(out[heat], peak * (1 - np.exp(-(t[heat] - w.t_start) / 0.02)))
            cool = t >= w.t_end
            out[cool] = np.maximum(out[cool], AMBIENT_C + (peak - AMBIENT_C) * np.exp(-(t[cool] - w.t_end) / IR_TAU_S))
        return out

    # -- truth tables -------------------------------------------------------------------------
    # ``to_run_ns`` maps true time (s) onto the run time base (ns); by default the host clock,
    # which the sim treats as true time.
    @staticmethod
    def _ns(t: np.ndarray | list[float] | float, to_run_ns: Callable[[np.ndarray], np.ndarray] | None) -> np.ndarray:
        arr = np.atleast_1d(np.asarray(t, dtype=np.float64))
        return to_run_ns(arr) if to_run_ns else np.round(arr * 1e9).astype(np.int64)

    def truth_welds(self, to_run_ns: Callable[[np.ndarray], np.ndarray] | None = None,
                    ) -> tuple[dict[str, list[object]], dict[str, str]]:
        rows: dict[str, list[object]] = {k: [] for k in (
            "weld_id", "t_start_ns", "t_end_ns", "condition", "penetration", "porosity", "n_pores",
            "depth_mm", "laser_power_w", "speed_mm_s", "focus_offset_mm", "gap_mm", "workpiece")}
        for w in self.welds:
            p = w.plan
            t_start, t_end = (int(x) for x in self._ns([w.t_start, w.t_end], to_run_ns))
            for k, v in (("weld_id", p.weld_id), ("t_start_ns", t_start),
                         ("t_end_ns", t_end), ("condition", p.condition or "baseline"),
                         ("penetration", str(w.penetration)), ("porosity", "present" if len(w.pores) else "none"),
                         ("n_pores", len(w.pores)), ("depth_mm", w.depth_mm), ("laser_power_w", p.laser_power_w),
                         ("speed_mm_s", p.speed_mm_s), ("focus_offset_mm", p.focus_offset_mm),
                         ("gap_mm", p.gap_mm), ("workpiece", p.workpiece or self.cfg.workpiece)):
                rows[k].append(v)
        dtypes = {"weld_id": "int64", "t_start_ns": "int64", "t_end_ns": "int64", "condition": "str",
                  "penetration": "str", "porosity": "str", "n_pores": "int64", "depth_mm": "float64",
                  "laser_power_w": "float64", "speed_mm_s": "float64", "focus_offset_mm": "float64",
                  "gap_mm": "float64", "workpiece": "str"}
        return rows, dtypes

    def truth_pores(self, to_run_ns: Callable[[np.ndarray], np.ndarray] | None = None,
                    ) -> tuple[dict[str, list[object]], dict[str, str]]:
        weld_ids = [self.weld_at(float(tp)).plan.weld_id for tp in self.pores]  # type: ignore[union-attr]
        t_ns = self._ns(self.pores, to_run_ns) if len(self.pores) else np.empty(0, np.int64)
        return ({"t_ns": [int(x) for x in t_ns], "weld_id": weld_ids},
                {"t_ns": "int64", "weld_id": "int64"})

    def truth_signals(self, rate_hz: float = 1000.0, to_run_ns: Callable[[np.ndarray], np.ndarray] | None = None,
                      ) -> tuple[dict[str, np.ndarray], dict[str, str]]:
        t = np.arange(0.0, self.end_s, 1.0 / rate_hz)
        rows = {"t_ns": self._ns(t, to_run_ns), "keyhole_depth_mm": self.keyhole_depth(t),
                "keyhole_area_px": self.keyhole_area(t), "ir_peak_c": self.ir_peak_c(t),
                "photodiode_v": self.photodiode(t), "laser_on": self.laser_on(t).astype(np.int64)}
        return rows, {k: ("int64" if k in ("t_ns", "laser_on") else "float64") for k in rows}
