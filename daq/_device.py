"""One base class per device kind; each driver implements a few ``_do_*`` hooks.

The public methods own the state machine (closed → open → configured → running) so every
driver gets the same idempotent, well-ordered behaviour, and the shared device test suite
checks it once for all of them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any, ClassVar

from weldctl.schema import StreamKind, StreamSpec

from ._block import Block
from ._errors import DeviceError


class DeviceState(Enum):
    closed = "closed"
    open = "open"
    configured = "configured"
    running = "running"


class Device(ABC):
    """A source of one stream."""

    kind: ClassVar[StreamKind]

    def __init__(self, config: Any) -> None:
        self.config = config
        self.name: str = config.name
        self.state = DeviceState.closed
        self._spec: StreamSpec | None = None

    # -- public, shared state machine --------------------------------------------------
    def open(self) -> None:
        if self.state is DeviceState.closed:
            self._do_open()
            self.state = DeviceState.open

    def configure(self) -> StreamSpec:
        self.open()
        if self.state is DeviceState.running:
            raise DeviceError(f"{self.name}: cannot configure while running; stop it first")
        self._spec = self._do_configure()
        self.state = DeviceState.configured
        return self._spec

    def start(self, t0_host_ns: int) -> None:
        """Start acquiring; ``t0_host_ns`` is the run's zero on the host monotonic clock."""
        if self.state is DeviceState.running:
            return
        if self.state is not DeviceState.configured:
            self.configure()
        self._do_start(t0_host_ns)
        self.state = DeviceState.running

    def read(self, timeout_s: float = 0.5) -> Block | None:
        """The next block, or None if nothing arrived within ``timeout_s``."""
        if self.state is not DeviceState.running:
            raise DeviceError(f"{self.name}: read() needs a started device (state: {self.state.value})")
        return self._do_read(timeout_s)

    def stop(self) -> None:
        if self.state is DeviceState.running:
            try:
                self._do_stop()
            finally:
                self.state = DeviceState.configured

    def close(self) -> None:
        if self.state is DeviceState.closed:
            return
        try:
            self.stop()
        finally:
            try:
                self._do_close()
            finally:
                self.state = DeviceState.closed

    @property
    def spec(self) -> StreamSpec:
        if self._spec is None:
            raise DeviceError(f"{self.name}: not configured yet")
        return self._spec

    @property
    def done(self) -> bool:
        """True when a finite source (a sim weld sequence, a video file) has nothing more to give."""
        return False

    def __enter__(self) -> Device:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- hooks ---------------------------------------------------------------------------
    def _do_open(self) -> None:  # noqa: B027 - optional hook
        pass

    @abstractmethod
    def _do_configure(self) -> StreamSpec: ...

    @abstractmethod
    def _do_start(self, t0_host_ns: int) -> None: ...

    @abstractmethod
    def _do_read(self, timeout_s: float) -> Block | None: ...

    def _do_stop(self) -> None:  # noqa: B027 - optional hook
        pass

    def _do_close(self) -> None:  # noqa: B027 - optional hook
        pass


def _settable(device: Device, what: str) -> None:
    """A setting changes what the device streams: never while running, and a spec made before is stale."""
    if device.state is DeviceState.running:
        raise DeviceError(f"{device.name}: cannot change the {what} while running; stop it first")
    device.open()
    if device.state is DeviceState.configured:
        device.state = DeviceState.open  # configure() makes the stream spec again
        device._spec = None


def _unsupported(device: Device, what: str) -> DeviceError:
    return DeviceError(f"{device.name}: {type(device).__name__} cannot set the {what}",
                       f"set it in the rig file entry of {device.name!r}, or on the device itself")


@dataclass(frozen=True)
class ROI:
    """Region of interest on the sensor, in pixels."""

    x: int
    y: int
    width: int
    height: int


class TriggerMode(StrEnum):
    free_run = "free_run"  # the camera's own frame rate
    external = "external"  # one frame per edge on its trigger input
    software = "software"  # one frame per software trigger


