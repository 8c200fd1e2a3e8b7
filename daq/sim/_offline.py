"""Render a sim rig's streams without pacing or a recorder: the same samples a recording holds (before
clock alignment), as fast as the CPU allows. For studies of the simulator itself: its statistics, sweeps
and benchmarks, where recording in real time would only cost time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from weldctl.schema import Rig, StreamSpec

from ._process import WeldProcess


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
