"""What a labeller sees of one weld: a decimated multi-channel CSV and keyframe strips of frame streams."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np

from weldctl.schema import RunReader, StreamKind, StreamSpec

from ..core import channels_of
from ._config import TIME_COLUMN, WELD_COLUMN, SignalColumn

if TYPE_CHECKING:
    from PIL import Image

KEYFRAME_HEIGHT = 256  # px; taller frames are scaled down so a strip stays light in the browser
STAMP_PX = 15  # height of the time stamped on each keyframe
# A perceptual dark-to-bright ramp (black, purple, orange, pale yellow) for thermal frames.
_HEAT = np.array([[0, 0, 4], [87, 16, 110], [188, 55, 84], [249, 142, 9], [252, 255, 164]], dtype=np.float64)
UNIT_NAMES = {1_000_000: "ms", 1_000_000_000: "s"}


@dataclass(frozen=True)
class WeldWindow:
    run_id: str
    weld_id: int
    t_start_ns: int  # the weld itself
    t_end_ns: int
    view_start_ns: int  # what the task shows: the weld plus some context
    view_end_ns: int
    origin_ns: int  # time zero of the task's time axis (new tasks: the weld start)
    unit_ns: int  # one unit of the task's time axis (new tasks: 1 ms)

    def axis(self, t_ns: float) -> float:
        """A run time (ns) on the task's time axis."""
        return (t_ns - self.origin_ns) / self.unit_ns

    def stamp(self, t_ns: float) -> str:
        unit = UNIT_NAMES.get(self.unit_ns, f"x{self.unit_ns} ns")
        return f"{self.axis(t_ns):,.1f} {unit}" if self.unit_ns <= 1_000_000 else f"{self.axis(t_ns):.4f} {unit}"


@dataclass(frozen=True)
class WeldMedia:
    csv: Path
    rows: int
    bin_ns: float  # width of one decimated sample
    images: dict[str, Path] = field(default_factory=dict)
    frame_times_ns: dict[str, list[int]] = field(default_factory=dict)  # per image stream, left to right
    captions: dict[str, str] = field(default_factory=dict)  # per image stream, where the default does not fit


def _is_ac(spec: StreamSpec, channel: str | None) -> bool:
    """Zero-mean signals (sound, acoustic emission) are decimated as RMS; a mean would cancel them out."""
    return spec.kind == StreamKind.audio or "acoustic" in (channel or "") or "mic" in (channel or "")


def _column_name(stream: str, channel: str | None) -> str:
    return f"{stream}_{channel}" if channel else stream


def _strobe_channels(reader: RunReader) -> set[str]:
    """Camera exposure strobes: timing lines, not process signals; nothing to label on them."""
    out = set()
    for spec in reader.specs.values():
        if spec.strobe:
            stream, channel = spec.strobe.split(".", 1)
            out.add(_column_name(stream, channel))
    return out


def signal_columns(reader: RunReader) -> list[SignalColumn]:
    """One column per channel of every non-frame stream (strobe lines left out), with that channel's units."""
    strobes = _strobe_channels(reader)
    cols: list[SignalColumn] = []
    for name, spec in reader.specs.items():
        if spec.is_frames or spec.spectrum is not None:  # spectra are shown as a picture (picture_streams)
            continue
        for ch in channels_of(spec):
            if _column_name(name, ch) not in strobes:
                cols.append(SignalColumn(_column_name(name, ch), f"{name}/{ch}" if ch else name, spec.units_of(ch)))
    return cols


def picture_streams(reader: RunReader) -> list[str]:
    """Streams a task shows as pictures: frame strips, and spectrometers as wavelength × time."""
    return [name for name, spec in reader.specs.items() if spec.is_frames or spec.spectrum is not None]


