"""The NI-DAQ driver's own logic (blocks, sequence, device times, overflow restarts) on a fake nidaqmx.

The fake replaces the ``NidaqmxApi`` adapter only; tests/daq/test_nidaq.py runs the same driver through
the real nidaqmx package against a gRPC device-server stand-in.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from weldctl.daq import Device, DeviceError
from weldctl.daq.drivers.nidaq import DaqmxError, NidaqConfig, NidaqDaq
from weldctl.daq.testing import DaqSuite

RATE = 10_000.0


class FakeNidaqmx:
    """A device whose sample n on channel c is ``c * 1000 + n``, always ``available`` samples ahead.

    ``overflow_at_read`` makes that read fail as DAQmx does when the host fell behind, after the
    device acquired ``lost`` samples nobody read; ``acquired_fails`` refuses to say how many.
    """

    def __init__(self, config: NidaqConfig) -> None:
        self.channels = len(config.channels)
        self.next = 0  # device sample counter (acquired, read or not)
        self.read_in_task = 0
        self.reads = 0
        self.starts = 0
        self.overflow_at_read: int | None = None
        self.lost = 0
        self.acquired_fails = False
        self.fail_restart = False

    def create_task(self, buffer_samples: int) -> None:
        self.buffer_samples = buffer_samples

    def start(self) -> None:
        if self.fail_restart and self.starts:
            raise DaqmxError("device gone", -50405)
        self.starts += 1
        self.read_in_task = 0

    def stop(self) -> None:
        pass

    def available(self) -> int:
        return 10**9

    def acquired(self) -> int:
        if self.acquired_fails:
            raise DaqmxError("property not supported", -200452)
        return self.read_in_task + self.lost

    def read_into(self, buf: np.ndarray, n: int, timeout_s: float) -> int:
        self.reads += 1
        if self.reads == self.overflow_at_read:
            self.next += self.lost
            raise DaqmxError("samples no longer available", -200279)
        buf[:, :n] = np.arange(self.next, self.next + n)[None, :] + 1000.0 * np.arange(self.channels)[:, None]
        self.next += n
        self.read_in_task += n
        return n

    def close(self) -> None:
        pass


def config(**overrides: Any) -> NidaqConfig:
    return NidaqConfig.model_validate({
        "name": "daq", "rate_hz": RATE, "read_interval_s": 0.01, "start_trigger": "/Dev1/PFI0",
        "channels": [{"name": "photodiode", "physical": "Dev1/ai0", "min_val": 0, "max_val": 5},
                     {"name": "laser_on", "physical": "Dev1/ai1"}], **overrides})


class TestNidaqOnFakeDriver(DaqSuite):
    def make_device(self) -> Device:
        return NidaqDaq(config(), api=FakeNidaqmx)


def _read(dev: NidaqDaq, n: int) -> list[Any]:
    blocks = []
    while len(blocks) < n:
        if (b := dev.read(0.1)) is not None:
            blocks.append(b)
    return blocks


def test_overflow_becomes_one_gap_of_the_samples_never_read_and_the_task_restarts() -> None:
    dev = NidaqDaq(config(), api=FakeNidaqmx)
    dev.open()
    fake = dev.api
    assert isinstance(fake, FakeNidaqmx)
    fake.overflow_at_read, fake.lost = 3, 2345
    dev.start(0)
    blocks = _read(dev, 4)
    dev.close()
    seq = np.concatenate([b.seq for b in blocks])
    data = np.concatenate([b.data for b in blocks])
    (gap,) = [g for b in blocks for g in b.gaps]
    assert (gap.seq_start, gap.count, gap.kind) == (200, 2345, "device_overflow")
    assert "-200279" in gap.note and fake.starts == 2 and dev.overflows == 1
    # Sequence numbers are device sample counts: the data says which sample each row is.
    np.testing.assert_array_equal(data[:, 0], seq.astype(np.float32))
    np.testing.assert_array_equal(data[:, 1], (seq + 1000).astype(np.float32))
    # Device times: exact sample periods within a task run; across the restart, at least the lost samples.
    t = np.concatenate([b.t_dev_ns for b in blocks])
    steps = np.diff(t)
    assert set(steps[seq[1:] - seq[:-1] == 1].tolist()) <= {100_000}
    jump = int(steps[np.flatnonzero(np.diff(seq) > 1)[0]])
    assert jump >= (2345 + 1) * 100_000


def test_overflow_count_falls_back_to_the_host_clock_when_the_device_will_not_say() -> None:
    dev = NidaqDaq(config(), api=FakeNidaqmx)
    dev.open()
    fake = dev.api
    assert isinstance(fake, FakeNidaqmx)
    fake.overflow_at_read, fake.lost, fake.acquired_fails = 2, 500, True
    dev.start(0)
    blocks = _read(dev, 3)
    (gap,) = [g for b in blocks for g in b.gaps]
    assert gap.kind == "device_overflow" and gap.seq_start == 100 and gap.count >= 0


def test_a_task_that_does_not_restart_is_a_device_error() -> None:
    dev = NidaqDaq(config(), api=FakeNidaqmx)
    dev.open()
    fake = dev.api
    assert isinstance(fake, FakeNidaqmx)
    fake.overflow_at_read, fake.lost, fake.fail_restart = 1, 10, True
    dev.start(0)
    with pytest.raises(DeviceError, match="did not restart"):
        dev.read(0.1)


def test_ranges_are_the_configured_input_ranges() -> None:
    dev = NidaqDaq(config(), api=FakeNidaqmx)
    assert dev.get_ranges() == {"photodiode": (0.0, 5.0), "laser_on": (-10.0, 10.0)}


def test_a_machine_without_the_ni_daqmx_library_is_told_to_install_it_not_to_check_the_device() -> None:
    """The real nidaqmx package with no NI-DAQmx driver here (as on this CI machine): DaqNotFoundError."""
    from tests.conftest import need_module

    need_module("nidaqmx", "nidaqmx: pip install -e '.[hardware]'")
    import nidaqmx.system

    try:
        nidaqmx.system.System.local().driver_version  # noqa: B018  (the call that finds the library)
    except nidaqmx.errors.DaqNotFoundError:
        pass
    else:
        pytest.skip("an NI-DAQmx driver is installed on this machine")
    dev = NidaqDaq(config())
    dev.open()
    with pytest.raises(DeviceError) as err:
        dev.configure()
    text = f"{err.value.message} {err.value.hint}"
    assert "driver is not installed" in text and "installdriver" in text
    assert "NI MAX" not in text and "channel names" not in text  # nothing about the device or its channels
