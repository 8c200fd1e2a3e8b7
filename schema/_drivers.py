"""The device drivers installed, found through the ``weldctl.drivers`` entry-point group.

A rig file's device entry is validated in two steps: the fields every device has (``DeviceBase``)
and its ``driver``/``kind`` here, then the rest by the config model its driver registered. The
schema names no driver: it asks the entry points, so a lab's own driver package validates exactly
like a built-in one. An entry point names an object with ``name`` and ``configs`` (kind → config
model); ``weldctl.daq`` builds its devices from the same object.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Protocol

from pydantic import GetJsonSchemaHandler, ValidatorFunctionWrapHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

from ._device_base import DeviceBase

ENTRY_POINT_GROUP = "weldctl.drivers"
DEFAULT_DRIVER = "sim"  # an entry without `driver:` is simulated, as in the embedded default rig


class RegisteredDriver(Protocol):
    """What a ``weldctl.drivers`` entry point provides, as far as the rig file is concerned."""

    @property
    def name(self) -> str: ...

    @property
    def configs(self) -> Mapping[str, type[DeviceBase]]: ...


@cache
def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def driver_names() -> list[str]:
    """The names of the installed drivers (no driver module is imported)."""
    return sorted(_entry_points())


@cache
def load_driver(name: str) -> RegisteredDriver:
    """The driver registered as ``name``; importing it never imports its vendor library."""
    try:
        ep = _entry_points()[name]
    except KeyError:
        raise KeyError(f"unknown driver {name!r}; registered: {', '.join(driver_names()) or 'none'}") from None
    driver: RegisteredDriver = ep.load()
    if driver.name != name:
        raise TypeError(f"entry point {name!r} of {ENTRY_POINT_GROUP} gives a driver named {driver.name!r}")
    return driver


def device_config_model(driver: str, kind: str) -> type[DeviceBase]:
    """The config model of ``driver`` for ``kind``; the error names what is allowed."""
    configs = load_driver(driver).configs
    if kind not in configs:
        raise KeyError(f"driver {driver!r} has no kind {kind!r}; allowed: {', '.join(configs)}")
    return configs[kind]


def validate_device_entry(value: Any, handler: ValidatorFunctionWrapHandler) -> DeviceBase:
    """One rig-file device entry → the config model of its driver (a model passes as it is)."""
    if isinstance(value, DeviceBase):
        return value
    if not isinstance(value, Mapping):
        raise PydanticCustomError("device_entry", "a device entry is a mapping with name, driver and kind")
    driver, kind = value.get("driver", DEFAULT_DRIVER), value.get("kind")
    if not isinstance(driver, str) or driver not in _entry_points():
        raise PydanticCustomError(
            "unknown_driver", f"unknown driver {driver!r}; registered drivers: {', '.join(driver_names())}")
    try:
        kinds = list(load_driver(driver).configs)
    except Exception as exc:  # a broken driver package: one clear error at the entry, not a traceback
        raise PydanticCustomError(
            "driver_unavailable", f"driver {driver!r} is registered but cannot be loaded ({exc!r})") from None
    if not isinstance(kind, str) or kind not in kinds:
        what = "needs a kind" if kind is None else f"has no kind {kind!r}"
        raise PydanticCustomError("unknown_kind", f"driver {driver!r} {what}; allowed: {', '.join(kinds)}")
    return device_config_model(driver, kind).model_validate(dict(value))


class DeviceEntryJsonSchema:
    """JSON Schema of a device entry: one of the installed drivers' config models."""

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        models = {m for name in driver_names() for m in load_driver(name).configs.values()}
        if not models:
            return handler(core_schema)
        refs = [handler(m.__pydantic_core_schema__) for m in sorted(models, key=lambda m: m.__name__)]
        return {"oneOf": refs}
