"""Keyhole depth from an OCT (inline coherent imaging) unit streaming records over TCP.

Wire format (all little-endian; full description in docs/oct-protocol.md). The device is the
server; weldctl connects and reads. On every connection the device first sends a 16-byte header::

    magic     4s   b"WOCT"
    version   u16  1
    flags     u16  bit 0: records carry A-scans
    rate_hz   f32  nominal record rate
    reserved  u32  0

then records, back to back, for as long as the connection lasts::

    seq       u64  record counter of the device; keeps counting while no client is connected
    t_dev_ns  i64  device timestamp of the measurement, ns (device clock, any epoch)
    depth_um  f32  keyhole depth, µm (NaN: no valid depth)
    quality   f32  0..1 signal quality of the depth estimate
    n_ascan   u16  number of A-scan samples that follow (0 unless flags bit 0)
    ascan     n_ascan × f32

The stream stored is (N, 2) float32: depth_um and quality, timed by the device timestamps.
A-scans are read and skipped (they would be a stream of their own).

A dropped connection is not the end of the recording: the client reconnects with exponential
backoff (``backoff_s`` doubling up to ``backoff_max_s``, at most ``reconnect_attempts`` tries per
loss), and the records the device sent while nobody listened are a ``disconnect`` gap whose size
is the jump in ``seq``. A partial record cut by the drop is discarded (it is inside the gap). If
the device restarted and its ``seq`` went back, the lost count is estimated from the timestamps.
Reconnecting never blocks ``read()`` longer than its timeout plus one connect timeout.
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
from pydantic import Field

from weldctl.schema import ClockSource, DeviceBase, StreamSpec

from .._block import Block, Gap
from .._device import OCT_CHANNEL_UNITS, OctDevice
from .._driver import Driver, StackReport
from .._errors import DeviceError

MAGIC = b"WOCT"
VERSION = 1
HEADER = struct.Struct("<4sHHfI")
RECORD = np.dtype([("seq", "<u8"), ("t_dev_ns", "<i8"), ("depth_um", "<f4"), ("quality", "<f4"),
                   ("n_ascan", "<u2")])  # 26 bytes, packed
RECORD_HEAD = struct.Struct("<QqffH")  # the same fields, for the variable-length (A-scan) path
FLAG_ASCAN = 1


class OctTcpConfig(DeviceBase):
    driver: Literal["oct_tcp"] = "oct_tcp"
    kind: Literal["oct"] = "oct"
    host: str = "127.0.0.1"
    port: int = Field(gt=0, lt=65536)
    rate_hz: float = Field(default=20_000.0, gt=0, description="nominal record rate")
    clock: ClockSource = ClockSource.device
    connect_timeout_s: float = Field(default=2.0, gt=0)
    reconnect_attempts: int = Field(default=10, ge=0, description="per loss of connection; 0 = give up at once")
    backoff_s: float = Field(default=0.1, gt=0, description="first reconnect delay; doubles up to backoff_max_s")
    backoff_max_s: float = Field(default=2.0, gt=0)
    block_records: int = Field(default=0, ge=0, description="records per block; 0 = rate / 50")


class TcpLink:
    """One TCP connection to the OCT unit, the only code that touches the socket: the seam the
    driver's unit tests replace."""

    RECV_WAIT_S = 0.05  # a recv waits at most this long, so read() keeps to its timeout

    def __init__(self) -> None:
        self._sock: socket.socket | None = None

    def connect(self, host: str, port: int, header_size: int, timeout_s: float) -> bytes:
        """Connect and return the stream header; OSError if the unit cannot be reached."""
        sock = socket.create_connection((host, port), timeout=timeout_s)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            header = bytearray()
            while len(header) < header_size:
                chunk = sock.recv(header_size - len(header))
                if not chunk:
                    raise ConnectionError("closed before the stream header")
                header += chunk
        except OSError:
            sock.close()
            raise
        sock.settimeout(self.RECV_WAIT_S)
        self._sock = sock
        return bytes(header)

    def recv(self) -> bytes | None:
        """What arrived (b"": the unit closed the connection or it broke; None: nothing yet)."""
        assert self._sock is not None
        try:
            return self._sock.recv(1 << 16)
        except TimeoutError:
            return None
        except OSError:
            return b""

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()


