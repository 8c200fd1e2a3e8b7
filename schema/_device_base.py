"""What every device entry of a rig file has, whatever its driver."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ._event_alignment import EventOffset

SPEED_OF_SOUND_M_S = 343.0  # dry air at 20 °C; c ≈ 331.3 + 0.606·T[°C]


class DeviceBase(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$", description="stream name in the run store")
    enabled: bool = True
    latency_us: float | None = Field(
        default=None,
        description="fixed delay (µs) from the instant a sample stands for (a frame's mid-exposure) to the host "
                    "receiving the block that ends with it: from a datasheet or `weldctl calibrate`. Unset: "
                    "assumed equal to the reference's, with the kind's prior bound as its uncertainty",
    )
    latency_uncertainty_us: float | None = Field(
        default=None, ge=0,
        description="bound on the error of latency_us (µs); unset with a stated latency_us: the kind's prior bound",
    )
    latency_source: str | None = Field(
        default=None, description="where latency_us comes from (a datasheet, or the calibration run and date)")
    latency_calibration: EventOffset | None = Field(
        default=None, description="the shared-event measurement behind latency_us (written by `weldctl calibrate`)")
    sound_path_m: float | None = Field(
        default=None, ge=0,
        description="airborne distance (m) from the weld to this sensor (a microphone): sound arrives "
                    f"sound_path_m / {SPEED_OF_SOUND_M_S:g} m/s later. A physical delay: stored times stay the "
                    "instants the sensor sampled, and calibration does not absorb it into latency_us",
    )
