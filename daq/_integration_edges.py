"""Where the laser went off, inside the integration of one spectrum.

A spectrometer integrates the light over each integration window and its spectrum is stamped at the
middle of it. When the process emission stops (laser off: the plasma lines go out within µs, the
thermal continuum of a keyhole weld with them), the one spectrum whose window holds that instant sees
only the lit part: its total emission is a partial value between the lit level before and the dark
level after, and the lit fraction ``f`` places the edge at ``start + f · T`` inside the window. That is
a time resolution far below the integration time ``T``.

The bound on each edge is the model's own: the lit level fluctuates (plume flicker, pores, spatter)
and the partial spectrum sees only ``f · T`` of it, so its lit share scatters by ``√f · σ_lit`` (white
fluctuations; slower ones by ``f · σ_lit``, less), plus the errors of the two levels and the dark
scatter, taken at 3 σ, plus how sharply the emission itself stops (``EMISSION_FALL_NS``: the step model
places the edge no better than that). An edge whose neighbours do not look fully lit before and fully dark after (the
emission did not step within one spectrum: a burst at the edge, a lost spectrum) is not used. An
edge in the dead time between two integrations (an externally triggered spectrometer integrating
less than its period) is placed in the middle of that gap, bounded by half of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from weldctl.schema import AlignmentError, signal_edges

SIGMAS = 3.0
LIT_SPECTRA = 6  # fully lit spectra before the partial one: the lit level and its scatter
DARK_SPECTRA = 6  # fully dark spectra after it
MIN_STEP_SIGMAS = 10.0  # the step must stand this far above the scatter of both levels to be an edge
CONTIGUOUS = 0.25  # spectra in the window must be one period apart (± this share): none lost among them
# The keyhole's plasma and vapour emission dies within ~0.1 ms of laser off (recombination, the plume leaving):
# a step placed from the integrated light is no sharper than the light's own fall.
EMISSION_FALL_NS = 100_000.0


@dataclass(frozen=True)
class IntegrationEdge:
    t_ns: float  # the edge on the stream's time base
    bound_ns: float  # bounds |error| of t_ns, from the levels' scatter (see the module docstring)
    lit_fraction: float  # share of the partial spectrum's window before the edge


def laser_off_edges(
    t_ns: npt.NDArray[np.float64], total: npt.NDArray[np.float64], integration_ns: float, period_ns: float
) -> list[IntegrationEdge]:
    """Every fall of ``total`` (the emission summed over wavelength, one value per spectrum at mid-integration
    ``t_ns``) located inside its integration window, with its bound."""
    t = np.asarray(t_ns, dtype=np.float64)
    x = np.asarray(total, dtype=np.float64)
    try:
        falls = signal_edges(t, x).falling_ns
    except AlignmentError:
        return []
    out = []
    for crossing in falls:
        j = int(np.searchsorted(t, crossing, side="right"))  # the first spectrum below the midpoint
        edge = _locate(t, x, j, integration_ns, period_ns)
        if edge is not None:
            out.append(edge)
    return out


def _locate(t: np.ndarray, x: np.ndarray, j: int, t_int: float, period: float) -> IntegrationEdge | None:
    """The edge in spectrum j − 1 or j (one holds it: the spectra before are lit, those after dark)."""
    lo, hi = j - 1 - LIT_SPECTRA, j + 1 + DARK_SPECTRA
    if lo < 0 or hi > len(x):
        return None
    if np.any(np.abs(np.diff(t[lo:hi]) - period) > CONTIGUOUS * period):
        return None
    lit, dark = x[lo : j - 1], x[j + 1 : hi]
    level, s_lit = float(lit.mean()), float(lit.std(ddof=1))
    floor, s_dark = float(dark.mean()), float(dark.std(ddof=1))
    step = level - floor
    if step <= MIN_STEP_SIGMAS * max(s_lit, s_dark, 1e-12):
        return None

    def noise(f: float) -> float:
        """3 σ of a lit fraction f measured from one spectrum against the two levels."""
        f = min(max(f, 0.0), 1.0)
        lit_part = s_lit * (np.sqrt(f) + f / np.sqrt(LIT_SPECTRA))
        dark_part = s_dark * (1.0 + 1.0 / np.sqrt(DARK_SPECTRA))
        return float(SIGMAS * (lit_part + dark_part) / step)

    fa, fb = (float(x[j - 1]) - floor) / step, (float(x[j]) - floor) / step
    start_a, start_b = t[j - 1] - t_int / 2, t[j] - t_int / 2
    a_lit, b_dark = 1.0 - fa <= noise(1.0), fb <= noise(0.0)
    if a_lit and b_dark:  # the edge is at the boundary, or in the dead time between the two integrations
        early, late = start_a + t_int * (1.0 - noise(1.0)), start_b + t_int * noise(0.0)
        return IntegrationEdge((early + late) / 2, (late - early) / 2 + EMISSION_FALL_NS, 1.0)
    if b_dark:  # spectrum j − 1 holds the edge
        f = min(max(fa, 0.0), 1.0)
        return IntegrationEdge(start_a + f * t_int, noise(f) * t_int + EMISSION_FALL_NS, f)
    if a_lit:  # spectrum j holds it
        f = min(max(fb, 0.0), 1.0)
        return IntegrationEdge(start_b + f * t_int, noise(f) * t_int + EMISSION_FALL_NS, f)
    return None  # neither neighbour looks whole: the emission did not step within one spectrum
