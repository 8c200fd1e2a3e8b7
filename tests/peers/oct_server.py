"""A loopback OCT unit: serves the stream format of docs/oct-protocol.md on 127.0.0.1.

Like a real unit, the device measures all the time, whether a client listens or not: record
``seq`` is taken at ``seq / rate_hz`` after the server started and has device time
``T0_NS + seq * period``, depth ``depth_um(seq)`` and quality ``quality(seq)``. A client gets the
records from the moment it connects. ``drop_after(n)`` makes the server send ``n`` records on the
current connection, then half of the next one, then close; the records measured until the client
is back (the cut one included) are lost, and ``lost`` says exactly which. ``sent`` lists every
record delivered in full.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import numpy as np

MAGIC = b"WOCT"
HEADER = struct.Struct("<4sHHfI")
RECORD = struct.Struct("<QqffH")
T0_NS = 5_000_000_000_000  # the device clock's own epoch, far from the host's


def depth_um(seq: np.ndarray) -> np.ndarray:
    s = np.asarray(seq, dtype=np.float64)
    return (1500.0 + 400.0 * np.sin(s / 50.0) + (s % 7)).astype(np.float32)


def quality(seq: np.ndarray) -> np.ndarray:
    return ((np.asarray(seq) % 100) / 100.0).astype(np.float32)


class OctServer:
    def __init__(self, rate_hz: float = 5000.0, ascan: int = 0, magic: bytes = MAGIC) -> None:
        self.rate_hz = rate_hz
        self.ascan = ascan
        self.magic = magic
        self.sent: list[int] = []
        self.connections = 0
        self.lost: list[tuple[int, int]] = []  # (first lost seq, count)
        self._drop_after: int | None = None
        self._cut: int | None = None  # first seq not delivered by a dropped connection
        self._t0 = time.monotonic()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._accepting = threading.Event()
        self._accepting.set()
        self._thread = threading.Thread(target=self._serve, name="oct-sim", daemon=True)
        self._thread.start()

    def device_seq(self) -> int:
        """The next record the device will measure."""
        return int((time.monotonic() - self._t0) * self.rate_hz)

    def drop_after(self, records: int) -> None:
        self._drop_after = records

    def refuse_connections(self) -> None:
        """Stop listening: connects are refused, as when the unit is switched off."""
        self._accepting.clear()
        self._listener.close()

    def record(self, seq: int) -> bytes:
        t_ns = T0_NS + round(seq * 1e9 / self.rate_hz)
        head = RECORD.pack(seq, t_ns, float(depth_um(np.array([seq]))[0]), float(quality(np.array([seq]))[0]),
                           self.ascan)
        return head + np.linspace(0.0, 1.0, self.ascan, dtype="<f4").tobytes()

    def _serve(self) -> None:
        while not self._stop.is_set():
            if not self._accepting.is_set():
                time.sleep(0.02)
                continue
            try:
                conn, _ = self._listener.accept()
            except OSError:  # a timeout, or the listener closed by refuse_connections()
                continue
            if not self._accepting.is_set():
                conn.close()
                continue
            self.connections += 1
            with conn, suppress(OSError):  # the client went away: wait for the next one
                self._stream(conn)

    def _stream(self, conn: socket.socket) -> None:
        conn.sendall(HEADER.pack(self.magic, 1, 1 if self.ascan else 0, self.rate_hz, 0))
        nxt = self.device_seq()
        if self._cut is not None:
            self.lost.append((self._cut, nxt - self._cut))
            self._cut = None
        sent_here = 0
        while not self._stop.is_set():
            due = self.device_seq()
            if due <= nxt:
                time.sleep(0.005)
                continue
            if self._drop_after is not None and sent_here + (due - nxt) > self._drop_after:
                last = nxt + self._drop_after - sent_here
                conn.sendall(b"".join(self.record(q) for q in range(nxt, last)))
                self.sent.extend(range(nxt, last))
                conn.sendall(self.record(last)[: RECORD.size // 2])
                self._cut, self._drop_after = last, None
                return  # closes the connection mid-record
            conn.sendall(b"".join(self.record(q) for q in range(nxt, due)))
            self.sent.extend(range(nxt, due))
            sent_here += due - nxt
            nxt = due

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()


@contextmanager
def oct_server(**kwargs: object) -> Iterator[OctServer]:
    server = OctServer(**kwargs)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        server.close()
