"""HDF5 files (h5py): 1-D datasets become channels; time from a dataset or a fixed rate."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from weldctl.schema import ImportSourceError, StreamMapping

from ..core import need_module
from ._source import SourceStream, rate_times


def read_hdf5(path: Path, m: StreamMapping) -> SourceStream:
    h5py = need_module("h5py")
    origin = str(path)
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise ImportSourceError(
            f"{origin}: unreadable HDF5 ({exc})", "re-copy the file from the source"
        ) from None
    with f:
        cols = []
        for ch in m.channels:
            if ch.source not in f:
                raise ImportSourceError(
                    f"{origin}: no dataset {ch.source!r}", "fix channels[].source in the mapping"
                )
            try:
                cols.append(np.asarray(f[ch.source][:], dtype=np.float64).reshape(-1))
            except OSError as exc:
                raise ImportSourceError(f"{origin}: dataset {ch.source!r} cannot be read ({exc})") from None
        n = min(len(c) for c in cols)
        if any(len(c) != n for c in cols):
            raise ImportSourceError(f"{origin}: datasets differ in length {[len(c) for c in cols]}")
        if m.time.source == "column":
            tname = m.time.columns[0]
            if tname not in f:
                raise ImportSourceError(f"{origin}: no time dataset {tname!r}")
            t = np.asarray(f[tname][:], dtype=np.float64).reshape(-1)
            if len(t) != n:
                raise ImportSourceError(f"{origin}: time dataset has {len(t)} entries for {n} samples")
            t_ns, absolute = np.round(t * 1e9).astype(np.int64), True  # seconds (epoch or shared origin)
            span = (t[-1] - t[0]) if n > 1 else 0.0
            rate = (n - 1) / span if span > 0 else 1.0
        elif m.time.rate_hz:
            rate = m.time.rate_hz
            t_ns, absolute = rate_times(n, rate), False
        else:
            raise ImportSourceError(
                f"mapping stream {m.name!r}: HDF5 time needs time.columns or time.rate_hz"
            )
    return SourceStream.of_channels(m, np.stack(cols, axis=1), t_ns, absolute=absolute, rate_hz=rate, origin=origin)
