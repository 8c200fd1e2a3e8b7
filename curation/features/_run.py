"""`weldctl features`: derived streams of one run, written beside (never into) the raw store."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from weldctl.schema import FEATURES_ATTR, RunReader, StreamKind, weldctl_version

from ..core import find_signal, frame_streams, read_signal
from ._features import (
    BandParams,
    MelParams,
    MorphologyParams,
    WindowParams,
    band_energies,
    eemd,
    frame_morphology,
    mel_spectrogram,
    sliding_stats,
)

FRAME_BLOCK = 512  # frames read at once: bounded memory on long camera streams


class FeatureParams(BaseModel):
    """Everything that decides the features; recorded with them."""

    model_config = ConfigDict(extra="forbid")
    morphology: MorphologyParams = Field(default_factory=MorphologyParams)
    window: WindowParams = Field(default_factory=WindowParams)
    mel: MelParams = Field(default_factory=MelParams)
    bands: BandParams = Field(default_factory=BandParams)
    eemd: bool = False
    eemd_trials: int = Field(default=10, gt=0)
    eemd_max_samples: int = Field(default=10000, gt=0, description="OCT samples decomposed (EEMD is slow)")


def camera_morphology(r: RunReader, stream: str, p: MorphologyParams) -> dict[str, np.ndarray]:
    n = r.length(stream)
    parts = [
        frame_morphology(np.asarray(r.data(stream)[i : min(i + FRAME_BLOCK, n)]), p)
        for i in range(0, n, FRAME_BLOCK)
    ]
    out = {
        k: np.concatenate([q[k] for q in parts]) if parts else np.empty(0)
        for k in ("area_px", "perimeter_px", "length_px", "width_px")
    }
    return {"t_ns": r.t_ns(stream), **out}


def compute_features(r: RunReader, p: FeatureParams | None = None) -> dict[str, dict[str, np.ndarray]]:
    """Feature tables by name; each has a ``t_ns`` column on the run time base."""
    p = p or FeatureParams()
    out: dict[str, dict[str, np.ndarray]] = {}
    for cam in frame_streams(r, StreamKind.camera):
        m = camera_morphology(r, cam, p.morphology)
        out[f"{cam}_morphology"] = m
        out[f"{cam}_area_window"] = sliding_stats(m["t_ns"], m["area_px"], p.window)
    for name in ("photodiode", "current", "voltage"):
        s = find_signal(r, (name,))
        if s is not None:
            t, x = read_signal(r, s)
            out[f"{name}_window"] = sliding_stats(t, x, p.window)
            if name == "photodiode":
                out["photodiode_bands"] = band_energies(t, x, r.specs[s.stream].nominal_rate_hz, p.bands)
    ac = find_signal(r, ("acoustic",)) or find_signal(r, ("mic",), (StreamKind.audio,))
    if ac is not None:
        t, x = read_signal(r, ac)
        out["acoustic_mel"] = mel_spectrogram(t, x, r.specs[ac.stream].nominal_rate_hz, p.mel)
        out["acoustic_window"] = sliding_stats(t, x, p.window)
    depth = find_signal(r, ("keyhole_depth",), (StreamKind.oct,))
    if depth is not None:
        t, x = read_signal(r, depth)
        out["oct_depth_window"] = sliding_stats(t, x, p.window)
        if p.eemd:
            # EEMD is slow: decompose from where a keyhole first shows (flat zeros hold no modes).
            i0 = int(np.argmax(x > 0)) if np.any(x > 0) else 0
            i1 = min(len(x), i0 + p.eemd_max_samples)
            imfs = eemd(x[i0:i1], trials=p.eemd_trials)
            out["oct_depth_eemd"] = {"t_ns": t[i0:i1], "imf": imfs.T}
    return out


def write_features(r: RunReader, out_dir: str | os.PathLike[str], p: FeatureParams | None = None) -> Path:
    """<out_dir>/<run_id>.features.zarr: one group per feature table, parameters in the root attrs."""
    import shutil

    import zarr

    p = p or FeatureParams()
    tables = compute_features(r, p)
    final = Path(out_dir) / f"{r.run_id}.features.zarr"
    tmp = final.with_name(f".{final.name}.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    root = zarr.open_group(str(tmp), mode="w", zarr_format=3)
    root.attrs[FEATURES_ATTR] = {
        "run_id": r.run_id,
        "source": r.uri,
        "params": json.loads(p.model_dump_json()),
        "weldctl_version": weldctl_version(),
        "time_base": "ns since run start",
    }
    for name, cols in tables.items():
        g = root.create_group(name)
        for col, values in cols.items():
            dims = ["t"] + [f"{col}_{i}" for i in range(1, np.ndim(values))]
            g.create_array(col, data=np.ascontiguousarray(values), dimension_names=dims)
    if final.exists():
        shutil.rmtree(final)
    tmp.rename(final)
    return final
