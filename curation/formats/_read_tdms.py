"""NI TDMS files (npTDMS): channels of one group; time from wf_start_time/wf_increment or the mapping."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from weldctl.schema import ImportSourceError, StreamMapping

from ..core import need_module
from ._source import SourceStream, rate_times


def read_tdms(path: Path, m: StreamMapping) -> SourceStream:
    nptdms = need_module("nptdms")
    origin = str(path)
    try:
        f = nptdms.TdmsFile.read(path)
    except Exception as exc:  # npTDMS raises plain ValueError/EOFError on damaged segments
        raise ImportSourceError(
            f"{origin}: unreadable TDMS ({type(exc).__name__}: {exc})",
            "re-copy the file; a truncated TDMS loses its last segment",
        ) from None
    cols: list[np.ndarray] = []
    first = None
    for ch in m.channels:
        group, _, name = ch.source.partition("/")
        try:
            chan = f[group][name]
        except KeyError:
            have = [f"{g.name}/{c.name}" for g in f.groups() for c in g.channels()]
            raise ImportSourceError(f"{origin}: no TDMS channel {ch.source!r}; it has {have}") from None
        first = first or chan
        cols.append(np.asarray(chan[:], dtype=np.float64))
    n = min(len(c) for c in cols)
    if any(len(c) != n for c in cols):
        raise ImportSourceError(f"{origin}: channels differ in length {[len(c) for c in cols]} (truncated?)")
    props = first.properties if first is not None else {}
    rate = m.time.rate_hz or (1.0 / float(props["wf_increment"]) if "wf_increment" in props else 0.0)
    if not rate:
        raise ImportSourceError(f"{origin}: no wf_increment property; set time.rate_hz in the mapping")
    t_ns = rate_times(n, rate)
    absolute = False
    if "wf_start_time" in props and m.align.mode == "wall_clock":
        start = np.datetime64(props["wf_start_time"], "ns").astype(np.int64)
        t_ns, absolute = t_ns + int(start), True
    return SourceStream.of_channels(m, np.stack(cols, axis=1), t_ns, absolute=absolute, rate_hz=rate, origin=origin)
