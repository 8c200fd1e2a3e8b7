"""Per-weld summary statistics of simulated sensor arrays, measured with numpy/scipy only.

What a process-monitoring study would compute from each weld's recording: levels, fluctuations, impulse
counts and band powers of the signals, hot-area and keyhole-area measures of the images. The simulator's
own quantities are not used (only the weld windows from its truth).
"""

from __future__ import annotations

import numpy as np
from scipy import signal, stats

from weldctl.daq.sim import render_offline
from weldctl.schema import Rig, SimCameraConfig, SimDaqConfig, SimIRConfig, SimOctConfig, SimProcess, WeldPlan

DAQ_HZ = 50_000.0
IR_WIDTH = 160
IR_FOV_MM = 16.0  # the sim IR camera's field of view (docs/simulator.md)
MELT_C = 1425.0
KEYHOLE_COUNTS = 150  # camera counts above the melt-pool glow: keyhole opening
BANDS_HZ = {"low": (150.0, 1000.0), "mid": (1500.0, 4500.0), "high": (6000.0, 20000.0)}


def study_rig(welds: list[WeldPlan], seed: int = 1, thickness_mm: float = 2.0) -> Rig:
    return Rig(
        name="sim-study",
        sim=SimProcess(seed=seed, thickness_mm=thickness_mm, lead_s=0.05, gap_s=0.1, welds=welds),
        devices=[
            SimCameraConfig(name="camera", width=64, height=64, fps=1000.0),
            SimIRConfig(name="ir", width=IR_WIDTH, height=128, fps=100.0),
            SimDaqConfig(name="daq", rate_hz=DAQ_HZ, channels=["photodiode", "acoustic", "laser_on"]),
            SimOctConfig(name="oct", rate_hz=10_000.0),
        ],
    )


def weld_stats(rig: Rig) -> list[dict[str, float | str]]:
    """One row per weld: steady-state statistics (the first 50 ms and the last 20 ms left out)."""
    process, streams = render_offline(rig)
    cpk = next(d.counts_per_kelvin for d in rig.devices if d.kind == "ir")
    pitch = IR_FOV_MM / IR_WIDTH
    rows: list[dict[str, float | str]] = []
    for w in process.welds:
        a, b = w.t_start + 0.05, w.t_end - 0.02

        def win(name: str, a: float = a, b: float = b) -> np.ndarray:
            r = streams[name]
            return r.data[(r.t_s >= a) & (r.t_s < b)]

        daq, octd = win("daq"), win("oct")
        pd, ae = daq[:, 0].astype(np.float64), daq[:, 1].astype(np.float64)
        env = np.abs(signal.hilbert(ae))
        peaks, _ = signal.find_peaks(env, height=6 * np.median(env), distance=int(0.002 * DAQ_HZ))
        f, pxx = signal.welch(ae, fs=DAQ_HZ, nperseg=2048)
        band = {k: float(pxx[(f >= lo) & (f < hi)].sum() / pxx.sum()) for k, (lo, hi) in BANDS_HZ.items()}
        pd_peaks, _ = signal.find_peaks(pd, prominence=0.15, distance=int(0.002 * DAQ_HZ))
        ir_c = win("ir").astype(np.float64) / cpk - 273.15
        melt = ir_c > MELT_C
        cam = win("camera")
        rows.append({
            "condition": w.plan.condition or "baseline", "penetration": str(w.penetration), "n_pores": len(w.pores),
            "pd_mean_v": pd.mean(), "pd_std_v": pd.std(), "pd_flashes_per_s": len(pd_peaks) / (b - a),
            "ae_rms_pa": float(np.sqrt(np.mean(ae**2))), "ae_level_pa": float(np.median(env)),
            "ae_kurtosis": float(stats.kurtosis(ae)), "ae_impulses_per_s": len(peaks) / (b - a),
            "ae_low_share": band["low"], "ae_mid_share": band["mid"], "ae_high_share": band["high"],
            "cam_keyhole_px": float((cam > KEYHOLE_COUNTS).sum(axis=(1, 2)).mean()),
            "cam_keyhole_cv": float((cam > KEYHOLE_COUNTS).sum(axis=(1, 2)).std()
                                    / max((cam > KEYHOLE_COUNTS).sum(axis=(1, 2)).mean(), 1.0)),
            "cam_mean_counts": float(cam.mean()),
            "ir_peak_c": float(ir_c.max(axis=(1, 2)).mean()), "ir_mean_c": float(ir_c.mean()),
            "ir_pool_mm2": float(melt.sum(axis=(1, 2)).mean() * pitch**2),
            "ir_pool_width_mm": float(melt.any(axis=2).sum(axis=1).mean() * pitch),
            "oct_depth_um": float(np.median(octd[:, 0])), "oct_std_um": float(octd[:, 0].std()),
            "oct_quality": float(octd[:, 1].mean()),
        })
    return rows


FEATURES = ["pd_mean_v", "pd_std_v", "pd_flashes_per_s", "ae_rms_pa", "ae_level_pa", "ae_kurtosis",
            "ae_impulses_per_s", "ae_low_share", "ae_mid_share", "ae_high_share", "cam_keyhole_px", "cam_keyhole_cv",
            "cam_mean_counts", "ir_peak_c", "ir_mean_c", "ir_pool_mm2", "ir_pool_width_mm", "oct_depth_um",
            "oct_std_um", "oct_quality"]
