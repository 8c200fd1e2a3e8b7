"""The simulated rig as a driver: every kind, all devices of a rig sampling one weld process.

Its config models live in ``weldctl.schema`` (the embedded default rig is made of them) and its
devices in ``weldctl.daq.sim``; this module registers them.
"""

from __future__ import annotations

from typing import Any

from weldctl.schema import (
    SimAudioConfig,
    SimCameraConfig,
    SimDaqConfig,
    SimIRConfig,
    SimOctConfig,
    SimSpectrometerConfig,
)

from .._device import Device
from .._driver import BuildContext, Driver
from ..sim import SimAudio, SimCamera, SimDaq, SimIRCamera, SimOct, SimSpectrometer


class SimDriver(Driver):
    def create(self, config: Any, context: BuildContext) -> Device:
        sim_class: Any = self.devices[config.kind]  # sim devices also take the rig's one weld process
        device: Device = sim_class(config, context.process)
        return device

    def wire(self, devices: list[Device]) -> None:
        """Connect each sim camera with a strobe to the sim DAQ that records it."""
        by_name = {d.name: d for d in devices}
        for cam in devices:
            strobe = getattr(cam.config, "strobe", None)
            daq = by_name.get(strobe.split(".")[0]) if strobe else None
            if isinstance(cam, SimCamera) and isinstance(daq, SimDaq):
                daq.wire_strobe(cam)


DRIVER = SimDriver(
    name="sim",
    configs={"camera": SimCameraConfig, "ir": SimIRConfig, "daq": SimDaqConfig, "audio": SimAudioConfig,
             "oct": SimOctConfig, "spectrometer": SimSpectrometerConfig},
    devices={"camera": SimCamera, "ir": SimIRCamera, "daq": SimDaq, "audio": SimAudio, "oct": SimOct,
             "spectrometer": SimSpectrometer},
    summary="the simulated rig (default): every kind, driven by one weld-process model",
)
