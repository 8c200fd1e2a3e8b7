"""Keyhole camera frames, rendered once per (weld scene, keyhole radius, noise variant) and reused, so
the sim camera costs a memcpy per frame, not a render.

A scene is what a weld's steady state looks like: the melt pool's glow (its length, width and
temperature from the heat field) and, below the keyhole onset, the hot spot under the beam. The keyhole
opening is drawn on top at its current radius; ejected droplets fly across the frames they live in.
"""

from __future__ import annotations

import numpy as np

from ._physics import planck_ratio

RADIUS_STEP = 0.25  # px: quantisation of the keyhole radius in the bank
VARIANTS = 4  # noise variants, cycled frame by frame
KEYHOLE_LEVEL = 235
GLOW_LEVEL = 70  # melt-pool glow at the boiling point; stays below the keyhole so the opening stands out
SPOT_LEVEL = 60  # extra glow of the hot spot under a conduction-mode beam
DROPLET_LEVEL = 220
DARK = -1  # scene of a frame with no weld in view


class FrameBank:
    """Frames by scene, quantised keyhole radius and noise variant, rendered on first use."""

    def __init__(self, width: int, height: int, seed: int = 0) -> None:
        self.width, self.height = width, height
        rng = np.random.default_rng(seed)
        self._noise = rng.normal(8.0, 3.0, (VARIANTS, height, width)).astype(np.float32)
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        self._cy, self._cx = height / 2.0, width / 2.0
        self._dy, self._dx = yy - self._cy, xx - self._cx
        self._dist = np.hypot(self._dy, self._dx)
        self._scenes: dict[int, np.ndarray] = {DARK: np.zeros((height, width), np.float32)}
        self._frames: dict[tuple[int, int, int], np.ndarray] = {}

    def add_scene(self, key: int, pool_length_px: float, pool_width_px: float, spot_px: float, peak_c: float,
                  kappa: float) -> None:
        """The melt pool trails the beam (travel is +x): an ellipse from just ahead of the beam backwards."""
        if key in self._scenes:
            return
        half_l, half_w = max(pool_length_px / 2.0, 1.0), max(pool_width_px / 2.0, 1.0)
        centre = -(half_l - max(spot_px, 1.0))
        pool = np.hypot((self._dx - centre) / half_l, self._dy / half_w)
        glow = GLOW_LEVEL * float(np.sqrt(planck_ratio(peak_c)))
        img = glow * np.clip(1.25 - pool, 0.0, 1.0)
        spot = np.exp(-((self._dist / max(spot_px, 0.5)) ** 2))
        img += (1.0 - kappa) * SPOT_LEVEL * float(planck_ratio(peak_c)) * spot
        self._scenes[key] = img.astype(np.float32)

    def _render(self, scene: int, level: int, variant: int) -> np.ndarray:
        img = self._scenes[scene] + self._noise[variant]
        radius = level * RADIUS_STEP
        if radius > 0 and scene != DARK:
            cover = np.clip(radius - self._dist + 0.5, 0.0, 1.0)  # sub-pixel edge
            img = img * (1 - cover) + KEYHOLE_LEVEL * cover
        return np.clip(img, 0, 255).astype(np.uint8)

    def take(self, scene: np.ndarray, radius: np.ndarray, index: np.ndarray) -> np.ndarray:
        levels = np.round(radius / RADIUS_STEP).astype(np.int64)
        out = np.empty((len(scene), self.height, self.width), dtype=np.uint8)
        for k, key in enumerate(zip(scene.tolist(), levels.tolist(), (index % VARIANTS).tolist(), strict=True)):
            frame = self._frames.get(key)
            if frame is None:
                frame = self._frames[key] = self._render(*key)
            out[k] = frame
        return out

    def draw_droplets(self, frames: np.ndarray, t: np.ndarray, events, keyhole_px: np.ndarray) -> None:  # type: ignore[no-untyped-def]
        """Hot droplets fly out of the keyhole (spatter, film pops): a small bright blob per frame in flight."""
        from ._events import FLIGHT_S

        if not len(events.t_s) or not len(t):
            return
        lo, hi = np.searchsorted(events.t_s, [t.min() - FLIGHT_S, t.max()])
        reach = 0.5 * min(self.width, self.height)
        for te, size, angle, speed in zip(events.t_s[lo:hi], events.size[lo:hi], events.angle[lo:hi],
                                          events.speed[lo:hi], strict=True):
            for k in np.flatnonzero((t >= te) & (t < te + FLIGHT_S)):
                r0 = 1.4 * keyhole_px[k] + 3.0
                r = r0 + speed * reach * (t[k] - te) / FLIGHT_S
                x, y = self._cx + r * np.cos(angle), self._cy + r * np.sin(angle)
                _blob(frames[k], x, y, float(np.sqrt(size)), DROPLET_LEVEL)


def _blob(frame: np.ndarray, x: float, y: float, radius: float, level: float) -> None:
    """A small anti-aliased disk, drawn where it is brighter than the frame (only its patch is touched)."""
    h, w = frame.shape[-2:]
    x0, x1 = max(int(x - radius - 1), 0), min(int(x + radius + 2), w)
    y0, y1 = max(int(y - radius - 1), 0), min(int(y + radius + 2), h)
    if x0 >= x1 or y0 >= y1:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1]
    cover = np.clip(radius - np.hypot(xx - x, yy - y) + 0.5, 0.0, 1.0)
    patch = frame[..., y0:y1, x0:x1]
    np.maximum(patch, (level * cover).astype(frame.dtype), out=patch)
