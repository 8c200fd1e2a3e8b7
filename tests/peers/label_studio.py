"""A real Label Studio server for the tests: throwaway data dir, HOME and secrets, on 127.0.0.1.

The binary comes from LABEL_STUDIO_BIN (CI sets it to the project's .venv-labelstudio), else `label-studio`
on PATH. The first start runs the database migrations (about a minute), so one server serves the session.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import need
from tests.peers._process import free_port

START_TIMEOUT_S = 480.0  # first start runs the migrations: ~1-2.5 min, longer on a busy machine
# Nothing leaves the machine: no error reports (server and browser Sentry), no analytics, no version check.
NO_OUTSIDE_CALLS = {
    "SENTRY_DSN": "", "FRONTEND_SENTRY_DSN": "",
    "COLLECT_ANALYTICS": "false", "LABEL_STUDIO_COLLECT_ANALYTICS": "false",
    "LATEST_VERSION_CHECK": "false", "LABEL_STUDIO_LATEST_VERSION_CHECK": "false",
}


class OutsideCallSink:
    """A loopback HTTP(S) proxy the server is pointed at: it refuses every request and remembers its target.

    Whatever the server tries to reach beyond loopback (error reports, analytics, version checks, tips)
    through the standard proxy variables ends here instead of leaving the machine, and a test can see it.
    """

    def __init__(self) -> None:
        import socketserver

        self.calls: list[str] = []
        calls = self.calls

        class Refuse(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                line = self.rfile.readline(4096).decode("latin-1").strip()
                calls.append(line.split(" ")[1] if " " in line else line)
                self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Refuse)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def env(self) -> dict[str, str]:
        proxy = f"http://127.0.0.1:{self._server.server_address[1]}"
        return {"HTTP_PROXY": proxy, "HTTPS_PROXY": proxy, "http_proxy": proxy, "https_proxy": proxy,
                "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def label_studio_bin() -> str | None:
    explicit = os.environ.get("LABEL_STUDIO_BIN")
    if explicit:
        return explicit if Path(explicit).exists() else None
    return shutil.which("label-studio")


@dataclass
class LabelStudioServer:
    binary: str
    base: Path
    port: int = field(default_factory=free_port)
    token: str = field(default_factory=lambda: secrets.token_hex(20))  # 40 chars, as the legacy token wants
    username: str = "technician@example.com"
    password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    proc: subprocess.Popen[bytes] | None = None
    first_start_s: float = 0.0
    sink: OutsideCallSink = field(default_factory=OutsideCallSink)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def document_root(self) -> Path:
        return self.base / "files"

    def env(self) -> dict[str, str]:
        home = self.base / "home"
        env = {k: v for k, v in os.environ.items() if not k.startswith("LABEL_STUDIO_")}
        env.update({
            "HOME": str(home), "LABEL_STUDIO_BASE_DATA_DIR": str(self.base / "data"),
            "SECRET_KEY": secrets.token_hex(32),
            "LABEL_STUDIO_USERNAME": self.username, "LABEL_STUDIO_PASSWORD": self.password,
            "LABEL_STUDIO_USER_TOKEN": self.token,
            "LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED": "true",
            "LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT": str(self.document_root),
            "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
            **NO_OUTSIDE_CALLS, **self.sink.env,
        })
        return env

    def start(self) -> float:
        """Start and wait for /health; returns the seconds it took."""
        import httpx

        for d in ("home", "data", "files"):
            (self.base / d).mkdir(parents=True, exist_ok=True)
        log = (self.base / "server.log").open("ab")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [self.binary, "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(self.port),
             "--data-dir", str(self.base / "data"), "--enable-legacy-api-token"],
            env=self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        while time.monotonic() - t0 < START_TIMEOUT_S:
            if self.proc.poll() is not None:
                raise RuntimeError(f"label-studio exited with {self.proc.returncode}; "
                                   f"see {self.base}/server.log")
            try:
                if httpx.get(f"{self.url}/health", timeout=2.0).status_code == 200:
                    return time.monotonic() - t0
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"label-studio did not come up in {START_TIMEOUT_S:.0f} s; "
                           f"see {self.base}/server.log")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        # The server runs in its own session: signal that process group (ours, by id), children included.
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@pytest.fixture(scope="session")
def label_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabelStudioServer]:
    binary = label_studio_bin()
    need(binary is not None, "Label Studio server (set LABEL_STUDIO_BIN or put label-studio on PATH)")
    assert binary is not None
    server = LabelStudioServer(binary=binary, base=tmp_path_factory.mktemp("label_studio"))
    try:
        server.first_start_s = server.start()
        print(f"\nLabel Studio up in {server.first_start_s:.1f} s at {server.url}")
        yield server
    finally:
        server.stop()
        server.sink.close()
