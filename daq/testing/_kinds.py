"""Per-kind additions to the device contract: what each kind's interface promises."""

from __future__ import annotations

import time

import numpy as np
import pytest

from weldctl.schema import StreamKind

from .._device import AudioDevice, Camera, DaqDevice, OctDevice, TriggerMode
from .._errors import DeviceError
from .._pipe import Pipe
from .._spectrometer import Spectrometer
from ._suite import DeviceSuite


class CameraSuite(DeviceSuite):
    """A camera: ROI and pixel format agree with the frames; settings are refused while running."""

    expected_kind: StreamKind | None = StreamKind.camera

    def test_roi_and_pixel_format_match_the_frames(self, device: Camera) -> None:
        spec = device.configure()
        roi = device.get_roi()
        assert (roi.height, roi.width) == tuple(spec.sample_shape)
        sensor_h, sensor_w = device.get_sensor_shape()
        assert roi.x + roi.width <= sensor_w and roi.y + roi.height <= sensor_h, (roi, (sensor_h, sensor_w))
        bits = {"Mono8": 1, "Mono10": 2, "Mono12": 2, "Mono16": 2}.get(device.get_pixel_format())
        assert bits == np.dtype(spec.dtype).itemsize, (device.get_pixel_format(), spec.dtype)
        assert device.get_trigger_mode() in set(TriggerMode)
        exposure = device.get_exposure_us()
        assert exposure is None or exposure > 0

    def test_settings_are_refused_while_running(self, device: Camera) -> None:
        device.start(time.monotonic_ns())
        roi, fmt = device.get_roi(), device.get_pixel_format()
        for change in (lambda: device.set_roi(roi), lambda: device.set_pixel_format(fmt),
                       lambda: device.set_exposure_us(100.0), lambda: device.set_trigger_mode(TriggerMode.free_run)):
            with pytest.raises(DeviceError):
                change()
        assert self.read_blocks(device, 1)


class IRCameraSuite(CameraSuite):
    """A thermal camera also says how its counts become °C."""

    expected_kind = StreamKind.ir

    def test_counts_have_a_temperature_calibration(self, device: Camera) -> None:
        spec = device.configure()
        assert spec.calibration["*"].units == "degC"


class DaqSuite(DeviceSuite):
    """A DAQ: named channels in stream order, sane ranges, the trigger in its spec."""

    expected_kind: StreamKind | None = StreamKind.daq

    def test_channels_ranges_and_trigger(self, device: DaqDevice) -> None:
        spec = device.configure()
        channels = device.get_channels()
        assert channels == list(spec.channels) and len(channels) == spec.sample_shape[0]
        for name, (lo, hi) in device.get_ranges().items():
            assert name in channels and lo < hi, (name, lo, hi)
        assert device.get_start_trigger() == spec.trigger

    def test_trigger_is_refused_while_running(self, device: DaqDevice) -> None:
        device.start(time.monotonic_ns())
        with pytest.raises(DeviceError):
            device.set_start_trigger(None)


class AudioSuite(DeviceSuite):
    """A sound input: its name, rate and block size agree with the stream."""

    expected_kind: StreamKind | None = StreamKind.audio

    def test_device_rate_and_block(self, device: AudioDevice) -> None:
        spec = device.configure()
        assert device.get_input_device()
        assert device.get_rate_hz() == spec.nominal_rate_hz
        device.start(time.monotonic_ns())
        assert all(len(b) <= device.get_block_samples() for b in self.read_blocks(device))


class OctSuite(DeviceSuite):
    """An OCT source: depth and quality, from a named source at a stated rate."""

    expected_kind: StreamKind | None = StreamKind.oct

    def test_depth_and_quality_channels(self, device: OctDevice) -> None:
        spec = device.configure()
        assert list(spec.channels) == list(OctDevice.CHANNELS) and tuple(spec.sample_shape) == (2,)
        assert device.get_source() and device.get_rate_hz() > 0


