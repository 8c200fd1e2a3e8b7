"""The process state: one set of physical quantities per time step of every weld, from which every
simulated sensor derives (and a later sensor can too).

A weld's state is computed on a STEP_S grid from t_start to t_end from its plan (power, speed, focus,
gap) and its surface (water/oil film). Slow fluctuations (film patches, plume flicker, keyhole jitter)
are seeded smooth noise; fast events (pores, spatter, film pops) are drawn from rates that are
themselves state quantities, so a label never sets a rate.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache

import numpy as np

from weldctl.schema import WeldPlan

from . import _physics as ph
from ._conditions import surface_of

STEP_S = 0.001
RAMP_S = 0.010  # keyhole build-up after laser on
POOL_RISE_S = 0.005  # hot spot and pool build-up after laser on

# Gap: a lap gap lets the keyhole's vapour vent; closed (0 mm) it is trapped.
VENT_GAP_MM = 0.05
GAP_CONDUCTION_MM = 0.1  # a gap this wide cuts the top sheet's heat path to the bottom sheet
GAP_CONDUCTION_LOSS = 0.25

# Photodiode (V): thermal emission of the pool, vapour-plume emission, burning oil.
THERMAL_V_PER_MM2 = 0.15
PLUME_V = 0.35
FLAME_V = 0.30
# Acoustic emission (Pa rms at the sensor): melt-pool band, keyhole band, vapour-jet band.
POOL_BAND_PA = 0.08
KEYHOLE_BAND_PA = 0.30
JET_BAND_PA = 0.20


@dataclass
class ProcessState:
    """Per time step of all welds, concatenated (``weld`` says whose step it is). Values are what holds
    while the laser is on; the sensors add the laser-on/off transients."""

    t_s: np.ndarray  # true time
    weld: np.ndarray  # index into WeldProcess.welds
    laser_power_w: np.ndarray
    speed_mm_s: np.ndarray
    focus_offset_mm: np.ndarray
    gap_mm: np.ndarray
    spot_radius_mm: np.ndarray  # 1/e² radius at the surface
    irradiance_w_cm2: np.ndarray
    water_film: np.ndarray  # local film coverage 0..1
    oil_film: np.ndarray
    absorptivity: np.ndarray
    absorbed_power_w: np.ndarray
    keyhole_fraction: np.ndarray  # 0 conduction … 1 keyhole
    keyhole_depth_mm: np.ndarray  # geometric depth of the capillary (to the stack bottom when open)
    keyhole_radius_mm: np.ndarray  # opening radius
    keyhole_open: np.ndarray  # 0..1: how far the keyhole is open at the bottom (full penetration)
    melt_depth_mm: np.ndarray  # fusion depth in metal
    pool_length_mm: np.ndarray
    pool_width_mm: np.ndarray
    pool_area_mm2: np.ndarray
    pool_peak_c: np.ndarray  # peak surface temperature
    plume_temperature_c: np.ndarray  # metal-vapour plume above the keyhole (0: no plume)
    plume_flicker: np.ndarray  # relative plume fluctuation (zero mean)
    photodiode_v: np.ndarray  # thermal + plume + flame emission
    acoustic_pool_pa: np.ndarray
    acoustic_keyhole_pa: np.ndarray
    acoustic_jet_pa: np.ndarray
    pore_rate_hz: np.ndarray
    spatter_rate_hz: np.ndarray
    pop_rate_hz: np.ndarray  # film micro-explosions

    @classmethod
    def concat(cls, parts: list[ProcessState]) -> ProcessState:
        names = [f.name for f in fields(cls)]
        if not parts:
            return cls(**{n: np.empty(0) for n in names})
        return cls(**{n: np.concatenate([getattr(p, n) for p in parts]) for n in names})


@dataclass(frozen=True)
class WeldConstants:
    """What holds for a whole weld: the steady values the sensors' frames and fields are built from."""

    absorbed_w: float
    kappa: float
    keyhole_mm: float
    wall_mm: float  # keyhole radius
    surface_share: float  # of the absorbed power, heating the top surface
    spot_mm: float
    plate_mm: float  # thickness the heat flow sees
    stack_mm: float  # sheets plus gap: where an open keyhole ends
    melt_depth_mm: float
    pool_length_mm: float
    pool_width_mm: float
    peak_c: float


