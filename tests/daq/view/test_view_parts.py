"""The live view's pieces against what we did not write: pandas for the min/max buckets, Pillow for the PNGs,
matplotlib for the colour map, the stream's calibration for °C."""

from __future__ import annotations

import io
import time

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from weldctl.daq import Block, ViewTap
from weldctl.daq._pipe import Pipe
from weldctl.daq.view._image import INFERNO, encode_png, render_frame
from weldctl.daq.view._signal import LaserState, TraceRing
from weldctl.schema import Calibration, StreamKind, StreamSpec


def _spec(**kw) -> StreamSpec:  # type: ignore[no-untyped-def]
    base = {"name": "daq", "kind": StreamKind.daq, "device": "d", "driver": "sim", "dtype": "float32",
            "sample_shape": (2,), "channels": ["photodiode", "laser_on"], "units": "V", "nominal_rate_hz": 1000.0}
    return StreamSpec(**{**base, **kw})


def test_trace_ring_buckets_match_pandas() -> None:
    rng = np.random.default_rng(3)
    n = 50_000
    t = np.cumsum(rng.integers(50_000, 150_000, n)).astype(np.int64)  # irregular sampling, ~0.1 ms
    x = rng.normal(size=(n, 2)).astype(np.float32)
    bucket = 7_000_000
    ring = TraceRing(2, bucket, slots=int(t[-1] // bucket) + 10, level=True)
    cuts = np.sort(rng.choice(np.arange(1, n), 400, replace=False))  # blocks split buckets anywhere
    for a, b in zip(np.r_[0, cuts], np.r_[cuts, n], strict=True):
        ring.add(t[a:b], x[a:b])
    points = 300
    t0, lo, hi, ms = ring.window(int(t[-1]), points)
    df = pd.DataFrame({"b": t // bucket, "x0": x[:, 0].astype(np.float64), "x1": x[:, 1].astype(np.float64)})
    g = df.groupby("b")
    ids = np.arange(int(t[-1] // bucket) - points + 1, int(t[-1] // bucket) + 1)
    assert t0 == ids[0] * bucket
    for j, col in enumerate(("x0", "x1")):
        want_lo = g[col].min().reindex(ids).to_numpy()
        want_hi = g[col].max().reindex(ids).to_numpy()
        want_ms = (df[col] ** 2).groupby(df["b"]).mean().reindex(ids).to_numpy()
        np.testing.assert_allclose(lo[:, j], want_lo, rtol=1e-6)
        np.testing.assert_allclose(hi[:, j], want_hi, rtol=1e-6)
        np.testing.assert_allclose(ms[:, j], want_ms, rtol=1e-9)


def test_trace_ring_forgets_what_left_the_window() -> None:
    ring = TraceRing(1, 1000, slots=10)
    ring.add(np.arange(0, 5000, 100), np.ones(50, np.float32))  # buckets 0..4
    ring.add(np.array([12_000]), np.array([5.0], np.float32))  # bucket 12 reuses slot 2
    _, _lo, hi, _ = ring.window(12_000, 10)  # buckets 3..12
    assert np.isnan(hi[:-1]).sum() == 7 and hi[-1, 0] == 5.0  # 3, 4 kept; 5..11 empty; 2 is gone
    assert hi[0, 0] == 1.0 and hi[1, 0] == 1.0


@pytest.mark.parametrize("shape", [(37, 53), (20, 31, 3)])
def test_png_decodes_with_pillow(shape: tuple[int, ...]) -> None:
    img = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    back = np.asarray(Image.open(io.BytesIO(encode_png(img))))
    np.testing.assert_array_equal(back, img)


def test_colour_map_is_matplotlibs_inferno() -> None:
    import matplotlib

    want = np.round(matplotlib.colormaps["inferno"](np.linspace(0, 1, 256))[:, :3] * 255)
    assert np.abs(INFERNO.astype(int) - want).max() <= 8  # 17 anchors, linear in between: within 3 % of full scale


def test_ir_preview_is_in_degc_with_the_streams_calibration() -> None:
    cal = Calibration(scale=0.05, offset=-273.15, units="degC")
    spec = _spec(name="ir", kind=StreamKind.ir, dtype="uint16", sample_shape=(64, 80), channels=[],
                 units="counts", calibration={"*": cal})
    frame = np.full((64, 80), 6000, np.uint16)  # 26.85 °C
    frame[30:34, 40:44] = 30000  # a 1226.85 °C melt pool
    p = render_frame(spec, frame)
    assert p.units == "degC"
    assert p.lo == pytest.approx(6000 * 0.05 - 273.15) and p.hi == pytest.approx(30000 * 0.05 - 273.15)
    rgb = np.asarray(Image.open(io.BytesIO(p.png)))
    assert rgb.shape == (64, 80, 3)
    assert tuple(rgb[31, 41]) == tuple(INFERNO[255]) and tuple(rgb[0, 0]) == tuple(INFERNO[0])


def test_camera_preview_is_raw_counts_and_reports_saturation() -> None:
    spec = _spec(name="camera", kind=StreamKind.camera, dtype="uint8", sample_shape=(1024, 1024), channels=[],
                 units="counts")
    frame = np.zeros((1024, 1024), np.uint8)
    frame[:256] = 255
    p = render_frame(spec, frame)
    assert (p.width, p.height) == (512, 512)  # a big frame is subsampled for the page
    assert p.saturated == pytest.approx(0.25)
    grey = np.asarray(Image.open(io.BytesIO(p.png)))
    np.testing.assert_array_equal(grey, frame[::2, ::2])


def test_laser_state_counts_welds_across_block_edges() -> None:
    t = np.arange(10_000, dtype=np.int64) * 1_000_000
    level = np.zeros(10_000)
    for a in (1000, 4000, 7000):
        level[a:a + 1500] = 24.0  # a 24 V laser-on line
    laser = LaserState()
    for part in np.array_split(np.arange(10_000), 37):
        laser.add(t[part], level[part])
    assert laser.welds == 3 and not laser.on and laser.since_ns == t[8500]
    idle = LaserState()
    idle.add(t, np.abs(np.random.default_rng(0).normal(0, 0.01, len(t))))  # a line that has not switched: noise
    assert idle.welds == 0 and not idle.on


def test_tap_keeps_references_bounded_and_never_waits() -> None:
    class Dev:
        block_samples = 10

    pipe = Pipe(Dev(), _spec(), queue_seconds=1.0)  # type: ignore[arg-type]
    tap = ViewTap(recent_blocks=8)
    blocks = [Block(np.zeros((10, 2), np.float32), np.arange(i * 10, i * 10 + 10), 0) for i in range(10_000)]
    t0 = time.perf_counter()
    for b in blocks:
        tap.offer(pipe, b)  # nobody takes: the oldest previews fall out
    per_offer = (time.perf_counter() - t0) / len(blocks)
    assert len(tap.recent["daq"]) == 8 and tap.offered["daq"] == 10_000
    taken = tap.take_recent("daq")
    assert [int(it.block.seq[0]) for it in taken] == [i * 10 for i in range(9992, 10_000)]
    assert taken[0].block is blocks[9992]  # a reference, not a copy
    assert per_offer < 1e-3  # generous: it is a deque append (~1 µs)
