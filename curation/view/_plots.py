"""The quicklook figure: every signal of a run (or one weld) on one time axis, with keyframes under it.

Pure matplotlib (Agg), so the dataset card can reuse ``quicklook`` and the panel helpers.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from weldctl.schema import RunReader, StoreError

from ..core import need_module

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

MAX_POINTS = 3000  # per line panel: min/max envelopes above this
MAX_FRAMES = 1500  # frames analysed for an area/temperature panel
SEGMENT_COLORS = ("#4c9be8", "#f2a93b")


@dataclass(frozen=True)
class Segment:
    weld_id: int
    t_start_ns: int
    t_end_ns: int
    source: str = ""


@dataclass
class PanelInfo:
    title: str
    points: int  # finite values drawn
    span: float  # max - min of what was drawn (0 = flat line)
    bbox_px: tuple[int, int, int, int] = (0, 0, 0, 0)  # x0, y0, x1, y1 in the PNG (y down), set on save


@dataclass
class QuicklookResult:
    path: Path
    size_px: tuple[int, int]
    window_ns: tuple[int, int]
    panels: dict[str, PanelInfo] = field(default_factory=dict)
    keyframes: dict[str, int] = field(default_factory=dict)
    keyframe_times_ns: dict[str, list[int]] = field(default_factory=dict)
    legend: list[str] = field(default_factory=list)  # what the shading and lines mean, as drawn


def laser_segments(r: RunReader) -> list[Segment]:
    """Welds from laser_on/laser_off events, for runs without a segments table."""
    ev = r.events()
    on = np.sort(ev["t_ns"][ev["kind"] == "laser_on"])
    off = np.sort(ev["t_ns"][ev["kind"] == "laser_off"])
    out = []
    for i, t0 in enumerate(on):
        later = off[off > t0]
        if len(later):
            out.append(Segment(i, int(t0), int(later[0]), "laser_on"))
    return out


def load_segments(path: str | os.PathLike[str], run_id: str) -> list[Segment]:
    """The welds of ``run_id`` from a segments table, as plot segments."""
    from ..segment import read_segments

    df = read_segments(path)
    df = df[df["run_id"].astype(str) == run_id]
    return [
        Segment(int(w), int(a), int(b), str(s))
        for w, a, b, s in zip(df["weld_id"], df["t_start_ns"], df["t_end_ns"], df["source"], strict=True)
    ]


def _envelope(t_ns: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(t_ms, low, high): min/max per bin so spikes (pores) survive decimation."""
    t_ms = t_ns / 1e6
    if len(x) <= MAX_POINTS:
        return t_ms, x, x
    k = -(-len(x) // MAX_POINTS)  # ceil: every sample lands in a bin, the tail too
    n = -(-len(x) // k) * k
    xb = np.pad(np.asarray(x, np.float64), (0, n - len(x)), constant_values=np.nan).reshape(-1, k)
    tb = np.pad(t_ms, (0, n - len(x)), mode="edge").reshape(-1, k)
    return tb[:, 0], np.nanmin(xb, axis=1), np.nanmax(xb, axis=1)


def _line(ax: Axes, t_ns: np.ndarray, x: np.ndarray, color: str, label: str, step: bool = False) -> PanelInfo:
    t, lo, hi = _envelope(t_ns, x)
    if lo is hi:
        if step:
            ax.step(t, x, color=color, lw=0.9, where="post")
        else:
            ax.plot(t, x, color=color, lw=0.9)
    else:
        ax.fill_between(t, lo, hi, color=color, lw=0.4, alpha=0.85)
    ax.set_ylabel(label, fontsize=8)
    finite = x[np.isfinite(x)]
    return PanelInfo(label, int(finite.size), float(np.ptp(finite)) if finite.size else 0.0)


def _acoustic_envelope(t_ns: np.ndarray, x: np.ndarray, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """RMS in ~1 ms blocks: the envelope the eye reads bursts from."""
    k = max(1, int(rate / 1000))
    n = len(x) // k * k
    if n == 0:
        return t_ns[:0], x[:0]
    rms = np.sqrt(np.mean((x[:n] - np.mean(x[:n])).reshape(-1, k) ** 2, axis=1))
    return t_ns[:n:k], rms


def _spectrogram(ax: Axes, t_ns: np.ndarray, x: np.ndarray, rate: float, fig: Figure) -> PanelInfo:
    signal = need_module("scipy.signal")
    nper = int(2 ** np.clip(np.round(np.log2(rate / 100)), 7, 11))  # ~10 ms
    if len(x) < nper:
        return PanelInfo("spectrogram", 0, 0.0)
    f, tt, sxx = signal.spectrogram(x - np.mean(x), fs=rate, nperseg=nper, noverlap=nper // 2)
    if sxx.shape[1] > 1200:  # keep the image light: average neighbouring columns
        k = sxx.shape[1] // 1200 + 1
        m = sxx.shape[1] // k * k
        sxx, tt = sxx[:, :m].reshape(len(f), -1, k).mean(axis=2), tt[:m:k]
    db = 10 * np.log10(sxx + 1e-20)
    vmax = np.percentile(db, 99.5)
    t0 = t_ns[0] / 1e6
    im = ax.imshow(
        db,
        origin="lower",
        aspect="auto",
        cmap="magma",
        vmin=vmax - 60,
        vmax=vmax,
        extent=(t0 + tt[0] * 1e3, t0 + tt[-1] * 1e3, f[0] / 1e3, f[-1] / 1e3),
        interpolation="nearest",
    )
    ax.set_ylabel("acoustic\nkHz", fontsize=8)
    # The colour bar sits outside the axes: a colorbar(ax=...) would narrow it and break the shared time axis.
    cb = fig.colorbar(im, cax=ax.inset_axes((1.005, 0.0, 0.008, 1.0)))
    cb.set_label("dB", fontsize=7)
    cb.ax.tick_params(labelsize=6)
    return PanelInfo("acoustic spectrogram", int(db.size), float(np.ptp(db)))


def _frames_in(r: RunReader, stream: str, t0: int, t1: int, most: int) -> tuple[np.ndarray, np.ndarray]:
    t = r.t_ns(stream)
    i0, i1 = (int(v) for v in np.searchsorted(t, [t0, t1]))
    step = max(1, -(-(i1 - i0) // most))
    return np.asarray(r.data(stream)[i0:i1:step]), t[i0:i1:step]


def _window(r: RunReader, segments: Sequence[Segment], weld: int | None) -> tuple[int, int]:
    if weld is None:
        starts = [r.t_ns(n)[0] for n in r.specs if r.length(n)]
        ends = [r.t_ns(n)[-1] for n in r.specs if r.length(n)]
        return int(min(starts)), int(max(ends))
    seg = [s for s in segments if s.weld_id == weld]
    if not seg:
        raise StoreError(
            f"run {r.run_id} has no weld {weld} (welds: {[s.weld_id for s in segments]})",
            "run `weldctl segment` first, or pass --segments with the run's segments table",
        )
    margin = max(int(0.15 * (seg[0].t_end_ns - seg[0].t_start_ns)), 20_000_000)
    return seg[0].t_start_ns - margin, seg[0].t_end_ns + margin
