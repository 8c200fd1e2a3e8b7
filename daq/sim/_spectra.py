"""Process-emission spectra from the process state: what a spectrometer looking at the keyhole sees.

A spectrum is the sum of

* a thermal continuum, Planck's law at the continuum temperature: the melt pool at its peak
  temperature, pulled towards the vapour plume's temperature in proportion to the keyhole (the plume
  and the keyhole wall dominate a keyhole weld's continuum); its brightness follows the pool area;
* atomic emission lines of the alloy's vapour (Fe, Cr, Mn, Ni for AISI 304; Al, Mg for aluminium),
  each ∝ fraction · g_k · A_ki / λ · exp(−E_k / kT_e) (a Boltzmann population at the plasma electron
  temperature T_e), the whole set scaled with the plume (keyhole, absorbed power, flicker);
* contamination: a water film adds H-α 656.3 nm and the O I 777 nm triplet, an oil film H-α, a little
  O I and the C₂ Swan bands (burning hydrocarbons), each ∝ film coverage and plume;
* transients at the instants the other sensors see them: a keyhole collapse (pore) is a burst of plume
  emission rich in the low-boiling element (Mn, Mg), spatter a hot grey-body flash, a film pop a flash
  of H-α;
* a dark level with a fixed pattern, shot noise and read noise.

Each spectrum integrates the scalar amplitudes over its integration window, sub-sampled at ``SUB_STEP_S``
(the state interpolated between its 1 ms points), so a sub-ms transient is seen with its share of the
integration, and so is the laser switching on or off inside the window: the spectrum that holds a laser-off
sees the lit part of its window, to 0.1 ms, as a real detector integrating continuously does (what
``weldctl calibrate`` places the edge by).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from weldctl.schema import C2_SWAN_HEADS_NM, LINES, alloy_species, planck

from . import _events as ev
from ._physics import ABSORBED_REF_W
from ._process import WeldProcess

KB_EV = 8.617333262e-5
SUB_STEP_S = 1e-4  # the state and the transients (sub-ms) are averaged over the integration at this step
PLUME_PULL = 0.35  # share of the way from the pool peak to the plume temperature, at full keyhole
ELECTRON_PER_PLUME = 1.7  # T_e / plume temperature (K): the plasma's electrons run hotter than the vapour
DARK_COUNTS = 1000.0
READ_NOISE = 8.0
COUNTS_PER_PHOTOELECTRON = 0.1
CONTINUUM_COUNTS = 4000.0  # at the pool area of a nominal weld (4 mm²), 700 nm, 3000 K
NOMINAL_POOL_MM2 = 4.0
LINE_COUNTS = 12000.0  # strongest line of a nominal plume
H_ALPHA_COUNTS, O_I_COUNTS, SWAN_COUNTS = 5000.0, 2500.0, 3000.0
PORE_LINE_GAIN, PORE_LOW_BOIL_GAIN = 1.5, 4.0
SPATTER_CONTINUUM_GAIN, POP_H_ALPHA_GAIN = 3.0, 3.0
LOW_BOILING = ("Mn I", "Mg I")


def _gauss(wl: np.ndarray, centre: float, fwhm: float) -> np.ndarray:
    sigma = fwhm / 2.3548
    return np.exp(-0.5 * ((wl - centre) / sigma) ** 2)


def _swan(wl: np.ndarray, fwhm: float) -> np.ndarray:
    """The C₂ Swan bands: each head sharp on the red side, a tail degraded to the violet."""
    out = np.zeros_like(wl)
    for head, weight in zip(C2_SWAN_HEADS_NM, (0.6, 1.0, 0.5), strict=True):
        d = head - wl  # > 0 on the violet side
        tail = np.where(d >= 0, np.exp(-np.clip(d, 0, None) / 6.0), 0.0)
        out += (
            weight
            * np.convolve(tail, _gauss(wl, wl[len(wl) // 2], fwhm), mode="same")
            / max(_gauss(wl, wl[len(wl) // 2], fwhm).sum(), 1e-12)
        )
    return out / max(out.max(), 1e-12)


@dataclass(frozen=True)
class SpectralScalars:
    """Per spectrum: the amplitudes and temperatures a spectrum is built from (also the truth table)."""

    continuum_temperature_k: np.ndarray
    continuum_counts: np.ndarray
    electron_temperature_k: np.ndarray
    line_scale: np.ndarray
    low_boil_gain: np.ndarray
    h_alpha: np.ndarray
    o_i: np.ndarray
    swan: np.ndarray


class SpectrumModel:
    """Spectra of one weld process on one wavelength axis."""

    def __init__(self, process: WeldProcess, wavelengths_nm: np.ndarray, fwhm_nm: float, seed: int) -> None:
        self.process = process
        self.wl = np.asarray(wavelengths_nm, dtype=np.float64)
        species = alloy_species(process.cfg.material)
        self.lines = [x for x in LINES if x.species in species]
        self.fraction = np.array([species[x.species] for x in self.lines])
        self.low_boil = np.array([x.species in LOW_BOILING for x in self.lines])
        self.profiles = np.stack([_gauss(self.wl, x.wavelength_nm, fwhm_nm) for x in self.lines])
        self.gal = np.array([x.g_k * x.a_ki / x.wavelength_nm for x in self.lines])
        self.e_k = np.array([x.e_k_ev for x in self.lines])
        self.h_alpha = _gauss(self.wl, 656.28, fwhm_nm)
        self.o_i = (
            sum(
                (_gauss(self.wl, c, fwhm_nm) * w for c, w in ((777.19, 7), (777.42, 5), (777.54, 3))),
                np.zeros_like(self.wl),
            )
            / 15.0
            * 2.2
        )
        self.swan = _swan(self.wl, fwhm_nm)
        self.fixed_pattern = np.random.default_rng(seed).normal(0.0, 6.0, self.wl.shape)
        self._ref_planck = float(planck(np.array([700.0]), 3000.0)[0])
        self._pores, self._spatter = process.events.of("pore"), process.events.of("spatter")
        self._pops = process.events.of("pop")
        # the strongest line of a nominal plume (T_e 5800 K) is LINE_COUNTS
        self._line_norm = 1.0 / float(np.max(self.fraction * self.gal * np.exp(-self.e_k / (KB_EV * 5800.0))))

    def _windows(self, t_mid: np.ndarray, integration_s: float, step_s: float) -> tuple[np.ndarray, int]:
        """Sub-sample times of each integration window [t − T/2, t + T/2), flattened, and their count each."""
        n = max(1, round(integration_s / step_s))
        offs = (np.arange(n) + 0.5) / n * integration_s - integration_s / 2
        return (np.asarray(t_mid, dtype=np.float64)[:, None] + offs[None, :]).ravel(), n

    def scalars(self, t_mid: np.ndarray, integration_s: float) -> SpectralScalars:
        """Amplitudes averaged over each integration window at ``SUB_STEP_S``: the state (and the laser's on/off
        inside the window), and the transients (collapses, spatter, pops)."""
        p = self.process
        t, n = self._windows(t_mid, integration_s, SUB_STEP_S)

        def mean(x: np.ndarray) -> np.ndarray:
            return np.asarray(x, dtype=np.float64).reshape(-1, n).mean(axis=1)

        on = p.laser_on(t).astype(np.float64)
        kappa, pool_c, plume_c, absorbed, flicker, area, water, oil = (
            p.sample(q, t)
            for q in (
                "keyhole_fraction",
                "pool_peak_c",
                "plume_temperature_c",
                "absorbed_power_w",
                "plume_flicker",
                "pool_area_mm2",
                "water_film",
                "oil_film",
            )
        )
        pool_k = pool_c + 273.15
        plume_k = np.where(plume_c > 0, plume_c + 273.15, pool_k)
        t_cont = pool_k + PLUME_PULL * kappa * np.clip(plume_k - pool_k, 0.0, None)
        t_e = ELECTRON_PER_PLUME * plume_k
        plume = on * kappa * (absorbed / ABSORBED_REF_W) * (1.0 + flicker)
        cont = on * area / NOMINAL_POOL_MM2
        collapse = mean(ev.collapse(self._pores, t, weighted=True))
        spatter = mean(ev.impulses(self._spatter, t, 2 * ev.SPATTER_DECAY_S))
        pops = mean(ev.impulses(self._pops, t, ev.POP_DECAY_S))
        line_scale = mean(plume) * (1.0 + PORE_LINE_GAIN * collapse)
        weight = np.maximum(cont, 1e-12)  # the continuum temperature a spectrum shows: brightness-weighted
        t_cont_mean = mean(t_cont * weight) / mean(weight)
        cont_mean = mean(cont) * (1.0 + SPATTER_CONTINUUM_GAIN * spatter)
        plume_mean = np.maximum(mean(plume), 1e-12)
        return SpectralScalars(
            continuum_temperature_k=np.where(cont_mean > 0, t_cont_mean, 0.0),
            continuum_counts=cont_mean,
            electron_temperature_k=np.where(mean(plume) > 0, mean(t_e * plume) / plume_mean, 0.0),
            line_scale=line_scale,
            low_boil_gain=1.0 + PORE_LOW_BOIL_GAIN * collapse,
            h_alpha=mean(plume * (water + 0.6 * oil)) * (1.0 + POP_H_ALPHA_GAIN * pops),
            o_i=mean(plume * (water + 0.2 * oil)),
            swan=mean(on * np.minimum(absorbed / 700.0, 1.5) * oil * (1.0 + flicker)),
        )

    def render(self, t_mid: np.ndarray, integration_s: float, rng: np.random.Generator) -> np.ndarray:
        """Counts, (n, n_wavelengths) float32: dark + continuum + lines + contamination, with noise."""
        s = self.scalars(t_mid, integration_s)
        t_c = np.where(s.continuum_temperature_k > 0, s.continuum_temperature_k, 3000.0)
        signal = (CONTINUUM_COUNTS * s.continuum_counts)[:, None] * planck(self.wl, t_c) / self._ref_planck
        t_e = np.where(s.electron_temperature_k > 0, s.electron_temperature_k, 5800.0)
        pops = self.fraction * self.gal * np.exp(-self.e_k[None, :] / (KB_EV * t_e[:, None])) * self._line_norm
        pops = pops * np.where(self.low_boil[None, :], s.low_boil_gain[:, None], 1.0)
        signal += (LINE_COUNTS * s.line_scale)[:, None] * (pops @ self.profiles)
        signal += (H_ALPHA_COUNTS * s.h_alpha)[:, None] * self.h_alpha
        signal += (O_I_COUNTS * s.o_i)[:, None] * self.o_i
        signal += (SWAN_COUNTS * s.swan)[:, None] * self.swan
        shot = rng.standard_normal(signal.shape) * np.sqrt(np.maximum(signal, 0.0) * COUNTS_PER_PHOTOELECTRON)
        read = rng.standard_normal(signal.shape) * READ_NOISE
        return (DARK_COUNTS + self.fixed_pattern + signal + shot + read).astype(np.float32)

    @property
    def dark(self) -> np.ndarray:
        return DARK_COUNTS + self.fixed_pattern
