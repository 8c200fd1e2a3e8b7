"""`weldctl view`: assemble the quicklook figure from the panels a run has."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from weldctl.schema import RunReader, StreamKind

from ..core import Signal, find_signal, frame_streams, need_module, read_signal
from ..features import MorphologyParams, frame_morphology, read_spectra, spectrometer_streams
from ._plots import (
    MAX_FRAMES,
    SEGMENT_COLORS,
    PanelInfo,
    QuicklookResult,
    Segment,
    _acoustic_envelope,
    _frames_in,
    _line,
    _spectrogram,
    _window,
    laser_segments,
)
from ._spectra import draw_spectra

KEYFRAMES = 6
MAX_KEYFRAMES = 12
Draw = Callable[..., PanelInfo]


def _panels(r: RunReader, t0: int, t1: int, morph: MorphologyParams) -> list[tuple[str, float, Draw]]:
    """(name, height ratio, draw(ax, fig)) for every panel the run has data for, in reading order."""
    out: list[tuple[str, float, Draw]] = []

    def signal_panel(name: str, sig: Signal, color: str, label: str, step: bool = False) -> None:
        t, x = read_signal(r, sig, t0, t1)
        if len(x):
            out.append((name, 1.0, lambda ax, fig: _line(ax, t, x, color, label, step)))

    for ch, color, label in (
        ("photodiode", "#1f77b4", "photodiode"),
        ("current", "#d62728", "arc current"),
        ("voltage", "#9467bd", "arc voltage"),
    ):
        sig = find_signal(r, (ch,))
        if sig is not None:
            signal_panel(ch, sig, color, f"{label}\n{sig.units}")
    ac = find_signal(r, ("acoustic",)) or find_signal(r, ("mic",), (StreamKind.audio,))
    if ac is not None:
        t, x = read_signal(r, ac, t0, t1)
        rate = r.specs[ac.stream].nominal_rate_hz
        if len(x):
            te, env = _acoustic_envelope(t, x, rate)
            out.append(
                (
                    "acoustic_envelope",
                    1.0,
                    lambda ax, fig: _line(ax, te, env, "#2ca02c", f"acoustic RMS\n{ac.units}"),
                )
            )
            out.append(("acoustic_spectrogram", 1.3, lambda ax, fig: _spectrogram(ax, t, x, rate, fig)))
    depth = find_signal(r, ("keyhole_depth",), (StreamKind.oct,))
    if depth is not None:
        signal_panel("oct_depth", depth, "#8c564b", f"OCT keyhole\ndepth {depth.units}")
    for cam in frame_streams(r, StreamKind.camera):
        if r.length(cam) < 20:
            continue  # a handful of stills: keyframes only
        frames, tf = _frames_in(r, cam, t0, t1, MAX_FRAMES)
        if len(frames):
            area = frame_morphology(frames, morph)["area_px"]
            label = f"{cam} opening\narea px (>{morph.threshold})"
            out.append(
                (f"{cam}_area", 1.0, lambda ax, fig, tf=tf, a=area, lb=label: _line(ax, tf, a, "#ff7f0e", lb))
            )
    for ir in frame_streams(r, StreamKind.ir):
        frames, tf = _frames_in(r, ir, t0, t1, MAX_FRAMES)
        if len(frames):
            cal = r.specs[ir].calibration.get("*")
            peak = frames.reshape(len(frames), -1).max(axis=1).astype(np.float64)
            peak = cal.apply(peak) if cal else peak
            units = cal.units if cal else r.specs[ir].units
            out.append(
                (
                    f"{ir}_peak",
                    1.0,
                    lambda ax, fig, tf=tf, p=peak, u=units: _line(ax, tf, p, "#e377c2", f"IR peak\n{u}"),
                )
            )
    for sp in spectrometer_streams(r):  # wavelength × time: plasma lines and the continuum over the weld
        ts, wl, counts = read_spectra(r, sp, t0, t1)
        if len(counts) >= 2:
            out.append((f"{sp}_spectra", 1.6,
                        lambda ax, fig, ts=ts, wl=wl, c=counts, n=sp: draw_spectra(ax, ts, wl, c, fig, n)))
    laser = find_signal(r, ("laser_on",))
    if laser is not None:
        signal_panel("laser_on", laser, "#7f7f7f", "laser on", step=True)
    return out


def _keyframe_times(segments: Sequence[Segment], t0: int, t1: int, k: int) -> np.ndarray:
    """k times over the welding inside [t0, t1] (over the window if nothing welds there): every weld gets one
    (when k allows), the rest go to the longer welds, each weld's times spread evenly inside it."""
    spans = [
        (max(s.t_start_ns, t0), min(s.t_end_ns, t1))
        for s in segments
        if s.t_end_ns > t0 and s.t_start_ns < t1
    ]
    if not spans:
        return np.linspace(t0, t1, k)
    lengths = np.array([b - a for a, b in spans], np.float64)
    if k < len(spans):  # too few to go round: spread along the concatenated welds
        at = (np.arange(k) + 0.5) / k * lengths.sum()
        edges = np.concatenate([[0.0], np.cumsum(lengths)])
        i = np.clip(np.searchsorted(edges, at, side="right") - 1, 0, len(spans) - 1)
        return np.array([spans[j][0] + (a - edges[j]) for j, a in zip(i, at, strict=True)])
    share = lengths / lengths.sum() * (k - len(spans))
    counts = 1 + np.floor(share).astype(int)
    for j in np.argsort(-(share - np.floor(share)))[: k - int(counts.sum())]:  # largest remainders
        counts[j] += 1
    return np.concatenate([a + (np.arange(c) + 0.5) / c * (b - a) for (a, b), c in zip(spans, counts, strict=True)])


