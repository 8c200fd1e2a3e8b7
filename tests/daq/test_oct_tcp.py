"""The OCT TCP stream client against the loopback OCT simulator."""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
import pytest

from tests.peers.oct_server import T0_NS, OctServer, depth_um, oct_server, quality
from weldctl.daq import Device, DeviceError, record
from weldctl.daq.drivers.oct_tcp import OctTcp, OctTcpConfig
from weldctl.daq.testing import OctSuite
from weldctl.schema import Rig, RunReader

pytestmark = pytest.mark.integration

RATE = 5000.0


def oct_config(port: int, **overrides: object) -> OctTcpConfig:
    return OctTcpConfig.model_validate({"name": "oct", "port": port, "rate_hz": RATE, "backoff_s": 0.02,
                                        "backoff_max_s": 0.2, **overrides})


@pytest.fixture(scope="module")
def suite_server() -> Iterator[OctServer]:
    with oct_server(rate_hz=RATE) as server:
        yield server


class TestOctTcpDevice(OctSuite):
    @pytest.fixture(autouse=True)
    def _server(self, suite_server: OctServer) -> None:
        self.server = suite_server

    def make_device(self) -> Device:
        return OctTcp(oct_config(self.server.port))


def _read_all(dev: OctTcp, seconds: float) -> list:  # type: ignore[type-arg]
    blocks, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (b := dev.read(0.1)) is not None:
            blocks.append(b)
    return blocks


def test_recorded_depths_equal_sent_and_a_drop_is_a_gap(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with oct_server(rate_hz=RATE) as server:
        server.drop_after(2500)
        rig = Rig(name="oct", devices=[oct_config(server.port)])
        result = record(rig, "ROCT1", str(tmp_path), duration_s=1.5)
    assert result.ok, result.error
    reader = RunReader(result.uri)
    data, seq = reader.data("oct")[:], reader.seq("oct")
    np.testing.assert_array_equal(data[:, 0], depth_um(seq))
    np.testing.assert_array_equal(data[:, 1], quality(seq))
    # Nothing sent went missing except past the end of the recording, nothing unsent appeared.
    sent = np.array(server.sent)
    assert set(seq.tolist()) == set(sent[sent <= seq[-1]].tolist())
    (first_lost, lost) = server.lost[0]
    gaps = reader.gaps("oct")
    assert gaps["count"].tolist() == [lost] and gaps["value"].tolist() == [float(first_lost)]
    assert str(gaps["note"][0]).startswith("disconnect")
    assert server.connections == 2 and seq[-1] > first_lost + lost  # reconnected and went on
    print(f"oct: {len(seq)} records compared exactly, disconnect gap {lost} records at seq {first_lost}")


def test_ascans_are_skipped_not_misparsed() -> None:
    with oct_server(rate_hz=RATE, ascan=8) as server:
        dev = OctTcp(oct_config(server.port))
        dev.start(time.monotonic_ns())
        try:
            blocks = _read_all(dev, 0.3)
        finally:
            dev.close()
    seq = np.concatenate([b.seq for b in blocks])
    data = np.concatenate([b.data for b in blocks])
    assert len(seq) > 500 and np.all(np.diff(seq) == 1)
    np.testing.assert_array_equal(data[:, 0], depth_um(seq))
    # The device's own timestamps are handed on untouched (the recorder fits them to the host clock).
    t_dev = np.concatenate([b.t_dev_ns for b in blocks])
    np.testing.assert_array_equal(t_dev, T0_NS + np.round(seq * 1e9 / RATE).astype(np.int64))


def test_gives_up_after_the_configured_reconnects() -> None:
    with oct_server(rate_hz=RATE) as server:
        server.drop_after(200)
        dev = OctTcp(oct_config(server.port, reconnect_attempts=3))
        dev.start(time.monotonic_ns())
        server.refuse_connections()
        t0 = time.monotonic()
        with pytest.raises(DeviceError, match="3 reconnects failed"):
            while time.monotonic() - t0 < 10:
                dev.read(0.1)
        dev.close()
    assert time.monotonic() - t0 < 5


def test_wrong_protocol_is_a_clear_error() -> None:
    with oct_server(rate_hz=RATE, magic=b"HTTP") as server:
        dev = OctTcp(oct_config(server.port))
        with pytest.raises(DeviceError, match="does not speak OCT stream"):
            dev.start(time.monotonic_ns())
        dev.close()
