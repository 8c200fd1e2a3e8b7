"""First-order laser-welding physics for the sim: beam, keyhole onset, depth, and the moving-source heat field.

Units: mm, s, W, °C unless a name says otherwise. Material: AISI 304. The relations and where they come
from are listed in docs/simulator.md; the constants below are the model's parameters.
"""

from __future__ import annotations

import numpy as np

# -- material (AISI 304, averaged over 20–1400 °C) -----------------------------------------------------
AMBIENT_C = 25.0
MELT_C = 1425.0  # between solidus (~1400 °C) and liquidus (~1450 °C): the melt-pool boundary
BOIL_C = 2750.0  # keyhole wall temperature
CONDUCTIVITY_W_MK = 25.0
RHO_C_J_M3K = 4.74e6  # density 7900 kg/m³ × heat capacity 600 J/(kg K)
DIFFUSIVITY_MM2_S = CONDUCTIVITY_W_MK / RHO_C_J_M3K * 1e6  # ≈ 5.3 mm²/s

# -- beam (fibre laser, 1.07 µm) -------------------------------------------------------------------------
WAIST_MM = 0.15  # 1/e² radius at focus
RAYLEIGH_MM = 2.0
# focus_offset_mm > 0: focal plane above the surface (beam already diverging where it enters);
# < 0: focal plane inside the material.

# -- coupling and keyhole onset --------------------------------------------------------------------------
ABSORPTIVITY_CONDUCTION = 0.35  # flat liquid steel at 1 µm (Fresnel)
ABSORPTIVITY_KEYHOLE = 0.80  # multiple reflections in the capillary
OIL_ABSORPTIVITY_GAIN = 0.10  # a hydrocarbon film darkens the surface
KEYHOLE_ONSET_W_CM2 = 1.0e6  # effective irradiance at which recoil pressure opens a keyhole
ONSET_WIDTH = 0.15  # width of the smooth transition, in ln(irradiance)
SPEED_REF_MM_S = 60.0
ONSET_SPEED_EXPONENT = 0.2  # a faster beam needs a little more irradiance (shorter interaction time)

# -- keyhole depth (calibrated: 2 kW, 60 mm/s, focus on the surface → 2.6 mm in steel) -------------------
DEPTH_REF_MM = 2.6
ABSORBED_REF_W = ABSORPTIVITY_KEYHOLE * 2000.0
DEPTH_SPEED_EXPONENT = 0.5  # depth ∝ v^-0.5 at moderate speeds
DEPTH_SPOT_EXPONENT = 0.5  # and ∝ w^-0.5 over the spot radius averaged down the keyhole
FRONT_SHARE = 0.15  # of a keyhole's absorbed power, what its top (front-wall lip, plume) gives the surface
EXIT_LOSS = 0.3  # share of the power that leaves through an open keyhole bottom, at 100 % overshoot


def beam_radius_mm(focus_offset_mm: float | np.ndarray, z_mm: float | np.ndarray = 0.0) -> np.ndarray:
    """1/e² radius at depth z below the surface (Gaussian beam)."""
    dz = np.asarray(z_mm, dtype=np.float64) + np.asarray(focus_offset_mm, dtype=np.float64)
    return WAIST_MM * np.sqrt(1.0 + (dz / RAYLEIGH_MM) ** 2)


def irradiance_w_cm2(power_w: float | np.ndarray, radius_mm: float | np.ndarray) -> np.ndarray:
    """Mean irradiance over the 1/e² spot."""
    return np.asarray(power_w, dtype=np.float64) / (np.pi * (np.asarray(radius_mm) / 10.0) ** 2)


def effective_irradiance(irradiance: np.ndarray, absorptivity: np.ndarray, speed_mm_s: float) -> np.ndarray:
    """Irradiance as the surface feels it: scaled by its absorptivity and by the interaction time."""
    return (irradiance * (absorptivity / ABSORPTIVITY_CONDUCTION)
            * (SPEED_REF_MM_S / speed_mm_s) ** ONSET_SPEED_EXPONENT)


