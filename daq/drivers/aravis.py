"""GenICam cameras (GigE Vision, USB3 Vision) through Aravis, for the ``camera`` and ``ir`` kinds.

Each read copies the completed frames out of the stream's buffer pool (``AravisApi``, the only
code that touches Aravis). Every frame keeps the camera's frame id (``Block.seq``, unwrapped past
the 16-bit GigE Vision block id) and its device timestamp (``Block.t_dev_ns``). Incomplete or
failed buffers are losses reported with their frame id; the totals can be checked against the
stream's own statistics (``stream_statistics()``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from weldctl.schema import Calibration, ClockSource, DeviceBase, StreamSpec

from .._block import Block, Gap
from .._device import ROI, Camera, IRCamera, TriggerMode
from .._driver import Driver, StackReport
from .._errors import DeviceError, MissingDriverError
from ._aravis_api import AravisApi, CameraError, RawFrame, is_loopback, list_aravis_devices

GEV_BLOCK_ID_MODULUS = 65535  # GigE Vision 1.x block ids run 1..65535 and skip 0 when they wrap
PIXEL_DTYPES = {"Mono8": np.uint8, "Mono16": np.uint16}
TRIGGER_SOURCES = {TriggerMode.software: "Software"}  # external: the configured line


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
    trigger: TriggerMode = Field(default=TriggerMode.free_run, description="free_run, external or software")
    trigger_source: str = Field(default="Line1", description="external: the input line that triggers a frame")
    counts_scale: float = Field(default=0.04, gt=0, description="ir: °C per count")
    counts_offset: float = Field(default=-273.15, description="ir: °C at zero counts")
    clock: ClockSource = ClockSource.device

    @model_validator(mode="after")
    def _ir_is_16_bit(self) -> AravisCameraConfig:
        if self.kind == "ir" and self.pixel_format != "Mono16":
            raise ValueError("an ir camera streams 16-bit counts: set pixel_format: Mono16")
        return self


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

    def _init_aravis(self, api: Callable[[], AravisApi]) -> None:
        self._make_api = api
        self._api: AravisApi | None = None
        self._ids = _FrameIds()
        self._lost_control = threading.Event()
        self._pending: list[Gap] = []  # failures not yet handed over (they ride on the next good frame)
        self._trigger = TriggerMode.free_run
        self._device_label = ""
        self._frame_bytes = 0
        self.device_id = ""
        self.frames_ok = 0
        self.frames_failed = 0
        self.frames_after_stop = 0
        self.unnamed_failures = 0
        self._last_stats: dict[str, int] = {}
        self.failed_ids: list[int] = []  # raw frame ids of failed buffers (0 = the camera gave none)
        self.failed_seq: list[int] = []  # the same, as sequence numbers (unwrapped), where there was an id
        self.failures_by_status: dict[str, int] = {}

    @property
    def api(self) -> AravisApi:
        if self._api is None:
            raise DeviceError(f"{self.name}: camera is not open")
        return self._api

    # -- open: find the camera ------------------------------------------------------------------
    def _do_open(self) -> None:
        api = self._make_api()
        wanted = self.config.device_id
        if wanted is not None and is_loopback(wanted):
            found = {"id": wanted, "protocol": "GigEVision", "address": wanted}  # no discovery round needed
        else:
            found = self._discover(api, wanted)
        try:
            self._device_label = api.open(found, self._lost_control.set)
        except CameraError as exc:
            raise DeviceError(f"{self.name}: cannot open camera {found['id']}: {exc}",
                              "is it powered and reachable, and is no other program streaming from it?") from None
        self._api = api
        self.device_id = found["id"]

    def _discover(self, api: AravisApi, wanted: str | None) -> dict[str, str]:
        devices = api.list_devices()
        match = [d for d in devices if wanted is None
                 or wanted in (d["id"], d["serial"], d["address"], d["physical_id"])]
        if not match:
            seen = ", ".join(d["id"] for d in devices) or "none"
            raise DeviceError(f"{self.name}: no camera {wanted or ''} found (Aravis sees: {seen})".replace("  ", " "),
                              "check the cable/network and the rig's device_id; `weldctl devices` lists cameras")
        return match[0]

    # -- settings (the per-kind camera interface) -------------------------------------------------
    def _settings(self, what: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except CameraError as exc:
            raise DeviceError(f"{self.name}: camera rejected the {what}: {exc}",
                              "check it against the camera's limits") from None

    def _do_get_exposure_us(self) -> float | None:
        return float(self._settings("exposure", self.api.exposure_us))

    def _do_set_exposure_us(self, exposure_us: float) -> float:
        self._settings("exposure", lambda: self.api.set_exposure_us(exposure_us))
        return float(self._settings("exposure", self.api.exposure_us))

    def _do_get_sensor_shape(self) -> tuple[int, int]:
        width, height = self._settings("sensor size", self.api.sensor_size)
        return height, width

    def _do_get_roi(self) -> ROI:
        return ROI(*self._settings("ROI", self.api.region))

    def _do_set_roi(self, roi: ROI) -> ROI:
        self._settings("ROI", lambda: self.api.set_region(roi.x, roi.y, roi.width, roi.height))
        return self._do_get_roi()

    def _do_get_pixel_format(self) -> str:
        return str(self._settings("pixel format", self.api.pixel_format))

    def _do_set_pixel_format(self, pixel_format: str) -> str:
        if pixel_format not in PIXEL_DTYPES:
            raise DeviceError(f"{self.name}: pixel format {pixel_format!r} is not recorded; use one of "
                              f"{', '.join(PIXEL_DTYPES)}")
        self._settings("pixel format", lambda: self.api.set_pixel_format(pixel_format))
        return self._do_get_pixel_format()

    def _do_get_trigger_mode(self) -> TriggerMode:
        return self._trigger

    def _do_set_trigger_mode(self, mode: TriggerMode) -> TriggerMode:
        source = None if mode is TriggerMode.free_run else TRIGGER_SOURCES.get(mode, self.config.trigger_source)
        self._settings("trigger mode", lambda: self.api.set_trigger(source))
        self._trigger = mode
        return mode

    # -- configure ----------------------------------------------------------------------------
    def _do_configure(self) -> StreamSpec:
        c, cam = self.config, self
        assert isinstance(cam, Camera)
        cam.set_pixel_format(c.pixel_format)
        sensor_h, sensor_w = cam.get_sensor_shape()
        roi = cam.set_roi(ROI(c.offset_x, c.offset_y, c.width or sensor_w - c.offset_x,
                              c.height or sensor_h - c.offset_y))
        if c.exposure_us is not None:
            cam.set_exposure_us(c.exposure_us)
        if c.trigger is not TriggerMode.free_run or self._trigger is not TriggerMode.free_run:
            cam.set_trigger_mode(c.trigger)
        self._settings("frame rate", lambda: self.api.set_frame_rate(c.fps))
        if (packet_size := c.packet_size) is not None:
            self._settings("packet size", lambda: self.api.set_packet_size(packet_size))
        fps = self._settings("frame rate", self.api.frame_rate)
        fmt = cam.get_pixel_format()
        if fmt != c.pixel_format:
            raise DeviceError(f"{self.name}: camera gives {fmt}, not {c.pixel_format}")
        self._shape = (roi.height, roi.width)
        self._dtype = np.dtype(PIXEL_DTYPES[c.pixel_format])
        self._frame_bytes = int(np.prod(self._shape)) * self._dtype.itemsize
        calibration = {}
        if self.kind.value == "ir":
            calibration = {"*": Calibration(scale=c.counts_scale, offset=c.counts_offset, units="degC")}
        return StreamSpec(name=c.name, kind=self.kind, device=self._device_label or self.device_id, driver="aravis",
                          dtype=self._dtype.name, sample_shape=self._shape, units="counts",
                          calibration=calibration, nominal_rate_hz=fps, clock=c.clock)

    # -- acquisition --------------------------------------------------------------------------
    def _do_start(self, t0_host_ns: int) -> None:
        self._t0_host_ns = t0_host_ns
        self._ids = _FrameIds()
        self._pending = []
        self._last_frame_ns = self._last_probe_ns = time.monotonic_ns()
        try:
            self.api.start_stream(self.config.buffers)
        except CameraError as exc:
            raise DeviceError(f"{self.name}: cannot start streaming: {exc}") from None

    def _do_read(self, timeout_s: float) -> Block | None:
        if self._api is None or not self._api.streaming:
            raise DeviceError(f"{self.name}: stream is gone")
        frames: list[np.ndarray] = []
        seq: list[int] = []
        t_dev: list[int] = []
        raw = self._api.pop(timeout_s, self._frame_bytes)
        while raw is not None:
            self._take(raw, frames, seq, t_dev)
            if len(frames) >= self.config.block_frames:
                break
            raw = self._api.pop(0.0, self._frame_bytes)
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
        lost = self._lost_control.is_set()
        stall_ns = int(self.config.stall_s * 1e9)
        if not lost and now_ns - max(self._last_frame_ns, self._last_probe_ns) > stall_ns:
            self._last_probe_ns = now_ns
            lost = not self.api.alive()
        if lost:
            self._lost_control.set()
            raise DeviceError(f"{self.name}: camera {self.device_id} disconnected (no frames, no answer)",
                              "check its power and cable; the other streams kept recording")

    def _take(self, raw: RawFrame, frames: list[np.ndarray], seq: list[int], t_dev: list[int]) -> None:
        """One buffer: a frame, or a loss counted under its frame id."""
        if raw.ok and raw.data is not None:
            frames.append(raw.data.view(self._dtype).reshape(self._shape))
            seq.append(self._ids.unwrap(raw.frame_id))
            t_dev.append(raw.timestamp_ns)
            self.frames_ok += 1
        else:
            self._count_failure(raw.frame_id, raw.status)

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
        if self._api is None or not self._api.streaming:  # stopped: the counters as they were at the stop
            return dict(self._last_stats)
        return self._api.statistics()

    def _do_stop(self) -> None:
        api = self._api
        if api is None or not api.streaming:
            return
        try:
            if not self._lost_control.is_set():
                api.stop_acquisition()
        except CameraError:
            pass  # a camera that is gone cannot be stopped; the stream is dropped below anyway
        finally:
            # Buffers completed after the last read are not recorded; count them so the totals
            # still add up to the stream's own statistics.
            for raw in api.drain():
                if raw.ok:
                    self.frames_after_stop += 1
                else:
                    self._count_failure(raw.frame_id, raw.status)
            self._last_stats = api.statistics()
            gone = self._lost_control.is_set()
            api.release_stream(camera_gone=gone)
            if gone:
                self._api = None  # its camera is released in the background

    def _do_close(self) -> None:
        if self._api is not None:
            self._api.close()  # releases control of the camera
            self._api = None


class AravisCamera(_AravisBase, Camera):
    def __init__(self, config: AravisCameraConfig, api: Callable[[], AravisApi] = AravisApi) -> None:
        Camera.__init__(self, config)
        self._init_aravis(api)


class AravisIRCamera(_AravisBase, IRCamera):
    """A GenICam thermal camera: 16-bit counts, with the counts → °C calibration in its stream spec."""

    def __init__(self, config: AravisCameraConfig, api: Callable[[], AravisApi] = AravisApi) -> None:
        IRCamera.__init__(self, config)
        self._init_aravis(api)


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
