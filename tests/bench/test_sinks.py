"""The benchmark's peer writers store what they were given: read back with each library's own reader."""

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from bench._sinks import SINKS
from weldctl.schema import ClockSource, StreamKind, StreamSpec

CAM = StreamSpec(
    name="camera",
    kind=StreamKind.camera,
    device="d",
    driver="sim",
    dtype="uint8",
    sample_shape=(16, 16),
    units="counts",
    nominal_rate_hz=1000,
    clock=ClockSource.device,
)
SIG = StreamSpec(
    name="daq",
    kind=StreamKind.daq,
    device="d",
    driver="sim",
    dtype="int16",
    sample_shape=(4,),
    units="counts",
    nominal_rate_hz=100_000,
    clock=ClockSource.device,
)
N = {"camera": 1500, "daq": 150_000}  # several shards and a partial one of each


def _blocks(spec: StreamSpec, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int]]:
    rng = np.random.default_rng(seed)
    n = N[spec.name]
    data = rng.integers(0, 200, (n, *spec.sample_shape)).astype(spec.dtype)
    t_ns = np.arange(n, dtype=np.int64) * int(1e9 / spec.nominal_rate_hz) + 1_000_000
    cuts = sorted({0, n, *rng.integers(1, n, 20).tolist()})  # uneven blocks, as the recorder hands them over
    return data, t_ns, np.arange(n, dtype=np.int64), cuts


def _write(name: str, root: Path) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    sink = SINKS[name](str(root), 2.0)
    out = {}
    for k, spec in enumerate((CAM, SIG)):
        data, t_ns, seq, cuts = _blocks(spec, k)
        for a, b in pairwise(cuts):
            sink.append(spec, data[a:b], t_ns[a:b], seq[a:b])
        out[spec.name] = (data, t_ns, seq)
    sink.close()
    return out


@pytest.mark.parametrize("name", ["zarr-python", "tensorstore", "tensorstore-chunks"])
def test_zarr_peers_read_back_with_zarr_python(name: str, tmp_path: Path) -> None:
    import zarr

    wrote = _write(name, tmp_path)
    root = tmp_path / ("zarr-python.zarr" if name == "zarr-python" else "tensorstore.zarr")
    for stream, (data, t_ns, seq) in wrote.items():
        n = len(data)
        arr = zarr.open_array(root / stream / "data", mode="r")
        assert np.array_equal(arr[:n], data)
        assert np.array_equal(zarr.open_array(root / stream / "t_ns", mode="r")[:n], t_ns)
        assert np.array_equal(zarr.open_array(root / stream / "seq", mode="r")[:n], seq)
        codecs = [type(c).__name__ for c in arr.metadata.codecs]
        assert ("ShardingCodec" in codecs) == (name != "tensorstore-chunks")


def test_h5py_peer_reads_back_with_h5py(tmp_path: Path) -> None:
    import h5py
    import hdf5plugin  # noqa: F401 - registers the blosc filter

    wrote = _write("h5py", tmp_path)
    with h5py.File(tmp_path / "h5py.h5", "r") as f:
        for stream, (data, t_ns, seq) in wrote.items():
            n = len(data)
            assert np.array_equal(f[stream]["data"][:n], data)
            assert np.array_equal(f[stream]["t_ns"][:n], t_ns)
            assert np.array_equal(f[stream]["seq"][:n], seq)


def test_xdf_peer_reads_back_with_pyxdf(tmp_path: Path) -> None:
    import pyxdf

    wrote = _write("xdf", tmp_path)
    streams, _header = pyxdf.load_xdf(str(tmp_path / "run.xdf"), dejitter_timestamps=False)
    by_name = {s["info"]["name"][0]: s for s in streams}
    for stream, (data, t_ns, _seq) in wrote.items():
        got = by_name[stream]
        signed = np.dtype(data.dtype.str.replace("u", "i"))  # XDF has no unsigned formats: same bits
        values = np.asarray(got["time_series"]).astype(signed).view(data.dtype)
        assert np.array_equal(values.reshape(data.shape), data)
        # Stamps: the first of each block as written, the others deduced from the nominal rate.
        assert np.allclose(got["time_stamps"], t_ns / 1e9, atol=1e-6)
