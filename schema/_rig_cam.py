"""Rig-file entries of the real camera drivers: GenICam cameras through Aravis, OpenCV capture."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ._device_base import DeviceBase
from ._stream import ClockSource


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


class OpenCVCameraConfig(DeviceBase):
    """A UVC camera (``source`` a device index) or a video file replayed as a camera.

    Frames are stored as single-channel uint8 (colour is converted to grey).
    """

    driver: Literal["opencv"] = "opencv"
    kind: Literal["camera"] = "camera"
    source: int | str = Field(description="UVC device index (0, 1, ...) or a video file path")
    width: int | None = Field(default=None, gt=0, description="UVC: requested frame width")
    height: int | None = Field(default=None, gt=0, description="UVC: requested frame height")
    fps: float | None = Field(default=None, gt=0, description="UVC: requested rate; file: None uses the file's")
    realtime: bool = Field(default=True, description="file: pace frames at the file's rate; false = as fast as read")
    block_frames: int = Field(default=8, gt=0, description="most frames handed over per read")
    clock: ClockSource = ClockSource.device
