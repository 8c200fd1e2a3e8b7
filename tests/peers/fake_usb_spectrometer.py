"""A fake Ocean Insight USB2000+ at pyusb's backend edge: the real pyseabreeze and pyusb code runs on top.

No spectrometer is attached here, so this stand-in answers what the USB2000+ answers on its bulk
endpoints, in the OOI command protocol the spectrometer's datasheet describes (and pyseabreeze speaks):

    EP1 OUT 0x01  commands: 0x01 init, 0x02 <u32 µs> integration time, 0x05 <u8 slot> EEPROM query,
                  0x09 request spectrum, 0x0A <u16> trigger mode, 0x6A/0x6B FPGA register write/read,
                  0xFE status query
    EP1 IN  0x81  short answers: EEPROM slot (17 bytes: 0x05, slot, 15 ASCII), register (3 bytes),
                  status (16 bytes; byte 14 is the USB speed, 0x80 high speed)
    EP2 IN  0x82  a spectrum: 2048 little-endian u16 pixels and the sync byte 0x69

Timing is the device's: in normal (free-running) mode the detector integrates back to back on a grid
from the last integration-time command; a spectrum request returns the integration in progress when
it arrived, sent when that integration ends. In external hardware trigger mode (3) a request waits for
the next edge on the trigger input (a function generator at ``trigger_period_s``) and returns the
integration that starts there. ``lose`` lists request numbers (0-based) whose readout the device misses:
that integration is dropped and the next one is delivered, as a USB stall does on a real unit. Like the
real unit, it also loses every integration that ends while no request is pending (a host too busy to
re-request in time); ``delivered`` lists the integration number of every spectrum sent, so a test knows
exactly what was lost.

``install(fake)`` registers a pyusb backend module ``usb.backend.<name>`` for it, so a driver selects it
by name (pyseabreeze's ``pyusb_backend``) exactly as it would select ``libusb1``.
"""

from __future__ import annotations

import itertools
import struct
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
import usb.backend
import usb.core

VENDOR_ID, PRODUCT_ID = 0x2457, 0x101E  # Ocean Optics USB2000+
EP_OUT, EP_LOW_IN, EP_SPECTRUM_IN, EP_SPECTRUM_IN2 = 0x01, 0x81, 0x82, 0x86
N_PIXELS = 2048
SYNC = 0x69
TIMEOUT_ERROR = -7  # LIBUSB_ERROR_TIMEOUT
_addresses = itertools.count(1)
_installs = itertools.count(1)

Source = Callable[[int, float, np.ndarray], np.ndarray]  # (integration index, mid time s, wavelengths) -> counts


def _default_source(k: int, t_mid_s: float, wl: np.ndarray) -> np.ndarray:
    """A dark floor, a smooth continuum and an H-alpha line, with shot noise: what a test can recognise."""
    rng = np.random.default_rng(k)
    signal = 1500.0 + 2000.0 * np.exp(-(((wl - 700.0) / 200.0) ** 2)) + 8000.0 * np.exp(-(((wl - 656.3) / 1.5) ** 2))
    return signal + rng.normal(0.0, 20.0, wl.shape)


