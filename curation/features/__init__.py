"""Features of a run's signals and frames: sliding statistics, band energies, mel spectrograms, EEMD and
melt-pool morphology, spectral lines and temperatures, and their table per run."""

from ._features import (
    BandParams,
    MelParams,
    MorphologyParams,
    WindowParams,
    band_energies,
    eemd,
    frame_morphology,
    mel_spectrogram,
    sliding_stats,
)
from ._run import FeatureParams, compute_features, write_features
from ._spectral import (
    continuum_temperature,
    electron_temperature,
    line_intensity,
    read_spectra,
    spectral_features,
    spectrometer_streams,
)

__all__ = [
    "BandParams",
    "FeatureParams",
    "MelParams",
    "MorphologyParams",
    "WindowParams",
    "band_energies",
    "compute_features",
    "continuum_temperature",
    "eemd",
    "electron_temperature",
    "frame_morphology",
    "line_intensity",
    "mel_spectrogram",
    "read_spectra",
    "sliding_stats",
    "spectral_features",
    "spectrometer_streams",
    "write_features",
]
