"""The NI-DAQ driver through the real nidaqmx package, over gRPC to the stand-in device server."""

from __future__ import annotations

import importlib.util
import sys
import time
from collections.abc import Iterator

import numpy as np
import pytest

from tests.conftest import need
from weldctl.daq import Device, DeviceError, record
from weldctl.daq.drivers.nidaq import NidaqConfig
from weldctl.daq.testing import DaqSuite
from weldctl.schema import Rig, RunReader

pytestmark = pytest.mark.integration

RATE = 10_000.0


def _have_nidaqmx_grpc() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("nidaqmx", "grpc", "google.protobuf"))


@pytest.fixture(scope="module")
def daq_server() -> Iterator[object]:
    need(_have_nidaqmx_grpc(), "nidaqmx with gRPC support is needed: pip install -e '.[hardware]'")
    from tests.peers.nidaqmx_server import fake_daq_server

    with fake_daq_server() as server:
        yield server


def daq_config(address: str, **overrides: object) -> NidaqConfig:
    return NidaqConfig.model_validate({
        "name": "daq", "rate_hz": RATE, "read_interval_s": 0.05, "start_trigger": "/Dev1/PFI0",
        "grpc": {"address": address},
        "channels": [
            {"name": "photodiode", "physical": "Dev1/ai0", "min_val": 0, "max_val": 10},
            {"name": "acoustic", "physical": "Dev1/ai1", "iepe_current_a": 0.004},
            {"name": "laser_on", "physical": "Dev1/ai2"},
        ],
        **overrides,
    })


class TestNidaqDevice(DaqSuite):
    @pytest.fixture(autouse=True)
    def _server(self, daq_server) -> None:  # type: ignore[no-untyped-def]
        self.server = daq_server

    def make_device(self) -> Device:
        from weldctl.daq.drivers.nidaq import NidaqDaq

        return NidaqDaq(daq_config(self.server.address))


def test_task_is_set_up_through_nidaqmx(daq_server) -> None:  # type: ignore[no-untyped-def]
    """What the real nidaqmx package sent: channels, IEPE excitation + AC coupling, clock, trigger."""
    from nidaqmx.constants import AcquisitionType, Coupling, Edge, ExcitationSource

    from weldctl.daq.drivers.nidaq import NidaqDaq

    srv = daq_server.servicer
    srv.calls.clear()
    dev = NidaqDaq(daq_config(daq_server.address))
    try:
        spec = dev.configure()
    finally:
        dev.close()
    assert spec.channels == ["photodiode", "acoustic", "laser_on"]
    assert spec.trigger == "/Dev1/PFI0" and spec.nominal_rate_hz == RATE
    calls = srv.calls
    chans = [f["physical"] for name, f in calls if name == "CreateAIVoltageChan"]
    assert chans == ["Dev1/ai0", "Dev1/ai1", "Dev1/ai2"]
    ints = {(f["channel"], f["value"]) for name, f in calls if name == "SetChanAttributeInt32"}
    assert ("acoustic", ExcitationSource.INTERNAL.value) in ints
    assert ("acoustic", Coupling.AC.value) in ints
    assert [f["value"] for name, f in calls if name == "SetChanAttributeDouble"] == [0.004]
    (timing,) = [f for name, f in calls if name == "CfgSampClkTiming"]
    assert timing["rate"] == RATE and timing["mode"] == AcquisitionType.CONTINUOUS.value
    (trig,) = [f for name, f in calls if name == "CfgDigEdgeStartTrig"]
    assert trig == {"source": "/Dev1/PFI0", "edge": Edge.RISING.value}
    assert calls[-1][0] == "ClearTask"


