"""From rig configs to device objects, through the drivers registered as ``weldctl.drivers``.

A driver module (and its vendor library) is imported only when a rig uses it or a probe runs.
"""

from __future__ import annotations

from typing import Any

from weldctl.schema import Rig, driver_names, load_driver

from ._device import Device
from ._driver import BuildContext, Driver


def get_driver(name: str) -> Driver:
    driver = load_driver(name)
    if not isinstance(driver, Driver):
        raise TypeError(f"driver {name!r} is registered with a {type(driver).__name__}, not a weldctl.daq.Driver")
    return driver


def registered_drivers() -> list[Driver]:
    """Every installed driver, by name."""
    return [get_driver(name) for name in driver_names()]


def build_devices(rig: Rig, process: Any = None) -> list[Device]:
    """Devices of the rig; sim devices share ``process`` (one weld-process model per run)."""
    context = BuildContext(rig, process or sim_process(rig))
    devices = [get_driver(cfg.driver).create(cfg, context) for cfg in rig.enabled_devices]
    for name in sorted({cfg.driver for cfg in rig.enabled_devices}):
        get_driver(name).wire(devices)
    return devices


def sim_process(rig: Rig, duration_s: float | None = None) -> Any:
    """The weld process behind the rig's sim devices (for truth), or None if it has none.

    A recording asked to last longer than the weld sequence repeats the sequence to fill it.
    """
    if not any(d.driver == "sim" for d in rig.enabled_devices):
        return None
    from .sim import WeldProcess

    return WeldProcess(rig.sim, min_duration_s=duration_s or 0.0)
