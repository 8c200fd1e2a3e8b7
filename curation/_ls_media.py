"""What a labeller sees of one weld: a decimated multi-channel CSV and keyframe strips of frame streams."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from weldctl.schema import RunReader, StreamKind, StreamSpec

from ._ls_config import TIME_COLUMN, SignalColumn

KEYFRAME_HEIGHT = 256  # px; taller frames are scaled down so a strip stays light in the browser
# A perceptual dark-to-bright ramp (black, purple, orange, pale yellow) for thermal frames.
_HEAT = np.array([[0, 0, 4], [87, 16, 110], [188, 55, 84], [249, 142, 9], [252, 255, 164]], dtype=np.float64)


@dataclass(frozen=True)
class WeldWindow:
    run_id: str
    weld_id: int
    t_start_ns: int  # the weld itself
    t_end_ns: int
    t0_ns: int  # what the task shows: the weld plus some context; CSV time 0 is here
    t1_ns: int


@dataclass(frozen=True)
class WeldMedia:
    csv: Path
    images: dict[str, Path]
    rows: int
    bin_ns: float  # width of one decimated sample


def _is_ac(spec: StreamSpec, channel: str | None) -> bool:
    """Zero-mean signals (sound, acoustic emission) are decimated as RMS; a mean would cancel them out."""
    return spec.kind == StreamKind.audio or "acoustic" in (channel or "") or "mic" in (channel or "")


def _column_name(stream: str, channel: str | None) -> str:
    return f"{stream}_{channel}" if channel else stream


def signal_columns(reader: RunReader) -> list[SignalColumn]:
    """One column per channel of every non-frame stream."""
    cols: list[SignalColumn] = []
    for name, spec in reader.specs.items():
        if spec.is_frames:
            continue
        for ch in spec.channels or [None]:
            cal = spec.calibration.get(ch or "*") or spec.calibration.get("*")
            units = cal.units if cal else spec.units
            cols.append(SignalColumn(_column_name(name, ch), f"{name}/{ch}" if ch else name, units))
    return cols


def frame_streams(reader: RunReader) -> list[str]:
    return [name for name, spec in reader.specs.items() if spec.is_frames]


def _bin_values(t: np.ndarray, v: np.ndarray, t0: int, bin_ns: float, rows: int, rms: bool) -> np.ndarray:
    idx = np.clip(((t - t0) / bin_ns).astype(np.int64), 0, rows - 1)
    count = np.bincount(idx, minlength=rows)
    total = np.bincount(idx, v * v if rms else v, minlength=rows)
    filled = count > 0
    out = np.zeros(rows)
    out[filled] = total[filled] / count[filled]
    if rms:
        out = np.sqrt(out)
    if filled.any() and not filled.all():  # bins without samples (a slow stream, a gap): interpolate
        centers = np.arange(rows)
        out[~filled] = np.interp(centers[~filled], centers[filled], out[filled])
    return out


def render_csv(reader: RunReader, win: WeldWindow, columns: list[SignalColumn], path: Path,
               max_points: int) -> tuple[int, float]:
    """Write the decimated CSV; returns (rows, bin width in ns). Columns the run lacks are written as 0."""
    span = win.t1_ns - win.t0_ns
    fastest = max((s.nominal_rate_hz for s in reader.specs.values() if not s.is_frames), default=1.0)
    rows = int(max(2, min(max_points // max(1, len(columns)), span / 1e9 * fastest)))
    bin_ns = span / rows
    table = {c.column: np.zeros(rows) for c in columns}
    for name, spec in reader.specs.items():
        if spec.is_frames:
            continue
        data, t = reader.window(name, win.t0_ns, win.t1_ns)
        if not len(t):
            continue
        for j, ch in enumerate(spec.channels or [None]):
            col = _column_name(name, ch)
            if col not in table:
                continue
            raw = data[:, j] if ch else data.reshape(len(t))
            cal = spec.calibration.get(ch or "*") or spec.calibration.get("*")
            vals = cal.apply(raw) if cal else raw.astype(np.float64)
            table[col] = _bin_values(t, vals, win.t0_ns, bin_ns, rows, _is_ac(spec, ch))
    time_s = (np.arange(rows) + 0.5) * bin_ns / 1e9
    matrix = np.column_stack([time_s, *table.values()])
    path.parent.mkdir(parents=True, exist_ok=True)
    header = ",".join([TIME_COLUMN, *table])
    fmt = ["%.6f"] + ["%.6g"] * len(table)
    np.savetxt(path, matrix, delimiter=",", header=header, comments="", fmt=fmt)
    return rows, bin_ns


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


def render_keyframes(reader: RunReader, stream: str, win: WeldWindow, path: Path, count: int) -> Path | None:
    """A strip of ``count`` frames evenly spread over the weld, as PNG; None when the weld has no frames."""
    from PIL import Image

    t = reader.t_ns(stream)
    want = win.t_start_ns + (np.arange(count) + 0.5) / count * (win.t_end_ns - win.t_start_ns)
    idx = np.unique(np.clip(np.searchsorted(t, want), 0, len(t) - 1))
    idx = idx[(t[idx] >= win.t0_ns) & (t[idx] < win.t1_ns)]
    if not len(idx):
        return None
    spec = reader.specs[stream]
    frames = np.asarray(reader.data(stream).oindex[idx])
    tiles = []
    for rgb in _to_rgb(frames, spec):
        img = Image.fromarray(rgb)
        if img.height > KEYFRAME_HEIGHT:
            img = img.resize((round(img.width * KEYFRAME_HEIGHT / img.height), KEYFRAME_HEIGHT))
        tiles.append(img)
    gap = 4
    width = sum(i.width for i in tiles) + gap * (len(tiles) - 1)
    strip = Image.new("RGB", (width, max(i.height for i in tiles)), (255, 255, 255))
    x = 0
    for tile in tiles:
        strip.paste(tile, (x, 0))
        x += tile.width + gap
    path.parent.mkdir(parents=True, exist_ok=True)
    strip.save(path, format="PNG", optimize=False)
    return path


def render_weld(reader: RunReader, win: WeldWindow, columns: list[SignalColumn], image_streams: list[str],
                out_dir: Path, max_points: int, keyframes: int) -> WeldMedia:
    stem = f"w{win.weld_id:04d}"
    csv = out_dir / f"{stem}.csv"
    rows, bin_ns = render_csv(reader, win, columns, csv, max_points)
    images: dict[str, Path] = {}
    for stream in image_streams:
        if stream in reader.specs:
            p = render_keyframes(reader, stream, win, out_dir / f"{stem}_{stream}.png", keyframes)
            if p is not None:
                images[stream] = p
    return WeldMedia(csv=csv, images=images, rows=rows, bin_ns=bin_ns)