class OctTcp(OctDevice):
    config: OctTcpConfig

    def __init__(self, config: OctTcpConfig, link: Callable[[], TcpLink] = TcpLink) -> None:
        super().__init__(config)
        self.block_samples = config.block_records or max(1, round(config.rate_hz / 50))
        self._make_link = link
        self._sock: TcpLink | None = None
        self._buf = bytearray()
        self._flags = 0
        self._t0_host_ns = 0
        self._reset()

    def _reset(self) -> None:
        self._expected: int | None = None  # device seq of the next record we expect
        self._seq_offset = 0  # added to device seq when the device restarted its counter
        self._last_t_dev: int | None = None
        self._lost_connection = False
        self._attempts = 0
        self._next_attempt = 0.0
        self.reconnects = 0

    @property
    def address(self) -> str:
        return f"{self.config.host}:{self.config.port}"

    # -- lifecycle ---------------------------------------------------------------------------
    def _do_configure(self) -> StreamSpec:
        c = self.config
        return StreamSpec(name=c.name, kind=self.kind, device=f"oct_tcp:{self.address}", driver="oct_tcp",
                          dtype="float32", sample_shape=(2,), channels=["keyhole_depth", "quality"], units="um",
                          channel_units=OCT_CHANNEL_UNITS,
                          nominal_rate_hz=c.rate_hz, clock=c.clock)

    def _do_start(self, t0_host_ns: int) -> None:
        self._t0_host_ns = t0_host_ns
        self._reset()
        self._connect()

    def _do_stop(self) -> None:
        self._disconnect()

    def _do_close(self) -> None:
        self._disconnect()

    def _connect(self) -> None:
        c = self.config
        sock = self._make_link()
        try:
            header = sock.connect(c.host, c.port, HEADER.size, c.connect_timeout_s)
        except OSError as exc:
            raise DeviceError(f"{self.name}: cannot reach the OCT at {self.address}: {exc}",
                              "check the OCT unit is streaming and host/port in the rig file") from None
        magic, version, flags, _rate, _ = HEADER.unpack(header)
        if magic != MAGIC or version != VERSION:
            sock.close()
            raise DeviceError(f"{self.name}: {self.address} does not speak OCT stream v{VERSION} "
                              f"(magic {magic!r}, version {version})", "see docs/oct-protocol.md")
        self._sock, self._flags, self._buf = sock, flags, bytearray()

    def _disconnect(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()
        self._buf = bytearray()

    # -- reading -----------------------------------------------------------------------------
    def _do_read(self, timeout_s: float) -> Block | None:
        deadline = time.monotonic() + timeout_s
        if self._sock is None and not self._try_reconnect(deadline):
            return None
        assert self._sock is not None
        parts: list[np.ndarray] = []
        have = 0
        while True:
            if have < self.block_samples:
                part = self._parse(self.block_samples - have)
                if part.size:
                    parts.append(part)
                    have += len(part)
            if have >= self.block_samples or (have and time.monotonic() >= deadline):
                return self._block(np.concatenate(parts))
            if time.monotonic() >= deadline:
                return None
            chunk = self._sock.recv()
            if chunk is None:
                continue
            if not chunk:  # the device closed the connection (or it broke): keep what parsed
                block = self._block(np.concatenate(parts)) if have else None
                self._drop_connection()
                return block
            self._buf += chunk

    def _parse(self, limit: int) -> np.ndarray:
        """Complete records at the front of the buffer (up to ``limit``) with the A-scans skipped."""
        if not self._flags & FLAG_ASCAN:  # fixed-size records: one numpy view
            n = min(limit, len(self._buf) // RECORD.itemsize)
            out = np.frombuffer(bytes(self._buf[:n * RECORD.itemsize]), dtype=RECORD)
            del self._buf[:n * RECORD.itemsize]
            return out
        rows: list[tuple[int, int, float, float, int]] = []
        pos = 0
        while len(rows) < limit and pos + RECORD.itemsize <= len(self._buf):
            rec = RECORD_HEAD.unpack_from(self._buf, pos)
            end = pos + RECORD.itemsize + 4 * rec[-1]
            if end > len(self._buf):
                break
            rows.append(rec)
            pos = end
        del self._buf[:pos]
        return np.array(rows, dtype=RECORD)

    def _block(self, rec: np.ndarray) -> Block:
        gaps: list[Gap] = []
        seq = rec["seq"].astype(np.int64) + self._seq_offset
        t_dev = rec["t_dev_ns"].astype(np.int64)
        if self._expected is not None and seq[0] != self._expected:
            gaps.append(self._gap(int(seq[0]), int(t_dev[0])))
            seq = rec["seq"].astype(np.int64) + self._seq_offset
        self._expected = int(seq[-1]) + 1
        self._last_t_dev = int(t_dev[-1])
        self._lost_connection = False
        data = np.empty((len(rec), 2), dtype=np.float32)
        data[:, 0], data[:, 1] = rec["depth_um"], rec["quality"]
        return Block(data=data, seq=seq, t_host_ns=time.monotonic_ns() - self._t0_host_ns, t_dev_ns=t_dev,
                     gaps=gaps)

    def _gap(self, first_seq: int, first_t_dev: int) -> Gap:
        assert self._expected is not None
        kind = "disconnect" if self._lost_connection else "seq_gap"
        note = f"connection to {self.address} lost; reconnected" if self._lost_connection else "records missing"
        if first_seq < self._expected:  # the device restarted its counter: size the gap by its clock
            lost = max(0, round((first_t_dev - (self._last_t_dev or first_t_dev)) * self.config.rate_hz / 1e9) - 1)
            self._seq_offset += self._expected + lost - first_seq
            note += "; device counter restarted, count estimated from timestamps"
        else:
            lost = first_seq - self._expected
        return Gap(seq_start=self._expected, count=lost, kind=kind, note=note)

    # -- reconnecting ------------------------------------------------------------------------------
    def _drop_connection(self) -> None:
        self._disconnect()
        self._lost_connection = True
        self._attempts = 0
        self._next_attempt = time.monotonic()

    def _try_reconnect(self, deadline: float) -> bool:
        c = self.config
        while time.monotonic() < deadline:
            wait = self._next_attempt - time.monotonic()
            if wait > 0:
                time.sleep(min(wait, max(0.0, deadline - time.monotonic())))
                continue
            if self._attempts >= c.reconnect_attempts:
                raise DeviceError(f"{self.name}: lost the OCT at {self.address} and {self._attempts} reconnects failed",
                                  "check the OCT unit and the network; raise reconnect_attempts in the rig file")
            self._attempts += 1
            try:
                self._connect()
            except DeviceError:
                self._next_attempt = time.monotonic() + min(c.backoff_max_s, c.backoff_s * 2 ** (self._attempts - 1))
                continue
            self.reconnects += 1
            return True
        return False


def probe_oct(configured: Sequence[Any] | None = None, timeout_s: float = 0.5) -> StackReport:
    """The OCT endpoints a rig configures, each tried with one TCP connect."""
    entries = list(configured or [])
    if not entries:
        note = "pass --rig to check the OCT endpoints a rig configures" if configured is None else \
            "the rig configures no OCT endpoint"
        return StackReport("oct_tcp", note=note)
    devices = []
    for d in entries:
        try:
            with socket.create_connection((d.host, d.port), timeout=timeout_s):
                state = "accepts TCP connections"
        except OSError as exc:
            state = f"no connection ({exc.strerror or exc})"
        devices.append({"name": d.name, "endpoint": f"{d.host}:{d.port}", "state": state})
    return StackReport("oct_tcp", devices)


DRIVER = Driver(
    name="oct_tcp",
    configs={"oct": OctTcpConfig},
    devices={"oct": OctTcp},
    summary="keyhole depth from an OCT unit streaming records over TCP (docs/oct-protocol.md)",
    probe=probe_oct,
)
