"""GenICam cameras (GigE Vision, USB3 Vision) through Aravis, for the ``camera`` and ``ir`` kinds.

Frames land in a pool of preallocated numpy buffers pushed to the Aravis stream; each read
copies the completed frames out and hands the buffers straight back. Every frame keeps the
camera's frame id (``Block.seq``, unwrapped past the 16-bit GigE Vision block id) and its device
timestamp (``Block.t_dev_ns``). Incomplete or failed buffers are losses reported with their frame
id; the totals can be checked against the stream's own statistics (``stream_statistics()``).
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from weldctl.schema import Calibration, ClockSource, DeviceBase, StreamSpec

from .._block import Block, Gap
from .._device import Camera, IRCamera
from .._driver import Driver, StackReport
from .._errors import DeviceError, MissingDriverError

INSTALL_HINT = ("install Aravis and PyGObject: apt-get install gir1.2-aravis-0.8 libgirepository1.0-dev "
                "libcairo2-dev, then pip install 'weldctl[aravis]'")
GEV_BLOCK_ID_MODULUS = 65535  # GigE Vision 1.x block ids run 1..65535 and skip 0 when they wrap
PIXEL_DTYPES = {"Mono8": np.uint8, "Mono16": np.uint16}


class AravisCameraConfig(DeviceBase):
    """A GigE Vision / USB3 Vision camera (kind ``camera``) or thermal camera (kind ``ir``).

    ``device_id`` matches an Aravis device id ("Aravis-Fake-GV01"), a serial number, a
    physical id or an IP address; None takes the first camera found. A ``None`` ROI size keeps
    the full sensor. IR cameras stream raw counts; ``counts_scale``/``counts_offset`` turn them
    into °C (°C = counts * scale + offset) and are stored with the stream.
    """

    driver: Literal["aravis"] = "aravis"
    kind: Literal["camera", "ir"] = "camera"
    device_id: str | None = None
    pixel_format: Literal["Mono8", "Mono16"] = "Mono8"
    width: int | None = Field(default=None, gt=0, le=16384)
    height: int | None = Field(default=None, gt=0, le=16384)
    offset_x: int = Field(default=0, ge=0)
    offset_y: int = Field(default=0, ge=0)
    fps: float = Field(default=100.0, gt=0)
    exposure_us: float | None = Field(default=None, gt=0, description="None keeps the camera's setting")
    buffers: int = Field(default=64, ge=4, le=4096, description="frame buffers in the pool pushed to the stream")
    block_frames: int = Field(default=32, gt=0, description="most frames handed over per read")
    stall_s: float = Field(default=1.0, gt=0, description="no frame for this long: check the camera is there")
    packet_size: int | None = Field(default=None, gt=0, description="GigE packet size; None keeps the default")
    counts_scale: float = Field(default=0.04, gt=0, description="ir: °C per count")
    counts_offset: float = Field(default=-273.15, description="ir: °C at zero counts")
    clock: ClockSource = ClockSource.device

    @model_validator(mode="after")
    def _ir_is_16_bit(self) -> AravisCameraConfig:
        if self.kind == "ir" and self.pixel_format != "Mono16":
            raise ValueError("an ir camera streams 16-bit counts: set pixel_format: Mono16")
        return self


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


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


class _FrameIds:
    """Turns camera frame ids into a monotonic sequence (GigE Vision 1.x ids are 16-bit and skip 0)."""

    def __init__(self) -> None:
        self.last_raw: int | None = None
        self.seq = 0

    def peek(self, raw: int) -> int:
        """The sequence number ``raw`` would get, without moving on."""
        if self.last_raw is None:
            return raw
        if raw > GEV_BLOCK_ID_MODULUS or self.last_raw > GEV_BLOCK_ID_MODULUS:
            return self.seq + raw - self.last_raw  # 64-bit ids (GigE Vision 2 / USB3 Vision) do not wrap
        step = (raw - self.last_raw) % GEV_BLOCK_ID_MODULUS
        return self.seq + (step - GEV_BLOCK_ID_MODULUS if step > GEV_BLOCK_ID_MODULUS // 2 else step)

    def unwrap(self, raw: int) -> int:
        self.seq, self.last_raw = self.peek(raw), raw
        return self.seq


class _AravisBase:
    """Shared by the visible and the thermal camera; mixed into Camera / IRCamera."""

    config: AravisCameraConfig
    name: str
    kind: Any

    def _init_aravis(self) -> None:
        self._camera: Any = None
        self._stream: Any = None
        self._pool: dict[int, np.ndarray] = {}
        self._ids = _FrameIds()
        self._lost_control = threading.Event()
        self._pending: list[Gap] = []  # failures not yet handed over (they ride on the next good frame)
        self.device_id = ""
        self.frames_ok = 0
        self.frames_failed = 0
        self.frames_after_stop = 0
        self.unnamed_failures = 0
        self._last_stats: dict[str, int] = {}
        self.failed_ids: list[int] = []  # raw frame ids of failed buffers (0 = the camera gave none)
        self.failed_seq: list[int] = []  # the same, as sequence numbers (unwrapped), where there was an id
        self.failures_by_status: dict[str, int] = {}

    # -- open: find the camera ------------------------------------------------------------------
    def _do_open(self) -> None:
        aravis, gio, glib = import_aravis()
        wanted = self.config.device_id
        if wanted is not None and _is_loopback(wanted):
            found = {"id": wanted, "protocol": "GigEVision", "address": wanted}  # no discovery round needed
        else:
            found = self._discover(wanted)
        try:
            if found["protocol"] == "GigEVision" and _is_loopback(found["address"]):
                # Aravis streams to the address of the NIC that discovered the camera; a camera on
                # loopback must stream to loopback too, or the kernel never delivers the frames.
                lo = gio.InetAddress.new_from_string(found["address"])
                self._camera = aravis.Camera.new_with_device(aravis.GvDevice.new(lo, lo))
            else:
                self._camera = aravis.Camera.new(found["id"])
        except glib.Error as exc:
            raise DeviceError(f"{self.name}: cannot open camera {found['id']}: {exc.message}",
                              "is it powered and reachable, and is no other program streaming from it?") from None
        self.device_id = found["id"]
        cam = self._camera
        self._device_label = f"{cam.get_vendor_name()} {cam.get_model_name()} {cam.get_device_serial_number()}"
        self._camera.get_device().connect("control-lost", self._on_control_lost)

    def _discover(self, wanted: str | None) -> dict[str, str]:
        devices = list_aravis_devices()
        match = [d for d in devices if wanted is None
                 or wanted in (d["id"], d["serial"], d["address"], d["physical_id"])]
        if not match:
            seen = ", ".join(d["id"] for d in devices) or "none"
            raise DeviceError(f"{self.name}: no camera {wanted or ''} found (Aravis sees: {seen})".replace("  ", " "),
                              "check the cable/network and the rig's device_id; `weldctl devices` lists cameras")
        return match[0]

    def _on_control_lost(self, *_: object) -> None:
        self._lost_control.set()

    # -- configure ----------------------------------------------------------------------------
    def _do_configure(self) -> StreamSpec:
        _, _, glib = import_aravis()
        c, cam = self.config, self._camera
        try:
            cam.set_pixel_format_from_string(c.pixel_format)
            sensor = cam.get_sensor_size()
            width = c.width or sensor.width - c.offset_x
            height = c.height or sensor.height - c.offset_y
            cam.set_region(c.offset_x, c.offset_y, width, height)
            if c.exposure_us is not None:
                cam.set_exposure_time(c.exposure_us)
            cam.set_frame_rate(c.fps)
            if c.packet_size is not None:
                cam.gv_set_packet_size(c.packet_size)
            region = cam.get_region()
            fps = cam.get_frame_rate()
            fmt = cam.get_pixel_format_as_string()
        except glib.Error as exc:
            raise DeviceError(f"{self.name}: camera rejected the settings: {exc.message}",
                              "check ROI, pixel format, exposure and fps against the camera's limits") from None
        if fmt != c.pixel_format:
            raise DeviceError(f"{self.name}: camera gives {fmt}, not {c.pixel_format}")
        self._shape = (region.height, region.width)
        self._dtype = np.dtype(PIXEL_DTYPES[c.pixel_format])
        calibration = {}
        if self.kind.value == "ir":
            calibration = {"*": Calibration(scale=c.counts_scale, offset=c.counts_offset, units="degC")}
        return StreamSpec(name=c.name, kind=self.kind, device=self._device_label or self.device_id, driver="aravis",
                          dtype=self._dtype.name, sample_shape=self._shape, units="counts",
                          calibration=calibration, nominal_rate_hz=fps, clock=c.clock)

    # -- acquisition --------------------------------------------------------------------------
    def _do_start(self, t0_host_ns: int) -> None:
        aravis, _, glib = import_aravis()
        self._t0_host_ns = t0_host_ns
        self._ids = _FrameIds()
        self._pending = []
        self._last_frame_ns = self._last_probe_ns = time.monotonic_ns()
        try:
            self._stream = self._camera.create_stream(None, None)
            payload = self._camera.get_payload()
            self._pool = {}
            for i in range(1, self.config.buffers + 1):
                memory = np.empty(payload, dtype=np.uint8)
                self._pool[i] = memory  # keeps the memory alive while Aravis writes into it
                self._stream.push_buffer(aravis.Buffer.new_full(payload, memory.ctypes.data, i, None))
            self._camera.start_acquisition()
        except glib.Error as exc:
            raise DeviceError(f"{self.name}: cannot start streaming: {exc.message}") from None

    def _do_read(self, timeout_s: float) -> Block | None:
        aravis, _, _ = import_aravis()
        if self._stream is None:
            raise DeviceError(f"{self.name}: stream is gone")
        frames: list[np.ndarray] = []
        seq: list[int] = []
        t_dev: list[int] = []
        buf = self._stream.timeout_pop_buffer(max(1, int(timeout_s * 1e6)))
        while buf is not None:
            self._take(aravis, buf, frames, seq, t_dev)
            if len(frames) >= self.config.block_frames:
                break
            buf = self._stream.try_pop_buffer()
        now_ns = time.monotonic_ns()
        if not frames:
            self._check_alive(now_ns)
            return None
        self._last_frame_ns = now_ns
        gaps, self._pending = self._pending, []
        return Block(data=np.stack(frames), seq=np.asarray(seq, dtype=np.int64), t_host_ns=now_ns - self._t0_host_ns,
                     t_dev_ns=np.asarray(t_dev, dtype=np.int64), gaps=gaps)

    def _check_alive(self, now_ns: int) -> None:
        """A camera that went quiet is asked a register; one that cannot answer has gone."""
        _, _, glib = import_aravis()
        lost = self._lost_control.is_set()
        stall_ns = int(self.config.stall_s * 1e9)
        if not lost and now_ns - max(self._last_frame_ns, self._last_probe_ns) > stall_ns:
            self._last_probe_ns = now_ns
            try:
                self._camera.get_device().read_register(0)  # one control transaction, any protocol
            except glib.Error:
                lost = True
        if lost:
            self._lost_control.set()
            raise DeviceError(f"{self.name}: camera {self.device_id} disconnected (no frames, no answer)",
                              "check its power and cable; the other streams kept recording")

    def _take(self, aravis: Any, buf: Any, frames: list, seq: list, t_dev: list) -> None:
        """Copy one buffer out (or count it as lost) and give it back to the stream at once."""
        try:
            raw_id = buf.get_frame_id()
            status = buf.get_status()
            if status == aravis.BufferStatus.SUCCESS:
                n = int(np.prod(self._shape)) * self._dtype.itemsize
                memory = self._pool[buf.get_user_data()]
                frames.append(memory[:n].view(self._dtype).reshape(self._shape).copy())
                seq.append(self._ids.unwrap(raw_id))
                t_dev.append(buf.get_timestamp())
                self.frames_ok += 1
            else:
                self._count_failure(raw_id, status.value_nick)
        finally:
            self._stream.push_buffer(buf)

    def _count_failure(self, raw_id: int, status: str) -> None:
        self.frames_failed += 1
        self.failed_ids.append(raw_id)
        self.failures_by_status[status] = self.failures_by_status.get(status, 0) + 1
        # A buffer that failed before its leader arrived keeps the id of its previous use (or 0):
        # only an id ahead of every frame seen so far names the lost frame. An unnamed loss still
        # shows as a jump in the frame ids of the good frames.
        if raw_id == 0 or (self._ids.last_raw is not None and self._ids.peek(raw_id) <= self._ids.seq):
            self.unnamed_failures += 1
            return
        seq = self._ids.unwrap(raw_id)
        self.failed_seq.append(seq)
        last = self._pending[-1] if self._pending else None
        if last is not None and last.seq_start + last.count == seq and last.note.startswith(status):
            self._pending[-1] = Gap(last.seq_start, last.count + 1, last.kind, last.note)
        else:
            self._pending.append(Gap(seq, 1, "packet_loss", f"{status} (frame id {raw_id})"))

    def stream_statistics(self) -> dict[str, int]:
        """The Aravis stream's own counters (n_completed_buffers, n_failures, n_underruns, ...)."""
        s = self._stream
        if s is None:  # stopped: the counters as they were at the stop
            return dict(self._last_stats)
        return {s.get_info_name(i): int(s.get_info_uint64(i)) for i in range(s.get_n_infos())
                if s.get_info_type(i).name == "guint64"}

    def _do_stop(self) -> None:
        aravis, _, glib = import_aravis()
        if self._stream is None:
            return
        try:
            if not self._lost_control.is_set():
                self._camera.stop_acquisition()
        except glib.Error:
            pass  # a camera that is gone cannot be stopped; the stream is dropped below anyway
        finally:
            # Buffers completed after the last read are not recorded; count them so the totals
            # still add up to the stream's own statistics.
            buf = self._stream.try_pop_buffer()
            while buf is not None:
                if buf.get_status() == aravis.BufferStatus.SUCCESS:
                    self.frames_after_stop += 1
                else:
                    self._count_failure(buf.get_frame_id(), buf.get_status().value_nick)
                buf = self._stream.try_pop_buffer()
            self._last_stats = self.stream_statistics()
            if self._lost_control.is_set():
                self._release_in_background()
            self._stream = None  # unref: Aravis stops its receive thread and releases the buffers
            self._pool = {}

    def _release_in_background(self) -> None:
        """Drop a dead camera's objects off the caller's thread.

        Their finalizers talk to the camera (stop the stream, release control) and wait out
        Aravis's control-channel retries, seconds each; the recording must not wait for them.
        """
        dead = [self._stream, self._camera, self._pool]
        self._stream, self._camera, self._pool = None, None, {}

        def release() -> None:
            while dead:  # in order: the pool must outlive the stream that writes into it
                del dead[0]

        threading.Thread(target=release, name=f"release-{self.name}", daemon=True).start()

    def _do_close(self) -> None:
        self._camera = None  # releases control of the camera