def smooth_noise(rng: np.random.Generator, n: int, corr_s: float) -> np.ndarray:
    """Unit-variance noise with a Gaussian autocorrelation of about ``corr_s``."""
    half = max(1, int(3 * corr_s / STEP_S))
    kernel = np.exp(-0.5 * (np.arange(-half, half + 1) * STEP_S / corr_s) ** 2)
    white = rng.standard_normal(n + 2 * half)
    out = np.convolve(white, kernel / np.sqrt(np.sum(kernel**2)), mode="valid")
    return out[:n]


@lru_cache(maxsize=256)
def _pool(speed: float, spot: float, surface: float, wall: float, depth: float, plate: float, absorbed: float,
          ) -> dict[str, np.ndarray]:
    """Pool sizes at 0.5–1.5 × the nominal absorbed power (cached: a repeated plan has the same pool)."""
    return ph.pool_geometry(speed, spot, surface, wall, depth, plate, absorbed, np.linspace(0.5, 1.5, 11))


def metal_depth_mm(depth_mm: np.ndarray | float, thickness_mm: float, gap_mm: float) -> np.ndarray:
    """Depth fused in metal: a keyhole through the top sheet crosses the lap gap before the bottom sheet."""
    d = np.asarray(depth_mm, dtype=np.float64)
    top = thickness_mm / 2.0
    through = d >= thickness_mm + gap_mm - 1e-9  # open at the bottom: fused through, whatever the rounding
    return np.where(through, thickness_mm, np.where(d > top + gap_mm, d - gap_mm, np.minimum(d, top)))


