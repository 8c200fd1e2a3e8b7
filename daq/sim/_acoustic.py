"""Acoustic emission as band noise: each band of the process (melt pool, keyhole, vapour jet) is noise
with its own spectrum, scaled sample by sample by the band's envelope from the process model.

Band noise is generated once per device (FFT-shaped white noise, periodic, unit variance) and read at the
sample index, so it is continuous across blocks and the same for the same seed. A band above the
device's Nyquist frequency folds back as white noise of the same power (the anti-alias filter is not
modelled), so the envelope stays the signal's standard deviation at any rate.
"""

from __future__ import annotations

import numpy as np

BAND_NOISE_SAMPLES = 1 << 18
BANDS_HZ = {"pool": (150.0, 1000.0), "keyhole": (1500.0, 4500.0), "jet": (6000.0, 20000.0)}


def band_noise(rate_hz: float, lo_hz: float, hi_hz: float, rng: np.random.Generator,
               n: int = BAND_NOISE_SAMPLES) -> np.ndarray:
    """Unit-variance periodic noise with a flat band between lo and hi (raised-cosine edges)."""
    f = np.fft.rfftfreq(n, 1.0 / rate_hz)
    edge = 0.15 * (hi_hz - lo_hz)
    mask = np.clip(np.minimum((f - lo_hz + edge) / (2 * edge), (hi_hz + edge - f) / (2 * edge)), 0.0, 1.0)
    mask = 0.5 - 0.5 * np.cos(np.pi * mask)
    white = rng.standard_normal(n)
    if mask[1:].sum() < 4:  # the band lies above Nyquist: it aliases, keep its power
        return white.astype(np.float32)
    x = np.fft.irfft(np.fft.rfft(white) * mask, n)
    return (x / x.std()).astype(np.float32)


class BandNoise:
    """One periodic noise sequence per process band, for one device."""

    def __init__(self, rate_hz: float, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.bands = {name: band_noise(rate_hz, lo, hi, rng) for name, (lo, hi) in BANDS_HZ.items()}

    def at(self, band: str, index: np.ndarray) -> np.ndarray:
        return self.bands[band][np.asarray(index, dtype=np.int64) % BAND_NOISE_SAMPLES]


def acoustic(bands: dict[str, np.ndarray], noise: BandNoise, index: np.ndarray, white: np.ndarray) -> np.ndarray:
    """Sum of band envelopes × band noise, plus the white part (``white`` is standard normal)."""
    out = bands["white"] * white
    for name in BANDS_HZ:
        out += bands[name] * noise.at(name, index)
    return out
