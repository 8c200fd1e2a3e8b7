"""Features the weld-monitoring literature uses, computed from a run store (never written into it).

- keyhole / melt-pool morphology per frame: threshold inside an ROI, largest connected component,
  its area, perimeter, length and width (OpenCV)
- sliding-window mean and standard deviation of any 1-D signal
- Mel spectrogram of an acoustic channel
- band energies of the photodiode
- EEMD of the OCT keyhole depth (PyEMD, optional)
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from ..core import need_module


class MorphologyParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    threshold: int = Field(default=150, ge=0, le=65535, description="pixels above this are keyhole/pool")
    roi: tuple[int, int, int, int] | None = Field(default=None, description="x, y, width, height")


class WindowParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    window_s: float = Field(default=0.010, gt=0)
    step_s: float = Field(default=0.002, gt=0)


class MelParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n_fft: int = Field(default=1024, gt=0)
    hop: int = Field(default=256, gt=0)
    n_mels: int = Field(default=64, gt=0)
    fmin_hz: float = 20.0
    fmax_hz: float | None = None


class BandParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bands_hz: list[tuple[float, float]] = Field(
        default_factory=lambda: [(0.0, 100.0), (100.0, 1000.0), (1000.0, 5000.0), (5000.0, 20000.0)]
    )
    window_s: float = Field(default=0.010, gt=0)
    step_s: float = Field(default=0.005, gt=0)


def frame_morphology(frames: np.ndarray, p: MorphologyParams | None = None) -> dict[str, np.ndarray]:
    """Per frame: area (px), perimeter (px), length and width (px, of the min-area rectangle)."""
    cv2 = need_module("cv2")
    p = p or MorphologyParams()
    n = len(frames)
    out = {k: np.zeros(n, np.float64) for k in ("area_px", "perimeter_px", "length_px", "width_px")}
    x0, y0, w, h = p.roi if p.roi else (0, 0, frames.shape[2], frames.shape[1])
    for i in range(n):
        roi = frames[i, y0 : y0 + h, x0 : x0 + w]
        mask = (roi > p.threshold).astype(np.uint8)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        if count < 2:
            continue  # no keyhole open in this frame
        k = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        blob = (labels == k).astype(np.uint8)
        out["area_px"][i] = stats[k, cv2.CC_STAT_AREA]
        contours, _ = cv2.findContours(blob, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        c = max(contours, key=cv2.contourArea)
        out["perimeter_px"][i] = cv2.arcLength(c, True)
        (_, _), (a, b), _ = cv2.minAreaRect(c)
        out["length_px"][i], out["width_px"][i] = max(a, b), min(a, b)
    return out


def sliding_stats(t_ns: np.ndarray, x: np.ndarray, p: WindowParams | None = None) -> dict[str, np.ndarray]:
    """Mean and STD over windows of ``window_s`` every ``step_s`` (on the samples' own times)."""
    p = p or WindowParams()
    x = np.asarray(x, np.float64)
    if len(x) == 0:
        return {"t_ns": np.empty(0, np.int64), "mean": np.empty(0), "std": np.empty(0)}
    win, step = int(p.window_s * 1e9), int(p.step_s * 1e9)
    starts = np.arange(int(t_ns[0]), int(t_ns[-1]) - win + 1, step, dtype=np.int64)
    i0 = np.searchsorted(t_ns, starts)
    i1 = np.searchsorted(t_ns, starts + win)
    c1 = np.concatenate([[0.0], np.cumsum(x)])
    c2 = np.concatenate([[0.0], np.cumsum(x * x)])
    cnt = np.maximum(i1 - i0, 1)
    mean = (c1[i1] - c1[i0]) / cnt
    var = np.maximum((c2[i1] - c2[i0]) / cnt - mean**2, 0.0)
    return {"t_ns": starts + win // 2, "mean": mean, "std": np.sqrt(var)}


def _mel_filters(rate: float, n_fft: int, n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    mel = lambda f: 2595.0 * np.log10(1.0 + np.asarray(f) / 700.0)  # noqa: E731
    hz = lambda m: 700.0 * (10 ** (np.asarray(m) / 2595.0) - 1.0)  # noqa: E731
    edges = hz(np.linspace(mel(fmin), mel(fmax), n_mels + 2))
    freqs = np.fft.rfftfreq(n_fft, 1.0 / rate)
    fb = np.zeros((n_mels, len(freqs)))
    for m in range(n_mels):
        lo, mid, hi = edges[m : m + 3]
        fb[m] = np.clip(np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)), 0.0, None)
    return fb


def _frames(x: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    if len(x) < n_fft:
        x = np.pad(x, (0, n_fft - len(x)))
    return np.lib.stride_tricks.sliding_window_view(x, n_fft)[::hop]


def mel_spectrogram(
    t_ns: np.ndarray, x: np.ndarray, rate: float, p: MelParams | None = None
) -> dict[str, np.ndarray]:
    """Log-Mel power (dB), frames x mels, with each frame's centre time."""
    p = p or MelParams()
    fr = _frames(np.asarray(x, np.float64), p.n_fft, p.hop) * np.hanning(p.n_fft)
    power = np.abs(np.fft.rfft(fr, axis=1)) ** 2
    fb = _mel_filters(rate, p.n_fft, p.n_mels, p.fmin_hz, p.fmax_hz or rate / 2)
    mel_db = 10.0 * np.log10(power @ fb.T + 1e-12)
    centre = np.minimum(np.arange(len(fr)) * p.hop + p.n_fft // 2, len(t_ns) - 1)
    return {"t_ns": t_ns[centre], "mel_db": mel_db.astype(np.float32)}


def band_energies(
    t_ns: np.ndarray, x: np.ndarray, rate: float, p: BandParams | None = None
) -> dict[str, np.ndarray]:
    """Energy in each band per window (Welch-free: one Hann FFT per window)."""
    p = p or BandParams()
    n = max(8, int(p.window_s * rate))
    hop = max(1, int(p.step_s * rate))
    fr = _frames(np.asarray(x, np.float64) - np.mean(x), n, hop) * np.hanning(n)
    power = np.abs(np.fft.rfft(fr, axis=1)) ** 2 / n
    freqs = np.fft.rfftfreq(n, 1.0 / rate)
    out = {"t_ns": t_ns[np.minimum(np.arange(len(fr)) * hop + n // 2, len(t_ns) - 1)]}
    for lo, hi in p.bands_hz:
        out[f"band_{int(lo)}_{int(hi)}_hz"] = power[:, (freqs >= lo) & (freqs < hi)].sum(axis=1)
    return out


def eemd(x: np.ndarray, trials: int = 10, max_imf: int = 6, seed: int = 0) -> np.ndarray:
    """Ensemble EMD of a signal (e.g. OCT keyhole depth): IMFs then the residue, (n_imf + 1) x samples."""
    pyemd = need_module("PyEMD", extra="features")
    e = pyemd.EEMD(trials=trials, parallel=False)
    e.noise_seed(seed)
    e.eemd(np.asarray(x, np.float64), max_imf=max_imf)
    imfs, residue = e.get_imfs_and_residue()
    imfs = np.asarray(imfs).reshape(-1, len(x))  # none at all for a flat trace
    return np.vstack([imfs, residue[None, :]]).astype(np.float32)
