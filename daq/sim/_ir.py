"""Thermal-camera frames from the moving heat source: each weld's Rosenthal field on the sensor's pixels.

The camera follows the beam (travel is +x, the beam sits at 65 % of the width, mid-height) and spans
IR_FOV_MM across. A weld's field is computed once per weld shape (speed, spot, mode, keyhole depth,
plate); a frame scales it by the absorbed power and caps it at the surface's peak temperature, so the
melt pool (the region above the melting point) grows with power and shrinks with speed as the field does.
"""

from __future__ import annotations

import numpy as np

from ._events import FLIGHT_S, Events
from ._frames import _blob
from ._physics import AMBIENT_C, heat_field
from ._process import WeldProcess

IR_FOV_MM = 16.0
SOURCE_AT = 0.65  # beam position across the frame
DROPLET_C = 1900.0  # an ejected droplet as the IR camera sees it (well above the scene, cooling in flight)
DROPLET_MM = 0.3


class IRScene:
    """Per-device pixel grid and the cached per-weld fields (K per absorbed W)."""

    def __init__(self, width: int, height: int, process: WeldProcess) -> None:
        self.process = process
        self.width, self.height = width, height
        self.pitch_mm = IR_FOV_MM / width
        self.cx, self.cy = round(SOURCE_AT * (width - 1)), height // 2
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
        self.x_mm, self.y_mm = (xx - self.cx) * self.pitch_mm, (yy - self.cy) * self.pitch_mm
        self._fields: dict[tuple[float, ...], np.ndarray] = {}

    def field(self, weld: int) -> np.ndarray:
        w = self.process.welds[weld]
        s = w.steady
        key = (round(w.plan.speed_mm_s or 60.0, 6), round(s.spot_mm, 6), round(s.surface_share, 4),
               round(s.wall_mm, 4), round(s.keyhole_mm, 4), round(s.plate_mm, 4), round(s.absorbed_w, 3))
        f = self._fields.get(key)
        if f is None:
            # A pixel averages its patch: the source is never sharper than half a pixel.
            g = heat_field(self.x_mm, self.y_mm, key[0], max(s.spot_mm, self.pitch_mm / 2.0), s.surface_share,
                           s.wall_mm, s.keyhole_mm, s.plate_mm)
            f = self._fields[key] = (g * s.absorbed_w).astype(np.float32)
        return f

    def temperature(self, t: np.ndarray) -> np.ndarray:
        """°C per pixel at true times t: the field of the weld in view, scaled and capped."""
        weld, scale, cap = self.process.ir_level(t)
        out = np.full((len(t), self.height, self.width), AMBIENT_C, dtype=np.float32)
        for k in range(len(t)):
            if weld[k] >= 0 and scale[k] > 0:
                out[k] += np.minimum(self.field(int(weld[k])) * np.float32(scale[k]), np.float32(cap[k]))
        return out

    def draw_droplets(self, temp: np.ndarray, t: np.ndarray, events: Events) -> None:
        if not len(events.t_s) or not len(t):
            return
        lo, hi = np.searchsorted(events.t_s, [t.min() - FLIGHT_S, t.max()])
        # A droplet smaller than a pixel shows as the pixel's average.
        fill = min(1.0, (DROPLET_MM / self.pitch_mm) ** 2)
        reach = 4.0 / self.pitch_mm  # flies a few mm in its flight
        for te, size, angle, speed in zip(events.t_s[lo:hi], events.size[lo:hi], events.angle[lo:hi],
                                          events.speed[lo:hi], strict=True):
            for k in np.flatnonzero((t >= te) & (t < te + FLIGHT_S)):
                r = 1.0 / self.pitch_mm + speed * reach * (t[k] - te) / FLIGHT_S
                x, y = self.cx + r * np.cos(angle), self.cy + r * np.sin(angle)
                _blob(temp[k], x, y, max(0.5, 0.5 * DROPLET_MM / self.pitch_mm * np.sqrt(size)),
                      AMBIENT_C + (DROPLET_C - AMBIENT_C) * fill)
