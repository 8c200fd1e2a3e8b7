"""The spectrometer device kind: spectra (N, n_wavelengths) of counts over a fixed wavelength axis."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from weldctl.schema import StreamKind

from ._device import Device, TriggerMode, _settable, _unsupported
from ._errors import DeviceError


class Spectrometer(Device):
    """Process-emission spectra (plasma lines, thermal continuum).

    Interface (python-microscope style, each read back from the device): the wavelength axis, the
    integration time and the trigger mode. ``free_run``: the device integrates back to back and the
    stream rate is one over the integration time; ``external``: one spectrum per edge on its trigger
    input. The stream spec's ``spectrum`` carries the axis, the integration time and the dark and
    reference spectra; a sample's time is the middle of its integration.
    """

    kind = StreamKind.spectrometer

    def get_wavelengths(self) -> npt.NDArray[np.float64]:
        """Centre wavelength of each pixel, nm, ascending."""
        return np.asarray(self._do_get_wavelengths(), dtype=np.float64)

    def get_integration_time_us(self) -> float:
        return self._do_get_integration_time_us()

    def set_integration_time_us(self, integration_time_us: float) -> float:
        """Set the integration time; returns what the device took."""
        _settable(self, "integration time")
        if not integration_time_us > 0:
            raise DeviceError(f"{self.name}: integration time must be positive, not {integration_time_us}")
        return self._do_set_integration_time_us(integration_time_us)

    def get_trigger_mode(self) -> TriggerMode:
        return self._do_get_trigger_mode()

    def set_trigger_mode(self, mode: TriggerMode) -> TriggerMode:
        _settable(self, "trigger mode")
        return self._do_set_trigger_mode(TriggerMode(mode))

    # -- hooks: defaults read the stream spec and refuse to change anything ------------------------
    def _spectrum(self):  # type: ignore[no-untyped-def]
        spectrum = self.spec.spectrum
        if spectrum is None:  # the schema forbids it; a driver that forgot gets a clear error
            raise DeviceError(f"{self.name}: the stream spec has no spectrum")
        return spectrum

    def _do_get_wavelengths(self) -> npt.NDArray[np.float64]:
        return self._spectrum().wavelengths

    def _do_get_integration_time_us(self) -> float:
        return float(self._spectrum().integration_time_us)

    def _do_set_integration_time_us(self, integration_time_us: float) -> float:
        raise _unsupported(self, "integration time")

    def _do_get_trigger_mode(self) -> TriggerMode:
        return TriggerMode(self._spectrum().trigger_mode)

    def _do_set_trigger_mode(self, mode: TriggerMode) -> TriggerMode:
        raise _unsupported(self, "trigger mode")
