"""Wavelength × time pictures of a spectrometer stream: a panel of `weldctl view`, and the picture a
labelling task shows. Colour is log counts (dark-subtracted), so weak lines show beside the continuum."""

from __future__ import annotations

import io

import numpy as np
import numpy.typing as npt

from ._plots import PanelInfo

MAX_COLUMNS = 600  # spectra drawn; more are averaged in neighbouring groups
MARK_NM = ((656.28, "Hα"), (777.3, "O I"), (438.35, "Fe"), (396.15, "Al"), (516.5, "C₂"))


def _decimate(t_ns: npt.NDArray[np.int64], x: npt.NDArray[np.float64]) -> tuple[np.ndarray, np.ndarray]:
    if len(x) <= MAX_COLUMNS:
        return t_ns, x
    k = len(x) // MAX_COLUMNS + 1
    m = len(x) // k * k
    return t_ns[:m:k], x[:m].reshape(-1, k, x.shape[1]).mean(axis=1)


def log_counts(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    out: npt.NDArray[np.float64] = np.log10(np.clip(x, 1.0, None))
    return out


def draw_spectra(ax, t_ns: np.ndarray, wl: np.ndarray, counts: np.ndarray, fig, name: str) -> PanelInfo:  # type: ignore[no-untyped-def]
    """The spectra as an image on the figure's time axis (ms), wavelength up, with the telling lines marked."""
    if len(counts) < 2:
        return PanelInfo(f"{name} spectra", 0, 0.0)
    t, x = _decimate(np.asarray(t_ns), np.asarray(counts, np.float64))
    img = log_counts(x).T
    vmax = float(np.percentile(img, 99.7))
    im = ax.imshow(
        img,
        origin="lower",
        aspect="auto",
        cmap="inferno",
        vmin=max(0.0, vmax - 3.0),
        vmax=vmax,
        extent=(t[0] / 1e6, t[-1] / 1e6, wl[0], wl[-1]),
        interpolation="nearest",
    )
    for nm, label in MARK_NM:  # inside the left edge: the colour bar sits outside the right one
        if wl[0] < nm < wl[-1]:
            ax.annotate(
                label,
                (0.0, nm),
                xycoords=("axes fraction", "data"),
                xytext=(2, 0),
                textcoords="offset points",
                fontsize=6,
                va="center",
                color="white",
            )
    ax.set_ylabel(f"{name}\nnm", fontsize=8)
    cb = fig.colorbar(im, cax=ax.inset_axes((1.005, 0.0, 0.008, 1.0)))
    cb.set_label("log₁₀ counts", fontsize=7)
    cb.ax.tick_params(labelsize=6)
    return PanelInfo(f"{name} spectra", int(img.size), float(np.ptp(img)))


def spectra_png(
    t_ns: np.ndarray, wl: np.ndarray, counts: np.ndarray, title: str, size_px: tuple[int, int] = (900, 360)
) -> bytes:
    """A standalone wavelength × time PNG for a labelling task; ``t_ns`` from the task's time zero (the weld start)."""
    # A Figure of its own, not pyplot: the caller's backend (a notebook's) is left alone.
    from matplotlib.figure import Figure

    dpi = 100
    fig = Figure(figsize=(size_px[0] / dpi, size_px[1] / dpi), dpi=dpi)
    ax = fig.subplots()
    draw_spectra(ax, np.asarray(t_ns, np.int64), wl, counts, fig, "spectrometer")
    ax.set_xlabel("ms from the weld start", fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.tick_params(labelsize=7)
    fig.subplots_adjust(left=0.1, right=0.9, bottom=0.15, top=0.88)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
