"""From rig configs to device objects. Vendor drivers are imported only when a rig uses them."""

from __future__ import annotations

from typing import Any

from weldctl.schema import Rig

from ._device import Device


def build_devices(rig: Rig) -> list[Device]:
    from .sim import SimAudio, SimCamera, SimDaq, SimIRCamera, SimOct, WeldProcess

    sim_classes: dict[str, Any] = {"camera": SimCamera, "ir": SimIRCamera, "daq": SimDaq, "audio": SimAudio,
                                   "oct": SimOct}
    process = WeldProcess(rig.sim)
    devices: list[Device] = []
    for cfg in rig.enabled_devices:
        if cfg.driver == "sim":
            devices.append(sim_classes[cfg.kind](cfg, process))
        else:  # pragma: no cover - real drivers register here
            raise NotImplementedError(f"driver {cfg.driver!r} is not available")
    by_name = {d.name: d for d in devices}
    for cam in devices:
        strobe = getattr(cam.config, "strobe", None)
        if strobe and cam.config.driver == "sim" and strobe.split(".")[0] in by_name:
            by_name[strobe.split(".")[0]].wire_strobe(cam)  # type: ignore[attr-defined]
    return devices


def sim_process(rig: Rig):  # type: ignore[no-untyped-def]
    """The weld process behind the rig's sim devices (for truth), or None if it has none."""
    if not any(d.driver == "sim" for d in rig.enabled_devices):
        return None
    from .sim import WeldProcess

    return WeldProcess(rig.sim)
