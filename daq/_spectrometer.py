"""The spectrometer device kind: spectra (N, n_wavelengths) of counts over a fixed wavelength axis."""

from __future__ import annotations

import time

import numpy as np
import numpy.typing as npt

from weldctl.schema import StreamKind, StreamSpec

from ._block import Block, Gap
from ._device import Device, DeviceState, TriggerMode, _settable, _unsupported
from ._errors import DeviceError
from ._spectrum_numbering import LossAccounting, Spectrum, SpectrumNumbering


class Spectrometer(Device):
    """Process-emission spectra (plasma lines, thermal continuum).

    Interface (python-microscope style, each read back from the device): the wavelength axis, the
    integration time and the trigger mode. ``free_run``: the device integrates back to back and the
    stream rate is one over the integration time; ``external``: one spectrum per edge on its trigger
    input. The stream spec's ``spectrum`` carries the axis, the integration time and the dark and
    reference spectra; a sample's time is the middle of its integration.

    Numbering and losses are the base's (``SpectrumNumbering``): a driver hands each spectrum with the
    device's own spectrum counter where the model keeps one (``_do_read_spectrum``; ``_do_counts_spectra``
    says whether it does), and the sequence number is then that counter, its jumps an exact count of the
    spectra lost; without one, spectra are numbered from host timing, which may count over, never under.
    The stream spec says which (``spectrum.loss_accounting``).
    """

    kind = StreamKind.spectrometer
    block_samples: int = 1
    _numbering: SpectrumNumbering | None = None

    def counts_spectra(self) -> bool:
        """Whether the device numbers its spectra (losses exact) or they are numbered from host timing."""
        return self._do_counts_spectra()

    @property
    def loss_accounting(self) -> LossAccounting:
        return "device_counter" if self.counts_spectra() else "host_timing"

    def configure(self) -> StreamSpec:
        spec = super().configure()
        if spec.spectrum is not None and spec.spectrum.loss_accounting != self.loss_accounting:
            spectrum = spec.spectrum.model_copy(update={"loss_accounting": self.loss_accounting})
            self._spec = spec = spec.model_copy(update={"spectrum": spectrum})
        return spec

    def start(self, t0_host_ns: int) -> None:
        if self.state is not DeviceState.running:
            self._numbering = None  # a new acquisition: a new grid, a new counter origin
        super().start(t0_host_ns)

    def _number(self, recv_ns: int, counter: int | None) -> tuple[int, Gap | None]:
        """Sequence number of one spectrum and the spectra lost just before it."""
        if self._numbering is None:
            self._numbering = SpectrumNumbering(1e9 / self.spec.nominal_rate_hz)
        return self._numbering.number(recv_ns, counter)

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

    def _do_read(self, timeout_s: float) -> Block | None:
        """Up to ``block_samples`` spectra, each numbered as it came, within ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        spectra: list[np.ndarray] = []
        seqs: list[int] = []
        gaps: list[Gap] = []
        last_ns = 0
        while len(spectra) < self.block_samples and time.monotonic() < deadline:
            got = self._do_read_spectrum(max(0.0, deadline - time.monotonic()))
            if got is None:  # nothing within the device's timeout (no trigger edge)
                if self.done:
                    break
                continue
            seq, gap = self._number(got.recv_ns, got.counter)
            if gap is not None:
                gaps.append(gap)
            spectra.append(np.asarray(got.counts, dtype=np.float32))
            seqs.append(seq)
            last_ns = max(last_ns, got.recv_ns)
        if not spectra:
            return None
        return Block(data=np.stack(spectra), seq=np.asarray(seqs, dtype=np.int64), t_host_ns=last_ns, gaps=gaps)

    # -- hooks: defaults read the stream spec and refuse to change anything ------------------------
    def _do_read_spectrum(self, timeout_s: float) -> Spectrum | None:
        """One spectrum (with the device's spectrum counter, where it has one), or None within ``timeout_s``.
        A driver that reads whole blocks overrides ``_do_read`` instead and numbers with ``_number``."""
        raise NotImplementedError(f"{type(self).__name__} implements neither _do_read_spectrum nor _do_read")

    def _do_counts_spectra(self) -> bool:
        return False

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
