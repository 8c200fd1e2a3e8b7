"""From rig configs to device objects. Vendor drivers are imported only when a rig uses them."""

from __future__ import annotations

import importlib
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
        else:
            devices.append(driver_class(cfg.driver)(cfg))
    return devices


# driver name -> (module, class); the module (and its vendor library) is imported only when used.
DRIVERS: dict[str, tuple[str, str]] = {
    "aravis": ("._aravis_camera", "AravisCamera"),
    "opencv": ("._opencv_camera", "OpenCVCamera"),
}


def driver_class(driver: str) -> Any:
    try:
        module, name = DRIVERS[driver]
    except KeyError:
        raise NotImplementedError(f"driver {driver!r} is not available") from None
    return getattr(importlib.import_module(module, __package__), name)


def sim_process(rig: Rig):  # type: ignore[no-untyped-def]
    """The weld process behind the rig's sim devices (for truth), or None if it has none."""
    if not any(d.driver == "sim" for d in rig.enabled_devices):
        return None
    from .sim import WeldProcess

    return WeldProcess(rig.sim)
