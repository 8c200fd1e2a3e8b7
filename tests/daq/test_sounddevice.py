"""The sound-card microphone driver: PortAudio → ALSA pulse device → a PulseAudio null sink."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator

import numpy as np
import pytest

from tests.conftest import need
from weldctl.daq import Device, record
from weldctl.daq.drivers.sounddevice import SounddeviceConfig
from weldctl.daq.testing import AudioSuite
from weldctl.schema import Rig, RunReader

pytestmark = pytest.mark.integration

TONE_HZ = 1000.0
TONE_PEAK = 0.5  # fraction of full scale


def _portaudio_ok() -> bool:
    if importlib.util.find_spec("sounddevice") is None:
        return False
    try:
        import sounddevice  # noqa: F401
    except OSError:
        return False
    return True


@pytest.fixture(scope="module")
def pulse() -> Iterator[object]:
    from tests.peers.pulse import missing_tools, pulse_null_sink

    missing = missing_tools()
    need(not missing, f"the microphone peer needs {', '.join(missing)}: run scripts/system-deps.sh")
    with pulse_null_sink() as server:
        saved = {k: os.environ.get(k) for k in server.env}
        os.environ.update(server.env)  # read by the ALSA pulse plugin when PortAudio opens 'pulse'
        try:
            need(_portaudio_ok(), "sounddevice with PortAudio is needed: pip install -e '.[hardware]' + libportaudio2")
            yield server
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def mic_config(**overrides: object) -> SounddeviceConfig:
    return SounddeviceConfig.model_validate({"name": "mic", "device": "pulse", "rate_hz": 48_000, **overrides})


class TestSounddeviceDevice(AudioSuite):
    @pytest.fixture(autouse=True)
    def _pulse(self, pulse) -> None:  # type: ignore[no-untyped-def]
        self.pulse = pulse

    def make_device(self) -> Device:
        from weldctl.daq.drivers.sounddevice import SounddeviceAudio

        return SounddeviceAudio(mic_config())


def test_recorded_tone_has_its_frequency_and_level(pulse, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.peers.pulse import make_tone

    wav = make_tone(tmp_path / "tone.wav", TONE_HZ, TONE_PEAK, 3.0)
    rig = Rig(name="mic", devices=[mic_config()])
    players = []

    def play_once_capturing(rec) -> None:  # type: ignore[no-untyped-def]
        # PortAudio's ALSA→pulse path sometimes takes ~2 s to deliver its first buffer: play once it does.
        if not players and rec.stats["mic"].received > 0:
            players.append(pulse.play(wav))

    try:
        result = record(rig, "RMIC1", str(tmp_path / "runs"), duration_s=6.0, on_tick=play_once_capturing)
    finally:
        for p in players:
            p.wait(timeout=10)
    assert players, "capture never started"
    assert result.ok, result.error
    reader = RunReader(result.uri)
    x = reader.data("mic")[:, 0].astype(np.float64)
    rate = reader.specs["mic"].nominal_rate_hz
    assert len(x) > 3.0 * rate
    # The steady middle of the tone: 1.5 s centred on where the sound is.
    loud = np.flatnonzero(np.abs(x) > TONE_PEAK / 2)
    assert len(loud) > 2.5 * rate * 0.5, "the tone did not reach the recording"
    mid = (loud[0] + loud[-1]) // 2
    seg = x[mid - int(0.75 * rate): mid + int(0.75 * rate)]
    spectrum = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
    peak_hz = np.fft.rfftfreq(len(seg), 1 / rate)[np.argmax(spectrum)]
    level_db = 20 * np.log10(np.sqrt(np.mean(seg**2)))
    expected_db = 20 * np.log10(TONE_PEAK / np.sqrt(2))  # RMS of a sine of that peak
    print(f"tone: peak {peak_hz:.2f} Hz, level {level_db:.3f} dBFS, expected {expected_db:.3f} dBFS, "
          f"error {level_db - expected_db:+.5f} dB, {len(x)} frames, gaps {len(reader.gaps('mic')['count'])}")
    assert abs(peak_hz - TONE_HZ) <= 1.0
    assert abs(level_db - expected_db) < 1.0


def test_missing_sounddevice_names_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from weldctl.daq import MissingDriverError
    from weldctl.daq.drivers.sounddevice import SounddeviceAudio

    monkeypatch.setitem(sys.modules, "sounddevice", None)  # as if it were not installed
    with pytest.raises(MissingDriverError, match="sounddevice") as exc:
        SounddeviceAudio(mic_config()).open()
    assert "pip install" in (exc.value.hint or "")
