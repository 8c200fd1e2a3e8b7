"""The Aravis (GObject introspection) calls the Aravis camera driver makes: the seam its unit tests replace.

Everything that touches ``gi`` is here; the driver above it keeps the logic (frame ids, losses,
liveness). GLib errors come out as ``CameraError``. Frames land in a pool of preallocated numpy
buffers pushed to the Aravis stream; a pop copies the frame out and hands the buffer straight back.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._errors import MissingDriverError

INSTALL_HINT = ("install Aravis and PyGObject: apt-get install gir1.2-aravis-0.8 libgirepository1.0-dev "
                "libcairo2-dev, then pip install 'weldctl[aravis]'")


class CameraError(Exception):
    """A camera call Aravis refused (a GLib.Error), with Aravis's message."""


@dataclass
class RawFrame:
    """One buffer as the stream gave it: ``data`` (a copy of the payload bytes) only when ``ok``."""

    frame_id: int
    ok: bool
    status: str
    timestamp_ns: int
    data: np.ndarray | None = None


def import_aravis() -> tuple[Any, Any, Any]:
    """(Aravis, Gio, GLib) or a MissingDriverError naming what to install."""
    try:
        import gi

        gi.require_version("Aravis", "0.8")
        from gi.repository import Aravis, Gio, GLib
    except (ImportError, ValueError) as exc:
        raise MissingDriverError(f"the Aravis camera driver is not available ({exc})", INSTALL_HINT) from None
    return Aravis, Gio, GLib


def list_aravis_devices() -> list[dict[str, str]]:
    """Every camera Aravis can see now: id, protocol, address, vendor, model, serial."""
    aravis, _, _ = import_aravis()
    aravis.update_device_list()
    return [{"id": aravis.get_device_id(i) or "", "protocol": aravis.get_device_protocol(i) or "",
             "address": aravis.get_device_address(i) or "", "vendor": aravis.get_device_vendor(i) or "",
             "model": aravis.get_device_model(i) or "", "serial": aravis.get_device_serial_nbr(i) or "",
             "physical_id": aravis.get_device_physical_id(i) or ""}
            for i in range(aravis.get_n_devices())]


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


