"""The live page's HTTP server: the page itself (package files), a JSON snapshot, frame PNGs.

Plain polling over HTTP/1.1 keep-alive: the server keeps no state per viewer, so a browser that closes,
reconnects or is one of several costs nothing beyond its own requests, and a slow viewer only delays its
own next poll. Nothing is loaded from anywhere but this server.
"""

from __future__ import annotations

import errno
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Protocol
from urllib.parse import parse_qsl, urlsplit

from .._errors import RecordingError
from ._image import colorbar_png

PAGE_FILES = {"/": ("index.html", "text/html; charset=utf-8"), "/view.js": ("view.js", "text/javascript"),
              "/view.css": ("view.css", "text/css")}


class ViewSource(Protocol):
    mode: str

    def state(self, query: dict[str, str]) -> bytes: ...

    def frame(self, name: str, query: dict[str, str]) -> bytes | None: ...


def _page_file(name: str) -> bytes:
    return resources.files("weldctl.daq.view").joinpath("page", name).read_bytes()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: one connection per viewer, not one per poll
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # the terminal shows the recording, not hits
        pass

    def _send(self, status: int, body: bytes, ctype: str, cache: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=3600" if cache else "no-store")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        c0 = time.thread_time()
        try:
            self._answer()
        finally:
            self.server.cpu_s += time.thread_time() - c0  # what serving costs, next to the view thread's

    def _answer(self) -> None:
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query))
        src = self.server.source
        try:
            if url.path in PAGE_FILES:
                name, ctype = PAGE_FILES[url.path]
                self._send(HTTPStatus.OK, self.server.files[name], ctype)
            elif url.path == "/colorbar.png":
                self._send(HTTPStatus.OK, self.server.colorbar, "image/png", cache=True)
            elif url.path == "/api/state":
                self._send(HTTPStatus.OK, src.state(query), "application/json")
            elif url.path.startswith("/api/frame/") and url.path.endswith(".png"):
                png = src.frame(url.path[len("/api/frame/"):-len(".png")], query)
                if png is None:
                    self._send(HTTPStatus.NOT_FOUND, b"no frame yet", "text/plain")
                else:
                    self._send(HTTPStatus.OK, png, "image/png")
            else:
                self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser went away mid-answer: nothing to do, the next viewer is unaffected


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a viewer holding a connection open never holds the recorder's exit
    source: ViewSource
    files: dict[str, bytes]
    colorbar: bytes
    cpu_s: float = 0.0  # CPU time spent answering requests, all viewers together


class ViewServer:
    """Serves ``source`` (a LiveView or ReplayView) on host:port (0: a free port) in a thread of its own."""

    def __init__(self, source: ViewSource, host: str = "127.0.0.1", port: int = 0) -> None:
        try:
            self.httpd = _Server((host, port), _Handler)
        except OSError as exc:
            why = "the port is in use" if exc.errno == errno.EADDRINUSE else exc.strerror
            raise RecordingError(f"cannot serve the live view on {host}:{port}: {why}",
                                 "pick another port (--view-port, or 0 for any free one)") from None
        self.httpd.source = source
        self.httpd.files = {name: _page_file(name) for name, _ in PAGE_FILES.values()}
        self.httpd.colorbar = colorbar_png()
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="live-view-http", daemon=True)

    @property
    def cpu_s(self) -> float:
        return self.httpd.cpu_s

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{host}:{port}/"

    def start(self) -> ViewServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)
