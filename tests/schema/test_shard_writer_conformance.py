"""The recorder's shard writer produces standard Zarr v3: zarr-python, tensorstore and xarray read back
exactly what was appended, including partial last shards, reopened stores and a killed writer's store."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import zarr

from tests.conftest import need_module
from weldctl.schema import RunManifest, RunReader, RunWriter, StreamSpec
from weldctl.schema._shard_io import LocalSink

ts = need_module("tensorstore", "tensorstore reads the writer's output: pip install -e '.[dev]'")

# (name, dtype, sample_shape, rate, samples): sizes chosen to end inside a shard and inside a chunk.
CASES = [
    ("cam", "uint8", (48, 40), 1000.0, 1300),  # 512-frame shards, 64-frame chunks: 2 full shards + 276
    ("ir", "uint16", (24, 32), 100.0, 301),  # 32-frame chunks, 4 per shard at 100 Hz
    ("daq", "float32", (3,), 100_000.0, 250_001),  # 1-D with channels, several shards, odd tail
    ("mic", "float64", (1,), 48_000.0, 70_000),
    ("enc", "int16", (2,), 5_000.0, 17),  # less than one chunk
]


def _spec(name: str, dtype: str, shape: tuple[int, ...], rate: float) -> StreamSpec:
    kind = "camera" if len(shape) == 2 else "daq"
    channels = [f"c{i}" for i in range(shape[0])] if len(shape) == 1 else []
    return StreamSpec(name=name, kind=kind, device="test", driver="test", dtype=dtype, sample_shape=shape,
                      channels=channels, units="counts", nominal_rate_hz=rate)


def _samples(dtype: str, shape: tuple[int, ...], n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        return rng.normal(0.0, 1.0, (n, *shape)).astype(dtype)
    info = np.iinfo(dtype)
    # Smooth plus noise, like sensor data, so blosc really compresses (and shuffles) something.
    base = np.linspace(info.min / 2, info.max / 2, n * int(np.prod(shape))).reshape(n, *shape)
    return (base + rng.integers(-20, 20, base.shape)).clip(info.min, info.max).astype(dtype)


def _manifest(run_id: str) -> RunManifest:
    return RunManifest(run_id=run_id, operator="test", rig="test", material="test", host="test")


def _append_in_blocks(writer: RunWriter, name: str, data: np.ndarray, start: int, block: int) -> None:
    for i in range(0, len(data), block):
        part = data[i : i + block]
        idx = np.arange(start + i, start + i + len(part), dtype=np.int64)
        writer.streams[name].append(part, idx * 1000, idx)


def _read_tensorstore(path: Path) -> np.ndarray:
    arr = ts.open({"driver": "zarr3", "kvstore": {"driver": "file", "path": str(path)}}, open=True).result()
    return np.asarray(arr.read().result())


def _check_readers(uri: str, name: str, expected: np.ndarray, first_seq: int = 0) -> None:
    base = Path(uri) / "streams" / name
    n = len(expected)
    z = zarr.open_array(str(base / "data"), mode="r")
    assert z.shape == expected.shape
    np.testing.assert_array_equal(z[:], expected)
    np.testing.assert_array_equal(_read_tensorstore(base / "data"), expected)
    seq = np.arange(first_seq, first_seq + n, dtype=np.int64)
    for arr_name, values in (("t_ns", seq * 1000), ("seq", seq)):
        np.testing.assert_array_equal(zarr.open_array(str(base / arr_name), mode="r")[:], values)
        np.testing.assert_array_equal(_read_tensorstore(base / arr_name), values)
    reader = RunReader(uri)
    assert reader.length(name) == n
    np.testing.assert_array_equal(reader.seq(name), seq)


def test_codecs_are_standard_sharding(tmp_path: Path) -> None:
    spec = _spec(*CASES[0][:4])
    w = RunWriter.create(tmp_path, _manifest("RMETA"), [spec])
    w.finalize()
    meta = zarr.open_array(str(tmp_path / "RMETA.zarr" / "streams" / "cam" / "data"), mode="r").metadata
    sharding = meta.codecs[0]
    assert type(sharding).__name__ == "ShardingCodec"
    assert meta.chunk_grid.chunk_shape == (512, 48, 40)
    assert sharding.chunk_shape == (64, 48, 40)
    blosc = sharding.codecs[-1]
    assert (blosc.cname.value, blosc.shuffle.value) == ("lz4", "bitshuffle")


@pytest.mark.parametrize(("name", "dtype", "shape", "rate", "n"), CASES, ids=[c[0] for c in CASES])
def test_written_arrays_read_back_identically(tmp_path: Path, name: str, dtype: str,
                                              shape: tuple[int, ...], rate: float, n: int) -> None:
    data = _samples(dtype, shape, n, seed=n)
    w = RunWriter.create(tmp_path, _manifest("RW"), [_spec(name, dtype, shape, rate)])
    _append_in_blocks(w, name, data, 0, block=max(1, n // 7))
    w.finalize()
    _check_readers(w.uri, name, data)


def test_incompressible_chunks_are_stored_raw_and_read_back(tmp_path: Path) -> None:
    # White noise does not compress: the writer stores such chunks blosc-memcpyed, readers must not care.
    noise = np.random.default_rng(9).integers(0, 256, (1100, 48, 40), dtype=np.uint8)
    w = RunWriter.create(tmp_path, _manifest("RN"), [_spec("cam", "uint8", (48, 40), 1000.0)])
    _append_in_blocks(w, "cam", noise, 0, block=100)
    w.flush()
    assert w.pool.stored_raw > 0
    w.finalize()
    _check_readers(w.uri, "cam", noise)


@pytest.mark.parametrize(("io_queue", "raw"), [(0, True), (4, False)])
def test_compressors_behind_store_raw_only_while_the_disk_keeps_up(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, io_queue: int, raw: bool) -> None:
    # With the disk behind too, raw chunks would add bytes where time is shortest: compression goes on.
    from weldctl.schema._shard_writer import WriterPool

    monkeypatch.setattr(WriterPool, "under_pressure", property(lambda self: True))
    monkeypatch.setattr(WriterPool, "io_queue", property(lambda self: io_queue))
    frames = np.tile(np.arange(40, dtype=np.uint8), (1100, 48, 1))  # compresses well
    w = RunWriter.create(tmp_path, _manifest("RP"), [_spec("cam", "uint8", (48, 40), 1000.0)])
    _append_in_blocks(w, "cam", frames, 0, block=100)
    w.flush()
    assert (w.pool.stored_raw > 0) is raw
    w.finalize()
    _check_readers(w.uri, "cam", frames)


def test_edge_chunk_of_noise_costs_its_rows_not_a_whole_chunk(tmp_path: Path) -> None:
    # 1100 frames = 2 full 512-frame shards + 76 rows: the last shard holds one 64-frame chunk and a
    # 12-row edge chunk. The edge is compressed (its fill is free) even though the noise never compresses.
    noise = np.random.default_rng(3).integers(0, 256, (1100, 48, 40), dtype=np.uint8)
    w = RunWriter.create(tmp_path, _manifest("RE"), [_spec("cam", "uint8", (48, 40), 1000.0)])
    _append_in_blocks(w, "cam", noise, 0, block=100)
    w.finalize()
    last = tmp_path / "RE.zarr" / "streams" / "cam" / "data" / "c" / "2" / "0" / "0"
    frame = 48 * 40
    assert last.stat().st_size < (64 + 12) * frame * 1.05 + 4096, "edge chunk stored as a whole chunk"
    _check_readers(w.uri, "cam", noise)


def test_xarray_opens_a_stream_with_dimension_names(tmp_path: Path) -> None:
    xr = need_module("xarray", "xarray reads the writer's output: pip install -e '.[dev]'")
    data = _samples("uint8", (48, 40), 700, seed=1)
    w = RunWriter.create(tmp_path, _manifest("RX"), [_spec("cam", "uint8", (48, 40), 1000.0)])
    _append_in_blocks(w, "cam", data, 0, block=25)
    w.finalize()
    ds = xr.open_zarr(w.uri, group="streams/cam", consolidated=False, zarr_format=3)
    assert ds["data"].dims == ("frame", "y", "x")
    np.testing.assert_array_equal(ds["data"].values, data)


@pytest.mark.parametrize(("name", "dtype", "shape", "rate", "n"), CASES[:3], ids=[c[0] for c in CASES[:3]])
def test_resume_after_reopen_continues_the_partial_shard(
    tmp_path: Path, name: str, dtype: str, shape: tuple[int, ...], rate: float, n: int
) -> None:
    data = _samples(dtype, shape, n, seed=3)
    first = n // 3 + 1  # ends inside a shard and inside a chunk
    w = RunWriter.create(tmp_path, _manifest("RR"), [_spec(name, dtype, shape, rate)])
    _append_in_blocks(w, name, data[:first], 0, block=50)
    w.flush()
    w.pool.close()
    again = RunWriter.reopen(w.uri)
    assert again.streams[name].n == first
    _append_in_blocks(again, name, data[first:], first, block=50)
    again.finalize()
    _check_readers(w.uri, name, data)


def test_unwritten_tail_of_times_reads_as_minus_one(tmp_path: Path) -> None:
    w = RunWriter.create(tmp_path, _manifest("RT"), [_spec("daq", "float32", (3,), 100_000.0)])
    _append_in_blocks(w, "daq", _samples("float32", (3,), 1000, 0), 0, block=1000)
    w.finalize()
    t = zarr.open_array(str(Path(w.uri) / "streams" / "daq" / "t_ns"), mode="r+")
    t.resize((40_000,))  # what a reader sees past the committed length: padding and absent chunks
    tail = t[1000:]
    assert (tail == -1).all()


def test_plain_writes_without_padding_read_back(tmp_path: Path) -> None:
    spec = _spec("cam", "uint8", (48, 40), 1000.0)
    w = RunWriter.create(tmp_path, _manifest("RP"), [spec], direct_io=False)
    data = _samples("uint8", (48, 40), 600, 2)
    _append_in_blocks(w, "cam", data, 0, block=64)
    w.finalize()
    shard = tmp_path / "RP.zarr" / "streams" / "cam" / "data" / "c" / "0" / "0" / "0"
    assert shard.stat().st_size % 4096 != 0  # no O_DIRECT padding
    _check_readers(w.uri, "cam", data)


def test_filesystem_refusing_o_direct_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A filesystem without O_DIRECT answers open() with EINVAL; emulate that answer at the syscall edge.
    real_open = os.open

    def open_refusing_direct(path: str, flags: int, *args: object, **kwargs: object) -> int:
        if flags & os.O_DIRECT:
            raise OSError(errno.EINVAL, "Invalid argument (fake: no O_DIRECT here)")
        return real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", open_refusing_direct)
    w = RunWriter.create(tmp_path, _manifest("RF"), [_spec("cam", "uint8", (48, 40), 1000.0)])
    data = _samples("uint8", (48, 40), 600, 2)
    _append_in_blocks(w, "cam", data, 0, block=64)
    w.finalize()
    sink = w.pool.sink
    assert isinstance(sink, LocalSink) and not sink.direct
    monkeypatch.undo()
    _check_readers(w.uri, "cam", data)


def test_fsspec_store_gets_plain_puts() -> None:
    uri = f"memory://weldctl-test-{os.getpid()}"
    data = _samples("float32", (3,), 70_000, 5)
    w = RunWriter.create(uri, _manifest("RM"), [_spec("daq", "float32", (3,), 100_000.0)])
    _append_in_blocks(w, "daq", data, 0, block=10_000)
    w.finalize()
    r = RunReader(w.uri)
    np.testing.assert_array_equal(np.asarray(r.data("daq")[:]), data)
    np.testing.assert_array_equal(r.seq("daq"), np.arange(70_000))


KILLED_WRITER = textwrap.dedent("""
    import sys, time
    import numpy as np
    from weldctl.schema import RunManifest, RunWriter, StreamSpec
    spec = StreamSpec(name="cam", kind="camera", device="t", driver="t", dtype="uint8", sample_shape=(48, 40),
                      units="counts", nominal_rate_hz=1000.0)
    m = RunManifest(run_id="RK", operator="t", rig="t", material="t", host="t")
    w = RunWriter.create(sys.argv[1], m, [spec])
    i = 0
    last = time.monotonic()
    while True:
        idx = np.arange(i, i + 25, dtype=np.int64)
        frames = (idx[:, None, None] + np.arange(48 * 40).reshape(1, 48, 40)).astype(np.uint8)
        w.streams["cam"].append(frames, idx * 1000, idx)
        i += 25
        if time.monotonic() - last >= 0.2:
            w.checkpoint(0.0)
            w.pool.drain()  # everything up to i is on disk and in the shapes now
            last = time.monotonic()
            print(i, flush=True)
        time.sleep(0.005)
