"""What a spectrometer stream's spectra mean: the wavelength axis, integration and reference spectra.

A spectrometer stream stores raw counts, (N, n_wavelengths), one spectrum per sample. Its stream spec
carries this model, so a reader can subtract the dark, divide by the reference or turn counts into
spectral irradiance without the device. Each sample's time is the middle of its integration.
"""

from __future__ import annotations

from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, model_validator

# The only time convention a spectrum has: the instant it stands for is the middle of its integration
# (a driver states the latency from there to the host receipt: half the integration plus the readout).
MID_INTEGRATION: Final = "mid_integration"


class SpectrumSpec(BaseModel):
    """The wavelength axis and the spectra a reader needs to interpret the counts."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    wavelengths_nm: list[float] = Field(min_length=2, description="centre wavelength of each pixel, ascending")
    integration_time_us: float = Field(gt=0, description="integration time of every spectrum")
    trigger_mode: Literal["free_run", "external", "software"] = "free_run"
    sample_time: Literal["mid_integration"] = MID_INTEGRATION
    dark_counts: list[float] | None = Field(
        default=None, description="dark spectrum (no light, same integration time), counts per pixel"
    )
    reference_counts: list[float] | None = Field(
        default=None, description="reference spectrum (a known lamp or white reference), counts per pixel"
    )
    irradiance_uj_per_count: list[float] | None = Field(
        default=None, description="absolute irradiance calibration, µJ per count per pixel (Ocean's format)"
    )
    collection_area_cm2: float | None = Field(default=None, gt=0, description="area of the collecting optic")
    saturation_counts: float | None = Field(default=None, gt=0, description="counts at which a pixel saturates")
    loss_accounting: Literal["device_counter", "host_timing"] | None = Field(
        default=None,
        description="how lost spectra were counted: device_counter (the device numbers its spectra: exact) or "
        "host_timing (numbered from host receipts: a late reply may count as a loss, so over, never under)",
    )

    @model_validator(mode="after")
    def _axis_and_spectra_agree(self) -> SpectrumSpec:
        wl = np.asarray(self.wavelengths_nm)
        if not np.all(np.diff(wl) > 0):
            raise ValueError("wavelengths_nm must be strictly ascending")
        for name in ("dark_counts", "reference_counts", "irradiance_uj_per_count"):
            values = getattr(self, name)
            if values is not None and len(values) != len(wl):
                raise ValueError(f"{name} has {len(values)} values for {len(wl)} wavelengths")
        if self.irradiance_uj_per_count is not None and self.collection_area_cm2 is None:
            raise ValueError("an irradiance calibration needs collection_area_cm2")
        return self

    @property
    def n(self) -> int:
        return len(self.wavelengths_nm)

    @property
    def wavelengths(self) -> npt.NDArray[np.float64]:
        return np.asarray(self.wavelengths_nm, dtype=np.float64)

    def dark_subtracted(self, counts: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
        """Counts less the dark spectrum (as stored when there is no dark)."""
        out = np.asarray(counts, dtype=np.float64)
        return out - np.asarray(self.dark_counts) if self.dark_counts is not None else out

    def total_emission(self, counts: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
        """Dark-subtracted counts summed over wavelength, one value per spectrum: the emission over time."""
        rows = np.asarray(counts)
        total: npt.NDArray[np.float64] = self.dark_subtracted(rows.reshape(len(rows), -1)).sum(axis=1)
        return total

    def relative(self, counts: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
        """(S − D) / (R − D): the spectrum relative to the reference, per pixel (NaN where R ≤ D)."""
        if self.reference_counts is None:
            raise ValueError("the stream has no reference spectrum")
        ref = self.dark_subtracted(np.asarray(self.reference_counts))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(ref > 0, self.dark_subtracted(counts) / ref, np.nan)

    def irradiance(self, counts: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
        """Spectral irradiance, µW / cm² / nm: (S − D) · cal / (t_int · area · dλ)."""
        if self.irradiance_uj_per_count is None or self.collection_area_cm2 is None:
            raise ValueError("the stream has no irradiance calibration")
        d_lambda = np.gradient(self.wavelengths)
        t_s = self.integration_time_us * 1e-6
        cal = np.asarray(self.irradiance_uj_per_count, dtype=np.float64)
        out: npt.NDArray[np.float64] = self.dark_subtracted(counts) * cal / (t_s * self.collection_area_cm2 * d_lambda)
        return out
