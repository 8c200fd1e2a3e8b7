"""Test peer: Aravis's fake GigE Vision camera on 127.0.0.1, a real GVCP/GVSP server.

``arv-fake-gv-camera-0.8`` (Debian ``aravis-tools``) answers discovery, serves its GenICam
registers and streams frames over UDP; ``-r N`` drops N of every 1000 stream packets, which
makes incomplete frames. Only one can listen on 127.0.0.1:3956 at a time, so a test holds one
for its duration and the context manager always kills it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

BINARY = "arv-fake-gv-camera-0.8"
ADDRESS = "127.0.0.1"
GVCP_PORT = 3956


def available() -> bool:
    try:
        import gi

        gi.require_version("Aravis", "0.8")
        from gi.repository import Aravis  # noqa: F401
    except (ImportError, ValueError):
        return False
    return shutil.which(BINARY) is not None


def _port_taken() -> bool:
    """Someone (a leftover fake camera) already answers on the GVCP port."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind((ADDRESS, GVCP_PORT))
        except OSError:
            return True
    return False


class FakeGigECamera:
    def __init__(self, serial: str = "GV01", lost_per_thousand: int = 0) -> None:
        self.serial = serial
        self.lost_per_thousand = lost_per_thousand
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def device_id(self) -> str:
        return f"Aravis-Fake-{self.serial}"

    def start(self, timeout_s: float = 10.0) -> None:
        if _port_taken():
            raise RuntimeError(f"{ADDRESS}:{GVCP_PORT} is taken: a fake camera from an earlier run still runs")
        cmd = [BINARY, "-i", ADDRESS, "-s", self.serial]
        if self.lost_per_thousand:
            cmd += ["-r", str(self.lost_per_thousand)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{BINARY} exited with {self.proc.returncode}")
            if _port_taken():  # its GVCP socket is bound: it answers discovery and control from now on
                return
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"{BINARY} did not bind {ADDRESS}:{GVCP_PORT} within {timeout_s} s")

    def kill(self) -> None:
        """Pull the plug: no goodbye to the host, as when a camera loses power or its cable."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None


@contextmanager
def fake_gige_camera(serial: str = "GV01", lost_per_thousand: int = 0) -> Iterator[FakeGigECamera]:
    cam = FakeGigECamera(serial, lost_per_thousand)
    cam.start()
    try:
        yield cam
    finally:
        cam.stop()
