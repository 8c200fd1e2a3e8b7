"""Emission lines of laser-welding plumes: the reference data the simulator and the spectral features share.

Atomic data (wavelength in air, transition probability A_ki, statistical weight g_k and energy E_k of
the upper level) are from the NIST Atomic Spectra Database (A. Kramida, Yu. Ralchenko, J. Reader and
NIST ASD Team, NIST Atomic Spectra Database, version 5, https://physics.nist.gov/asd), rounded to the
digits given here. The Boltzmann plot of the plasma electron temperature uses two lines of one species
far apart in E_k: Fe I 371.99 nm (E_k 3.332 eV) and Fe I 438.35 nm (E_k 4.312 eV) for steel; Mg I 383.83
and 518.36 nm for aluminium alloys (where iron is absent). The list keeps lines at least ~5 nm apart, so a
compact spectrometer (1–2 nm resolution) resolves each: Fe I 404.58 (beside Mn I 403.08), Cr I 427.48
and Al I 394.40 are left out for that reason.

The C₂ Swan system has no single line: its band heads (Δv = +1, 0, −1 at 473.7, 516.5, 563.5 nm,
degraded to the violet) mark burning hydrocarbons (oil on the seam).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

BOLTZMANN_EV_PER_K = 8.617333262e-5
C2_NM_K = 1.438777e7  # second radiation constant hc/k, nm·K


def planck(wavelength_nm: npt.ArrayLike, temperature_k: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Planck's law up to a constant factor: λ⁻⁵ / (exp(c2 / λT) − 1), shaped T.shape + (n_wavelengths,)."""
    wl = np.asarray(wavelength_nm, dtype=np.float64)
    t = np.asarray(temperature_k, dtype=np.float64)[..., None]
    out: npt.NDArray[np.float64] = (wl**-5.0) / np.expm1(C2_NM_K / (wl * t))
    return out


@dataclass(frozen=True)
class EmissionLine:
    species: str  # element and ionisation stage, e.g. "Fe I"
    wavelength_nm: float  # in air
    a_ki: float  # transition probability, 1/s
    g_k: int  # statistical weight of the upper level
    e_k_ev: float  # energy of the upper level, eV


LINES: tuple[EmissionLine, ...] = (
    # iron (AISI 304: ~70 %)
    EmissionLine("Fe I", 371.99, 1.62e7, 11, 3.332),
    EmissionLine("Fe I", 438.35, 5.00e7, 11, 4.312),
    # chromium (~18 %)
    EmissionLine("Cr I", 425.43, 3.15e7, 9, 2.913),
    EmissionLine("Cr I", 520.84, 5.06e7, 7, 3.321),
    # manganese (~2 %, but low-boiling: enriched in the vapour)
    EmissionLine("Mn I", 403.08, 1.70e7, 8, 3.075),
    # nickel (~8 %)
    EmissionLine("Ni I", 352.45, 1.00e8, 5, 3.542),
    EmissionLine("Ni I", 361.94, 6.60e7, 7, 3.847),
    # aluminium and magnesium (5xxx alloys)
    EmissionLine("Al I", 396.15, 9.85e7, 2, 3.143),
    EmissionLine("Mg I", 383.83, 1.61e8, 7, 5.946),
    EmissionLine("Mg I", 518.36, 5.61e7, 3, 5.108),
    # contamination: water and oil films dissociate in the plume
    EmissionLine("H I", 656.28, 4.41e7, 18, 12.088),  # H-alpha
    EmissionLine("O I", 777.19, 3.69e7, 7, 10.741),  # the O I 777 nm triplet
    EmissionLine("O I", 777.42, 3.69e7, 5, 10.740),
    EmissionLine("O I", 777.54, 3.69e7, 3, 10.740),
)
C2_SWAN_HEADS_NM: tuple[float, ...] = (473.7, 516.5, 563.5)

# The pairs a Boltzmann plot uses, per alloy family: (species, lower-E_k line, higher-E_k line).
BOLTZMANN_PAIRS: dict[str, tuple[float, float]] = {"Fe I": (371.99, 438.35), "Mg I": (518.36, 383.83)}


def emission_line(species: str, wavelength_nm: float) -> EmissionLine:
    """The catalogue line of ``species`` nearest ``wavelength_nm``."""
    return min((x for x in LINES if x.species == species), key=lambda x: abs(x.wavelength_nm - wavelength_nm))


def alloy_species(material: str) -> dict[str, float]:
    """Atom fraction of each emitting element of the plume over ``material`` (vapour, not bulk: the
    low-boiling elements Mn and Mg are enriched several times over their share of the alloy)."""
    m = material.lower()
    if "al" in m and "steel" not in m and "304" not in m:
        return {"Al I": 0.85, "Mg I": 0.15}
    return {"Fe I": 0.62, "Cr I": 0.20, "Mn I": 0.10, "Ni I": 0.08}
