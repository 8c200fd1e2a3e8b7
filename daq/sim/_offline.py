"""Render a sim rig's streams without pacing or a recorder: the same samples a recording holds (before
clock alignment), as fast as the CPU allows. For studies of the simulator itself: its statistics, sweeps
and benchmarks, where recording in real time would only cost time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from weldctl.schema import (
    Rig,
    SimCameraConfig,
    SimDaqConfig,
    SimIRConfig,
    SimOctConfig,
    SimProcess,
    StreamSpec,
    WeldPlan,
)

from ._process import WeldProcess

STUDY_DAQ_HZ = 50_000.0
STUDY_IR_WIDTH = 160


def study_rig(welds: list[WeldPlan], seed: int = 1, thickness_mm: float = 2.0) -> Rig:
    """A compact sim rig for studies: DAQ 50 kHz (photodiode, acoustic, laser-on), keyhole camera 64×64 at
    1 kHz, IR 160×128 at 100 Hz, OCT 10 kHz; welds 0.1 s apart."""
    return Rig(
        name="sim-study",
        sim=SimProcess(seed=seed, thickness_mm=thickness_mm, lead_s=0.05, gap_s=0.1, welds=welds),
        devices=[
            SimCameraConfig(name="camera", width=64, height=64, fps=1000.0),
            SimIRConfig(name="ir", width=STUDY_IR_WIDTH, height=128, fps=100.0),
            SimDaqConfig(name="daq", rate_hz=STUDY_DAQ_HZ, channels=["photodiode", "acoustic", "laser_on"]),
            SimOctConfig(name="oct", rate_hz=10_000.0),
        ],
    )


@dataclass(frozen=True)
class Rendered:
    spec: StreamSpec
    t_s: np.ndarray  # true time of each sample
    data: np.ndarray


def render_offline(rig: Rig, process: WeldProcess | None = None, t0_s: float = 0.0, t1_s: float | None = None,
                   ) -> tuple[WeldProcess, dict[str, Rendered]]:
    """Every enabled sim device of ``rig`` over true times [t0_s, t1_s) (default: the whole run)."""
    from .._registry import build_devices

    process = process or WeldProcess(rig.sim)
    t1 = process.end_s if t1_s is None else t1_s
    out: dict[str, Rendered] = {}
    devices = build_devices(rig, process)
    for dev in devices:
        spec = dev.configure()
        rate = dev.rate_hz * (1.0 + dev.fault.drift_ppm * 1e-6)  # type: ignore[attr-defined]
        first = max(0, int(np.ceil((t0_s - dev.start_delay_s) * rate)))  # type: ignore[attr-defined]
        last = max(first, int(np.ceil((t1 - dev.start_delay_s) * rate)))  # type: ignore[attr-defined]
        idx = np.arange(first, last)
        t = dev.true_time(idx.astype(np.float64))  # type: ignore[attr-defined]
        dev._rng = np.random.default_rng(dev._seed)  # type: ignore[attr-defined]  # as at start: same bytes each time
        block = dev.block_samples  # type: ignore[attr-defined]
        parts = [dev._render(t[i:i + block], idx[i:i + block]) for i in range(0, len(idx), block)]  # type: ignore[attr-defined]
        data = np.concatenate(parts) if parts else np.empty((0, *spec.sample_shape))
        out[dev.name] = Rendered(spec, t, data)
    return process, out