def _keyframe_rows(
    r: RunReader,
    segments: Sequence[Segment],
    t0: int,
    t1: int,
    k: int,
) -> list[tuple[str, np.ndarray, np.ndarray]]:
    rows = []
    want = _keyframe_times(segments, t0, t1, k)
    for kind in (StreamKind.camera, StreamKind.ir):
        for name in frame_streams(r, kind):
            t = r.t_ns(name)
            i0, i1 = (int(v) for v in np.searchsorted(t, [t0, t1]))
            if i1 <= i0:
                continue
            # A few stills: show them all; else the frames nearest the wanted times.
            idx = np.arange(i0, i1) if i1 - i0 <= k else np.unique(np.clip(np.searchsorted(t, want), i0, i1 - 1))
            rows.append((name, np.stack([np.asarray(r.data(name)[int(i)]) for i in idx]), t[idx]))
    return rows


def _row_ratios(
    panels: Sequence[float],
    rows: Sequence[np.ndarray],
    size_in: tuple[float, float],
    k: int,
) -> list[float]:
    """Height ratios so keyframes keep their aspect and the signal panels share what is left."""
    usable_w, usable_h = size_in[0] * 0.87, size_in[1] * 0.86
    rows_in = [usable_w / k * f.shape[1] / f.shape[2] + 0.3 for f in rows]
    spacer_in = 0.45
    unit = max(usable_h - sum(rows_in) - spacer_in, 1.0) / max(sum(panels), 1.0)
    return [*panels, spacer_in / unit, *(h / unit for h in rows_in)]


def _shade(
    axes: Sequence,
    r: RunReader,
    segments: Sequence[Segment],
    labels: dict[int, dict[str, Any]],
    t0: int,
    t1: int,
) -> None:
    top = axes[0]
    for s in segments:
        if s.t_end_ns < t0 or s.t_start_ns > t1:
            continue
        color = SEGMENT_COLORS[s.weld_id % 2]
        for ax in axes:
            ax.axvspan(s.t_start_ns / 1e6, s.t_end_ns / 1e6, color=color, alpha=0.12, lw=0)
        rec = labels.get(s.weld_id)
        text = f"weld {s.weld_id}"
        if rec:
            text += "\n" + " ".join(str(v) for v in rec.get("labels", {}).values() if v)
            for reg in rec.get("pore_regions", []):
                for ax in axes:
                    ax.axvspan(reg["t_start_ns"] / 1e6, reg["t_end_ns"] / 1e6, color="red", alpha=0.25, lw=0)
        top.text(
            (max(s.t_start_ns, t0) + min(s.t_end_ns, t1)) / 2e6,
            1.02,
            text,
            transform=top.get_xaxis_transform(),
            ha="center",
            va="bottom",
            fontsize=7,
            clip_on=False,
        )
    gaps = r.gaps()
    for t_gap, stream, lost, note in zip(
        gaps["t_ns"], gaps["stream"], gaps["count"], gaps["note"], strict=True
    ):
        if t0 <= t_gap <= t1:
            # A loss says how many samples; a stream that stopped says why (first words of the note).
            what = f"{stream}: {lost} lost" if lost else f"{stream}: {str(note).split(':')[0] or 'stopped'}"
            for ax in axes:
                ax.axvline(t_gap / 1e6, color="red", ls="--", lw=0.8)
            top.text(
                t_gap / 1e6,
                0.95,
                what,
                transform=top.get_xaxis_transform(),
                color="red",
                fontsize=6,
                ha="left",
                va="top",
            )


def _legend(fig, segments: Sequence[Segment], labels: dict[int, dict], r: RunReader) -> list[str]:  # type: ignore[no-untyped-def,type-arg]
    """What the shading and lines mean: welds alternate two colours so neighbours stay apart."""
    from matplotlib.artist import Artist
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Artist] = []
    if segments:
        handles += [Patch(color=SEGMENT_COLORS[0], alpha=0.3, label="weld (even id)"),
                    Patch(color=SEGMENT_COLORS[1], alpha=0.3, label="weld (odd id)")]
    if any(rec.get("pore_regions") for rec in labels.values()):
        handles.append(Patch(color="red", alpha=0.4, label="pore (labelled)"))
    if len(r.gaps()["t_ns"]):
        handles.append(Line2D([], [], color="red", ls="--", lw=0.8, label="samples lost"))
    if handles:
        fig.legend(handles=handles, loc="upper right", ncol=len(handles), fontsize=7, frameon=False,
                   bbox_to_anchor=(0.95, 0.975))
    return [str(h.get_label()) for h in handles]