def keyhole_fraction(effective: np.ndarray) -> np.ndarray:
    """0 (conduction) … 1 (keyhole): a logistic step in ln(irradiance) around the onset."""
    x = np.log(np.maximum(effective, 1.0) / KEYHOLE_ONSET_W_CM2) / ONSET_WIDTH
    return 1.0 / (1.0 + np.exp(-np.clip(x, -50, 50)))


def keyhole_radius_mm(spot_mm: float | np.ndarray, effective: np.ndarray) -> np.ndarray:
    """Opening of a developed keyhole: where the Gaussian beam's local irradiance (peak 2× the mean) passes
    the onset. Grows slowly with power, with the spot."""
    ratio = 2.0 * np.asarray(effective) / KEYHOLE_ONSET_W_CM2
    return np.asarray(spot_mm) * np.sqrt(np.log(np.maximum(ratio, 1.0)) / 2.0)


def surface_share(effective: np.ndarray | float, kappa: np.ndarray | float) -> np.ndarray:
    """Share of the absorbed power heating the top surface rather than the keyhole walls: all of it in
    conduction; in a keyhole the beam's wings outside the opening (I_onset / 2 I of the power) plus the lip."""
    wings = np.clip(KEYHOLE_ONSET_W_CM2 / (2.0 * np.maximum(np.asarray(effective), 1.0)), 0.0, 1.0)
    return (1.0 - kappa) + kappa * np.minimum(1.0, FRONT_SHARE + wings)


def potential_depth_mm(absorbed_w: float, speed_mm_s: float, focus_offset_mm: float) -> tuple[float, float]:
    """Depth a fully developed keyhole reaches, and the beam radius averaged down it. The beam is
    evaluated at mid-depth, so a focus inside the material (offset < 0) digs deeper than the same
    offset above it: the asymmetry seen in focal-position scans."""
    depth = DEPTH_REF_MM * absorbed_w / ABSORBED_REF_W * (SPEED_REF_MM_S / speed_mm_s) ** DEPTH_SPEED_EXPONENT
    w_eff = WAIST_MM
    for _ in range(6):  # fixed point: the depth sets where the beam is sampled, the beam sets the depth
        w_eff = float(beam_radius_mm(focus_offset_mm, depth / 2.0))
        depth = (DEPTH_REF_MM * absorbed_w / ABSORBED_REF_W * (SPEED_REF_MM_S / speed_mm_s) ** DEPTH_SPEED_EXPONENT
                 * (WAIST_MM / w_eff) ** DEPTH_SPOT_EXPONENT)
    return float(depth), w_eff


def conduction_depth_mm(absorbed_w: float, speed_mm_s: float) -> float:
    """Melt depth of a surface point source (Rosenthal, thick plate, high Péclet): the isotherm's half-width."""
    v = speed_mm_s * 1e-3
    half = np.sqrt(2.0 * absorbed_w / (np.pi * np.e * RHO_C_J_M3K * v * (MELT_C - AMBIENT_C)))
    return float(half * 1e3)


def surface_peak_c(effective: np.ndarray, kappa: np.ndarray) -> np.ndarray:
    """Peak surface temperature: the boiling point in a keyhole; below the onset it falls linearly with
    irradiance towards the melting point."""
    cond = MELT_C + (BOIL_C - MELT_C) * np.clip(effective / KEYHOLE_ONSET_W_CM2, 0.0, 1.0)
    return kappa * BOIL_C + (1.0 - kappa) * cond


