"""What one recorded stream is: the attrs of ``streams/<name>/`` in a run store."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ._spectrum import SpectrumSpec

STREAM_NAME = r"^[a-z][a-z0-9_]{0,31}$"


class StreamKind(StrEnum):
    camera = "camera"
    ir = "ir"
    daq = "daq"
    audio = "audio"
    oct = "oct"
    spectrometer = "spectrometer"


class ClockSource(StrEnum):
    """Where a stream's sample times come from, best first."""

    sample_clock = "sample_clock"  # hardware-timed on the shared start trigger / DAQ sample clock
    device = "device"  # the device's own timestamps, fitted to the host clock
    host = "host"  # host receive time only


class Calibration(BaseModel):
    """Linear map from stored values to physical units: physical = raw * scale + offset."""

    model_config = ConfigDict(extra="forbid")
    scale: float = 1.0
    offset: float = 0.0
    units: str = Field(description="physical units after calibration, e.g. 'degC', 'um'")

    def apply(self, raw: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
        return raw.astype(np.float64) * self.scale + self.offset


class StreamSpec(BaseModel):
    """A stream's identity and layout; validated when written and when read."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=STREAM_NAME)
    kind: StreamKind
    device: str
    driver: str
    dtype: str = Field(description="numpy dtype of data, e.g. 'uint8', 'float32'")
    sample_shape: tuple[int, ...] = Field(default=(), description="() scalar, (C,) channels, (H, W) frame")
    channels: list[str] = Field(default_factory=list, description="names of the channel axis, if any")
    units: str = Field(description="units of the stored values (before calibration)")
    channel_units: dict[str, str] = Field(
        default_factory=dict, description="per channel units of the stored values, where they differ from `units`"
    )
    calibration: dict[str, Calibration] = Field(
        default_factory=dict, description="per channel (or '*' for all) map from stored values to physical"
    )
    nominal_rate_hz: float = Field(gt=0)
    clock: ClockSource = ClockSource.host
    trigger: str | None = Field(default=None, description="shared start trigger line, if any")
    strobe: str | None = Field(
        default=None, pattern=r"^[a-z][a-z0-9_]{0,31}\.[A-Za-z0-9_]+$",
        description="'<stream>.<channel>' that records this camera's exposure strobe (frame k = k-th edge)",
    )
    chunk: int = Field(default=0, ge=0, description="samples per chunk along time; 0 picks a default")
    spectrum: SpectrumSpec | None = Field(
        default=None, description="spectrometer streams: wavelength axis, integration, dark/reference spectra")

    @field_validator("dtype")
    @classmethod
    def _known_dtype(cls, v: str) -> str:
        try:
            return np.dtype(v).name
        except TypeError as exc:
            raise ValueError(f"unknown numpy dtype {v!r}") from exc

    @model_validator(mode="after")
    def _channels_match_shape(self) -> StreamSpec:
        if self.channels and self.sample_shape != (len(self.channels),):
            raise ValueError(f"{len(self.channels)} channels need sample_shape ({len(self.channels)},)")
        unknown = sorted(set(self.channel_units) - set(self.channels))
        if unknown:
            raise ValueError(f"channel_units names channels the stream does not have: {', '.join(unknown)}")
        if (self.kind == StreamKind.spectrometer) != (self.spectrum is not None):
            raise ValueError("a spectrometer stream needs its spectrum (wavelength axis); no other kind has one")
        if self.spectrum is not None and self.sample_shape != (self.spectrum.n,):
            raise ValueError(f"{self.spectrum.n} wavelengths need sample_shape ({self.spectrum.n},), "
                             f"not {self.sample_shape}")
        return self

    def calibration_of(self, channel: str | None) -> Calibration | None:
        """The calibration of one channel (or of a scalar stream): its own, else the stream-wide '*' one."""
        return self.calibration.get(channel or "*") or self.calibration.get("*")

    def units_of(self, channel: str | None, *, calibrated: bool = True) -> str:
        """Units of one channel: after its calibration when there is one (and ``calibrated``), else as stored.

        A stream's channels can differ (OCT keyhole depth in um next to a 0..1 quality), so ask per channel.
        """
        cal = self.calibration_of(channel) if calibrated else None
        if cal is not None:
            return cal.units
        return self.channel_units.get(channel or "", self.units)

    @property
    def is_frames(self) -> bool:
        return len(self.sample_shape) == 2

    @property
    def dims(self) -> tuple[str, ...]:
        if self.is_frames:
            return ("frame", "y", "x")
        if self.spectrum is not None:  # xarray opens it with a wavelength coordinate
            return ("time", "wavelength")
        if self.sample_shape:
            return ("sample", "channel")
        return ("sample",)

    @property
    def bytes_per_sample(self) -> int:
        return int(np.prod(self.sample_shape, dtype=np.int64)) * np.dtype(self.dtype).itemsize

    def default_chunk(self) -> int:
        """Samples per chunk: ~1-4 MiB, whole frames, powers of two so shards line up."""
        if self.chunk:
            return self.chunk
        if self.is_frames:
            return 64 if self.bytes_per_sample <= 128 * 1024 else 32
        target = 1 << 18
        return max(1024, target // max(1, int(np.prod(self.sample_shape, dtype=np.int64))))

    def channel_index(self, channel: str) -> int:
        try:
            return self.channels.index(channel)
        except ValueError:
            raise KeyError(f"stream {self.name!r} has no channel {channel!r}; it has {self.channels}") from None
