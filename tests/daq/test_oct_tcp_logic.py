"""The OCT client's own logic (record parsing across chunks, A-scans skipped, reconnect gaps, a device
counter that restarts, giving up) on a fake of its TCP link.

Only ``TcpLink`` is replaced; test_oct_tcp.py runs the same client over real sockets against a
loopback OCT server.
"""

from __future__ import annotations

import struct

import numpy as np
import pytest

from weldctl.daq import DeviceError
from weldctl.daq.drivers.oct_tcp import HEADER, MAGIC, RECORD_HEAD, OctTcp, OctTcpConfig

RATE = 1000.0
PERIOD_NS = 1_000_000


def header(flags: int = 0) -> bytes:
    return HEADER.pack(MAGIC, 1, flags, RATE, 0)


def records(seqs: range, *, ascan: int = 0, t0_seq: int = 0) -> bytes:
    out = bytearray()
    for s in seqs:
        out += RECORD_HEAD.pack(s, (s - t0_seq) * PERIOD_NS, float(s), 0.5, ascan)
        out += struct.pack(f"<{ascan}f", *range(ascan))
    return bytes(out)


class FakeLink:
    """Connections played from a script: each a header and the byte chunks it delivers, then it closes."""

    def __init__(self, script: list[tuple[bytes, list[bytes]] | OSError]) -> None:
        self.script = script
        self.chunks: list[bytes] = []
        self.connects = 0

    def __call__(self) -> FakeLink:
        return self

    def connect(self, host: str, port: int, header_size: int, timeout_s: float) -> bytes:
        self.connects += 1
        if not self.script:
            raise ConnectionRefusedError("refused")
        step = self.script.pop(0)
        if isinstance(step, OSError):
            raise step
        head, self.chunks = step
        return head

    def recv(self) -> bytes | None:
        return self.chunks.pop(0) if self.chunks else b""

    def close(self) -> None:
        pass


def client(link: FakeLink, **cfg: object) -> OctTcp:
    config = OctTcpConfig.model_validate({"name": "oct", "port": 5555, "rate_hz": RATE, "block_records": 100,
                                          "backoff_s": 0.001, "backoff_max_s": 0.002, **cfg})
    return OctTcp(config, link=link)


def read_all(dev: OctTcp, reads: int = 20) -> list:  # type: ignore[type-arg]
    blocks = []
    for _ in range(reads):
        try:
            b = dev.read(0.05)
        except DeviceError:
            break
        if b is not None:
            blocks.append(b)
    return blocks


def test_records_split_across_chunks_and_a_scans_are_parsed() -> None:
    data = records(range(0, 150), ascan=3)
    link = FakeLink([(header(flags=1), [data[:1000], data[1000:1001], data[1001:]])])
    dev = client(link, reconnect_attempts=0)
    dev.start(0)
    blocks = read_all(dev)
    seq = np.concatenate([b.seq for b in blocks])
    assert seq.tolist() == list(range(150))
    depth = np.concatenate([b.data[:, 0] for b in blocks])
    np.testing.assert_array_equal(depth, seq.astype(np.float32))


def test_a_reconnect_is_a_disconnect_gap_of_the_records_missed() -> None:
    link = FakeLink([(header(), [records(range(0, 100))]), ConnectionRefusedError("refused"),
                     (header(), [records(range(130, 230))])])
    dev = client(link)
    dev.start(0)
    blocks = read_all(dev)
    gaps = [(g.seq_start, g.count, g.kind) for b in blocks for g in b.gaps]
    assert gaps == [(100, 30, "disconnect")] and dev.reconnects == 1


def test_a_restarted_device_counter_is_sized_by_its_clock() -> None:
    # The unit rebooted: its counter starts again at 0, its clock kept going 50 records' worth.
    link = FakeLink([(header(), [records(range(0, 100))]), (header(), [records(range(0, 100), t0_seq=-150)])])
    dev = client(link)
    dev.start(0)
    blocks = read_all(dev)
    (gap,) = [g for b in blocks for g in b.gaps]
    assert (gap.seq_start, gap.count, gap.kind) == (100, 50, "disconnect")
    seq = np.concatenate([b.seq for b in blocks])
    assert np.all(np.diff(seq) > 0) and seq[-1] == 249  # the sequence keeps counting past the gap


def test_gives_up_after_the_configured_reconnects() -> None:
    link = FakeLink([(header(), [records(range(0, 100))])])
    dev = client(link, reconnect_attempts=3)
    dev.start(0)
    assert dev.read(0.05) is not None
    with pytest.raises(DeviceError, match="3 reconnects failed"):
        for _ in range(100):
            dev.read(0.05)


def test_a_peer_that_is_not_an_oct_unit_is_refused() -> None:
    link = FakeLink([(b"HTTP/1.1 400 Bad", [])])
    with pytest.raises(DeviceError, match="does not speak OCT stream v1"):
        client(link).start(0)