def test_recording_is_sample_exact_and_overflow_is_a_gap(daq_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.peers.nidaqmx_server import expected_block

    srv = daq_server.servicer
    srv.reads, srv.served, srv.overflows = 0, [], []
    srv.inject_overflow(at_read=6, samples=1234)
    rig = Rig(name="nidaq", devices=[daq_config(daq_server.address)])
    result = record(rig, "RDAQ1", str(tmp_path), duration_s=1.5)
    assert result.ok, result.error
    reader = RunReader(result.uri)
    data, seq = reader.data("daq")[:], reader.seq("daq")
    assert len(data) > 0.9 * RATE
    # Every recorded sample is the one the device served at that sequence number.
    np.testing.assert_array_equal(data, expected_block(3, 0, int(seq[-1]) + 1)[seq])
    served = np.concatenate([np.arange(first, first + n) for first, n in srv.served])
    assert set(seq.tolist()) <= set(served.tolist())
    # The injected overflow is one recorded gap of exactly the lost samples, at the right place.
    (lost_at, lost) = srv.overflows[0]
    gaps = reader.gaps("daq")
    assert gaps["count"].tolist() == [lost] and gaps["value"].tolist() == [float(lost_at)]
    assert "device_overflow" in str(gaps["note"][0])
    assert not np.isin(np.arange(lost_at, lost_at + lost), seq).any()
    assert np.all(np.diff(seq)[seq[:-1] != lost_at - 1] == 1)  # no other hole
    # The task was restarted and the recording went on after it.
    names = srv.names()
    assert names.count("StartTask") >= 2 and int(seq[-1]) > lost_at + lost
    # On the run time base the gap spans the lost samples plus the restart dead time (host-measured).
    t = reader.t_ns("daq")
    i = int(np.flatnonzero(seq == lost_at - 1)[0])
    step_s = (t[i + 1] - t[i]) / 1e9
    assert (lost + 1) / RATE * 0.99 <= step_s < (lost + 1) / RATE + 0.2
    print(f"nidaq: {len(seq)} samples x 3 channels compared sample-exact, gap {lost} samples "
          f"at seq {lost_at}, time step across it {step_s * 1e3:.1f} ms")


def test_overflow_count_falls_back_to_the_host_clock(daq_server) -> None:  # type: ignore[no-untyped-def]
    """A device that will not say how much it acquired: the gap is sized from the host clock."""
    from weldctl.daq.drivers.nidaq import NidaqDaq

    srv = daq_server.servicer
    srv.reads, srv.overflows, srv.refuse_total_acquired = 0, [], True
    srv.inject_overflow(at_read=3, samples=3000)
    dev = NidaqDaq(daq_config(daq_server.address))
    try:
        dev.start(time.monotonic_ns())
        blocks = []
        while len(blocks) < 4:
            if (b := dev.read(0.5)) is not None:
                blocks.append(b)
    finally:
        dev.close()
        srv.refuse_total_acquired = False
    (gap,) = [g for b in blocks for g in b.gaps]
    (lost_at, lost) = srv.overflows[0]
    print(f"nidaq host-clock estimate: {gap.count} samples for {lost} lost")
    assert gap.seq_start == lost_at and gap.kind == "device_overflow"
    assert abs(gap.count - lost) <= 0.05 * RATE  # within 50 ms of acquisition (host scheduling)


def test_analog_oct_depth_is_a_calibrated_channel(daq_server) -> None:  # type: ignore[no-untyped-def]
    from weldctl.daq.drivers.nidaq import NidaqDaq
    from weldctl.schema import Calibration

    cfg = daq_config(daq_server.address, channels=[
        {"name": "photodiode", "physical": "Dev1/ai0"},
        {"name": "oct_depth", "physical": "Dev1/ai3", "min_val": 0, "max_val": 10,
         "calibration": {"scale": 500.0, "units": "um"}}])
    dev = NidaqDaq(cfg)
    try:
        spec = dev.configure()
    finally:
        dev.close()
    assert spec.units == "V"
    assert spec.calibration == {"oct_depth": Calibration(scale=500.0, units="um")}
    assert spec.calibration["oct_depth"].apply(np.array([2.0]))[0] == 1000.0


def test_missing_nidaqmx_names_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from weldctl.daq import MissingDriverError
    from weldctl.daq.drivers.nidaq import NidaqDaq

    monkeypatch.setitem(sys.modules, "nidaqmx", None)  # as if it were not installed
    with pytest.raises(MissingDriverError, match="nidaqmx") as exc:
        NidaqDaq(daq_config("127.0.0.1:1")).open()
    assert "pip install" in (exc.value.hint or "")


def test_unreachable_server_is_a_device_error() -> None:
    need(_have_nidaqmx_grpc(), "nidaqmx with gRPC support is needed: pip install -e '.[hardware]'")
    from tests.peers._process import free_port
    from weldctl.daq.drivers.nidaq import NidaqDaq

    dev = NidaqDaq(daq_config(f"127.0.0.1:{free_port()}"))
    t0 = time.monotonic()
    with pytest.raises(DeviceError, match="DAQmx could not set up the task"):
        dev.configure()
    dev.close()
    assert time.monotonic() - t0 < 10