""")


def test_killed_writer_leaves_a_store_readers_trust_and_that_resumes(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(tmp_path)], stdout=subprocess.PIPE,
                            text=True)
    try:
        durable = 0
        deadline = time.monotonic() + 30
        while durable < 2000 and time.monotonic() < deadline:  # a few shards and checkpoints
            line = proc.stdout.readline() if proc.stdout else ""
            durable = int(line) if line.strip() else durable
        assert durable >= 2000, "writer subprocess did not make progress"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    uri = str(tmp_path / "RK.zarr")
    reader = RunReader(uri)
    n = reader.length("cam")
    assert n >= durable, f"only {n} frames readable, {durable} were committed before the kill"
    expected = (np.arange(n)[:, None, None] + np.arange(48 * 40).reshape(1, 48, 40)).astype(np.uint8)
    np.testing.assert_array_equal(np.asarray(reader.data("cam")[:n]), expected)
    np.testing.assert_array_equal(reader.seq("cam"), np.arange(n))
    # Recovery path: reopen, continue appending, finalize; all readers agree.
    w = RunWriter.reopen(uri)
    assert not list(Path(uri).rglob("*.writing")), "reopen must clear half-written shard files"
    idx = np.arange(n, n + 300, dtype=np.int64)
    more = (idx[:, None, None] + np.arange(48 * 40).reshape(1, 48, 40)).astype(np.uint8)
    w.streams["cam"].append(more, idx * 1000, idx)
    w.finalize()
    _check_readers(uri, "cam", np.concatenate([expected, more]))
