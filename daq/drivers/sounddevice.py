"""A microphone on a sound card through ``sounddevice`` (PortAudio).

PortAudio calls ``_on_audio`` from its own thread for every buffer; the callback only copies the
frames into a preallocated ring (no allocation, no locks held for long) and notes losses:

- ``status.input_overflow``: PortAudio/the sound card dropped input before it reached us. The
  count is not reported, so it is estimated from the ADC time stamps PortAudio passes the
  callback (or the host clock when the backend gives none), at least one frame. Kind ``xrun``.
- the ring is full because ``read()`` is not keeping up: the new frames are dropped and counted
  exactly. Kind ``queue_overflow``.

Sequence numbers count frames since start, losses included, so every loss is a jump in ``seq``
and a recorded gap. A sound card has no time stamps of its own worth fitting: the stream is
timed by frame count over the nominal rate, fitted to host receive times.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
from pydantic import Field

from weldctl.schema import Calibration, ClockSource, DeviceBase, StreamSpec

from .._block import Block, Gap
from .._device import AudioDevice
from .._driver import Driver, StackReport
from .._errors import DeviceError, MissingDriverError

READ_BLOCK_S = 0.05  # frames handed to the recorder per read, at most


class SounddeviceConfig(DeviceBase):
    driver: Literal["sounddevice"] = "sounddevice"
    kind: Literal["audio"] = "audio"
    device: str | int | None = Field(default=None, description="PortAudio device name (substring) or index")
    rate_hz: float = Field(default=48_000.0, gt=0)
    channels: int = Field(default=1, ge=1, le=32)
    dtype: Literal["float32", "int16", "int32"] = "float32"
    blocksize: int = Field(default=0, ge=0, description="frames per callback; 0 lets PortAudio choose")
    queue_s: float = Field(default=2.0, gt=0, description="capture ring between the callback and read()")
    units: str = "FS"
    calibration: Calibration | None = Field(default=None, description="full scale → Pa, if the chain is known")


def _import_sounddevice() -> Any:
    try:
        import sounddevice
    except ImportError:
        raise MissingDriverError("the sounddevice driver needs the sounddevice package",
                                 "pip install 'weldctl[hardware]'  (or: pip install sounddevice)") from None
    except OSError as exc:  # the package is there, the PortAudio library is not
        raise MissingDriverError(f"sounddevice could not load PortAudio: {exc}",
                                 "install PortAudio (Debian: apt-get install libportaudio2)") from None
    return sounddevice


class PortAudioApi:
    """The few sounddevice (PortAudio) calls the driver makes: the seam its unit tests replace."""

    def __init__(self) -> None:
        self._sd = _import_sounddevice()

    def input_name(self, device: str | int | None) -> str:
        """Name of the input ``device`` picks; LookupError (with what there is) if none matches."""
        try:
            try:
                return str(self._sd.query_devices(device, kind="input")["name"])
            except ValueError:
                # PortAudio lists devices once, at initialization: a USB interface plugged in (or a
                # sound server started) since then shows up only after a re-scan.
                self._sd._terminate()
                self._sd._initialize()
                return str(self._sd.query_devices(device, kind="input")["name"])
        except ValueError as exc:
            raise LookupError(str(exc)) from None

    def input_names(self) -> list[str]:
        return [str(d["name"]) for d in self._sd.query_devices() if d["max_input_channels"] > 0]

    def check_input(self, device: str | int | None, channels: int, dtype: str, rate_hz: float) -> None:
        self._sd.check_input_settings(device=device, channels=channels, dtype=dtype, samplerate=rate_hz)

    def start_input(self, device: str | int | None, channels: int, dtype: str, rate_hz: float, blocksize: int,
                    callback: Callable[..., None]) -> Any:
        """A started input stream calling ``callback(indata, frames, time_info, status)``; has stop() and close()."""
        stream = self._sd.InputStream(device=device, channels=channels, dtype=dtype, samplerate=rate_hz,
                                      blocksize=blocksize, callback=callback)
        stream.start()
        return stream


class SounddeviceAudio(AudioDevice):
    config: SounddeviceConfig

    def __init__(self, config: SounddeviceConfig, api: Callable[[], PortAudioApi] = PortAudioApi) -> None:
        super().__init__(config)
        self.block_samples = max(1, round(config.rate_hz * READ_BLOCK_S))
        self._make_api = api
        self._api: PortAudioApi | None = None
        self._stream: Any = None
        self._device_name = ""
        size = max(2 * self.block_samples, round(config.rate_hz * config.queue_s))
        self._ring = np.zeros((size, config.channels), dtype=config.dtype)
        self._ring_seq = np.zeros(size, dtype=np.int64)
        self._cond = threading.Condition()
        self._t0_host_ns = 0
        self._reset()

    def _reset(self) -> None:
        self._written = 0  # frames ever put in the ring
        self._taken = 0  # frames ever taken out
        self._next_seq = 0  # sequence number of the next frame PortAudio delivers
        self._adc0: float | None = None  # ADC time of frame 0, when the backend gives ADC times
        self._host0_ns = 0
        self._gaps: list[Gap] = []
        self.callback_error = ""

    # -- lifecycle ---------------------------------------------------------------------------
    def _do_open(self) -> None:
        api = self._api = self._make_api()
        try:
            self._device_name = api.input_name(self.config.device)
        except LookupError as exc:
            raise DeviceError(f"{self.name}: no sound input {self.config.device!r}: {exc}",
                              f"pick one of: {', '.join(api.input_names()) or '(none found)'}") from None

    def _do_configure(self) -> StreamSpec:
        c = self.config
        try:
            self._opened().check_input(c.device, c.channels, c.dtype, c.rate_hz)
        except Exception as exc:  # PortAudioError or ValueError, both mean "this device cannot do that"
            raise DeviceError(f"{self.name}: {self._device_name} cannot record {c.channels} ch {c.dtype} at "
                              f"{c.rate_hz:g} Hz: {exc}", "change rate_hz, channels or dtype in the rig file") from None
        names = ["mic"] if c.channels == 1 else [f"mic{i}" for i in range(c.channels)]
        calibration = {"*": c.calibration} if c.calibration is not None else {}
        return StreamSpec(name=c.name, kind=self.kind, device=f"sounddevice:{self._device_name}", driver="sounddevice",
                          dtype=c.dtype, sample_shape=(c.channels,), channels=names, units=c.units,
                          calibration=calibration, nominal_rate_hz=c.rate_hz, clock=ClockSource.host)

    def _do_start(self, t0_host_ns: int) -> None:
        c = self.config
        self._t0_host_ns = t0_host_ns
        self._reset()
        self._host0_ns = time.monotonic_ns()
        try:
            self._stream = self._opened().start_input(c.device, c.channels, c.dtype, c.rate_hz, c.blocksize,
                                                      self._on_audio)
        except Exception as exc:
            self._stream = None
            raise DeviceError(f"{self.name}: could not start capture on {self._device_name}: {exc}",
                              "is the device busy or unplugged?") from None

    def _opened(self) -> PortAudioApi:
        if self._api is None:
            raise DeviceError(f"{self.name}: not open")
        return self._api

    def _do_get_input_device(self) -> str:
        return self._device_name

    def _do_stop(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.stop()
            stream.close()
        with self._cond:
            self._cond.notify_all()

    # -- capture (PortAudio's thread) ----------------------------------------------------------
    def _on_audio(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        adc = float(getattr(time_info, "inputBufferAdcTime", 0.0) or 0.0)
        if status.input_overflow:
            self._note_xrun(adc, frames)
        elif self._adc0 is None and adc > 0:
            self._adc0 = adc - self._next_seq / self.config.rate_hz
        size = len(self._ring)
        with self._cond:
            free = size - (self._written - self._taken)
            if frames > free:  # the reader fell behind: drop this buffer, count it exactly
                self._add_gap(Gap(self._next_seq, frames, "queue_overflow", "capture ring full"))
                self._next_seq += frames
                return
            pos = self._written % size
            first = min(frames, size - pos)
            self._ring[pos:pos + first] = indata[:first]
            self._ring[:frames - first] = indata[first:]
            seq = np.arange(self._next_seq, self._next_seq + frames, dtype=np.int64)
            self._ring_seq[pos:pos + first] = seq[:first]
            self._ring_seq[:frames - first] = seq[first:]
            self._written += frames
            self._next_seq += frames
            self._cond.notify_all()

    def _note_xrun(self, adc: float, frames: int) -> None:
        """Frames lost before this buffer: from ADC times if the backend has them, else the host clock."""
        rate = self.config.rate_hz
        if self._adc0 is not None and adc > 0:
            expected = round((adc - self._adc0) * rate)
        else:
            expected = round((time.monotonic_ns() - self._host0_ns) / 1e9 * rate) - frames
        lost = max(1, expected - self._next_seq)
        with self._cond:
            self._add_gap(Gap(self._next_seq, lost, "xrun", "PortAudio input overflow (count estimated)"))
        self._next_seq += lost

    def _add_gap(self, gap: Gap) -> None:
        """Record a loss; one that continues the previous one of the same kind extends it."""
        last = self._gaps[-1] if self._gaps else None
        if last is not None and last.kind == gap.kind and last.seq_start + last.count == gap.seq_start:
            self._gaps[-1] = Gap(last.seq_start, last.count + gap.count, last.kind, last.note)
        else:
            self._gaps.append(gap)

    # -- reading ---------------------------------------------------------------------------------
    def _do_read(self, timeout_s: float) -> Block | None:
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._written - self._taken < self.block_samples:
                left = deadline - time.monotonic()
                if left <= 0 or self._stream is None:
                    break
                self._cond.wait(left)
            n = min(self._written - self._taken, self.block_samples)
            if n == 0:
                return None
            size = len(self._ring)
            idx = (self._taken + np.arange(n)) % size
            data, seq = self._ring[idx], self._ring_seq[idx]  # fancy indexing copies: the ring is reused
            self._taken += n
            last = int(seq[-1])
            gaps = [g for g in self._gaps if g.seq_start + g.count <= last]
            self._gaps = [g for g in self._gaps if g.seq_start + g.count > last]
        return Block(data=data, seq=seq, t_host_ns=time.monotonic_ns() - self._t0_host_ns, gaps=gaps)


def probe_portaudio(configured: Sequence[Any] | None = None) -> StackReport:
    """The sound inputs PortAudio sees."""
    install = "apt-get install libportaudio2, then pip install sounddevice (or 'weldctl[hardware]')"
    try:
        import sounddevice
    except (ImportError, OSError) as exc:  # OSError: the PortAudio library itself is missing
        return StackReport("portaudio", problem=f"sounddevice not available ({exc})", install=install)
    try:
        found = sounddevice.query_devices()
    except Exception as exc:  # PortAudioError and friends: report, do not crash the listing
        return StackReport("portaudio", problem=f"PortAudio cannot list devices ({exc})", install=install)
    return StackReport("portaudio", [
        {"index": str(d["index"]), "name": str(d["name"]), "inputs": str(d["max_input_channels"]),
         "rate": f"{d['default_samplerate']:g}"}
        for d in found if d["max_input_channels"] > 0])


DRIVER = Driver(
    name="sounddevice",
    configs={"audio": SounddeviceConfig},
    devices={"audio": SounddeviceAudio},
    summary="a microphone on a sound card through sounddevice (PortAudio)",
    probe=probe_portaudio,
    stack="portaudio",
)
