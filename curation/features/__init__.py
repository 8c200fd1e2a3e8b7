"""Features of a run's signals and frames: sliding statistics, band energies, mel spectrograms, EEMD and
melt-pool morphology, and their table per run."""

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

__all__ = [
    "BandParams",
    "FeatureParams",
    "MelParams",
    "MorphologyParams",
    "WindowParams",
    "band_energies",
    "compute_features",
    "eemd",
    "frame_morphology",
    "mel_spectrogram",
    "sliding_stats",
    "write_features",
]
