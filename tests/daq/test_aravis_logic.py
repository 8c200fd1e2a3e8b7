"""The Aravis driver's own logic (frame ids across the wrap, named and unnamed losses, a camera that
goes quiet, totals at stop, camera settings) on a fake of its Aravis adapter.

Only ``AravisApi`` is replaced; test_aravis_camera.py / test_aravis_contract.py run the same driver on
Aravis against arv-fake-gv-camera.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from weldctl.daq import ROI, Device, DeviceError, TriggerMode
from weldctl.daq.drivers._aravis_api import CameraError, RawFrame
from weldctl.daq.drivers.aravis import AravisCamera, AravisCameraConfig, AravisIRCamera
from weldctl.daq.testing import CameraSuite, IRCameraSuite

SENSOR = (640, 480)  # width, height


class FakeAravis:
    """A GigE Vision camera as the adapter shows it. Free-running frames carry 16-bit ids (1..65535)
    starting at ``first_id``; ``script`` (if set) is played instead, then nothing comes."""

    def __init__(self, first_id: int = 1) -> None:
        self.region_ = (0, 0, *SENSOR)
        self.format, self.exposure, self.fps, self.trigger = "Mono8", 1000.0, 100.0, None
        self.next_id, self.n = first_id, 0
        self.script: list[RawFrame] | None = None
        self.streaming = False
        self.answers = True
        self.completed_after_stop: list[RawFrame] = []
        self.stats = {"n_completed_buffers": 0, "n_failures": 0}

    def list_devices(self) -> list[dict[str, str]]:
        return [{"id": "Fake-GV01", "protocol": "GigEVision", "address": "192.0.2.7", "vendor": "Fake",
                 "model": "GV", "serial": "GV01", "physical_id": ""}]

    def open(self, found: dict[str, str], on_control_lost: Callable[[], None]) -> str:
        self.on_control_lost = on_control_lost
        return "Fake GV GV01"

    def set_pixel_format(self, fmt: str) -> None:
        self.format = fmt

    def pixel_format(self) -> str:
        return self.format

    def sensor_size(self) -> tuple[int, int]:
        return SENSOR

    def set_region(self, x: int, y: int, w: int, h: int) -> None:
        if x + w > SENSOR[0] or y + h > SENSOR[1]:
            raise CameraError("GenICam: value out of range")
        self.region_ = (x, y, w - w % 4, h)  # the camera rounds widths to its step, as real ones do

    def region(self) -> tuple[int, int, int, int]:
        return self.region_

    def set_exposure_us(self, us: float) -> None:
        self.exposure = round(us / 10) * 10.0

    def exposure_us(self) -> float:
        return self.exposure

    def set_frame_rate(self, fps: float) -> None:
        self.fps = fps

    def frame_rate(self) -> float:
        return self.fps

    def set_trigger(self, source: str | None) -> None:
        self.trigger = source

    def set_packet_size(self, size: int) -> None:
        pass

    def alive(self) -> bool:
        return self.answers

    def start_stream(self, buffers: int) -> None:
        self.streaming = True

    def _nbytes(self) -> int:
        return self.region_[2] * self.region_[3] * (2 if self.format == "Mono16" else 1)

    def pop(self, timeout_s: float, nbytes: int) -> RawFrame | None:
        if self.script is not None:
            if self.script:
                return self.script.pop(0)
            time.sleep(min(timeout_s, 0.01))
            return None
        frame = good(self.next_id, self.n, nbytes)
        self.next_id = self.next_id % 65535 + 1
        self.n += 1
        self.stats["n_completed_buffers"] += 1
        return frame

    def stop_acquisition(self) -> None:
        pass

    def drain(self) -> list[RawFrame]:
        out, self.completed_after_stop = self.completed_after_stop, []
        return out

    def statistics(self) -> dict[str, int]:
        return dict(self.stats)

    def release_stream(self, *, camera_gone: bool = False) -> None:
        self.streaming = False

    def close(self) -> None:
        pass


def good(frame_id: int, n: int, nbytes: int) -> RawFrame:
    return RawFrame(frame_id, True, "success", 1_000_000 * n, np.full(nbytes, n % 256, dtype=np.uint8))


def bad(frame_id: int, status: str = "missing-packets") -> RawFrame:
    return RawFrame(frame_id, False, status, 0)


def camera(fake: FakeAravis | None = None, **cfg: Any) -> AravisCamera:
    fake = fake or FakeAravis()
    config = AravisCameraConfig.model_validate({"name": "camera", "width": 32, "height": 8, "block_frames": 4,
                                                "stall_s": 0.05, **cfg})
    cls = AravisIRCamera if config.kind == "ir" else AravisCamera
    return cls(config, api=lambda: fake)


class TestAravisOnFakeCamera(CameraSuite):
    def make_device(self) -> Device:
        return camera(FakeAravis(first_id=65530))  # the id wraps within the first reads


class TestAravisIROnFakeCamera(IRCameraSuite):
    def make_device(self) -> Device:
        return camera(kind="ir", pixel_format="Mono16")


def _blocks(dev: AravisCamera) -> list[Any]:
    out = []
    while (b := dev.read(0.01)) is not None:
        out.append(b)
    return out


def test_frame_ids_and_losses_named_and_unnamed() -> None:
    fake = FakeAravis()
    dev = camera(fake, block_frames=10)
    dev.start(0)
    n = 32 * 8
    fake.script = [good(65533, 0, n), good(65534, 1, n), bad(65535), bad(1), good(2, 2, n),  # lost over the wrap
                   bad(0), good(3, 3, n),  # a failure with no id: counted, sized by the jump in good ids
                   bad(2), good(5, 4, n)]  # a stale id (2 is behind): unnamed; frame 4 never came
    blocks = _blocks(dev)
    seq = np.concatenate([b.seq for b in blocks])
    assert seq.tolist() == [65533, 65534, 65537, 65538, 65540]
    gaps = [(g.seq_start, g.count, g.kind) for b in blocks for g in b.gaps]
    assert gaps == [(65535, 2, "packet_loss")]  # 65535 and 1 (= 65536) merged: one loss of two frames
    assert (dev.frames_ok, dev.frames_failed, dev.unnamed_failures) == (5, 4, 2)
    assert dev.failed_seq == [65535, 65536] and dev.failures_by_status == {"missing-packets": 4}
    frames = np.concatenate([b.data for b in blocks])
    assert frames.shape == (5, 8, 32) and frames[:, 0, 0].tolist() == [0, 1, 2, 3, 4]


def test_a_camera_that_goes_quiet_and_does_not_answer_has_gone() -> None:
    fake = FakeAravis()
    dev = camera(fake)
    dev.start(0)
    fake.script = []
    assert dev.read(0.01) is None  # quiet, but within stall_s
    time.sleep(0.06)
    assert dev.read(0.01) is None  # quiet past stall_s: asked a register, it answered
    fake.answers = False
    time.sleep(0.06)
    with pytest.raises(DeviceError, match="disconnected"):
        dev.read(0.01)
    dev.close()


def test_control_lost_ends_the_stream_at_once() -> None:
    fake = FakeAravis()
    dev = camera(fake)
    dev.start(0)
    fake.script = []
    fake.on_control_lost()
    with pytest.raises(DeviceError, match="disconnected"):
        dev.read(0.01)


def test_frames_completed_after_the_last_read_are_counted_at_stop() -> None:
    fake = FakeAravis()
    dev = camera(fake)
    dev.start(0)
    assert dev.read(0.01) is not None
    fake.completed_after_stop = [good(9, 9, 0), good(10, 10, 0), bad(11)]
    dev.stop()
    assert (dev.frames_after_stop, dev.frames_failed) == (2, 1)
    assert dev.stream_statistics() == fake.stats  # the counters as they were at the stop


def test_settings_are_read_back_from_the_camera() -> None:
    fake = FakeAravis()
    dev = camera(fake, width=30, height=8, offset_x=4, exposure_us=123.0, trigger="external",
                 trigger_source="Line2")
    spec = dev.configure()
    assert dev.get_roi() == ROI(4, 0, 28, 8) and spec.sample_shape == (8, 28)  # the camera's width step
    assert dev.get_exposure_us() == 120.0 and dev.get_sensor_shape() == (480, 640)
    assert dev.get_trigger_mode() is TriggerMode.external and fake.trigger == "Line2"
    assert dev.set_trigger_mode(TriggerMode.software) is TriggerMode.software and fake.trigger == "Software"
    assert dev.state.value == "open", "a changed setting makes the stream spec stale"
    with pytest.raises(DeviceError, match="rejected the ROI"):
        dev.set_roi(ROI(600, 0, 100, 8))
    with pytest.raises(DeviceError, match="not recorded"):
        dev.set_pixel_format("RGB8")