@dataclass
class FakeUsb2000Plus:
    serial: str = "USB2+F00001"
    wavelength_coeffs: tuple[float, float, float, float] = (339.5, 0.3827, -1.6e-5, -1.5e-9)
    firmware_version: int = 0x2010  # major 2: a USB2000+, not a Flame-S (major >= 3)
    saturation: int = 65535
    source: Source = _default_source
    trigger_period_s: float = 0.01
    lose: set[int] = field(default_factory=set)
    # what the device has been told, for tests to check
    integration_us: int = 10_000
    trigger_mode: int = 0
    requests: int = 0
    commands: list[int] = field(default_factory=list)
    delivered: list[int] = field(default_factory=list)  # integration number of every spectrum sent

    def __post_init__(self) -> None:
        self.address = next(_addresses)  # pyseabreeze keeps one device object per (vid, pid, bus, address)
        self._grid_t0 = time.monotonic()
        self._out: list[bytes] = []  # answers queued on EP1 IN
        self._pending: tuple[float, int, float] | None = None  # spectrum being read out: ready at, index, mid
        self._lock = threading.Lock()

    @property
    def wavelengths(self) -> np.ndarray:
        i = np.arange(N_PIXELS, dtype=np.float64)
        return sum(c * i**p for p, c in enumerate(self.wavelength_coeffs))  # type: ignore[return-value]

    # -- EP1 OUT: commands -------------------------------------------------------------------------
    def command(self, data: bytes) -> None:
        op = data[0]
        self.commands.append(op)
        if op == 0x01:  # initialize: default integration, normal mode
            self.integration_us, self.trigger_mode, self._grid_t0 = 10_000, 0, time.monotonic()
        elif op == 0x02:
            (self.integration_us,) = struct.unpack_from("<I", data, 1)
            self._grid_t0 = time.monotonic()  # the detector restarts its integration on a new time
        elif op == 0x05:
            self._out.append(self._eeprom(data[1]))
        elif op == 0x09:
            self._request_spectrum()
        elif op == 0x0A:
            (self.trigger_mode,) = struct.unpack_from("<H", data, 1)
        elif op == 0x6B:
            self._out.append(struct.pack("<BH", 0x04, self.firmware_version if data[1] == 0x04 else 0))
        elif op == 0xFE:
            self._out.append(
                struct.pack(
                    "<HLBBBBBBBBBB", N_PIXELS, self.integration_us, 0, self.trigger_mode, 0, 8, 0, 0, 0, 0, 0x80, 0
                )
            )

    def _eeprom(self, slot: int) -> bytes:
        if slot == 0:
            text = self.serial.encode()
        elif 1 <= slot <= 4:
            text = f"{self.wavelength_coeffs[slot - 1]:.6e}".encode()
        elif slot == 6:
            text = b"1.0"
        elif 7 <= slot <= 13:
            text = b"0.0"
        elif slot == 14:
            text = b"7"
        elif slot == 17:  # saturation level as a little-endian u16 at bytes 4..5 of the slot
            return bytes([0x05, slot, 0, 0, 0, 0]) + struct.pack("<H", self.saturation) + bytes(9)
        else:
            text = b""
        return bytes([0x05, slot]) + text[:15].ljust(15, b"\0")

    def _request_spectrum(self) -> None:
        now = time.monotonic()
        t_int = self.integration_us * 1e-6
        period = self.trigger_period_s if self.trigger_mode == 3 else t_int
        if self.trigger_mode == 3:  # external edge: the integration starts at the next edge
            k = int(np.ceil((now - self._grid_t0) / period))
        else:  # free running: the integration in progress
            k = int((now - self._grid_t0) // period)
        if self.requests in self.lose:  # missed readout (or edge): that spectrum is gone, the next one comes
            k += 1
        start = self._grid_t0 + k * period
        self.requests += 1
        self._pending = (start + t_int, k, start + t_int / 2)

    # -- EP IN: answers ------------------------------------------------------------------------------
    def read(self, ep: int, size: int, timeout_ms: int) -> bytes:
        if ep == EP_LOW_IN:
            if not self._out:
                raise usb.core.USBTimeoutError("no answer pending on EP1 IN", TIMEOUT_ERROR, 110)
            return self._out.pop(0)[:size]
        if ep == EP_SPECTRUM_IN and self._pending is not None:
            ready, k, mid = self._pending
            wait = ready - time.monotonic()
            if timeout_ms and wait > timeout_ms / 1000:
                time.sleep(timeout_ms / 1000)
                raise usb.core.USBTimeoutError("spectrum not ready", TIMEOUT_ERROR, 110)
            if wait > 0:
                time.sleep(wait)
            self._pending = None
            self.delivered.append(k)
            counts = np.clip(np.rint(self.source(k, mid, self.wavelengths)), 0, self.saturation).astype("<u2")
            return (counts.tobytes() + bytes([SYNC]))[:size]
        raise usb.core.USBTimeoutError(f"nothing to read on endpoint {ep:#x}", TIMEOUT_ERROR, 110)


_ENDPOINTS = [(EP_OUT, 64), (EP_SPECTRUM_IN, 512), (EP_SPECTRUM_IN2, 512), (EP_LOW_IN, 64)]


class FakeBackend(usb.backend.IBackend):  # type: ignore[misc]
    """pyusb's backend interface over fake devices: descriptors, configuration, bulk transfers."""

    def __init__(self, devices: list[FakeUsb2000Plus]) -> None:
        self.devices = devices

    def enumerate_devices(self) -> Iterator[FakeUsb2000Plus]:
        yield from self.devices

    def get_device_descriptor(self, dev: FakeUsb2000Plus) -> SimpleNamespace:
        return SimpleNamespace(
            bLength=18,
            bDescriptorType=1,
            bcdUSB=0x0200,
            bDeviceClass=0xFF,
            bDeviceSubClass=0,
            bDeviceProtocol=0,
            bMaxPacketSize0=64,
            idVendor=VENDOR_ID,
            idProduct=PRODUCT_ID,
            bcdDevice=0x0200,
            iManufacturer=0,
            iProduct=0,
            iSerialNumber=0,
            bNumConfigurations=1,
            address=dev.address,
            bus=1,
            port_number=dev.address,
            port_numbers=(dev.address,),
            speed=3,
        )

    def get_configuration_descriptor(self, dev: FakeUsb2000Plus, config: int) -> SimpleNamespace:
        if config != 0:
            raise IndexError(config)
        return SimpleNamespace(
            bLength=9,
            bDescriptorType=2,
            wTotalLength=46,
            bNumInterfaces=1,
            bConfigurationValue=1,
            iConfiguration=0,
            bmAttributes=0x80,
            bMaxPower=250,
            extra_descriptors=[],
        )

    def get_interface_descriptor(self, dev: FakeUsb2000Plus, intf: int, alt: int, config: int) -> SimpleNamespace:
        if intf != 0 or alt != 0:
            raise IndexError((intf, alt))
        return SimpleNamespace(
            bLength=9,
            bDescriptorType=4,
            bInterfaceNumber=0,
            bAlternateSetting=0,
            bNumEndpoints=len(_ENDPOINTS),
            bInterfaceClass=0xFF,
            bInterfaceSubClass=0,
            bInterfaceProtocol=0,
            iInterface=0,
            extra_descriptors=[],
        )

    def get_endpoint_descriptor(
        self, dev: FakeUsb2000Plus, ep: int, intf: int, alt: int, config: int
    ) -> SimpleNamespace:
        address, size = _ENDPOINTS[ep]
        return SimpleNamespace(
            bLength=7,
            bDescriptorType=5,
            bEndpointAddress=address,
            bmAttributes=2,
            wMaxPacketSize=size,
            bInterval=0,
            bRefresh=0,
            bSynchAddress=0,
            extra_descriptors=[],
        )

    def open_device(self, dev: FakeUsb2000Plus) -> FakeUsb2000Plus:
        return dev

    def close_device(self, dev_handle: FakeUsb2000Plus) -> None:
        pass

    def set_configuration(self, dev_handle: FakeUsb2000Plus, config_value: int) -> None:
        pass

    def get_configuration(self, dev_handle: FakeUsb2000Plus) -> int:
        return 1

    def claim_interface(self, dev_handle: FakeUsb2000Plus, intf: int) -> None:
        pass

    def release_interface(self, dev_handle: FakeUsb2000Plus, intf: int) -> None:
        pass

    def reset_device(self, dev_handle: FakeUsb2000Plus) -> None:
        pass

    def is_kernel_driver_active(self, dev_handle: FakeUsb2000Plus, intf: int) -> bool:
        return False

    def bulk_write(self, dev_handle: FakeUsb2000Plus, ep: int, intf: int, data: object, timeout: int) -> int:
        payload = bytes(data)  # type: ignore[call-overload]
        with dev_handle._lock:
            dev_handle.command(payload)
        return len(payload)

    def bulk_read(self, dev_handle: FakeUsb2000Plus, ep: int, intf: int, buff: object, timeout: int) -> int:
        got = dev_handle.read(ep, len(buff) * buff.itemsize, timeout)  # type: ignore[attr-defined]
        view = memoryview(buff).cast("B")  # type: ignore[arg-type]
        view[: len(got)] = got
        return len(got)


@contextmanager
def install(*devices: FakeUsb2000Plus) -> Iterator[str]:
    """Plug the fakes in: a pyusb backend module ``usb.backend.<name>``; yields the name to select it by.
    Each install has a name of its own (pyseabreeze keeps the backend it loaded per name)."""
    name = f"weldctl_fake_ooi_{next(_installs)}"
    backend = FakeBackend(list(devices))
    module = types.ModuleType(f"usb.backend.{name}")
    module.get_backend = lambda *_a, **_k: backend  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    try:
        yield name
    finally:
        sys.modules.pop(module.__name__, None)


def lost_between(delivered: list[int]) -> int:
    """Integrations missing between the first and the last spectrum delivered."""
    return (max(delivered) - min(delivered) + 1 - len(delivered)) if delivered else 0
