"""The OpenCV camera driver's own logic (file replay as fast as decoded, end of file, UVC host timing, a
frame of the wrong size, a camera that stops) on a fake of its capture adapter.

Only ``CaptureApi`` is replaced; test_opencv_camera.py replays a real video file through OpenCV.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from weldctl.daq import Device, DeviceError
from weldctl.daq.drivers.opencv import OpenCVCamera, OpenCVCameraConfig
from weldctl.daq.testing import CameraSuite


class FakeCapture:
    """``n`` frames of (h, w) at ``fps``, frame i filled with i; a live camera when ``n`` is None."""

    def __init__(self, n: int | None = 30, shape: tuple[int, int] = (12, 16), fps: float = 25.0) -> None:
        self.n, self.shape, self.rate, self.pos = n, shape, fps, 0
        self.requested: tuple[int | None, int | None, float | None] | None = None
        self.bad_frame_at: int | None = None

    def __call__(self) -> FakeCapture:
        return self

    def open(self, source: int | str) -> bool:
        return source != 7

    def request(self, width: int | None, height: int | None, fps: float | None) -> None:
        self.requested = (width, height, fps)

    def frame_size(self) -> tuple[int, int]:
        return self.shape[1], self.shape[0]

    def fps(self) -> float:
        return self.rate

    def backend(self) -> str:
        return "FAKE"

    def rewind(self) -> None:
        self.pos = 0

    def position(self) -> int:
        return self.pos

    def position_ms(self) -> float:
        return (self.pos - 1) * 1000.0 / self.rate

    def read(self) -> np.ndarray | None:
        if self.n is not None and self.pos >= self.n:
            return None
        shape = (self.shape[0] + 1, self.shape[1]) if self.pos == self.bad_frame_at else self.shape
        frame = np.full(shape, self.pos % 256, dtype=np.uint8)
        self.pos += 1
        return frame

    def close(self) -> None:
        pass


@pytest.fixture
def video(tmp_path: Path) -> str:
    path = tmp_path / "weld.avi"
    path.write_bytes(b"not decoded: the capture is a fake")
    return str(path)


class TestOpenCVOnFakeCapture(CameraSuite):
    @pytest.fixture(autouse=True)
    def _video(self, video: str) -> None:
        self.video = video

    def make_device(self) -> Device:
        return OpenCVCamera(OpenCVCameraConfig(name="camera", source=self.video, realtime=False, block_frames=5),
                            api=FakeCapture(n=None))


def test_a_file_is_replayed_whole_with_its_frame_index_and_time_then_done(video: str) -> None:
    dev = OpenCVCamera(OpenCVCameraConfig(name="camera", source=video, realtime=False, block_frames=8),
                       api=FakeCapture(n=30))
    spec = dev.configure()
    assert spec.nominal_rate_hz == 25.0 and spec.sample_shape == (12, 16) and spec.device == "video file weld.avi"
    dev.start(0)
    blocks = []
    while not dev.done:
        if (b := dev.read(0.1)) is not None:
            blocks.append(b)
    seq = np.concatenate([b.seq for b in blocks])
    assert seq.tolist() == list(range(30))
    np.testing.assert_array_equal(np.concatenate([b.t_dev_ns for b in blocks]), seq * 40_000_000)
    np.testing.assert_array_equal(np.concatenate([b.data for b in blocks])[:, 0, 0], seq)
    assert dev.read(0.01) is None


def test_a_live_camera_is_host_timed_and_asked_for_its_settings() -> None:
    fake = FakeCapture(n=None)
    dev = OpenCVCamera(OpenCVCameraConfig(name="camera", source=0, width=16, height=12, fps=60.0), api=fake)
    spec = dev.configure()
    assert fake.requested == (16, 12, 60.0) and spec.clock.value == "host" and spec.nominal_rate_hz == 60.0
    dev.start(0)
    block = dev.read(0.1)
    assert block is not None and len(block) == 1  # each frame as it comes


def test_a_frame_of_another_size_and_a_camera_that_stops_are_errors() -> None:
    fake = FakeCapture(n=3)
    fake.bad_frame_at = 1
    dev = OpenCVCamera(OpenCVCameraConfig(name="camera", source=0), api=fake)
    dev.start(0)
    assert dev.read(0.1) is not None
    with pytest.raises(DeviceError, match="differs from the configured"):
        dev.read(0.1)
    assert dev.read(0.1) is not None
    with pytest.raises(DeviceError, match="stopped delivering frames"):
        dev.read(0.1)


def test_a_source_opencv_cannot_open_names_it() -> None:
    with pytest.raises(DeviceError, match="OpenCV cannot open camera index 7"):
        OpenCVCamera(OpenCVCameraConfig(name="camera", source=7), api=FakeCapture()).open()
