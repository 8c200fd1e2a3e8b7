"""A camera through OpenCV ``VideoCapture``: a UVC device, or a video file replayed as a camera.

A file gives its frame index as the sequence number and its presentation time
(``CAP_PROP_POS_MSEC``) as the device timestamp; it is paced at the file's rate (or read as fast
as it decodes, ``realtime: false``) and the device is ``done`` when the file ends. A UVC camera
has no usable device clock through OpenCV, so its frames carry the host time they were grabbed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field

from weldctl.schema import ClockSource, DeviceBase, StreamSpec

from .._block import Block
from .._device import Camera
from .._driver import Driver, StackReport
from .._errors import DeviceError, MissingDriverError

INSTALL_HINT = "pip install opencv-python-headless (or 'weldctl[hardware]')"
DEFAULT_FILE_FPS = 30.0  # for a file that does not say its rate


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


def import_cv2() -> Any:
    try:
        import cv2
    except ImportError as exc:
        raise MissingDriverError(f"the OpenCV camera driver is not available ({exc})", INSTALL_HINT) from None
    return cv2


class CaptureApi:
    """The OpenCV ``VideoCapture`` calls the driver makes: the seam its unit tests replace."""

    def __init__(self) -> None:
        self._cv2 = import_cv2()
        self._cap: Any = None

    def open(self, source: int | str) -> bool:
        cap = self._cv2.VideoCapture(source)
        if not cap.isOpened():
            cap.release()
            return False
        self._cap = cap
        return True

    def request(self, width: int | None, height: int | None, fps: float | None) -> None:
        """Ask a live camera for a frame size and rate (it may give others)."""
        cv2 = self._cv2
        for prop, value in ((cv2.CAP_PROP_FRAME_WIDTH, width), (cv2.CAP_PROP_FRAME_HEIGHT, height),
                            (cv2.CAP_PROP_FPS, fps)):
            if value:
                self._cap.set(prop, value)

    def frame_size(self) -> tuple[int, int]:
        """(width, height) of the frames."""
        return int(self._cap.get(self._cv2.CAP_PROP_FRAME_WIDTH)), int(self._cap.get(self._cv2.CAP_PROP_FRAME_HEIGHT))

    def fps(self) -> float:
        """The rate the source states (0: it does not say)."""
        return float(self._cap.get(self._cv2.CAP_PROP_FPS) or 0.0)

    def backend(self) -> str:
        return str(self._cap.getBackendName())

    def rewind(self) -> None:
        self._cap.set(self._cv2.CAP_PROP_POS_FRAMES, 0)

    def position(self) -> int:
        """Index of the frame the next read returns."""
        return int(self._cap.get(self._cv2.CAP_PROP_POS_FRAMES))

    def position_ms(self) -> float:
        """Presentation time of the frame read last, ms."""
        return float(self._cap.get(self._cv2.CAP_PROP_POS_MSEC))

    def read(self) -> np.ndarray | None:
        """The next frame as single-channel uint8 (colour converted to grey); None at the end."""
        ok, frame = self._cap.read()
        if not ok:
            return None
        if frame.ndim == 3:
            frame = self._cv2.cvtColor(frame, self._cv2.COLOR_BGR2GRAY)
        return np.asarray(frame)

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


class OpenCVCamera(Camera):
    config: OpenCVCameraConfig

    def __init__(self, config: OpenCVCameraConfig, api: Callable[[], CaptureApi] = CaptureApi) -> None:
        super().__init__(config)
        self._make_api = api
        self._api: CaptureApi | None = None
        self._eof = False
        self._is_file = isinstance(config.source, str)

    @property
    def api(self) -> CaptureApi:
        if self._api is None:
            raise DeviceError(f"{self.name}: not open")
        return self._api

    def _do_open(self) -> None:
        api = self._make_api()
        src = self.config.source
        if self._is_file and not Path(str(src)).is_file():
            raise DeviceError(f"{self.name}: no video file {src}", "check the rig's source path")
        if not api.open(src):
            what = f"video file {src}" if self._is_file else f"camera index {src}"
            raise DeviceError(f"{self.name}: OpenCV cannot open {what}",
                              "check the codec / device; `weldctl devices` lists what each stack sees")
        self._api = api

    def _do_configure(self) -> StreamSpec:
        c, api = self.config, self.api
        if not self._is_file:
            api.request(c.width, c.height, c.fps)
        width, height = api.frame_size()
        reported = api.fps()
        self._fps = float(c.fps if (c.fps and not self._is_file) else (reported or c.fps or DEFAULT_FILE_FPS))
        self._shape = (height, width)
        device = (f"video file {Path(str(c.source)).name}" if self._is_file
                  else f"UVC camera {c.source} ({api.backend()})")
        return StreamSpec(name=c.name, kind=self.kind, device=device, driver="opencv", dtype="uint8",
                          sample_shape=self._shape, units="counts", nominal_rate_hz=self._fps,
                          clock=c.clock if self._is_file else ClockSource.host)

    def _do_start(self, t0_host_ns: int) -> None:
        self._t0_host_ns = t0_host_ns
        self._eof = False
        self._grabbed = 0  # UVC frame counter
        if self._is_file:
            self.api.rewind()
            self._replay_start_ns = time.monotonic_ns()

    def _do_read(self, timeout_s: float) -> Block | None:
        if self._eof:
            time.sleep(min(timeout_s, 0.05))
            return None
        frames: list[np.ndarray] = []
        seq: list[int] = []
        t_dev: list[int] = []
        deadline = time.monotonic_ns() + int(timeout_s * 1e9)
        while len(frames) < self.config.block_frames:
            got = self._read_file_frame(deadline) if self._is_file else self._read_uvc_frame()
            if got is None:
                break
            frames.append(got[0])
            seq.append(got[1])
            t_dev.append(got[2])
            if not self._is_file or time.monotonic_ns() >= deadline:
                break  # a live camera hands each frame over as it comes
        if not frames:
            return None
        return Block(data=np.stack(frames), seq=np.asarray(seq, dtype=np.int64),
                     t_host_ns=time.monotonic_ns() - self._t0_host_ns, t_dev_ns=np.asarray(t_dev, dtype=np.int64))

    def _read_file_frame(self, deadline_ns: int) -> tuple[np.ndarray, int, int] | None:
        api = self.api
        index = api.position()
        if self.config.realtime:
            due_ns = self._replay_start_ns + int(index * 1e9 / self._fps)
            if due_ns > deadline_ns:
                time.sleep(max(0.0, (deadline_ns - time.monotonic_ns()) / 1e9))
                return None
            time.sleep(max(0.0, (due_ns - time.monotonic_ns()) / 1e9))
        frame = api.read()
        if frame is None:
            self._eof = True
            return None
        return self._checked(frame), index, round(api.position_ms() * 1e6)

    def _read_uvc_frame(self) -> tuple[np.ndarray, int, int] | None:
        frame = self.api.read()  # blocks for the next frame
        if frame is None:
            raise DeviceError(f"{self.name}: camera {self.config.source} stopped delivering frames")
        self._grabbed += 1
        return self._checked(frame), self._grabbed - 1, time.monotonic_ns()

    def _checked(self, frame: np.ndarray) -> np.ndarray:
        if frame.shape != self._shape:
            raise DeviceError(f"{self.name}: frame {frame.shape} differs from the configured {self._shape}")
        return frame

    @property
    def done(self) -> bool:
        return self._eof

    def _do_close(self) -> None:
        if self._api is not None:
            self._api.close()
            self._api = None


def probe_opencv(configured: Sequence[Any] | None = None) -> StackReport:
    """OpenCV cannot list UVC cameras; the probe says whether it is there and what it reads."""
    try:
        cv2 = import_cv2()
    except MissingDriverError as exc:
        return StackReport("opencv", problem=exc.message, install=exc.hint or "")
    return StackReport("opencv", note=f"OpenCV {cv2.__version__}: UVC cameras by index (source: 0, 1, ...) "
                                      "and video files; it cannot list cameras")


DRIVER = Driver(
    name="opencv",
    configs={"camera": OpenCVCameraConfig},
    devices={"camera": OpenCVCamera},
    summary="UVC cameras and video files replayed as a camera, through OpenCV VideoCapture",
    probe=probe_opencv,
)
