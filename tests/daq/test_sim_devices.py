"""The shared device contract, applied to the five simulated devices."""

from __future__ import annotations

from weldctl.daq import Device
from weldctl.daq.sim import SimAudio, SimCamera, SimDaq, SimIRCamera, SimOct, WeldProcess
from weldctl.schema import (
    SimAudioConfig,
    SimCameraConfig,
    SimDaqConfig,
    SimIRConfig,
    SimOctConfig,
    SimProcess,
    StreamKind,
)

from .device_suite import DeviceSuite


def _process() -> WeldProcess:
    return WeldProcess(SimProcess())


class TestSimCamera(DeviceSuite):
    expected_kind = StreamKind.camera

    def make_device(self) -> Device:
        return SimCamera(SimCameraConfig(name="camera", width=64, height=48, block_frames=5), _process())


class TestSimIRCamera(DeviceSuite):
    expected_kind = StreamKind.ir

    def make_device(self) -> Device:
        return SimIRCamera(SimIRConfig(name="ir", width=40, height=32, fps=500.0), _process())


class TestSimDaq(DeviceSuite):
    expected_kind = StreamKind.daq

    def make_device(self) -> Device:
        return SimDaq(SimDaqConfig(name="daq", rate_hz=10_000.0), _process())


class TestSimAudio(DeviceSuite):
    expected_kind = StreamKind.audio

    def make_device(self) -> Device:
        return SimAudio(SimAudioConfig(name="audio"), _process())


class TestSimOct(DeviceSuite):
    expected_kind = StreamKind.oct

    def make_device(self) -> Device:
        return SimOct(SimOctConfig(name="oct", rate_hz=5_000.0), _process())
