"""CSV loggers (pandas): one stream from named columns, time from a column (or a fixed rate)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from weldctl.schema import ImportSourceError, StreamMapping

from ..core import need_module
from ._source import SourceStream, rate_times, wall_clock_ns


def read_csv(path: Path, m: StreamMapping) -> SourceStream:
    pd = need_module("pandas")
    origin = str(path)
    try:
        df = pd.read_csv(path, dtype=str, skipinitialspace=True, on_bad_lines="error", engine="c")
    except pd.errors.ParserError as exc:  # e.g. "Expected 10 fields in line 57, saw 12"
        raise ImportSourceError(
            f"{origin}: broken CSV: {str(exc).strip()}", "repair or drop that line"
        ) from None
    except (pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ImportSourceError(f"{origin}: not a readable CSV ({exc})") from None
    df.columns = [str(c).strip() for c in df.columns]
    wanted = [c.source for c in m.channels] + list(m.time.columns if m.time.source == "column" else [])
    missing = [c for c in wanted if c not in df.columns]
    if missing:
        raise ImportSourceError(
            f"{origin}: missing column(s) {missing}; it has {list(df.columns)}",
            "fix the column names in the mapping",
        )
    if not len(df):
        raise ImportSourceError(f"{origin}: no data rows")
    data = np.empty((len(df), len(m.channels)), dtype=np.float64)
    for j, ch in enumerate(m.channels):
        raw = df[ch.source]
        num = pd.to_numeric(raw, errors="coerce")
        bad = num.isna().to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ImportSourceError(
                f"{origin}: line {i + 2}: column {ch.source!r} is {raw.iloc[i]!r}, not a number "
                f"(a broken or truncated row)",
                "repair or drop that line",
            )
        data[:, j] = num.to_numpy(dtype=np.float64)
    if m.time.source == "column":
        stamps = df[m.time.columns].astype(str).agg(" ".join, axis=1).to_numpy()
        t_ns = wall_clock_ns(stamps, m.time.format, m.time, origin, row_offset=2, what="line")
        absolute = True
    elif m.time.source == "rate" and m.time.rate_hz:
        t_ns, absolute = rate_times(len(df), m.time.rate_hz), False
    else:
        raise ImportSourceError(f"mapping stream {m.name!r}: a CSV takes time from a column or rate_hz")
    step = np.diff(t_ns)
    if np.any(step <= 0):
        i = int(np.flatnonzero(step <= 0)[0]) + 1  # data row i is file line i + 2 (after the header)
        if step[i - 1] == 0:
            dup = "a duplicated row" if df.iloc[i].equals(df.iloc[i - 1]) else "a duplicated time stamp"
            raise ImportSourceError(
                f"{origin}: line {i + 2}: same time as line {i + 1} ({dup})",
                "drop the repeated line; two samples of one stream cannot share a time",
            )
        raise ImportSourceError(f"{origin}: line {i + 2}: time goes backwards", "sort or repair the file")
    span = (t_ns[-1] - t_ns[0]) / 1e9
    rate = (len(t_ns) - 1) / span if span > 0 else 1.0
    return SourceStream.of_channels(m, data, t_ns, absolute=absolute, rate_hz=rate, origin=origin)
