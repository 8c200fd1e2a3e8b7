"""Spectral features of process emission: line intensities and ratios, the continuum temperature and the
plasma electron temperature.

* A line's intensity is its area above a local linear baseline (fitted on both sides of the line), in
  dark-subtracted counts × nm.
* The continuum temperature is a least-squares fit of A·Planck(λ, T) to the spectrum with every catalogue
  line and the C₂ Swan bands masked out (scipy's ``curve_fit``).
* The electron temperature is the two-line Boltzmann plot of one species (Fe I for steels, Mg I for
  aluminium alloys): ln(I λ / g A) = −E_k / kT + const, so T = (E₂ − E₁) / (k ln(I₁ λ₁ g₂ A₂ / I₂ λ₂ g₁ A₁)).
  The atomic data are NIST ASD's (see ``weldctl.schema``'s emission-line catalogue).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from weldctl.schema import (
    BOLTZMANN_PAIRS,
    C2_SWAN_HEADS_NM,
    LINES,
    RunReader,
    StreamKind,
    emission_line,
    planck,
)

KB_EV = 8.617333262e-5
LINE_HALF_WIDTH_NM = 1.2  # integrate ±this around a line centre (instrument FWHM ≈ 1 nm), at least 1.5 pixels
BASELINE_WIDTHS = (2.0, 4.0)  # baseline windows: this many half widths from the centre, on both sides
CONTINUUM_MASK_NM = 4.0  # continuum fit: leave this much around every catalogue line
SWAN_MASK_NM = 25.0  # and this much to the violet of every Swan band head
RATIOS = (("Cr I", "Fe I"), ("Mn I", "Fe I"), ("Ni I", "Fe I"), ("Mg I", "Al I"))
Array = npt.NDArray[np.float64]


def spectrometer_streams(r: RunReader) -> list[str]:
    return sorted(n for n, s in r.specs.items() if s.kind == StreamKind.spectrometer and r.length(n))


def read_spectra(
    r: RunReader,
    stream: str,
    t0_ns: int | None = None,
    t1_ns: int | None = None,
) -> tuple[npt.NDArray[np.int64], Array, Array]:
    """(t_ns, wavelengths nm, dark-subtracted counts (n, n_wl)) of a spectrometer stream, optionally in a window."""
    spec = r.specs[stream]
    if spec.spectrum is None:
        raise ValueError(f"stream {stream!r} of run {r.run_id} is not a spectrometer stream")
    if t0_ns is None or t1_ns is None:
        t, data = r.t_ns(stream), np.asarray(r.data(stream)[: r.length(stream)])
    else:
        data, t = r.window(stream, t0_ns, t1_ns)
    return np.asarray(t, np.int64), spec.spectrum.wavelengths, spec.spectrum.dark_subtracted(data)


def line_intensity(wl: Array, spectra: Array, centre_nm: float) -> Array:
    """Area (counts·nm) of the line at ``centre_nm`` above a linear baseline, per spectrum (last axis: λ)."""
    x = np.atleast_2d(spectra)
    d = wl - centre_nm
    step = float(np.median(np.diff(wl)))
    hw = max(LINE_HALF_WIDTH_NM, 1.5 * step)
    inner = np.abs(d) <= hw
    side = (np.abs(d) >= BASELINE_WIDTHS[0] * hw) & (np.abs(d) <= BASELINE_WIDTHS[1] * hw)
    if inner.sum() < 1 or side.sum() < 2:
        return np.full(len(x), np.nan)
    a = np.vstack([wl[side] - centre_nm, np.ones(side.sum())]).T
    coef, *_ = np.linalg.lstsq(a, x[:, side].T, rcond=None)  # (2, n): slope, offset per spectrum
    base = coef[0][:, None] * d[inner][None, :] + coef[1][:, None]
    out: Array = np.sum(x[:, inner] - base, axis=1) * step
    return out


def continuum_mask(wl: Array) -> npt.NDArray[np.bool_]:
    """Pixels free of catalogue lines and Swan bands: where the spectrum is the thermal continuum."""
    keep = np.ones(wl.shape, bool)
    for line in LINES:
        keep &= np.abs(wl - line.wavelength_nm) > CONTINUUM_MASK_NM
    for head in C2_SWAN_HEADS_NM:
        keep &= ~((wl > head - SWAN_MASK_NM) & (wl < head + 1.0))
    return keep


def continuum_temperature(wl: Array, spectrum: Array, guess_k: float = 3000.0) -> tuple[float, float]:
    """(T in K, its standard error) of a Planck fit to the continuum of one (mean) spectrum; NaN if no fit."""
    from scipy.optimize import curve_fit

    mask = continuum_mask(wl)
    x, y = wl[mask], np.asarray(spectrum, np.float64)[mask]
    if len(x) < 10 or not np.any(y > 0):
        return float("nan"), float("nan")
    ref = float(np.median(x))  # the model is normalised there, so both parameters are of order one to the fit

    def model(lam: Array, a: float, t: float) -> Array:
        return np.asarray(a * planck(lam, t) / planck(np.array([ref]), t)[0], np.float64)

    a0 = float(np.median(y[np.abs(x - ref) < 20])) if np.any(np.abs(x - ref) < 20) else float(np.max(y))
    try:
        (_a, t), cov = curve_fit(
            model, x, y, p0=(a0, guess_k), bounds=([0.0, 500.0], [np.inf, 20_000.0]), x_scale="jac"
        )
    except (RuntimeError, ValueError):
        return float("nan"), float("nan")
    return float(t), float(np.sqrt(cov[1, 1])) if np.all(np.isfinite(cov)) else float("nan")


def electron_temperature(wl: Array, spectrum: Array, species: str) -> float:
    """Plasma electron temperature (K) from the two-line Boltzmann plot of ``species``; NaN if a line is absent."""
    lo_nm, hi_nm = BOLTZMANN_PAIRS[species]
    l1, l2 = emission_line(species, lo_nm), emission_line(species, hi_nm)
    i1, i2 = (float(line_intensity(wl, spectrum, x.wavelength_nm)[0]) for x in (l1, l2))
    if not (i1 > 0 and i2 > 0):
        return float("nan")
    ratio = (i1 * l1.wavelength_nm * l2.g_k * l2.a_ki) / (i2 * l2.wavelength_nm * l1.g_k * l1.a_ki)
    if ratio <= 1.0:  # the higher level at least as populated: no temperature
        return float("nan")
    return float((l2.e_k_ev - l1.e_k_ev) / (KB_EV * np.log(ratio)))


def spectral_features(wl: Array, spectra: Array) -> dict[str, Any]:
    """Features of a weld's spectra: per line its mean intensity, species ratios, H-α over the continuum,
    the continuum and electron temperatures of the mean spectrum, and the emission's time variation."""
    x = np.atleast_2d(np.asarray(spectra, np.float64))
    mean = x.mean(axis=0)
    out: dict[str, Any] = {}
    in_range = [line for line in LINES if wl[0] + 3 < line.wavelength_nm < wl[-1] - 3]
    per_species: dict[str, float] = {}
    for line in in_range:
        value = float(line_intensity(wl, mean, line.wavelength_nm)[0])
        out[f"line_{line.species.replace(' ', '')}_{line.wavelength_nm:.2f}"] = value
        per_species[line.species] = per_species.get(line.species, 0.0) + max(value, 0.0)
    strongest = max(per_species.values(), default=0.0)
    for a, b in RATIOS:  # only between species that are there (a ratio of noise is no feature)
        if per_species.get(b, 0.0) > 0.02 * strongest and a in per_species:
            out[f"ratio_{a.split()[0]}_{b.split()[0]}"] = per_species[a] / per_species[b]
    t_cont, t_err = continuum_temperature(wl, mean)
    out["continuum_temperature_k"], out["continuum_temperature_err_k"] = t_cont, t_err
    cont = float(np.mean(mean[continuum_mask(wl)]))
    out["continuum_counts"] = cont
    h = per_species.get("H I", 0.0)
    out["h_alpha_over_continuum"] = h / cont if cont > 0 else float("nan")
    for species in BOLTZMANN_PAIRS:
        if species in per_species:
            out[f"electron_temperature_k_{species.split()[0]}"] = electron_temperature(wl, mean, species)
    total = x.sum(axis=1)
    out["emission_cv"] = float(np.std(total) / np.mean(total)) if np.mean(total) > 0 else float("nan")
    return out