def weld_state(plan: WeldPlan, index: int, t_start: float, t_end: float, thickness_mm: float,
               rng: np.random.Generator) -> tuple[ProcessState, WeldConstants]:
    n = int(np.ceil((t_end - t_start) / STEP_S)) + 1
    t = t_start + np.arange(n) * STEP_S  # the last step reaches t_end or just past it
    power = float(plan.laser_power_w or 0.0)
    speed = float(plan.speed_mm_s or 60.0)
    focus = float(plan.focus_offset_mm or 0.0)
    gap = float(plan.gap_mm or 0.0)
    surface = surface_of(plan)
    patches, jitter, flicker_n = (smooth_noise(rng, n, c) for c in (0.03, 0.003, 0.008))
    water = np.clip(surface.water + 0.3 * patches, 0.0, 1.0) if surface.water > 0 else np.zeros(n)
    oil = np.clip(surface.oil + 0.3 * patches, 0.0, 1.0) if surface.oil > 0 else np.zeros(n)

    spot = float(ph.beam_radius_mm(focus))
    irr = float(ph.irradiance_w_cm2(power, spot))
    a_cond = ph.ABSORPTIVITY_CONDUCTION + ph.OIL_ABSORPTIVITY_GAIN * oil
    eff = ph.effective_irradiance(np.full(n, irr), a_cond, speed)
    kappa = ph.keyhole_fraction(eff)
    stack = thickness_mm + gap
    d_pot, _ = ph.potential_depth_mm(ph.ABSORPTIVITY_KEYHOLE * power, speed, focus)
    overshoot = np.clip(kappa * d_pot / stack - 1.0, 0.0, 1.0)
    open_ = np.clip(overshoot / 0.3, 0.0, 1.0)
    absorptivity = (a_cond * (1 - kappa) + ph.ABSORPTIVITY_KEYHOLE * kappa) * (1.0 - ph.EXIT_LOSS * overshoot)
    absorbed = absorptivity * power
    depth = np.minimum(kappa * d_pot * (1.0 + 0.03 * jitter), stack)
    radius = kappa * ph.keyhole_radius_mm(spot, eff) * (1.0 + 0.02 * jitter)
    trap = np.exp(-gap / VENT_GAP_MM)  # 1 with the gap closed
    trans = 4.0 * kappa * (1.0 - kappa)  # keyhole is least stable in the transition

    # Melt pool from the moving heat source at the weld's nominal state (the film at its mean cover);
    # per-step sizes follow the absorbed power through the same field.
    plate = thickness_mm * (1.0 - GAP_CONDUCTION_LOSS * (1.0 - np.exp(-gap / GAP_CONDUCTION_MM)))
    eff_mean = ph.effective_irradiance(
        np.asarray(irr), np.asarray(ph.ABSORPTIVITY_CONDUCTION + ph.OIL_ABSORPTIVITY_GAIN * surface.oil), speed)
    k_mean = float(ph.keyhole_fraction(eff_mean))
    wall, share = float(ph.keyhole_radius_mm(spot, eff_mean)), float(ph.surface_share(eff_mean, k_mean))
    over = min(max(k_mean * d_pot / stack - 1.0, 0.0), 1.0)
    q_mean = power * ((ph.ABSORPTIVITY_CONDUCTION + ph.OIL_ABSORPTIVITY_GAIN * surface.oil) * (1 - k_mean)
                      + ph.ABSORPTIVITY_KEYHOLE * k_mean) * (1.0 - ph.EXIT_LOSS * over)
    d_mean = min(k_mean * d_pot, stack)
    scales = np.linspace(0.5, 1.5, 11)
    pool = _pool(round(speed, 6), round(spot, 6), round(share, 6), round(wall, 6), round(d_mean, 6), round(plate, 6),
                 round(q_mean, 3))
    s = absorbed / max(q_mean, 1e-9)
    length, width, area = (np.interp(s, scales, pool[k]) for k in ("length_mm", "width_mm", "area_mm2"))
    peak = ph.surface_peak_c(eff, kappa)
    cond_depth = ph.conduction_depth_mm(q_mean, speed)
    melt = metal_depth_mm(np.maximum(depth, cond_depth), thickness_mm, gap)

    sigma = 0.04 + 0.15 * water + 0.10 * oil + 0.20 * trans + 0.10 * trap * kappa
    flicker = sigma * flicker_n
    vent = 1.0 - 0.3 * (1.0 - trap)  # a gap vents part of the vapour below the sheet
    plume = PLUME_V * kappa * (absorbed / ph.ABSORBED_REF_W) * vent * (1.0 + flicker)
    flame = FLAME_V * oil * np.minimum(absorbed / 700.0, 1.5) * (1.0 + 2.0 * flicker)
    thermal = THERMAL_V_PER_MM2 * area * ph.planck_ratio(peak)
    plume_c = np.where(kappa > 0.05, ph.BOIL_C + 800.0 * np.log10(np.maximum(eff / ph.KEYHOLE_ONSET_W_CM2, 1.0)),
                       0.0)

    rel = absorbed / ph.ABSORBED_REF_W
    state = ProcessState(
        t_s=t, weld=np.full(n, index, dtype=np.int64), laser_power_w=np.full(n, power),
        speed_mm_s=np.full(n, speed), focus_offset_mm=np.full(n, focus), gap_mm=np.full(n, gap),
        spot_radius_mm=np.full(n, spot), irradiance_w_cm2=np.full(n, irr), water_film=water, oil_film=oil,
        absorptivity=absorptivity, absorbed_power_w=absorbed, keyhole_fraction=kappa, keyhole_depth_mm=depth,
        keyhole_radius_mm=radius, keyhole_open=open_ * kappa, melt_depth_mm=melt, pool_length_mm=length,
        pool_width_mm=width, pool_area_mm2=area, pool_peak_c=peak, plume_temperature_c=plume_c,
        plume_flicker=flicker, photodiode_v=thermal + plume + flame,
        acoustic_pool_pa=POOL_BAND_PA * absorbed / 1000.0,
        acoustic_keyhole_pa=KEYHOLE_BAND_PA * kappa * rel * (1.0 + 1.0 * trap + 1.5 * trans),
        acoustic_jet_pa=JET_BAND_PA * kappa * rel**1.5 * (1.0 + flicker),
        pore_rate_hz=kappa**2 * (0.3 + 14.0 * trap + 30.0 * water + 35.0 * oil + 3.0 * trans) * (1 - 0.4 * open_),
        spatter_rate_hz=kappa * (3.0 + 25.0 * trap) * rel**2,
        pop_rate_hz=(40.0 * water + 25.0 * oil) * np.minimum(absorbed / 800.0, 1.5),
    )
    # float32 halves the state of a long recording; times stay float64 (ns resolution over hours).
    for f in fields(ProcessState):
        if f.name not in ("t_s", "weld"):
            setattr(state, f.name, np.asarray(getattr(state, f.name), dtype=np.float32))
    const = WeldConstants(absorbed_w=q_mean, kappa=k_mean, keyhole_mm=d_mean, wall_mm=wall, surface_share=share,
                          spot_mm=spot, plate_mm=plate,
                          stack_mm=stack, melt_depth_mm=float(np.median(melt)),
                          pool_length_mm=float(np.interp(1.0, scales, pool["length_mm"])),
                          pool_width_mm=float(np.interp(1.0, scales, pool["width_mm"])),
                          peak_c=float(np.median(peak)))
    return state, const