class SpectrometerSuite(DeviceSuite):
    """A spectrometer: the wavelength axis, integration time and trigger mode agree with the spectra and
    the stream spec; settings are refused while running; a spectrum the device loses is a gap.

    A subclass provides ``make_lossy_device()``: a new, unopened device that loses a spectrum within its
    first ``lossy_blocks`` blocks (the way that device loses one: a missed readout, a USB stall), and, where
    the device can lose more than the injected one (a real-time request/reply device on a busy host),
    ``spectra_lost(device)``: how many it really lost, as its peer saw it.

    Both ways of counting losses are held to what they can promise: a device that numbers its spectra
    (``counts_spectra()``) must count the loss exactly; one numbered from host timing may count over by up
    to ``timing_overcount``, never under. The stream spec says which way was used.
    """

    expected_kind: StreamKind | None = StreamKind.spectrometer
    lossy_blocks: int = 8
    # A device without a spectrum counter infers losses from host timing: on a busy host a late reply looks like
    # a lost spectrum, so it may count more than were lost (never fewer). Such a driver sets the most it may add.
    timing_overcount: int = 0

    def make_lossy_device(self) -> Spectrometer:  # pragma: no cover - subclasses provide it
        raise NotImplementedError("a SpectrometerSuite subclass must define make_lossy_device()")

    def test_wavelength_axis_matches_the_spectra(self, device: Spectrometer) -> None:
        spec = device.configure()
        assert spec.spectrum is not None, "a spectrometer stream carries its spectrum spec"
        wl = device.get_wavelengths()
        assert wl.shape == tuple(spec.sample_shape) == (spec.spectrum.n,)
        np.testing.assert_allclose(wl, spec.spectrum.wavelengths)
        assert np.all(np.diff(wl) > 0) and wl[0] > 0
        assert device.get_integration_time_us() == spec.spectrum.integration_time_us > 0
        mode = device.get_trigger_mode()
        assert mode in set(TriggerMode) and mode.value == spec.spectrum.trigger_mode
        if mode is TriggerMode.free_run:  # back-to-back integrations: the rate is one over the integration
            assert spec.nominal_rate_hz == pytest.approx(1e6 / spec.spectrum.integration_time_us, rel=0.01)
        device.start(time.monotonic_ns())
        for block in self.read_blocks(device):
            assert np.all(np.isfinite(block.data.astype(np.float64)))
            if spec.spectrum.saturation_counts is not None:
                assert block.data.max() <= spec.spectrum.saturation_counts

    def spectra_lost(self, device: Spectrometer) -> int:
        """Spectra the lossy device lost while it was read (default: the one injected)."""
        return 1

    def test_settings_are_refused_while_running(self, device: Spectrometer) -> None:
        device.start(time.monotonic_ns())
        t_int, mode = device.get_integration_time_us(), device.get_trigger_mode()
        for change in (lambda: device.set_integration_time_us(t_int), lambda: device.set_trigger_mode(mode)):
            with pytest.raises(DeviceError):
                change()
        assert self.read_blocks(device, 1)

    def test_a_lost_spectrum_is_a_gap(self) -> None:
        """Run the device's blocks through the recorder's own accounting: the spectra lost, exactly where the
        device counts its spectra, over by at most ``timing_overcount`` (never under) where timing numbers them."""
        device = self.make_lossy_device()
        try:
            spec = device.configure()
            pipe = Pipe(device, spec, queue_seconds=4.0)
            device.start(time.monotonic_ns())
            for block in self.read_blocks(device, self.lossy_blocks):
                pipe.account(block)
            pipe.record_reported()
            lost = self.spectra_lost(device)
            counted = device.counts_spectra()
        finally:
            device.close()
        assert spec.spectrum is not None
        assert spec.spectrum.loss_accounting == ("device_counter" if counted else "host_timing"), spec.spectrum
        assert lost >= 1, "the lossy device lost nothing"
        assert pipe.stats.gaps >= 1, (lost, pipe.gap_rows)
        if counted:  # the device's own counter: an exact count
            assert pipe.stats.lost == lost, (lost, pipe.gap_rows)
        else:
            assert lost <= pipe.stats.lost <= lost + self.timing_overcount, (lost, pipe.gap_rows)