def _bin_values(t: np.ndarray, v: np.ndarray, t0: int, bin_ns: float, rows: int, rms: bool) -> np.ndarray:
    idx = np.clip(((t - t0) / bin_ns).astype(np.int64), 0, rows - 1)
    count = np.bincount(idx, minlength=rows)
    total = np.bincount(idx, v * v if rms else v, minlength=rows)
    filled = count > 0
    out: np.ndarray = np.zeros(rows)
    out[filled] = total[filled] / count[filled]
    if rms:
        out = np.sqrt(out)
    if filled.any() and not filled.all():  # bins without samples (a slow stream, a gap): interpolate
        centers = np.arange(rows)
        out[~filled] = np.interp(centers[~filled], centers[filled], out[filled])
    return out


def render_csv(reader: RunReader, win: WeldWindow, columns: list[SignalColumn], path: Path,
               max_points: int) -> tuple[int, float]:
    """Write the decimated CSV; returns (rows, bin width in ns). Columns the run lacks are written as 0.

    Columns: the time axis, the weld band (1 inside the weld), then one per signal channel.
    """
    span = win.view_end_ns - win.view_start_ns
    fastest = max((s.nominal_rate_hz for s in reader.specs.values() if not s.is_frames and s.spectrum is None),
                  default=1.0)
    rows = int(max(2, min(max_points // max(1, len(columns) + 1), span / 1e9 * fastest)))
    bin_ns = span / rows
    table = {c.column: np.zeros(rows) for c in columns}
    for name, spec in reader.specs.items():
        if spec.is_frames or spec.spectrum is not None:
            continue
        data, t = reader.window(name, win.view_start_ns, win.view_end_ns)
        if not len(t):
            continue
        for j, ch in enumerate(channels_of(spec)):
            col = _column_name(name, ch)
            if col not in table:
                continue
            raw = data[:, j] if ch else data.reshape(len(t))
            cal = spec.calibration_of(ch)
            vals = cal.apply(raw) if cal else raw.astype(np.float64)
            table[col] = _bin_values(t, vals, win.view_start_ns, bin_ns, rows, _is_ac(spec, ch))
    centers_ns = win.view_start_ns + (np.arange(rows) + 0.5) * bin_ns
    in_weld = ((centers_ns >= win.t_start_ns) & (centers_ns < win.t_end_ns)).astype(np.float64)
    matrix = np.column_stack([(centers_ns - win.origin_ns) / win.unit_ns, in_weld, *table.values()])
    decimals = len(str(win.unit_ns)) - 1  # the time axis to the nanosecond
    fmt = [f"%.{decimals}f", "%d"] + ["%.6g"] * len(table)
    _write_atomic(path, lambda f: np.savetxt(f, matrix, delimiter=",", header=",".join(
        [TIME_COLUMN, WELD_COLUMN, *table]), comments="", fmt=fmt))
    return rows, bin_ns


def _write_atomic(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Whole file or none: an interrupted push never leaves a half-written CSV or PNG that looks done."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial")
    with tmp.open("wb") as f:
        write(f)
    tmp.replace(path)


def _to_rgb(frames: np.ndarray, spec: StreamSpec) -> np.ndarray:
    """8-bit RGB of a frame stack: counts as grey, calibrated (thermal) frames through a heat ramp."""
    cal = spec.calibration.get("*")
    if frames.dtype == np.uint8 and cal is None:
        return np.repeat(frames[..., None], 3, axis=-1)
    phys = cal.apply(frames) if cal else frames.astype(np.float64)
    lo, hi = np.percentile(phys, [1.0, 99.8])
    x = np.clip((phys - lo) / max(hi - lo, 1e-9), 0.0, 1.0) * (len(_HEAT) - 1)
    knots = np.arange(len(_HEAT))
    rgb = np.stack([np.interp(x, knots, _HEAT[:, k]) for k in range(3)], axis=-1)
    return rgb.round().astype(np.uint8)


def _stamp(img: Image.Image, text: str) -> Image.Image:
    """The frame's time on the task's axis, white on a dark box in the top-left corner."""
    from PIL import ImageDraw, ImageFont

    font = ImageFont.load_default(size=STAMP_PX)
    draw = ImageDraw.Draw(img)
    left, top, right, bottom = draw.textbbox((4, 2), text, font=font)
    draw.rectangle((left - 3, top - 2, right + 3, bottom + 2), fill=(0, 0, 0))
    draw.text((4, 2), text, fill=(255, 255, 255), font=font)
    return img


def render_keyframes(reader: RunReader, stream: str, win: WeldWindow, path: Path,
                     count: int) -> list[int] | None:
    """A PNG strip of ``count`` frames spread over the weld, each stamped with its time; their times (ns).

    None when the weld has no frames of this stream.
    """
    from PIL import Image

    t = reader.t_ns(stream)
    want = win.t_start_ns + (np.arange(count) + 0.5) / count * (win.t_end_ns - win.t_start_ns)
    idx = np.unique(np.clip(np.searchsorted(t, want), 0, len(t) - 1))
    idx = idx[(t[idx] >= win.view_start_ns) & (t[idx] < win.view_end_ns)]
    if not len(idx):
        return None
    spec = reader.specs[stream]
    frames = np.asarray(reader.data(stream).oindex[idx])
    tiles = []
    for rgb, t_frame in zip(_to_rgb(frames, spec), t[idx], strict=True):
        img = Image.fromarray(rgb)
        if img.height > KEYFRAME_HEIGHT:
            img = img.resize((round(img.width * KEYFRAME_HEIGHT / img.height), KEYFRAME_HEIGHT))
        tiles.append(_stamp(img, win.stamp(int(t_frame))))
    gap = 4
    width = sum(i.width for i in tiles) + gap * (len(tiles) - 1)
    strip = Image.new("RGB", (width, max(i.height for i in tiles)), (255, 255, 255))
    x = 0
    for tile in tiles:
        strip.paste(tile, (x, 0))
        x += tile.width + gap
    _write_atomic(path, lambda f: strip.save(f, format="PNG", optimize=False))
    return [int(v) for v in t[idx]]


def render_spectra(reader: RunReader, stream: str, win: WeldWindow, path: Path) -> str | None:
    """A wavelength × time PNG of the spectra in the task's view; its caption (None: no spectra there)."""
    from ..features import read_spectra
    from ..view import spectra_png

    t, wl, counts = read_spectra(reader, stream, win.view_start_ns, win.view_end_ns)
    if len(t) < 2:
        return None
    png = spectra_png(t - win.origin_ns, wl, counts,
                      f"{stream}: {len(t)} spectra, {wl[0]:.0f}–{wl[-1]:.0f} nm")
    _write_atomic(path, lambda f: f.write(png))
    return (f"{stream}: wavelength × time from {win.stamp(int(t[0]))} to {win.stamp(int(t[-1]))} "
            "(log counts; Hα 656 nm and O I 777 nm mark water or oil, C₂ 516 nm oil)")


def render_weld(reader: RunReader, win: WeldWindow, columns: list[SignalColumn], image_streams: list[str],
                out_dir: Path, max_points: int, keyframes: int) -> WeldMedia:
    stem = f"w{win.weld_id:04d}"
    csv = out_dir / f"{stem}.csv"
    rows, bin_ns = render_csv(reader, win, columns, csv, max_points)
    media = WeldMedia(csv=csv, rows=rows, bin_ns=bin_ns)
    for stream in image_streams:
        if stream in reader.specs and reader.specs[stream].spectrum is not None:
            png = out_dir / f"{stem}_{stream}.png"
            shown = render_spectra(reader, stream, win, png)
            if shown is not None:
                media.images[stream], media.captions[stream] = png, shown
        elif stream in reader.specs:
            png = out_dir / f"{stem}_{stream}.png"
            times = render_keyframes(reader, stream, win, png, keyframes)
            if times is not None:
                media.images[stream] = png
                media.frame_times_ns[stream] = times
    return media
