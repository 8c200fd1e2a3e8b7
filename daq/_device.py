"""One base class per device kind; each driver implements a few ``_do_*`` hooks.

The public methods own the state machine (closed → open → configured → running) so every
driver gets the same idempotent, well-ordered behaviour, and the shared device test suite
checks it once for all of them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from enum import Enum
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


class Camera(Device):
    """Frames (N, H, W): high-speed keyhole / melt-pool cameras."""

    kind = StreamKind.camera


class IRCamera(Camera):
    """Thermal frames in counts; the stream spec carries the counts → °C calibration."""

    kind = StreamKind.ir


class DaqDevice(Device):
    """Hardware-timed analog/digital channels (N, C): photodiode, acoustic/AE, laser-on, current."""

    kind = StreamKind.daq


class AudioDevice(Device):
    """A microphone on a sound card (N, C)."""

    kind = StreamKind.audio


# An OCT stream holds the depth in um and a 0..1 quality of the depth estimate ("1": dimensionless).
OCT_CHANNEL_UNITS = {"quality": "1"}


class OctDevice(Device):
    """Keyhole depth from inline coherent imaging (N, 2): depth and quality."""

    kind = StreamKind.oct
