"""The shared device contract on the Aravis driver, camera and IR, against the fake GigE camera."""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
import pytest

from tests.conftest import need
from tests.peers.fake_gige import FakeGigECamera, available, fake_gige_camera
from weldctl.daq import Device
from weldctl.daq.drivers.aravis import AravisCameraConfig
from weldctl.daq.testing import CameraSuite, IRCameraSuite

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def shared_camera() -> Iterator[FakeGigECamera]:
    """One fake camera for the whole module: its start-up (discovery) takes ~1-2 s."""
    need(available(), "Aravis (gir1.2-aravis-0.8, PyGObject) and arv-fake-gv-camera-0.8 are needed")
    with fake_gige_camera() as cam:
        yield cam


class _OnFakeCamera:
    @pytest.fixture(autouse=True)
    def _peer(self, shared_camera: FakeGigECamera) -> None:
        self.peer = shared_camera


class TestAravisCameraContract(_OnFakeCamera, CameraSuite):
    def make_device(self) -> Device:
        from weldctl.daq.drivers.aravis import AravisCamera

        return AravisCamera(AravisCameraConfig(name="camera", device_id="127.0.0.1", width=64, height=64,
                                               fps=200.0, block_frames=4))


class TestAravisIRContract(_OnFakeCamera, IRCameraSuite):
    def make_device(self) -> Device:
        from weldctl.daq.drivers.aravis import AravisIRCamera

        return AravisIRCamera(AravisCameraConfig(name="ir", kind="ir", device_id="127.0.0.1", pixel_format="Mono16",
                                               width=80, height=64, fps=100.0, block_frames=2, counts_scale=0.05))

    def test_ir_frames_are_16_bit_counts_with_calibration(self) -> None:
        dev = self.make_device()
        with dev:
            spec = dev.configure()
            assert spec.dtype == "uint16" and spec.sample_shape == (64, 80)
            assert spec.calibration["*"].units == "degC"
            assert spec.calibration["*"].apply(np.array([6000]))[0] == pytest.approx(6000 * 0.05 - 273.15)
            dev.start(time.monotonic_ns())
            block = self.read_blocks(dev, 2)[0]
            assert block.data.dtype == np.uint16
            assert block.data.max() > 255, "Mono16 frames use more than 8 bits"
