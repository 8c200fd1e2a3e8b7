"""Errors raised by devices and the recorder."""

from __future__ import annotations

import errno

from weldctl.schema import WeldctlError


class DeviceError(WeldctlError):
    """A device that cannot be opened, configured or read."""


class MissingDriverError(DeviceError):
    """A driver whose vendor library is not installed."""


class RecordingError(WeldctlError):
    """A recording that had to stop early (disk full, device failure)."""


def is_disk_full(exc: BaseException | None) -> bool:
    """The error, or one it was raised from or during, is a full disk or quota."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        exc = exc.__cause__ or exc.__context__
    return False
