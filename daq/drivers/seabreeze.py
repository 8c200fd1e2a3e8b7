"""Ocean Insight (Ocean Optics) USB spectrometers through seabreeze's pure-Python backend over pyusb.

Acquisition is request and reply, one spectrum at a time, as the OOI command protocol works:

* ``free_run``: the detector integrates back to back; each request returns the integration in
  progress, sent when it ends. The stream rate is one over the integration time.
* ``external``: each request waits for an edge on the spectrometer's trigger input (hardware edge
  mode) and returns the integration that starts there. The trigger's period is stated in the rig file
  (``trigger_period_s``): it is the stream's nominal rate.

Loss accounting (the Spectrometer base's ``SpectrumNumbering``). The OOI-protocol models (USB2000+,
Flame-S, USB4000, ...) count no spectra, so sequence numbers come from host timing: consecutive
replies ``n`` periods apart are ``n`` spectra apart, and the ``n − 1`` between them were integrated
while nobody asked (a host too late to re-request, a missed USB readout); each such jump is reported
as a ``missed_readout`` gap, and the count may be over, never under. Newer OBP models (QE Pro, the
SR/HR/ST series) send a metadata block with each spectrum, but pyseabreeze (2.x) reads it and throws
it away (and its data-buffer features are unimplemented), so no model reaches this driver with a
spectrum counter: every stream says ``loss_accounting: host_timing``, and so does ``weldctl
devices``. A counter, where a backend gives one, goes to the base's counter path. Sample times are the
middle of each integration: the stated latency from there to the host receipt is half the integration
plus the readout (``readout_us``), unless the rig file states its own ``latency_us``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from weldctl.schema import ClockSource, DeviceBase, SpectrumSpec, StreamSpec

from .._device import TriggerMode
from .._driver import Driver, StackReport
from .._errors import DeviceError, MissingDriverError
from .._spectrometer import Spectrometer
from .._spectrum_numbering import Spectrum
from ._seabreeze_api import INSTALL_HINT, SeabreezeApi


class SeabreezeConfig(DeviceBase):
    driver: Literal["seabreeze"] = "seabreeze"
    kind: Literal["spectrometer"] = "spectrometer"
    serial: str | None = Field(default=None, description="the spectrometer's serial number; unset: the first found")
    integration_time_us: int = Field(default=10_000, ge=1, description="integration time of every spectrum")
    trigger_mode: Literal["free_run", "external"] = "free_run"
    trigger_period_s: float | None = Field(
        default=None, gt=0, description="external trigger: the period of its edges (the stream's nominal rate)"
    )
    dark_spectra: int = Field(
        default=0,
        ge=0,
        description="spectra averaged into the dark spectrum when the stream is configured "
        "(before the laser fires; 0: no dark)",
    )
    reference_counts: list[float] | None = Field(default=None, description="a reference spectrum, counts per pixel")
    irradiance_uj_per_count: list[float] | None = Field(
        default=None, description="absolute irradiance calibration (Ocean's µJ/count per pixel)"
    )
    collection_area_cm2: float | None = Field(default=None, gt=0)
    block_spectra: int = Field(default=0, ge=0, description="spectra per block; 0: rate / 50, at least 1")
    readout_us: float = Field(default=2_000.0, ge=0, description="end of integration to host receipt (USB 2.0)")
    pyusb_backend: str | None = Field(default=None, description="pyusb backend module; unset: libusb1 first")
    clock: ClockSource = ClockSource.host

    @model_validator(mode="after")
    def _timing(self) -> SeabreezeConfig:
        if self.trigger_mode == "external" and self.trigger_period_s is None:
            raise ValueError("trigger_mode external needs trigger_period_s (the period of the trigger's edges)")
        if self.trigger_period_s is not None and self.trigger_period_s * 1e6 < self.integration_time_us:
            raise ValueError(f"trigger_period_s {self.trigger_period_s} is shorter than the integration time")
        if self.latency_us is None:  # mid-integration to receipt; its bound: the readout's own spread
            self.latency_us = self.integration_time_us / 2 + self.readout_us
            self.latency_uncertainty_us = self.latency_uncertainty_us or self.readout_us
            self.latency_source = self.latency_source or "half the integration time plus the USB readout"
        return self

    @property
    def rate_hz(self) -> float:
        if self.trigger_mode == "external" and self.trigger_period_s:
            return 1.0 / self.trigger_period_s
        return 1e6 / self.integration_time_us


class SeabreezeSpectrometer(Spectrometer):
    config: SeabreezeConfig

    def __init__(self, config: SeabreezeConfig, api: Callable[[str | None], SeabreezeApi] = SeabreezeApi) -> None:
        super().__init__(config)
        self._make_api = api
        self._api: SeabreezeApi | None = None
        self._integration_us = config.integration_time_us
        self._mode = TriggerMode(config.trigger_mode)
        self._label = ""
        self._t0_host_ns = 0
        self.block_samples = config.block_spectra or max(1, round(config.rate_hz / 50))

    def _rate(self) -> float:
        if self._mode is TriggerMode.external and self.config.trigger_period_s:
            return 1.0 / self.config.trigger_period_s
        return 1e6 / self._integration_us

    # -- lifecycle -------------------------------------------------------------------------------
    def _do_open(self) -> None:
        api = self._make_api(self.config.pyusb_backend)
        found = api.open(self.config.serial)
        self._api, self._label = api, f"{found.model}:{found.serial}"

    def _do_configure(self) -> StreamSpec:
        api, c = self._need_api(), self.config
        lo, hi = api.integration_limits_us()
        if not lo <= self._integration_us < hi:
            raise DeviceError(
                f"{self.name}: integration time {self._integration_us} µs is outside the "
                f"{self._label}'s range [{lo}, {hi}) µs",
                "change integration_time_us in the rig file",
            )
        api.set_integration_time_us(self._integration_us)
        api.set_trigger_mode("free_run")
        wl = api.wavelengths()
        dark = self._take_dark(api, c.dark_spectra) if c.dark_spectra else None
        api.set_trigger_mode(self._mode.value)
        spectrum = SpectrumSpec(
            wavelengths_nm=wl.tolist(),
            integration_time_us=float(self._integration_us),
            trigger_mode=self._mode.value,
            dark_counts=dark,
            reference_counts=c.reference_counts,
            irradiance_uj_per_count=c.irradiance_uj_per_count,
            collection_area_cm2=c.collection_area_cm2,
            saturation_counts=api.max_intensity(),
        )
        return StreamSpec(
            name=c.name,
            kind=self.kind,
            device=f"seabreeze:{self._label}",
            driver="seabreeze",
            dtype="float32",
            sample_shape=(len(wl),),
            units="counts",
            nominal_rate_hz=self._rate(),
            clock=c.clock,
            spectrum=spectrum,
        )

    @staticmethod
    def _take_dark(api: SeabreezeApi, n: int) -> list[float]:
        spectra = [s for s in (api.intensities() for _ in range(n)) if s is not None]
        if not spectra:
            raise DeviceError("no spectrum came for the dark", "check the spectrometer answers in free_run")
        return np.mean(spectra, axis=0).tolist()

    def _do_start(self, t0_host_ns: int) -> None:
        self._t0_host_ns = t0_host_ns

    def _do_close(self) -> None:
        api, self._api = self._api, None
        if api is not None:
            api.close()

    def _need_api(self) -> SeabreezeApi:
        if self._api is None:
            raise DeviceError(f"{self.name}: the spectrometer is not open")
        return self._api

    # -- settings --------------------------------------------------------------------------------
    def _do_set_integration_time_us(self, integration_time_us: float) -> float:
        self._integration_us = round(integration_time_us)
        return float(self._integration_us)

    def _do_set_trigger_mode(self, mode: TriggerMode) -> TriggerMode:
        if mode is TriggerMode.software:
            raise DeviceError(f"{self.name}: software trigger is not supported; use free_run or external")
        if mode is TriggerMode.external and not self.config.trigger_period_s:
            raise DeviceError(f"{self.name}: external trigger needs trigger_period_s in the rig file")
        self._mode = mode
        return mode

    # -- reading ---------------------------------------------------------------------------------
    def _do_read_spectrum(self, timeout_s: float) -> Spectrum | None:
        counts = self._need_api().intensities()
        if counts is None:  # no trigger edge within the device's timeout
            return None
        return Spectrum(counts.astype(np.float32), time.monotonic_ns() - self._t0_host_ns, self._need_api().counter())

    def _do_counts_spectra(self) -> bool:
        return self._api is not None and self._api.counts_spectra


def probe_seabreeze(configured: Sequence[Any] | None = None) -> StackReport:
    """The Ocean Insight spectrometers pyseabreeze sees on USB (through the rig's pyusb backend, if set)."""
    backends = sorted({getattr(d, "pyusb_backend", None) or "" for d in configured or []}) or [""]
    devices: list[dict[str, str]] = []
    for backend in backends:
        api = SeabreezeApi(backend or None)
        try:
            found = api.list()
        except MissingDriverError as exc:
            return StackReport("seabreeze", problem=str(exc), install=INSTALL_HINT)
        except (DeviceError, OSError, ValueError) as exc:
            return StackReport("seabreeze", problem=f"cannot list USB spectrometers ({exc})", install=INSTALL_HINT)
        devices += [
            {
                "model": f.model,
                "serial": f.serial,
                "via": backend or "libusb",
                "losses": "device_counter" if f.counts_spectra else "host_timing",
            }
            for f in found
        ]
    return StackReport("seabreeze", devices)


DRIVER = Driver(
    name="seabreeze",
    configs={"spectrometer": SeabreezeConfig},
    devices={"spectrometer": SeabreezeSpectrometer},
    summary="Ocean Insight USB spectrometers through seabreeze (pyseabreeze over pyusb)",
    probe=probe_seabreeze,
)