class Camera(Device):
    """Frames (N, H, W): high-speed keyhole / melt-pool cameras.

    Settings follow python-microscope's camera: exposure, ROI, pixel format and trigger mode, each
    read back from the device. A driver overrides the ``_do_get_*`` / ``_do_set_*`` hooks it
    supports; the defaults read what the stream spec says and refuse to set.
    """

    kind = StreamKind.camera

    def get_exposure_us(self) -> float | None:
        """The exposure the camera uses, µs (None: it does not say)."""
        return self._do_get_exposure_us()

    def set_exposure_us(self, exposure_us: float) -> float:
        """Set the exposure; returns what the camera took (cameras round to their step)."""
        _settable(self, "exposure")
        return self._do_set_exposure_us(exposure_us)

    def get_sensor_shape(self) -> tuple[int, int]:
        """(height, width) of the whole sensor."""
        return self._do_get_sensor_shape()

    def get_roi(self) -> ROI:
        return self._do_get_roi()

    def set_roi(self, roi: ROI) -> ROI:
        _settable(self, "ROI")
        if roi.width <= 0 or roi.height <= 0 or roi.x < 0 or roi.y < 0:
            raise DeviceError(f"{self.name}: ROI {roi} is empty or off the sensor")
        return self._do_set_roi(roi)

    def get_pixel_format(self) -> str:
        """GenICam name of the pixel format: Mono8, Mono16, ..."""
        return self._do_get_pixel_format()

    def set_pixel_format(self, pixel_format: str) -> str:
        _settable(self, "pixel format")
        return self._do_set_pixel_format(pixel_format)

    def get_trigger_mode(self) -> TriggerMode:
        return self._do_get_trigger_mode()

    def set_trigger_mode(self, mode: TriggerMode) -> TriggerMode:
        _settable(self, "trigger mode")
        return self._do_set_trigger_mode(TriggerMode(mode))

    # -- hooks: defaults read the stream spec and refuse to change anything ------------------------
    def _do_get_exposure_us(self) -> float | None:
        return None

    def _do_set_exposure_us(self, exposure_us: float) -> float:
        raise _unsupported(self, "exposure")

    def _do_get_sensor_shape(self) -> tuple[int, int]:
        roi = self._do_get_roi()
        return roi.y + roi.height, roi.x + roi.width

    def _do_get_roi(self) -> ROI:
        height, width = self.spec.sample_shape
        return ROI(0, 0, width, height)

    def _do_set_roi(self, roi: ROI) -> ROI:
        raise _unsupported(self, "ROI")

    def _do_get_pixel_format(self) -> str:
        return {"uint8": "Mono8", "uint16": "Mono16"}.get(self.spec.dtype, self.spec.dtype)

    def _do_set_pixel_format(self, pixel_format: str) -> str:
        raise _unsupported(self, "pixel format")

    def _do_get_trigger_mode(self) -> TriggerMode:
        return TriggerMode.free_run

    def _do_set_trigger_mode(self, mode: TriggerMode) -> TriggerMode:
        raise _unsupported(self, "trigger mode")


class IRCamera(Camera):
    """Thermal frames in counts; the stream spec carries the counts → °C calibration."""

    kind = StreamKind.ir


class DaqDevice(Device):
    """Hardware-timed analog/digital channels (N, C): photodiode, acoustic/AE, laser-on, current.

    Interface: the channel names in stream order, each channel's input range, and the start
    trigger the acquisition waits for (None: starts at once).
    """

    kind = StreamKind.daq

    def get_channels(self) -> list[str]:
        return self._do_get_channels()

    def get_ranges(self) -> dict[str, tuple[float, float]]:
        """Input range (min, max) of each channel, in the channel's units; empty if the device does not say."""
        return self._do_get_ranges()

    def get_start_trigger(self) -> str | None:
        return self._do_get_start_trigger()

    def set_start_trigger(self, terminal: str | None, edge: str = "rising") -> None:
        _settable(self, "start trigger")
        if edge not in ("rising", "falling"):
            raise DeviceError(f"{self.name}: trigger edge must be rising or falling, not {edge!r}")
        self._do_set_start_trigger(terminal, edge)

    def _do_get_channels(self) -> list[str]:
        return list(self.spec.channels)

    def _do_get_ranges(self) -> dict[str, tuple[float, float]]:
        return {}

    def _do_get_start_trigger(self) -> str | None:
        return self.spec.trigger

    def _do_set_start_trigger(self, terminal: str | None, edge: str) -> None:
        raise _unsupported(self, "start trigger")


class AudioDevice(Device):
    """A microphone on a sound card (N, C). Interface: the input device, its rate and the block size."""

    kind = StreamKind.audio

    def get_input_device(self) -> str:
        """Name of the sound input the stream comes from."""
        return self._do_get_input_device()

    def get_rate_hz(self) -> float:
        return self._do_get_rate_hz()

    def get_block_samples(self) -> int:
        """Most frames one read hands over."""
        return self._do_get_block_samples()

    def _do_get_input_device(self) -> str:
        return self.spec.device

    def _do_get_rate_hz(self) -> float:
        return self.spec.nominal_rate_hz

    def _do_get_block_samples(self) -> int:
        return int(getattr(self, "block_samples", 1))


# An OCT stream holds the depth in um and a 0..1 quality of the depth estimate ("1": dimensionless).
OCT_CHANNEL_UNITS = {"quality": "1"}


class OctDevice(Device):
    """Keyhole depth from inline coherent imaging (N, 2): depth and quality.

    Interface: where the records come from and the record rate.
    """

    kind = StreamKind.oct
    CHANNELS = ("keyhole_depth", "quality")

    def get_source(self) -> str:
        return self._do_get_source()

    def get_rate_hz(self) -> float:
        return self.spec.nominal_rate_hz

    def _do_get_source(self) -> str:
        return self.spec.device