class AravisApi:
    """One camera through Aravis."""

    def __init__(self) -> None:
        self._aravis, self._gio, self._glib = import_aravis()
        self._camera: Any = None
        self._stream: Any = None
        self._pool: dict[int, np.ndarray] = {}

    def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except self._glib.Error as exc:
            raise CameraError(exc.message) from None

    # -- finding and opening ----------------------------------------------------------------------
    def list_devices(self) -> list[dict[str, str]]:
        return list_aravis_devices()

    def open(self, found: dict[str, str], on_control_lost: Callable[[], None]) -> str:
        """Open the camera ``found`` describes; returns 'vendor model serial'."""
        aravis, gio = self._aravis, self._gio
        if found["protocol"] == "GigEVision" and is_loopback(found["address"]):
            # Aravis streams to the address of the NIC that discovered the camera; a camera on
            # loopback must stream to loopback too, or the kernel never delivers the frames.
            lo = gio.InetAddress.new_from_string(found["address"])
            self._camera = self._call(lambda: aravis.Camera.new_with_device(aravis.GvDevice.new(lo, lo)))
        else:
            self._camera = self._call(aravis.Camera.new, found["id"])
        cam = self._camera
        cam.get_device().connect("control-lost", lambda *_: on_control_lost())
        return f"{cam.get_vendor_name()} {cam.get_model_name()} {cam.get_device_serial_number()}"

    # -- settings ---------------------------------------------------------------------------------
    def set_pixel_format(self, pixel_format: str) -> None:
        self._call(self._camera.set_pixel_format_from_string, pixel_format)

    def pixel_format(self) -> str:
        return str(self._call(self._camera.get_pixel_format_as_string))

    def sensor_size(self) -> tuple[int, int]:
        """(width, height) of the whole sensor."""
        size = self._call(self._camera.get_sensor_size)
        return int(size.width), int(size.height)

    def set_region(self, x: int, y: int, width: int, height: int) -> None:
        self._call(self._camera.set_region, x, y, width, height)

    def region(self) -> tuple[int, int, int, int]:
        r = self._call(self._camera.get_region)
        return int(r.x), int(r.y), int(r.width), int(r.height)

    def set_exposure_us(self, exposure_us: float) -> None:
        self._call(self._camera.set_exposure_time, exposure_us)

    def exposure_us(self) -> float:
        return float(self._call(self._camera.get_exposure_time))

    def set_frame_rate(self, fps: float) -> None:
        self._call(self._camera.set_frame_rate, fps)

    def frame_rate(self) -> float:
        return float(self._call(self._camera.get_frame_rate))

    def set_trigger(self, source: str | None) -> None:
        """Trigger each frame from ``source`` (a line such as 'Line1', or 'Software'); None: free run."""
        if source is None:
            self._call(self._camera.clear_triggers)
        else:
            self._call(self._camera.set_trigger, source)

    def set_packet_size(self, size: int) -> None:
        self._call(self._camera.gv_set_packet_size, size)

    def alive(self) -> bool:
        """One control transaction (any protocol): False if the camera does not answer."""
        try:
            self._camera.get_device().read_register(0)
        except self._glib.Error:
            return False
        return True

    # -- streaming --------------------------------------------------------------------------------
    def start_stream(self, buffers: int) -> None:
        aravis = self._aravis
        self._stream = self._call(self._camera.create_stream, None, None)
        payload = self._call(self._camera.get_payload)
        self._pool = {}
        for i in range(1, buffers + 1):
            memory = np.empty(payload, dtype=np.uint8)
            self._pool[i] = memory  # keeps the memory alive while Aravis writes into it
            self._stream.push_buffer(aravis.Buffer.new_full(payload, memory.ctypes.data, i, None))
        self._call(self._camera.start_acquisition)

    @property
    def streaming(self) -> bool:
        return self._stream is not None

    def pop(self, timeout_s: float, nbytes: int) -> RawFrame | None:
        """The next buffer within ``timeout_s`` (0: only one already there), copied out and given back."""
        if timeout_s > 0:
            buf = self._stream.timeout_pop_buffer(max(1, int(timeout_s * 1e6)))
        else:
            buf = self._stream.try_pop_buffer()
        if buf is None:
            return None
        try:
            return self._frame(buf, nbytes)
        finally:
            self._stream.push_buffer(buf)

    def _frame(self, buf: Any, nbytes: int) -> RawFrame:
        status = buf.get_status()
        ok = status == self._aravis.BufferStatus.SUCCESS
        data = self._pool[buf.get_user_data()][:nbytes].copy() if ok and nbytes else None
        return RawFrame(buf.get_frame_id(), ok, status.value_nick, buf.get_timestamp(), data)

    def stop_acquisition(self) -> None:
        self._call(self._camera.stop_acquisition)

    def drain(self) -> list[RawFrame]:
        """Buffers completed since the last pop, without their data."""
        frames = []
        while (buf := self._stream.try_pop_buffer()) is not None:
            frames.append(self._frame(buf, 0))
        return frames

    def statistics(self) -> dict[str, int]:
        """The Aravis stream's own counters (n_completed_buffers, n_failures, n_underruns, ...)."""
        s = self._stream
        return {s.get_info_name(i): int(s.get_info_uint64(i)) for i in range(s.get_n_infos())
                if s.get_info_type(i).name == "guint64"}

    def release_stream(self, *, camera_gone: bool = False) -> None:
        """Drop the stream (Aravis stops its receive thread and releases the buffers).

        A dead camera's objects are dropped off the caller's thread: their finalizers talk to the
        camera and wait out Aravis's control-channel retries, seconds each.
        """
        if not camera_gone:
            self._stream, self._pool = None, {}
            return
        dead = [self._stream, self._camera, self._pool]
        self._stream, self._camera, self._pool = None, None, {}

        def release() -> None:
            while dead:  # in order: the pool must outlive the stream that writes into it
                del dead[0]

        threading.Thread(target=release, name="aravis-release", daemon=True).start()

    def close(self) -> None:
        self._camera = None  # releases control of the camera
