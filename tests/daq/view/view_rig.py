"""A sim rig light enough that a busy 2-core machine records it without losses while a browser watches:
the view tests measure what the view does to a recording, not what the machine can take (that is bench/)."""

from __future__ import annotations

from weldctl.schema import (
    RecorderSettings,
    Rig,
    SimAudioConfig,
    SimCameraConfig,
    SimDaqConfig,
    SimIRConfig,
    SimOctConfig,
    SimProcess,
    ViewSettings,
)


def view_rig(duration_s: float = 10.0, port: int = 0) -> Rig:
    return Rig(
        name="sim-view",
        sim=SimProcess(repeat=max(1, int(duration_s / 5.6) + 1)),
        devices=[
            SimCameraConfig(name="camera", width=128, height=128, fps=500.0),
            SimIRConfig(name="ir", width=160, height=128, fps=50.0),
            SimDaqConfig(name="daq", rate_hz=20_000.0),
            SimAudioConfig(name="audio", rate_hz=16_000.0),
            SimOctConfig(name="oct", rate_hz=5_000.0),
        ],
        recorder=RecorderSettings(queue_seconds=8.0, stop_after_sequence=False),
        view=ViewSettings(enabled=True, port=port),
    )