def heat_field(x_mm: np.ndarray, y_mm: np.ndarray, speed_mm_s: float, source_mm: float, surface: float,
               wall_mm: float, keyhole_mm: float, plate_mm: float, n_depth: int = 6, n_images: int = 2) -> np.ndarray:
    """Surface temperature rise (K) per absorbed watt around a beam moving along +x (Rosenthal).

    A share ``surface`` of the power (``surface_share``) goes in
    over the beam spot (a centre and a ring at the spot's rms radius), the rest along the keyhole walls as
    line sources. Each point source is q/(2πkR)·exp(-v(ξ+R)/2α), mirrored at the plate's bottom face
    (adiabatic); R is kept above a fraction of the spot so the field stays finite at the beam.
    """
    v = speed_mm_s / DIFFUSIVITY_MM2_S / 2.0  # 1/mm
    k = CONDUCTIVITY_W_MK * 1e-3  # W/(mm K)
    plate = max(plate_mm, 0.05)
    depth = min(max(keyhole_mm, 1e-3), plate)
    ring = source_mm / np.sqrt(2.0)  # rms radius of a Gaussian spot with 1/e² radius source_mm
    angles = np.arange(6) * np.pi / 3
    # (x offset, y offset, depth, weight)
    points = [(0.0, 0.0, 0.0, surface / 7)] + [(ring * np.cos(a), ring * np.sin(a), 0.0, surface / 7) for a in angles]
    # The capillary's walls, not its axis, take the line share: a wider keyhole melts a wider seam.
    points += [(0.0, side * wall_mm, (j + 0.5) / n_depth * depth, (1.0 - surface) / n_depth / 2)
               for j in range(n_depth) for side in (-1.0, 1.0)]
    reg2 = (source_mm / 4.0) ** 2
    out = np.zeros(np.broadcast(x_mm, y_mm).shape)
    for px, py, z, w in points:
        if w <= 0:
            continue
        dx = x_mm - px
        r2_xy = dx**2 + (y_mm - py) ** 2 + reg2
        images = [z] + [2 * n * plate + s * z for n in range(1, n_images + 1) for s in (-1.0, 1.0)]
        for zi in images:
            r = np.sqrt(r2_xy + zi**2)
            out += w * np.exp(-v * (dx + r)) / (2.0 * np.pi * k * r)
    return out


def pool_geometry(speed_mm_s: float, source_mm: float, surface: float, wall_mm: float, keyhole_mm: float,
                  plate_mm: float, absorbed_w: float, scales: np.ndarray) -> dict[str, np.ndarray]:
    """Melt-pool length, width and area (at MELT_C) for the absorbed power times each of ``scales``."""
    v = speed_mm_s * 1e-3
    q_max = absorbed_w * float(np.max(scales))
    # Analytic high-Péclet sizes set the grid: 3-D point source and 2-D line source, whichever is larger.
    dT = MELT_C - AMBIENT_C
    length = max(q_max / (2 * np.pi * CONDUCTIVITY_W_MK * dT),
                 (q_max / max(keyhole_mm, 0.2) * 1e3 / (2 * CONDUCTIVITY_W_MK * dT)) ** 2
                 * DIFFUSIVITY_MM2_S * 1e-6 / (np.pi * v)) * 1e3
    half = max(np.sqrt(2 * q_max / (np.pi * np.e * RHO_C_J_M3K * v * dT)) * 1e3, source_mm) * 2.0
    xs = np.linspace(-1.3 * length - source_mm, 2.0 * source_mm + 0.2, 260)
    ys = np.linspace(0.0, 1.3 * half + source_mm, 70)
    gx, gy = np.meshgrid(xs, ys)
    field = heat_field(gx, gy, speed_mm_s, source_mm, surface, wall_mm, keyhole_mm, plate_mm)
    cell = (xs[1] - xs[0]) * (ys[1] - ys[0])
    out: dict[str, list[float]] = {"length_mm": [], "width_mm": [], "area_mm2": []}
    for s in scales:
        melt = field * absorbed_w * s > dT
        if not melt.any():
            for key in out:
                out[key].append(0.0)
            continue
        cols = melt.any(axis=0)
        out["length_mm"].append(float(xs[cols].max() - xs[cols].min()))
        out["width_mm"].append(2.0 * float(ys[melt.any(axis=1)].max()))
        out["area_mm2"].append(2.0 * float(melt.sum()) * cell)
    return {k: np.asarray(v) for k, v in out.items()}


def planck_ratio(temp_c: np.ndarray | float, wavelength_um: float = 0.95) -> np.ndarray:
    """Spectral radiance at ``temp_c`` relative to the boiling point (Wien): what a silicon detector sees."""
    c2 = 14388.0 / wavelength_um
    return np.exp(-c2 * (1.0 / (np.asarray(temp_c) + 273.15) - 1.0 / (BOIL_C + 273.15)))
