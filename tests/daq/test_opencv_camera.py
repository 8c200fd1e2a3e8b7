"""The OpenCV driver replaying a generated video file as a camera, alone and through the recorder."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import need_module
from weldctl.daq import Device, make_recorder
from weldctl.daq.drivers.opencv import OpenCVCameraConfig
from weldctl.daq.testing import CameraSuite
from weldctl.schema import RunReader, parse_rig

FPS = 100.0
N_FRAMES = 60
SHAPE = (48, 64)


def write_video(path: Path, n: int = N_FRAMES, fps: float = FPS) -> Path:
    """A grey ramp: frame i has brightness 4*i, so order and identity can be checked after decoding."""
    cv2 = need_module("cv2", "OpenCV drives the file camera: pip install -e '.[curation]'")
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, SHAPE[::-1], False)
    assert writer.isOpened()
    for i in range(n):
        writer.write(np.full(SHAPE, 4 * i, dtype=np.uint8))
    writer.release()
    return path


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_video(tmp_path_factory.mktemp("video") / "keyhole.avi")


class TestOpenCVFileCamera(CameraSuite):
    @pytest.fixture(autouse=True)
    def _video(self, video: Path) -> None:
        self.video = video

    def make_device(self) -> Device:
        from weldctl.daq.drivers.opencv import OpenCVCamera

        return OpenCVCamera(OpenCVCameraConfig(name="camera", source=str(self.video), realtime=False,
                                               block_frames=4))


def _replay(video: Path, realtime: bool) -> tuple[list, float]:
    from weldctl.daq.drivers.opencv import OpenCVCamera

    dev = OpenCVCamera(OpenCVCameraConfig(name="camera", source=str(video), realtime=realtime))
    blocks = []
    with dev:
        spec = dev.configure()
        assert spec.nominal_rate_hz == FPS and spec.sample_shape == SHAPE and spec.dtype == "uint8"
        t = time.monotonic()
        dev.start(time.monotonic_ns())
        while not dev.done:
            block = dev.read(0.2)
            if block is not None:
                blocks.append(block)
        took = time.monotonic() - t
    return blocks, took


def test_file_replays_every_frame_with_its_timestamp(video: Path) -> None:
    blocks, took = _replay(video, realtime=True)
    seq = np.concatenate([b.seq for b in blocks])
    t_dev = np.concatenate([b.t_dev_ns for b in blocks])
    data = np.concatenate([b.data for b in blocks])
    assert seq.tolist() == list(range(N_FRAMES))
    np.testing.assert_array_equal(t_dev, np.round(np.arange(N_FRAMES) * 1e9 / FPS).astype(np.int64))
    np.testing.assert_allclose(data.mean(axis=(1, 2)), 4 * np.arange(N_FRAMES), atol=2)
    # Paced at the file's rate: 60 frames at 100 fps take ~0.6 s.
    assert 0.55 <= took < 1.5, took


def test_file_as_fast_as_possible(video: Path) -> None:
    blocks, took = _replay(video, realtime=False)
    assert sum(len(b) for b in blocks) == N_FRAMES
    assert took < 0.5, took


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    from weldctl.daq import DeviceError
    from weldctl.daq.drivers.opencv import OpenCVCamera

    with pytest.raises(DeviceError, match="no video file"):
        OpenCVCamera(OpenCVCameraConfig(name="camera", source=str(tmp_path / "nope.avi"))).open()


def test_record_video_file_with_sim_daq(tmp_path: Path, video: Path) -> None:
    rig = parse_rig({"name": "replay", "devices": [
        {"name": "keyhole", "driver": "opencv", "kind": "camera", "source": str(video)},
        {"name": "daq", "driver": "sim", "kind": "daq", "rate_hz": 10_000.0},
    ], "recorder": {"stop_after_sequence": False}})
    rec = make_recorder(rig, "RVID1", str(tmp_path))
    result = rec.run(duration_s=1.0, stop_after_sequence=False)
    assert result.ok, result.error
    run = RunReader(result.uri)
    assert run.seq("keyhole").tolist() == list(range(N_FRAMES))
    assert rec.stats["keyhole"].state == "done"
    assert np.all(np.diff(run.t_ns("keyhole")) > 0)
    assert len(run.seq("daq")) >= 9_000
