"""A small stand-in arc gate for import tests, until `weldctl segment` lands (then tests switch to it).

Hysteresis on arc current: on above ``on_a``, off below ``off_a``; short dropouts (a burn-through
flickers) are bridged, short blips dropped.
"""

from __future__ import annotations

import numpy as np


def arc_welds(
    t_ns: np.ndarray,
    current_a: np.ndarray,
    *,
    on_a: float = 50.0,
    off_a: float = 20.0,
    bridge_s: float = 1.0,
    min_s: float = 1.0,
) -> list[tuple[int, int]]:
    welds: list[list[int]] = []
    burning = False
    for t, c in zip(t_ns.tolist(), current_a.tolist(), strict=True):
        if not burning and c > on_a:
            burning = True
            if welds and t - welds[-1][1] < bridge_s * 1e9:
                continue  # bridge a short dropout: the same weld
            welds.append([t, t])
        elif burning and c < off_a:
            burning = False
        if burning:
            welds[-1][1] = t
    return [(a, b) for a, b in welds if b - a >= min_s * 1e9]
