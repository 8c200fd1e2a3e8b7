"""The run manifest: who recorded what, on which workpiece, with which process parameters."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ._run_id import validate_run_id
from ._version import SCHEMA_VERSION, weldctl_version


class LaserCondition(StrEnum):
    baseline = "baseline"
    low_power = "low_power"
    low_gap = "low_gap"
    defocus = "defocus"
    water_treatment = "water_treatment"
    oil_treatment = "oil_treatment"
    cold_weld = "cold_weld"


class Penetration(StrEnum):
    lack = "lack"
    partial = "partial"
    full = "full"


class WeldPlan(BaseModel):
    """One weld as planned: its process parameters and the intended condition."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    weld_id: int = Field(ge=0)
    laser_power_w: float | None = Field(default=None, ge=0)
    speed_mm_s: float | None = Field(default=None, gt=0)
    focus_offset_mm: float | None = None
    gap_mm: float | None = Field(default=None, ge=0)
    length_mm: float | None = Field(default=None, gt=0)
    condition: str | None = Field(default=None, description="intended condition, a class of the taxonomy")
    workpiece: str | None = None
    extra: dict[str, float] = Field(default_factory=dict, description="other process parameters (arc: A, V)")


RunStatus = Literal["recording", "finalized", "recovered", "imported"]


class RunManifest(BaseModel):
    """attrs["weldctl"]["manifest"] of a run store."""

    model_config = ConfigDict(extra="forbid")

    run_id: str
    operator: str = "unknown"
    rig: str = "sim"
    process: Literal["laser", "arc"] = "laser"
    material: str = "unknown"
    thickness_mm: float | None = Field(default=None, gt=0)
    joint: str = "bead_on_plate"
    shielding: str = "none"
    surface_treatment: str = "none"
    workpiece: str | None = None
    welds: list[WeldPlan] = Field(default_factory=list)
    start_utc: datetime = Field(default_factory=lambda: datetime.now(UTC))
    host: str = "unknown"
    weldctl_version: str = Field(default_factory=weldctl_version)
    schema_version: str = SCHEMA_VERSION
    status: RunStatus = "recording"
    notes: str = ""

    @field_validator("run_id")
    @classmethod
    def _safe_run_id(cls, v: str) -> str:
        return validate_run_id(v)
