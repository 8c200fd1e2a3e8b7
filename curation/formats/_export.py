"""Exports of a run store for tools that know nothing of weldctl: HDF5 (all streams) and CSV (one stream)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from weldctl.schema import RunReader, StoreError

from ..core import need_module

FRAME_BLOCK = 256


@contextmanager
def whole_file(out: Path) -> Iterator[Path]:
    """A temporary name next to ``out``, renamed into place when the block succeeds and deleted when it fails:
    an export is complete or absent, never a hidden partial file."""
    tmp = out.with_name(f".{out.name}.partial")
    try:
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(out)


def export_hdf5(run: RunReader, out: str | os.PathLike[str]) -> Path:
    """One group per stream: ``data`` with ``t_ns``/``seq`` attached as dimension scales, spec as attrs."""
    h5py = need_module("h5py")
    out = Path(out)
    with whole_file(out) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["run_id"] = run.run_id
        f.attrs["manifest_json"] = run.manifest.model_dump_json()
        f.attrs["exported_by"] = "weldctl export"
        for name, spec in run.specs.items():
            g = f.create_group(name)
            n = run.length(name)
            t = g.create_dataset("t_ns", data=run.t_ns(name))
            t.attrs["units"] = "ns since run start"
            g.create_dataset("seq", data=run.seq(name))
            chunks = (min(max(n, 1), FRAME_BLOCK if spec.is_frames else 1 << 16), *spec.sample_shape)
            d = g.create_dataset(
                "data",
                shape=(n, *spec.sample_shape),
                dtype=spec.dtype,
                chunks=chunks if n else None,
                compression="lzf",  # h5py built-in: fast, readable wherever h5py is
            )
            src = run.data(name)
            step = FRAME_BLOCK if spec.is_frames else 1 << 20
            for i in range(0, n, step):  # bounded memory for long camera streams
                d[i : i + step] = src[i : min(i + step, n)]
            t.make_scale("t_ns")
            d.dims[0].attach_scale(t)
            d.attrs["units"] = spec.units
            d.attrs["kind"] = spec.kind.value
            d.attrs["nominal_rate_hz"] = spec.nominal_rate_hz
            if spec.channels:
                d.attrs["channels"] = np.asarray(spec.channels, dtype=h5py.string_dtype())
            d.attrs["calibration_json"] = json.dumps({k: c.model_dump() for k, c in spec.calibration.items()})
            d.attrs["stream_spec_json"] = spec.model_dump_json()
        ev = run.events()
        eg = f.create_group("events")
        for col, values in ev.items():
            eg.create_dataset(
                col, data=values.astype(h5py.string_dtype()) if values.dtype.kind in "UOT" else values
            )
    return out


def export_csv(run: RunReader, stream: str, out: str | os.PathLike[str], *, calibrated: bool = True) -> Path:
    """Columns t_ns, t_s and one per channel (in physical units when the stream is calibrated)."""
    pd = need_module("pandas")
    spec = run.specs.get(stream)
    if spec is None:
        raise StoreError(f"run {run.run_id} has no stream {stream!r}", f"pick one of: {', '.join(run.specs)}")
    if spec.is_frames:
        raise StoreError(
            f"stream {stream!r} holds frames; CSV takes 1-D streams", "use --format hdf5 for frames"
        )
    n = run.length(stream)
    data = np.asarray(run.data(stream)[:n]).reshape(n, -1)
    # a spectrum: one column per wavelength
    names = spec.channels or ([f"{w:.2f}nm" for w in spec.spectrum.wavelengths] if spec.spectrum else [stream])
    t = run.t_ns(stream)
    cols: dict[str, np.ndarray] = {"t_ns": t, "t_s": t / 1e9}
    for j, ch in enumerate(names):
        # Units per channel: an OCT stream's quality is not in the depth's um.
        cal = spec.calibration_of(ch) if calibrated else None
        units = spec.units_of(ch, calibrated=calibrated)
        cols[f"{ch} [{units}]"] = cal.apply(data[:, j]) if cal is not None else data[:, j]
    out = Path(out)
    with whole_file(out) as tmp:
        pd.DataFrame(cols).to_csv(tmp, index=False)
    return out