def quicklook(
    r: RunReader,
    out: str | os.PathLike[str],
    *,
    weld: int | None = None,
    segments: Sequence[Segment] | None = None,
    labels: Sequence[dict[str, Any]] | None = None,
    size_px: tuple[int, int] = (1400, 1800),
    keyframes: int = KEYFRAMES,
    morphology: MorphologyParams | None = None,
) -> QuicklookResult:
    """Render the quicklook PNG of a run (or of one weld) and say what each panel holds."""
    need_module("matplotlib")
    # A Figure with its own Agg canvas, not pyplot: a library must not switch a notebook's backend.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    segs = list(segments) if segments is not None else laser_segments(r)
    by_weld = {int(rec["weld_id"]): rec for rec in (labels or []) if rec.get("run_id") == r.run_id}
    t0, t1 = _window(r, segs, weld)
    in_view = sum(1 for sg in segs if sg.t_end_ns > t0 and sg.t_start_ns < t1)
    keyframes = max(keyframes, min(in_view, MAX_KEYFRAMES))  # one keyframe per weld in view, within reason
    panels = _panels(r, t0, t1, morphology or MorphologyParams())
    rows = _keyframe_rows(r, segs, t0, t1, keyframes)
    dpi = 100
    size_in = (size_px[0] / dpi, size_px[1] / dpi)
    fig = Figure(figsize=size_in, dpi=dpi)
    FigureCanvasAgg(fig)
    heights = _row_ratios([h for _, h, _ in panels], [f for _, f, _ in rows], size_in, keyframes)
    gs = fig.add_gridspec(
        len(heights), 1, height_ratios=heights, hspace=0.12, top=0.94, bottom=0.03, left=0.08, right=0.95
    )
    result = QuicklookResult(Path(out), size_px, (t0, t1))
    axes: list[Any] = []
    for i, (name, _, draw) in enumerate(panels):
        ax = fig.add_subplot(gs[i], sharex=axes[0] if axes else None)
        result.panels[name] = draw(ax, fig)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.25, lw=0.5)
        if i < len(panels) - 1:
            ax.tick_params(labelbottom=False)
        axes.append(ax)
    if axes:
        axes[-1].set_xlabel("time since run start (ms)", fontsize=8)
        axes[0].set_xlim(t0 / 1e6, t1 / 1e6)
        _shade(axes, r, segs, by_weld, t0, t1)
        result.legend = _legend(fig, segs, by_weld, r)
    for j, (name, frames, tf) in enumerate(rows):
        sub = gs[len(panels) + 1 + j].subgridspec(1, keyframes, wspace=0.04)
        spec = r.specs[name]
        cal = spec.calibration.get("*")
        vmin, vmax = np.percentile(frames, [1, 99.8]) if spec.kind == StreamKind.ir else (0, 255)
        for k, (img, t) in enumerate(zip(frames, tf, strict=True)):
            ax = fig.add_subplot(sub[k])
            ax.imshow(
                img,
                cmap="inferno" if spec.kind == StreamKind.ir else "gray",
                vmin=vmin,
                vmax=max(vmax, vmin + 1),
                interpolation="nearest",
            )
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{t / 1e6:,.1f} ms", fontsize=7, pad=2)
            if k == 0:
                lo, hi = cal.apply(np.array([vmin, vmax])) if cal else (vmin, vmax)
                unit = f" ({cal.units} {lo:.0f}–{hi:.0f})" if cal else ""
                ax.set_ylabel(f"{name}{unit}", fontsize=7)
        result.keyframes[name] = len(frames)
        result.keyframe_times_ns[name] = [int(v) for v in tf]
    m = r.manifest
    what = f"weld {weld}" if weld is not None else f"all {len(segs)} welds" if segs else "whole run"
    cond = (
        by_weld.get(weld if weld is not None else 0, {}).get("labels", {}).get("condition")
        if by_weld
        else None
    )
    fig.suptitle(
        f"{m.run_id} — {what}   ({m.process}, {m.material}, {m.rig}{', ' + cond if cond else ''};"
        f" {(t1 - t0) / 1e6:,.0f} ms)",
        fontsize=11,
    )
    fig.savefig(out, dpi=dpi)
    h = size_px[1]
    for (name, _, _), ax in zip(panels, axes, strict=True):  # where each panel landed, for checks
        b = ax.get_window_extent()
        result.panels[name].bbox_px = (round(b.x0), round(h - b.y1), round(b.x1), round(h - b.y0))
    return result