class AravisCamera(_AravisBase, Camera):
    def __init__(self, config: AravisCameraConfig) -> None:
        Camera.__init__(self, config)
        self._init_aravis()


class AravisIRCamera(_AravisBase, IRCamera):
    """A GenICam thermal camera: 16-bit counts, with the counts → °C calibration in its stream spec."""

    def __init__(self, config: AravisCameraConfig) -> None:
        IRCamera.__init__(self, config)
        self._init_aravis()


def probe_aravis(configured: Sequence[Any] | None = None) -> StackReport:
    """Every camera Aravis sees on this machine."""
    try:
        devices = list_aravis_devices()
    except MissingDriverError as exc:
        return StackReport("aravis", problem=exc.message, install=exc.hint or "")
    return StackReport("aravis", [{"id": d["id"], "address": d["address"], "protocol": d["protocol"],
                                   "model": f"{d['vendor']} {d['model']}".strip(), "serial": d["serial"]}
                                  for d in devices])


DRIVER = Driver(
    name="aravis",
    configs={"camera": AravisCameraConfig, "ir": AravisCameraConfig},
    devices={"camera": AravisCamera, "ir": AravisIRCamera},
    summary="GigE Vision / USB3 Vision cameras and thermal cameras through Aravis (GenICam)",
    probe=probe_aravis,
)
