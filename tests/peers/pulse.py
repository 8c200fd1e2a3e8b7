"""A private PulseAudio server with a null sink ``weld``: the microphone path with no sound card.

A tone played into the sink with ``paplay -d weld`` comes back on its monitor source
``weld.monitor``, which PortAudio records through ALSA's ``pulse`` device (libasound2-plugins)
when ``PULSE_SERVER`` points at this server and ``PULSE_SOURCE=weld.monitor``.
The sink is mono float32 so nothing is remixed or requantized on the way: what is played is
what is recorded.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.peers._process import stop_process

RATE = 48_000


@dataclass(frozen=True)
class PulseServer:
    socket: Path
    sink: str

    @property
    def env(self) -> dict[str, str]:
        return {"PULSE_SERVER": f"unix:{self.socket}", "PULSE_SOURCE": f"{self.sink}.monitor",
                "PULSE_SINK": self.sink}

    def play(self, wav: Path) -> subprocess.Popen[bytes]:
        return subprocess.Popen(["paplay", "-d", self.sink, str(wav)], env={**os.environ, **self.env},
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _answers(server: PulseServer) -> bool:
    done = subprocess.run(["pactl", "info"], env={**os.environ, **server.env}, capture_output=True, timeout=10)
    return done.returncode == 0


def missing_tools() -> list[str]:
    return [t for t in ("pulseaudio", "pactl", "paplay", "sox") if shutil.which(t) is None]


@contextmanager
def pulse_null_sink(sink: str = "weld") -> Iterator[PulseServer]:
    runtime = Path(tempfile.mkdtemp(prefix="weld-pulse-"))
    socket = runtime / "pulse" / "native"
    log = (runtime / "pulseaudio.log").open("wb")
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "HOME": str(runtime)}
    proc = subprocess.Popen(
        ["pulseaudio", "--daemonize=no", "--exit-idle-time=-1", "-n", "--disallow-exit",
         f"--load=module-null-sink sink_name={sink} channels=1 rate={RATE} format=float32le",
         "--load=module-native-protocol-unix auth-anonymous=1"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        server = PulseServer(socket, sink)
        deadline = time.monotonic() + 15
        # The socket appears before the daemon finishes starting up; `pactl info` answers once it has.
        while not (socket.exists() and _answers(server)):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"pulseaudio did not start: {(runtime / 'pulseaudio.log').read_text()[-2000:]}")
            time.sleep(0.05)
        yield server
    finally:
        stop_process(proc)
        log.close()
        shutil.rmtree(runtime, ignore_errors=True)


def make_tone(path: Path, freq_hz: float, amplitude: float, seconds: float) -> Path:
    """A mono sine with sox: ``amplitude`` is the peak, as a fraction of full scale."""
    subprocess.run(["sox", "-n", "-r", str(RATE), "-c", "1", "-b", "32", "-e", "floating-point", str(path),
                    "synth", str(seconds), "sine", str(freq_hz), "vol", str(amplitude)], check=True)
    return path
