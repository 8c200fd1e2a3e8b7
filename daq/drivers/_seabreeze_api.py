"""The only code that touches seabreeze: its pure-Python backend (pyseabreeze) over pyusb.

pyseabreeze needs no vendor library, only pyusb and a libusb it can load (or any pyusb backend,
selected by module name: ``pyusb_backend``). The C backend (cseabreeze) is not used, so the same
code runs on every platform seabreeze installs on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .._errors import DeviceError, MissingDriverError

INSTALL_HINT = "pip install 'weldctl[hardware]' (seabreeze and pyusb), and libusb-1.0 from the OS"
# OOI/OBP trigger mode codes (the spectrometers' datasheets; pyseabreeze's TriggerMode)
TRIGGER_CODES = {"free_run": 0x00, "software": 0x01, "external": 0x03}


def _pyseabreeze() -> Any:
    try:
        import seabreeze.pyseabreeze as psb
    except ImportError as exc:
        raise MissingDriverError(f"the seabreeze spectrometer driver is not available ({exc})", INSTALL_HINT) from None
    return psb


@dataclass(frozen=True)
class Found:
    model: str
    serial: str
    # pyseabreeze (2.x) gives no model's spectrum counter: the OBP models' per-spectrum metadata is read and
    # discarded inside get_intensities, and the data-buffer features are stubs. Losses come from host timing.
    counts_spectra: bool = False


class SeabreezeApi:
    """One opened spectrometer (or a listing), through pyseabreeze's device and feature objects."""

    def __init__(self, pyusb_backend: str | None = None) -> None:
        self._kwargs = {"pyusb_backend": pyusb_backend} if pyusb_backend else {}
        self._api: Any = None
        self._dev: Any = None

    def _sb(self) -> Any:
        if self._api is None:
            psb = _pyseabreeze()
            try:
                self._api = psb.SeaBreezeAPI(**self._kwargs)
            except RuntimeError as exc:  # "No pyusb backend found", an unknown backend name
                raise DeviceError(f"seabreeze cannot reach USB ({exc})", INSTALL_HINT) from None
        return self._api

    def list(self) -> list[Found]:
        return [Found(d.model, d.serial_number) for d in self._sb().list_devices()]

    def open(self, serial: str | None) -> Found:
        devices = self._sb().list_devices()
        for d in devices:
            if serial is None or d.serial_number == serial:
                d.open()
                self._dev = d
                return Found(d.model, d.serial_number)
        seen = ", ".join(f"{d.model} {d.serial_number}" for d in devices) or "none"
        raise DeviceError(
            f"no Ocean Insight spectrometer {'with serial ' + serial if serial else ''} on USB (seen: {seen})",
            "check the cable and the serial in the rig file (`weldctl devices`)",
        )

    @property
    def _spectrometer(self) -> Any:
        if self._dev is None:
            raise DeviceError("the spectrometer is not open")
        return self._dev.f.spectrometer

    def integration_limits_us(self) -> tuple[int, int]:
        lo, hi = self._spectrometer.get_integration_time_micros_limits()
        return int(lo), int(hi)

    def set_integration_time_us(self, us: int) -> None:
        self._spectrometer.set_integration_time_micros(int(us))

    def set_trigger_mode(self, mode: str) -> None:
        self._spectrometer.set_trigger_mode(TRIGGER_CODES[mode])

    def wavelengths(self) -> npt.NDArray[np.float64]:
        return np.asarray(self._spectrometer.get_wavelengths(), dtype=np.float64)

    def max_intensity(self) -> float:
        return float(self._spectrometer.get_maximum_intensity())

    def intensities(self) -> npt.NDArray[np.float64] | None:
        """One spectrum: blocks for the integration in progress (or until the trigger comes); None when the
        device sent nothing within its timeout (no trigger edge)."""
        import usb.core

        try:
            return np.asarray(self._spectrometer.get_intensities(), dtype=np.float64)
        except usb.core.USBTimeoutError:
            return None
        except usb.core.USBError as exc:
            raise DeviceError(
                f"the spectrometer stopped answering on USB ({exc})",
                "check the cable; the recording keeps what arrived before",
            ) from None

    @property
    def counts_spectra(self) -> bool:
        """Whether this spectrometer's spectra come with the device's own spectrum number (never, through
        pyseabreeze 2.x: see ``Found.counts_spectra``)."""
        return False

    def counter(self) -> int | None:
        """The device's number of the spectrum just read, where it gives one (never through pyseabreeze 2.x)."""
        return None

    def close(self) -> None:
        dev, self._dev = self._dev, None
        if dev is not None:
            dev.close()
