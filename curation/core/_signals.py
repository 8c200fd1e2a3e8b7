"""Finding the signals a rig recorded, whatever its stream names: photodiode, acoustic, OCT depth, ..."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from weldctl.schema import RunReader, StreamKind, StreamSpec


@dataclass(frozen=True)
class Signal:
    stream: str
    channel: str
    index: int | None  # channel index, None for a scalar stream
    units: str


def find_signal(r: RunReader, channels: tuple[str, ...], kinds: tuple[StreamKind, ...] = ()) -> Signal | None:
    """First stream channel named one of ``channels`` (optionally only in streams of ``kinds``)."""
    for name, spec in r.specs.items():
        if spec.is_frames or (kinds and spec.kind not in kinds):
            continue
        for ch in channels:
            if ch in spec.channels:
                return Signal(name, ch, spec.channel_index(ch), spec.units_of(ch))
    return None


def read_signal(
    r: RunReader,
    s: Signal,
    t0_ns: int | None = None,
    t1_ns: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(t_ns, values in physical units) of one channel, optionally only t0 <= t < t1."""
    t = r.t_ns(s.stream)
    i0, i1 = 0, len(t)
    if t0_ns is not None:
        i0, i1 = (int(v) for v in np.searchsorted(t, [t0_ns, t1_ns if t1_ns is not None else t[-1] + 1]))
    data = r.data(s.stream)
    x = np.asarray(data[i0:i1, s.index] if s.index is not None else data[i0:i1], np.float64)
    spec = r.specs[s.stream]
    cal = spec.calibration.get(s.channel) or spec.calibration.get("*")
    return t[i0:i1], (cal.apply(x) if cal else x)


def channels_of(spec: StreamSpec) -> list[str | None]:
    """The channels of a stream, or [None] for a stream without a channel axis (read whole)."""
    return [*spec.channels] or [None]


def frame_streams(r: RunReader, kind: StreamKind | None = None) -> list[str]:
    """The image streams of a run (of one kind, or all)."""
    return [n for n, s in r.specs.items() if s.is_frames and kind in (None, s.kind)]
