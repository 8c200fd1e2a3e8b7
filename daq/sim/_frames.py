"""Pre-rendered frame banks, so the sim camera costs a memcpy per frame, not a render."""

from __future__ import annotations

import numpy as np

RADIUS_STEP = 0.25  # px: quantisation of the keyhole radius in the bank
VARIANTS = 4  # noise variants per radius, cycled frame by frame
KEYHOLE_LEVEL = 235
GLOW_LEVEL = 70


def render_keyhole(width: int, height: int, radius: float, rng: np.random.Generator) -> np.ndarray:
    """Bright keyhole disk on a melt-pool glow trailing behind it, plus sensor noise."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    cy, cx = height / 2.0, width / 2.0
    dist = np.hypot(yy - cy, xx - cx)
    img = rng.normal(8.0, 3.0, (height, width)).astype(np.float32)
    if radius > 0:
        # The melt pool trails the keyhole: an ellipse stretched against the travel direction.
        pool = np.hypot((xx - cx + 1.5 * radius) / (4.0 * radius), (yy - cy) / (2.2 * radius))
        img += GLOW_LEVEL * np.clip(1.2 - pool, 0.0, 1.0)
        cover = np.clip(radius - dist + 0.5, 0.0, 1.0)  # sub-pixel edge
        img = img * (1 - cover) + KEYHOLE_LEVEL * cover
    return np.clip(img, 0, 255).astype(np.uint8)


class FrameBank:
    """Frames indexed by quantised keyhole radius and a noise variant."""

    def __init__(self, width: int, height: int, max_radius: float, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.levels = int(np.ceil(max_radius / RADIUS_STEP)) + 2
        self.frames = np.empty((self.levels, VARIANTS, height, width), dtype=np.uint8)
        for lvl in range(self.levels):
            for v in range(VARIANTS):
                self.frames[lvl, v] = render_keyhole(width, height, lvl * RADIUS_STEP, rng)

    def take(self, radius: np.ndarray, index: np.ndarray) -> np.ndarray:
        lvl = np.clip(np.round(radius / RADIUS_STEP).astype(np.int64), 0, self.levels - 1)
        return self.frames[lvl, index % VARIANTS]
