"""The shared device contract, applied to the five simulated devices."""

from __future__ import annotations

from weldctl.daq import Device
from weldctl.daq.sim import SimAudio, SimCamera, SimDaq, SimIRCamera, SimOct, WeldProcess
from weldctl.daq.testing import AudioSuite, CameraSuite, DaqSuite, IRCameraSuite, OctSuite
from weldctl.schema import (
    SimAudioConfig,
    SimCameraConfig,
    SimDaqConfig,
    SimIRConfig,
    SimOctConfig,
    SimProcess,
)


def _process() -> WeldProcess:
    return WeldProcess(SimProcess())


class TestSimCamera(CameraSuite):
    def make_device(self) -> Device:
        return SimCamera(SimCameraConfig(name="camera", width=64, height=48, block_frames=5), _process())


class TestSimIRCamera(IRCameraSuite):
    def make_device(self) -> Device:
        return SimIRCamera(SimIRConfig(name="ir", width=40, height=32, fps=500.0), _process())


class TestSimDaq(DaqSuite):
    def make_device(self) -> Device:
        return SimDaq(SimDaqConfig(name="daq", rate_hz=10_000.0), _process())


class TestSimAudio(AudioSuite):
    def make_device(self) -> Device:
        return SimAudio(SimAudioConfig(name="audio"), _process())


class TestSimOct(OctSuite):
    def make_device(self) -> Device:
        return SimOct(SimOctConfig(name="oct", rate_hz=5_000.0), _process())
