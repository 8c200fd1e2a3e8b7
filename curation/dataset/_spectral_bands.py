"""A spectrometer stream as sample channels: its spectrum cut into wavelength bands, one channel per band.

A sample's signals are channels on one time axis; a spectrum of a thousand pixels at 200 Hz becomes
``bands`` channels ``<stream>.nm<centre>`` (dark-subtracted mean counts over equal-width bands), each then
resampled like every other channel. The channel-selection step ranks these bands against a label.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from weldctl.schema import StreamSpec

BAND_PREFIX = "nm"


def band_edges(spec: StreamSpec, bands: int) -> npt.NDArray[np.float64]:
    assert spec.spectrum is not None
    wl = spec.spectrum.wavelengths
    return np.linspace(wl[0], wl[-1], bands + 1)


def band_names(name: str, spec: StreamSpec, bands: int) -> list[str]:
    """``<stream>.nm<centre>`` per band (centre rounded to 0.1 nm where bands are narrower than 5 nm)."""
    edges = band_edges(spec, bands)
    centres = (edges[:-1] + edges[1:]) / 2
    fmt = "{:.0f}" if np.min(np.diff(edges)) >= 5 else "{:.1f}"
    return [f"{name}.{BAND_PREFIX}{fmt.format(c)}" for c in centres]


def band_values(spec: StreamSpec, data: npt.NDArray[np.generic], bands: int) -> npt.NDArray[np.float64]:
    """(N, bands): the dark-subtracted mean of each band of each spectrum."""
    assert spec.spectrum is not None
    wl = spec.spectrum.wavelengths
    x = spec.spectrum.dark_subtracted(np.asarray(data).reshape(len(data), -1))
    which = np.clip(np.searchsorted(band_edges(spec, bands), wl, side="right") - 1, 0, bands - 1)
    sums = np.zeros((len(x), bands))
    np.add.at(sums.T, which, x.T)
    counts = np.bincount(which, minlength=bands).astype(np.float64)
    out: npt.NDArray[np.float64] = sums / np.maximum(counts, 1.0)
    return out


def is_band(channel: str) -> bool:
    _, _, ch = channel.partition(".")
    return ch.startswith(BAND_PREFIX) and ch[len(BAND_PREFIX) :].replace(".", "", 1).isdigit()
