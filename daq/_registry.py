"""From rig configs to device objects. Vendor drivers are imported only when a rig uses them."""

from __future__ import annotations

import importlib
from typing import Any

from weldctl.schema import Rig

from ._device import Device


def build_devices(rig: Rig, process=None) -> list[Device]:  # type: ignore[no-untyped-def]
    """Devices of the rig; sim devices share ``process`` (one weld-process model per run)."""
    from .sim import SimAudio, SimCamera, SimDaq, SimIRCamera, SimOct

    sim_classes: dict[str, Any] = {"camera": SimCamera, "ir": SimIRCamera, "daq": SimDaq, "audio": SimAudio,
                                   "oct": SimOct}
    process = process or sim_process(rig)
    devices: list[Device] = []
    for cfg in rig.enabled_devices:
        if cfg.driver == "sim":
            devices.append(sim_classes[cfg.kind](cfg, process))
        else:
            devices.append(driver_class(cfg.driver)(cfg))
    by_name = {d.name: d for d in devices}
    for cam in devices:
        strobe = getattr(cam.config, "strobe", None)
        if strobe and cam.config.driver == "sim" and strobe.split(".")[0] in by_name:
            by_name[strobe.split(".")[0]].wire_strobe(cam)  # type: ignore[attr-defined]
    return devices


# driver name -> (module, class); the module (and its vendor library) is imported only when used.
DRIVERS: dict[str, tuple[str, str]] = {
    "aravis": ("._aravis_camera", "AravisCamera"),
    "opencv": ("._opencv_camera", "OpenCVCamera"),
    "nidaqmx": ("._nidaq", "NidaqDaq"),
    "sounddevice": ("._sounddevice_audio", "SounddeviceAudio"),
    "oct_tcp": ("._oct_tcp", "OctTcp"),
}


def driver_class(driver: str) -> Any:
    try:
        module, name = DRIVERS[driver]
    except KeyError:
        raise NotImplementedError(f"driver {driver!r} is not available") from None
    return getattr(importlib.import_module(module, __package__), name)


def sim_process(rig: Rig, duration_s: float | None = None):  # type: ignore[no-untyped-def]
    """The weld process behind the rig's sim devices (for truth), or None if it has none.

    A recording asked to last longer than the weld sequence repeats the sequence to fill it.
    """
    if not any(d.driver == "sim" for d in rig.enabled_devices):
        return None
    from .sim import WeldProcess

    return WeldProcess(rig.sim, min_duration_s=duration_s or 0.0)
