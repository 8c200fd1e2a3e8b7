"""What a reader hands to the importer: samples of one stream and the time of each."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from weldctl.schema import Calibration, ImportSourceError, TimeSpec

from ..core import need_module


@dataclass
class SourceStream:
    """One stream as read from a foreign file, before it is placed on the run time base.

    ``t_ns`` is epoch ns when ``absolute`` (wall-clock stamps), else ns from the file's own start.
    A reader of big files (video) gives only the first block in ``data``/``t_ns`` and the rest through
    ``more()``, decoded while the importer writes; ``close()`` releases the file if the import stops early.
    """

    data: np.ndarray
    t_ns: np.ndarray
    absolute: bool
    rate_hz: float
    origin: str
    channels: list[str] = field(default_factory=list)
    units: str = "1"
    calibration: dict[str, Calibration] = field(default_factory=dict)
    note: str = ""
    more: Callable[[], Iterator[tuple[np.ndarray, np.ndarray]]] | None = None
    close: Callable[[], None] | None = None

    @classmethod
    def of_channels(cls, m: Any, data: np.ndarray, t_ns: np.ndarray, *, absolute: bool, rate_hz: float,
                    origin: str) -> SourceStream:
        """A multi-channel table stream (CSV, HDF5, TDMS): names, units and calibration from the mapping."""
        units = {c.units for c in m.channels}
        return cls(
            data=data.astype(m.dtype),
            t_ns=t_ns,
            absolute=absolute,
            rate_hz=rate_hz,
            origin=origin,
            channels=[c.name for c in m.channels],
            units=units.pop() if len(units) == 1 else "raw",
            calibration={c.name: Calibration(scale=c.scale, offset=c.offset, units=c.units) for c in m.channels},
        )


def wall_clock_ns(
    stamps: list[str] | np.ndarray,
    fmt: str | None,
    spec: TimeSpec,
    origin: str,
    row_offset: int = 0,
    what: str = "row",
) -> np.ndarray:
    """Parse time stamps to epoch ns (naive stamps are in ``spec.timezone``); name the first bad one."""
    pd = need_module("pandas")
    s = pd.Series(np.asarray(stamps, dtype=object))
    if fmt is None:
        secs = pd.to_numeric(s, errors="coerce")
        bad = secs.isna().to_numpy()
        values = (secs.to_numpy(dtype=np.float64) * 1e9) if not bad.any() else None
    else:
        dt = pd.to_datetime(s, format=fmt, errors="coerce")
        bad = dt.isna().to_numpy()
        if not bad.any():
            if dt.dt.tz is None:
                dt = dt.dt.tz_localize(spec.timezone)
            values = dt.dt.tz_convert("UTC").dt.as_unit("ns").astype("int64").to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ImportSourceError(
            f"{origin}: {what} {i + row_offset}: time {s.iloc[i]!r} does not parse as {fmt or 'seconds'}",
            "fix or drop that entry, or correct time.format in the mapping",
        )
    return np.asarray(values, dtype=np.int64)


def rate_times(n: int, rate_hz: float) -> np.ndarray:
    return np.round(np.arange(n, dtype=np.float64) * (1e9 / rate_hz)).astype(np.int64)


def file_times(paths: list[Path], spec: TimeSpec, origin: str) -> np.ndarray:
    """Capture times from file names (e.g. 20221223_100615_021.jpg)."""
    import re

    assert spec.pattern is not None
    rx = re.compile(spec.pattern)
    stamps = []
    for p in paths:
        m = rx.search(p.name)
        if not m:
            raise ImportSourceError(
                f"{p}: file name has no time stamp matching {spec.pattern!r}",
                "rename the file or fix time.pattern in the mapping",
            )
        stamps.append(m.group(1))
    return wall_clock_ns(stamps, spec.format, spec, origin, what="file #")


def to_gray(frame: np.ndarray, resize: tuple[int, int] | None) -> np.ndarray:
    cv2 = need_module("cv2")
    if frame.ndim == 3:
        frame = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    if resize is not None and (frame.shape[1], frame.shape[0]) != tuple(resize):
        frame = cv2.resize(frame, tuple(resize), interpolation=cv2.INTER_AREA)
    return frame
