"""What every device entry of a rig file has, whatever its driver."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DeviceBase(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$", description="stream name in the run store")
    enabled: bool = True
