"""Preview pictures for the live view: camera frames in grey, IR frames in °C on a colour map, as PNG.

PNG is written with zlib from the standard library (level 1: a 256x256 frame costs about a millisecond), so
the view needs no imaging package on the recording machine.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np

from weldctl.schema import StreamSpec

MAX_SIDE = 512  # preview pixels along the longer side; bigger frames are shown subsampled

# matplotlib's "inferno" sampled at 17 points (perceptually uniform, readable in grey): a hot spot reads as
# bright yellow, cold background as black.
_INFERNO_17 = np.array([
    (0, 0, 4), (11, 7, 36), (33, 12, 74), (61, 9, 101), (87, 16, 110), (113, 25, 110), (138, 34, 106),
    (163, 44, 97), (188, 55, 84), (210, 70, 68), (228, 90, 49), (241, 115, 29), (249, 142, 9), (252, 172, 17),
    (249, 203, 53), (242, 234, 105), (252, 255, 164)], dtype=np.float64)


def _lut() -> np.ndarray:
    x = np.linspace(0.0, 1.0, 256)
    at = np.linspace(0.0, 1.0, len(_INFERNO_17))
    return np.stack([np.interp(x, at, _INFERNO_17[:, c]) for c in range(3)], axis=1).round().astype(np.uint8)


INFERNO = _lut()


def encode_png(img: np.ndarray) -> bytes:
    """An 8-bit grey (H, W) or RGB (H, W, 3) image as PNG bytes."""
    img = np.ascontiguousarray(img, dtype=np.uint8)
    h, w = img.shape[:2]
    color = 2 if img.ndim == 3 else 0
    rows = np.zeros((h, 1 + img[0].size), dtype=np.uint8)  # filter byte 0 (none) before every row
    rows[:, 1:] = img.reshape(h, -1)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows.tobytes(), 1))
            + chunk(b"IEND", b""))


@dataclass(frozen=True)
class Preview:
    """One rendered frame: the PNG and what the page prints next to it."""

    png: bytes
    width: int
    height: int
    lo: float  # colour range (physical units for IR), for the colour bar
    hi: float
    units: str
    saturated: float  # share of pixels at the sensor's full scale


def _subsample(frame: np.ndarray) -> np.ndarray:
    step = max(1, -(-max(frame.shape) // MAX_SIDE))
    return frame[::step, ::step]


def render_frame(spec: StreamSpec, frame: np.ndarray) -> Preview:
    """Camera: grey, raw counts (no auto-contrast: the operator judges exposure). IR: °C on inferno."""
    small = _subsample(np.asarray(frame))
    full_scale = np.iinfo(small.dtype).max if small.dtype.kind in "ui" else None
    saturated = float(np.count_nonzero(small >= full_scale)) / small.size if full_scale is not None else 0.0
    cal = spec.calibration.get("*")
    if spec.kind.value == "ir":
        values = cal.apply(small) if cal else small.astype(np.float64)
        lo, hi = float(values.min()), float(values.max())
        if hi - lo < 1e-9:
            hi = lo + 1.0
        idx = np.clip((values - lo) * (255.0 / (hi - lo)), 0, 255).astype(np.uint8)
        return Preview(encode_png(INFERNO[idx]), small.shape[1], small.shape[0], lo, hi,
                       cal.units if cal else spec.units, saturated)
    if small.dtype != np.uint8:
        # Deeper than 8 bits: keep the top 8 of the bits in use, so a 12-bit camera is not shown dark.
        top = int(small.max()) if small.size else 0
        shift = max(0, top.bit_length() - 8)
        small = (small.astype(np.int64) >> shift).clip(0, 255).astype(np.uint8)
        full = float(1 << max(8, top.bit_length()))
    else:
        full = 255.0
    return Preview(encode_png(small), small.shape[1], small.shape[0], 0.0, full, spec.units, saturated)


def colorbar_png(height: int = 256, width: int = 12) -> bytes:
    """The IR colour map as a vertical bar, hot at the top (the page labels its ends in °C)."""
    return encode_png(np.repeat(INFERNO[::-1][np.linspace(0, 255, height).astype(int)][:, None, :], width, axis=1))
