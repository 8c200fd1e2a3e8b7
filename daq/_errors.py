"""Errors raised by devices and the recorder."""

from __future__ import annotations

from weldctl.schema import WeldctlError


class DeviceError(WeldctlError):
    """A device that cannot be opened, configured or read."""


class MissingDriverError(DeviceError):
    """A driver whose vendor library is not installed."""


class RecordingError(WeldctlError):
    """A recording that had to stop early (disk full, device failure)."""
