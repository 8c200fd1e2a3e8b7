"""The contract every Device class keeps, written once and applied to each driver (pytest).

Use it the way python-microscope's device test suites are used: subclass the mixin in a test
module and provide ``make_device()``, returning a new, *unopened* device::

    class TestSimCamera(DeviceSuite):
        expected_kind = StreamKind.camera

        def make_device(self) -> Device:
            return SimCamera(SimCameraConfig(name="camera"), WeldProcess(SimProcess()))

A driver that needs a peer (a fake camera, a stand-in server) gets it from a fixture in the
subclass, e.g. an autouse fixture that stores it on ``self`` before ``make_device`` is called.
Optional class attributes: ``expected_kind`` (a StreamKind), ``blocks_to_read`` and
``read_deadline_s`` (how long a test may wait for that many blocks).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
import pytest

from weldctl.schema import StreamKind

from .._block import Block
from .._device import Device, DeviceState
from .._errors import DeviceError


class DeviceSuite:
    expected_kind: StreamKind | None = None
    blocks_to_read: int = 3
    read_deadline_s: float = 10.0

    def make_device(self) -> Device:  # pragma: no cover - subclasses provide it
        raise NotImplementedError("a DeviceSuite subclass must define make_device()")

    # -- helpers -------------------------------------------------------------------------------
    @pytest.fixture
    def device(self) -> Iterator[Device]:
        dev = self.make_device()
        try:
            yield dev
        finally:
            dev.close()

    def read_blocks(self, dev: Device, n: int | None = None) -> list[Block]:
        """``n`` blocks from a started device, failing if they do not come within the deadline."""
        n = n or self.blocks_to_read
        blocks: list[Block] = []
        deadline = time.monotonic() + self.read_deadline_s
        while len(blocks) < n:
            assert time.monotonic() < deadline, f"{dev.name}: only {len(blocks)}/{n} blocks in {self.read_deadline_s} s"
            block = dev.read(0.5)
            if block is not None:
                blocks.append(block)
            elif dev.done:
                break
        assert blocks, f"{dev.name}: no block at all"
        return blocks

    # -- the contract ----------------------------------------------------------------------------
    def test_make_device_is_unopened(self, device: Device) -> None:
        assert device.state is DeviceState.closed
        with pytest.raises(DeviceError):
            _ = device.spec

    def test_full_lifecycle(self, device: Device) -> None:
        device.open()
        assert device.state is DeviceState.open
        spec = device.configure()
        assert device.state is DeviceState.configured
        assert spec is device.spec
        device.start(time.monotonic_ns())
        assert device.state is DeviceState.running
        assert self.read_blocks(device)
        device.stop()
        assert device.state is DeviceState.configured
        device.close()
        assert device.state is DeviceState.closed

    def test_close_is_idempotent(self, device: Device) -> None:
        device.configure()
        device.start(time.monotonic_ns())
        self.read_blocks(device, 1)
        device.close()
        device.close()
        assert device.state is DeviceState.closed

    def test_close_without_start(self, device: Device) -> None:
        device.close()  # never opened
        device.open()
        device.close()
        device.configure()
        device.close()
        assert device.state is DeviceState.closed

    def test_read_before_start_raises(self, device: Device) -> None:
        with pytest.raises(DeviceError):
            device.read(0.01)
        device.configure()
        with pytest.raises(DeviceError):
            device.read(0.01)

    def test_read_after_stop_raises(self, device: Device) -> None:
        device.start(time.monotonic_ns())
        self.read_blocks(device, 1)
        device.stop()
        with pytest.raises(DeviceError):
            device.read(0.01)

    def test_spec_matches_data(self, device: Device) -> None:
        spec = device.configure()
        assert spec.name == device.name
        assert spec.kind == device.kind
        if self.expected_kind is not None:
            assert spec.kind == self.expected_kind
        device.start(time.monotonic_ns())
        for block in self.read_blocks(device):
            assert block.data.dtype == np.dtype(spec.dtype), (block.data.dtype, spec.dtype)
            assert block.data.shape[1:] == tuple(spec.sample_shape), (block.data.shape, spec.sample_shape)
            assert len(block) > 0

    def test_sequence_numbers_increase(self, device: Device) -> None:
        device.start(time.monotonic_ns())
        seq = np.concatenate([b.seq for b in self.read_blocks(device)])
        assert np.issubdtype(seq.dtype, np.integer), seq.dtype
        assert np.all(np.diff(seq) > 0), "sequence numbers must strictly increase (gaps allowed)"

    def test_timestamps_monotonic(self, device: Device) -> None:
        device.start(time.monotonic_ns())
        blocks = self.read_blocks(device)
        host = np.array([b.t_host_ns for b in blocks], dtype=np.int64)
        assert np.all(np.diff(host) >= 0), "host receive times must not go back"
        with_dev = [b.t_dev_ns for b in blocks if b.t_dev_ns is not None]
        assert len(with_dev) in (0, len(blocks)), "a device gives timestamps on every block or on none"
        if with_dev:
            dev_ns = np.concatenate(with_dev).astype(np.int64)
            assert np.all(np.diff(dev_ns) > 0), "device timestamps must strictly increase"

    def test_restart_after_stop(self, device: Device) -> None:
        device.start(time.monotonic_ns())
        self.read_blocks(device, 1)
        device.stop()
        device.start(time.monotonic_ns())
        assert self.read_blocks(device, 1)
        device.close()
