"""What a driver registers: its config models, device classes and probe, under one name.

A driver module ends with one ``Driver`` and names it in the ``weldctl.drivers`` entry-point group
of its package's pyproject.toml::

    [project.entry-points."weldctl.drivers"]
    mycam = "mylab_weldctl.mycam:DRIVER"

The rig schema then accepts ``driver: mycam`` entries (validated by the config model),
``weldctl record`` builds the devices, and ``weldctl devices`` runs the probe.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from weldctl.schema import DeviceBase

from ._device import Device


@dataclass
class StackReport:
    """The devices one stack sees, or why it cannot look (``problem``) and what to do (``install``)."""

    stack: str
    devices: list[dict[str, str]] = field(default_factory=list)
    problem: str = ""
    install: str = ""
    note: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


# A probe gets the rig's enabled entries of its driver (None: no rig given) and never raises: a
# missing library becomes a report saying what to install.
Probe = Callable[[Sequence[Any] | None], StackReport]


@dataclass(frozen=True)
class BuildContext:
    """What a device may need beyond its own config: the rig, and the sim weld process if it has one."""

    rig: Any
    process: Any = None


@dataclass(frozen=True)
class Driver:
    """One driver: per kind, the config model of its rig entries and the device class built from it.

    ``stack`` names the software stack the probe looks through (``weldctl devices --stack``);
    ``summary`` is the one line the CLI help and the docs show.
    """

    name: str
    configs: Mapping[str, type[DeviceBase]]
    devices: Mapping[str, type[Device]]
    summary: str
    probe: Probe | None = None
    stack: str = ""

    def __post_init__(self) -> None:
        if set(self.configs) != set(self.devices):
            raise ValueError(f"driver {self.name!r}: kinds of configs {sorted(self.configs)} and devices "
                             f"{sorted(self.devices)} differ")
        for kind, cls in self.devices.items():
            if cls.kind.value != kind:
                raise ValueError(f"driver {self.name!r}: {cls.__name__} is a {cls.kind.value} device, not {kind}")
        if not self.stack:
            object.__setattr__(self, "stack", self.name)

    @property
    def kinds(self) -> list[str]:
        return list(self.configs)

    def create(self, config: Any, context: BuildContext) -> Device:
        """A new, unopened device for one rig entry."""
        return self.devices[config.kind](config)

    def wire(self, devices: list[Device]) -> None:
        """Connect devices of one rig to each other once all are built (default: nothing to connect)."""
