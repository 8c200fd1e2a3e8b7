"""Augmentation with recorded provenance: every synthetic sample can be rebuilt bit-identical from its parent.

``draw`` picks a transform chain and its parameters from a per-sample seed; ``apply`` is a pure function of
(parent arrays, parameters, seed): the noise it adds comes from the same seed. Both are numpy/scipy only,
so the recorded library versions are all that replay depends on.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from ._params import AugmentParams
from ._sampleset import SampleArrays

IMAGE_ORDER = ("hflip", "vflip", "rotate", "brightness_contrast", "image_noise")
SIGNAL_ORDER = ("scale", "jitter", "time_shift", "time_warp")
WARP_KNOTS = 4


def sample_seed(base_seed: int, sample_id: str) -> int:
    return int(hashlib.sha256(f"{base_seed}:{sample_id}".encode()).hexdigest()[:12], 16)


def library_versions() -> str:
    import scipy

    from weldctl.schema import weldctl_version

    return f"weldctl={weldctl_version()};numpy={np.__version__};scipy={scipy.__version__}"


def draw(params: AugmentParams, seed: int, n_channels: int) -> dict[str, dict[str, Any]]:
    """The transform chain of one synthetic sample: name -> parameters, in the order they apply."""
    rng = np.random.default_rng([seed, 0])
    im, sg = params.image, params.signal
    chain: dict[str, dict[str, Any]] = {}
    if rng.random() < im.hflip:
        chain["hflip"] = {}
    if rng.random() < im.vflip:
        chain["vflip"] = {}
    if im.rotate_deg > 0:
        chain["rotate"] = {"deg": round(float(rng.uniform(-im.rotate_deg, im.rotate_deg)), 4)}
    if im.brightness > 0 or im.contrast > 0:
        chain["brightness_contrast"] = {
            "shift": round(float(rng.uniform(-im.brightness, im.brightness)), 5),
            "gain": round(float(rng.uniform(1 - im.contrast, 1 + im.contrast)), 5),
        }
    if im.noise > 0:
        chain["image_noise"] = {"sigma": im.noise}
    if sg.scale > 0:
        chain["scale"] = {"gains": [round(float(g), 5) for g in rng.normal(1.0, sg.scale, n_channels)]}
    if sg.jitter > 0:
        chain["jitter"] = {"sigma": sg.jitter}
    if sg.shift_s > 0:
        chain["time_shift"] = {"s": round(float(rng.uniform(-sg.shift_s, sg.shift_s)), 6)}
    if sg.warp > 0:
        chain["time_warp"] = {
            "speeds": [round(float(v), 5) for v in rng.uniform(1 - sg.warp, 1 + sg.warp, WARP_KNOTS)]
        }
    return chain


def _full_scale(dtype: np.dtype) -> float:
    return float(np.iinfo(dtype).max) if dtype.kind in "ui" else 1.0


def _image(frames: np.ndarray, chain: dict[str, dict[str, Any]], rng: np.random.Generator) -> np.ndarray:
    if not frames.size:
        return frames.copy()
    dtype = frames.dtype
    fs = _full_scale(dtype)
    x = frames.astype(np.float32)
    if "hflip" in chain:
        x = x[:, :, ::-1]
    if "vflip" in chain:
        x = x[:, ::-1, :]
    if "rotate" in chain:
        from scipy.ndimage import rotate

        x = rotate(x, chain["rotate"]["deg"], axes=(2, 1), reshape=False, order=1, mode="nearest")
    if "brightness_contrast" in chain:
        p = chain["brightness_contrast"]
        mean = np.float32(x.mean())
        x = (x - mean) * np.float32(p["gain"]) + mean + np.float32(p["shift"] * fs)
    if "image_noise" in chain:
        x = x + rng.normal(0.0, chain["image_noise"]["sigma"] * fs, x.shape).astype(np.float32)
    if dtype.kind in "ui":
        x = np.clip(np.rint(x), 0, fs)
    return np.ascontiguousarray(x.astype(dtype))


def _signals(
    sig: np.ndarray, chain: dict[str, dict[str, Any]], rng: np.random.Generator, rate_hz: float
) -> np.ndarray:
    x = sig.astype(np.float64)
    n = x.shape[0]
    if "scale" in chain:
        x = x * np.asarray(chain["scale"]["gains"], dtype=np.float64)[None, :]
    if "jitter" in chain:
        std = x.std(axis=0, keepdims=True)
        x = x + rng.normal(0.0, 1.0, x.shape) * chain["jitter"]["sigma"] * std
    if "time_shift" in chain and n > 1:
        k = round(chain["time_shift"]["s"] * rate_hz)
        idx = np.clip(np.arange(n) - k, 0, n - 1)  # edges hold their value instead of wrapping around
        x = x[idx]
    if "time_warp" in chain and n > 1:
        speeds = np.asarray(chain["time_warp"]["speeds"], dtype=np.float64)
        # A smooth, monotonic map from output to input time: integrate a piecewise-linear speed profile.
        knots = np.interp(np.linspace(0, len(speeds) - 1, n), np.arange(len(speeds)), speeds)
        pos = np.concatenate([[0.0], np.cumsum(knots[:-1])])
        pos *= (n - 1) / pos[-1]
        grid = np.arange(n, dtype=np.float64)
        x = np.stack([np.interp(pos, grid, x[:, j]) for j in range(x.shape[1])], axis=1) if x.shape[1] else x
    return x.astype(sig.dtype)


def apply(parent: SampleArrays, chain: dict[str, dict[str, Any]], seed: int, rate_hz: float) -> SampleArrays:
    """The synthetic sample: a pure function of its parent, its chain and its seed."""
    frames = {}
    for i, (name, f) in enumerate(sorted(parent.frames.items())):
        frames[name] = _image(f, chain, np.random.default_rng([seed, 1, i]))
    sig = _signals(parent.signals, chain, np.random.default_rng([seed, 2]), rate_hz)
    return SampleArrays(sig, frames, {k: v.copy() for k, v in parent.frames_t.items()})
