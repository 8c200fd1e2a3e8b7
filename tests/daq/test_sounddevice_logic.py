"""The sound-card driver's own logic (ring, xrun and overflow accounting) on a fake PortAudio.

The fake stands in for the ``PortAudioApi`` adapter only: the driver code above it is the code
that records a real microphone (tests/daq/test_sounddevice.py runs it on PortAudio and PulseAudio).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np

from weldctl.daq import Block, Device
from weldctl.daq.drivers.sounddevice import SounddeviceAudio, SounddeviceConfig
from weldctl.daq.testing import AudioSuite

OK = SimpleNamespace(input_overflow=False)
OVERFLOW = SimpleNamespace(input_overflow=True)


class FakePortAudio:
    """A sound card that calls back every ``period_s`` with ``frames`` frames of a ramp, ADC-timed."""

    def __init__(self, rate_hz: float = 8000.0, frames: int = 80) -> None:
        self.rate_hz, self.frames = rate_hz, frames
        self.stream: FakeStream | None = None

    def input_name(self, device: str | int | None) -> str:
        if device == "missing":
            raise LookupError("no such device")
        return "fake input"

    def input_names(self) -> list[str]:
        return ["fake input"]

    def check_input(self, device: str | int | None, channels: int, dtype: str, rate_hz: float) -> None:
        pass

    def start_input(self, device: str | int | None, channels: int, dtype: str, rate_hz: float, blocksize: int,
                    callback: Callable[..., None]) -> FakeStream:
        self.stream = FakeStream(callback, self.frames, channels, dtype, rate_hz)
        return self.stream


class FakeStream:
    def __init__(self, callback: Callable[..., None], frames: int, channels: int, dtype: str, rate_hz: float) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(callback, frames, channels, dtype, rate_hz),
                                        daemon=True)
        self._thread.start()

    def _run(self, callback: Callable[..., None], frames: int, channels: int, dtype: str, rate_hz: float) -> None:
        n = 0
        while not self._stop.wait(frames / rate_hz):
            data = (np.arange(n, n + frames) % 1000 / 1000).astype(dtype)[:, None].repeat(channels, axis=1)
            callback(data, frames, SimpleNamespace(inputBufferAdcTime=1.0 + n / rate_hz), OK)
            n += frames

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def close(self) -> None:
        pass


def mic(**overrides: Any) -> SounddeviceConfig:
    return SounddeviceConfig.model_validate({"name": "mic", "rate_hz": 8000, **overrides})


class TestSounddeviceOnFakePortAudio(AudioSuite):
    read_deadline_s = 5.0

    def make_device(self) -> Device:
        return SounddeviceAudio(mic(), api=FakePortAudio)


def _drain(dev: SounddeviceAudio) -> list[Block]:
    blocks = []
    while (b := dev._do_read(0.0)) is not None:
        blocks.append(b)
    return blocks


def test_xrun_count_from_adc_time_and_ring_overflow_counted_exactly() -> None:
    dev = SounddeviceAudio(mic(rate_hz=1000, queue_s=1.0), api=FakePortAudio)
    frames = np.arange(100, dtype=np.float32)[:, None]
    dev._on_audio(frames, 100, SimpleNamespace(inputBufferAdcTime=10.0), OK)
    dev._on_audio(frames, 100, SimpleNamespace(inputBufferAdcTime=10.1), OK)
    dev._on_audio(frames, 100, SimpleNamespace(inputBufferAdcTime=10.45), OVERFLOW)  # 250 frames went missing
    for _ in range(20):  # the reader stops taking: the 1000-frame ring fills and the excess is counted exactly
        dev._on_audio(frames, 100, SimpleNamespace(inputBufferAdcTime=0.0), OK)
    first = _drain(dev)  # not capturing: read() returns what is there without waiting
    assert sum(len(b) for b in first) == 1000  # 300 + 7 callbacks fitted in the ring
    assert [(g.seq_start, g.count, g.kind) for b in first for g in b.gaps] == [(200, 250, "xrun")]
    dev._on_audio(frames, 100, SimpleNamespace(inputBufferAdcTime=0.0), OK)
    after = _drain(dev)  # 100 frames = two 50-frame blocks at 1 kHz
    dropped = [(g.seq_start, g.count, g.kind) for b in after for g in b.gaps]
    assert dropped == [(1250, 1300, "queue_overflow")]  # 13 dropped callbacks in a row: one gap
    assert after[0].seq[0] == 2550 and sum(len(b) for b in after) == 100
    seq = np.concatenate([b.seq for b in [*first, *after]])
    assert np.array_equal(np.flatnonzero(np.diff(seq) != 1), [199, 999])  # exactly where the gaps are


def test_xrun_without_adc_times_is_estimated_from_the_host_clock() -> None:
    dev = SounddeviceAudio(mic(rate_hz=1000, queue_s=1.0), api=FakePortAudio)
    dev._host0_ns = time.monotonic_ns() - 500_000_000  # capture began 0.5 s ago: ~500 frames are due
    frames = np.zeros((100, 1), dtype=np.float32)
    dev._on_audio(frames, 100, SimpleNamespace(inputBufferAdcTime=0.0), OK)
    dev._on_audio(frames, 100, SimpleNamespace(inputBufferAdcTime=0.0), OVERFLOW)
    gaps = [g for b in _drain(dev) for g in b.gaps]
    assert len(gaps) == 1 and gaps[0].kind == "xrun" and gaps[0].seq_start == 100
    assert 300 <= gaps[0].count < 1300, gaps[0]  # at least (0.5 s x 1 kHz) - 100 read - 100 in this buffer


def test_unknown_input_lists_what_there_is() -> None:
    dev = SounddeviceAudio(mic(device="missing"), api=FakePortAudio)
    try:
        dev.open()
    except Exception as exc:
        assert "no sound input 'missing'" in str(exc) and "fake input" in (getattr(exc, "hint", "") or "")
    else:
        raise AssertionError("opened a missing device")
