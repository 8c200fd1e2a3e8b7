"""The ``view:`` section of a rig file: the live page `weldctl record` serves while it records."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ViewSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = Field(default=False, description="serve the live page during every recording of this rig")
    port: int = Field(default=0, ge=0, le=65535, description="TCP port; 0 picks a free one (the URL is printed)")
    host: str = Field(
        default="127.0.0.1", min_length=1,
        description="address to serve on; the page has no login, so anything but loopback shows the cell to "
                    "whoever reaches that address",
    )
    window_s: float = Field(default=10.0, gt=0, le=600, description="seconds of signal history on the page")
    refresh_hz: float = Field(default=4.0, gt=0, le=20, description="how often frames and traces are redrawn")
