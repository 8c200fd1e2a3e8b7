"""What each driver's stack can see on this machine, for `weldctl devices`.

One probe per registered driver that has one. A probe never raises: a missing library or driver
becomes a report that says what to install, so one broken stack does not hide the others.
"""

from __future__ import annotations

from weldctl.schema import Rig, driver_names

from ._driver import Driver, StackReport
from ._registry import get_driver


def _loadable() -> tuple[list[Driver], list[StackReport]]:
    """The registered drivers, and a report for each one whose package cannot be imported."""
    drivers, broken = [], []
    for name in driver_names():
        try:
            drivers.append(get_driver(name))
        except Exception as exc:  # a broken third-party package must not hide the other stacks
            broken.append(StackReport(name, problem=f"the driver is registered but cannot be loaded ({exc!r})",
                                      install="reinstall the package that provides it"))
    return drivers, broken


def probed_drivers() -> list[Driver]:
    """The registered drivers that can look for devices, in the order `weldctl devices` lists them."""
    return [d for d in _loadable()[0] if d.probe is not None]


def discover(rig: Rig | None = None, stacks: list[str] | None = None) -> list[StackReport]:
    """One report per stack (all of them unless ``stacks`` names some, by stack or driver name)."""
    loaded, broken = _loadable()
    drivers = [d for d in loaded if d.probe is not None]
    by_name = {d.stack: d for d in drivers} | {d.name: d for d in drivers}
    unknown = [s for s in stacks or [] if s not in by_name]
    if unknown:
        raise ValueError(f"unknown stack {unknown[0]!r}; known: {', '.join(d.stack for d in drivers)}")
    wanted = [by_name[s] for s in stacks] if stacks else drivers
    reports = []
    for driver in wanted:
        assert driver.probe is not None
        configured = None if rig is None else [d for d in rig.enabled_devices if d.driver == driver.name]
        reports.append(driver.probe(configured))
    return reports + ([] if stacks else broken)
