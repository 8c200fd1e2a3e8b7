"""Placing an imported stream on the run time base from a physical event it shares with a reference.

A foreign logger's sound card or video camera has no clock in common with its process logger, but
all of them see the arc strike and go out: the current rises, the arc sound starts, the picture
brightens. The stream is first placed at the reference's start (``start_at``), then shifted so its
event edges land on the reference's. Edges and the offset come from ``weldctl.schema``'s shared
event alignment, the same code `weldctl calibrate` uses on recorded runs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from weldctl.schema import (
    Align,
    AlignmentError,
    AlignmentMethod,
    EventOffset,
    ImportSourceError,
    offset_from_edges,
    signal_edges,
)

from ._source import SourceStream


def event_trace(s: SourceStream, align: Align) -> tuple[np.ndarray, np.ndarray, float]:
    """(times, level, resolution ns) of what shows the event in a stream: picture brightness for
    frames, an RMS envelope over ``envelope_s`` windows for sound and other 1-D signals."""
    t = np.asarray(s.t_ns, dtype=np.int64)
    if s.data.ndim == 3:
        level = s.data.reshape(len(s.data), -1).mean(axis=1, dtype=np.float64)
        return t, level, float(np.median(np.diff(t))) / 2 if len(t) > 1 else 0.0
    x = np.asarray(s.data, dtype=np.float64).reshape(len(s.data), -1)
    x = x - np.median(x, axis=0)  # a DC offset of the sound card would hide the envelope's 'off' level
    w = max(1, round(align.envelope_s * s.rate_hz))
    n = len(x) // w
    if n < 2:
        raise AlignmentError(f"the stream is shorter than two envelope windows of {align.envelope_s:g} s")
    level = np.sqrt((x[: n * w] ** 2).reshape(n, w, -1).mean(axis=(1, 2)))
    # A window's level belongs to its middle; it cannot locate an edge better than half a window.
    centre = t[: n * w].reshape(n, w)[:, [0, -1]].mean(axis=1)
    return centre, level, (w / s.rate_hz) * 1e9 / 2


def _edges(t: np.ndarray, x: np.ndarray, align: Align) -> dict[str, np.ndarray]:
    e = signal_edges(t, x, levels=align.levels, min_width_ns=align.min_on_s * 1e9,
                     min_gap_ns=align.min_gap_s * 1e9)
    return {k: v for k, v in (("start", e.rising_ns), ("end", e.falling_ns)) if k in align.events}


def event_offset(ref: SourceStream, ref_t: np.ndarray, stream: SourceStream, t: np.ndarray,
                 align: Align) -> EventOffset:
    """Offset (added to ``t``) that puts the stream's event edges on those of ``align.channel`` of ``ref``."""
    assert align.channel is not None and align.to is not None
    if align.channel not in ref.channels:
        raise ImportSourceError(
            f"align: stream {align.to!r} has no channel {align.channel!r} (it has {ref.channels})",
            "fix align.channel in the mapping",
        )
    j = ref.channels.index(align.channel)
    ref_x = np.asarray(ref.data, dtype=np.float64).reshape(len(ref.data), -1)[:, j]
    ref_res = float(np.median(np.diff(ref_t))) / 2 if len(ref_t) > 1 else 0.0
    tt, level, res = event_trace(stream, align)
    tt = tt - int(stream.t_ns[0]) + int(t[0])  # the trace on the stream's provisional run times
    ref_edges = _edges(np.asarray(ref_t, dtype=np.float64), ref_x, align)
    own_edges = _edges(tt.astype(np.float64), level, align)
    return offset_from_edges(
        ref_edges, own_edges, reference=f"{align.to}.{align.channel}", max_lag_ns=align.max_lag_s * 1e9,
        reference_resolution_ns=ref_res, stream_resolution_ns=res,
    )


def event_clock(offset: EventOffset) -> dict[str, Any]:
    """clock/<stream> attrs of an event-aligned stream."""
    out: dict[str, Any] = {
        "alignment": AlignmentMethod.event_aligned.value,
        "uncertainty_ns": offset.uncertainty_ns,
        **offset.as_attrs(),
    }
    if offset.n_events > 1:  # one event shows no scatter: a residual of 0 would claim an exact fit
        out["residual_rms_ns"] = offset.residual_rms_ns
    return out


def assumed_clock(t: np.ndarray, ref_t: np.ndarray, why: str) -> dict[str, Any]:
    """clock/<stream> attrs of a stream placed by assumption. Nothing measured its offset, so the only
    bound is that the two recordings overlap: the longer of them."""
    span = max(int(t[-1] - t[0]) if len(t) else 0, int(ref_t[-1] - ref_t[0]) if len(ref_t) else 0)
    return {
        "alignment": AlignmentMethod.assumed.value,
        "uncertainty_ns": max(span, 1),
        "uncertainty_basis": "not measured: bounded only by the length of the recordings",
        "assumed_because": why,
    }


def describe_alignment(clock: dict[str, Any]) -> str:
    """One line for the import summary: method, offset and its bound."""
    how = str(clock.get("alignment", "?"))
    unc = clock.get("uncertainty_ns")
    bound = "" if unc is None else f" ± {float(unc) / 1e9:.3f} s (bound on the time error)"
    if how == AlignmentMethod.event_aligned.value:
        return f"{how} on {clock['event_reference']}: {float(clock['event_offset_ns']) / 1e9:+.3f} s{bound}"
    return f"{how}{bound}" + (f" ({clock['assumed_because']})" if "assumed_because" in clock else "")
