"""Per-weld summary statistics of simulated sensor arrays, measured with numpy/scipy only.

What a process-monitoring study would compute from each weld's recording: levels, fluctuations, impulse
counts and band powers of the signals, hot-area and keyhole-area measures of the images. The simulator's
own quantities are not used (only the weld windows from its truth).
"""

from __future__ import annotations

import numpy as np
from scipy import signal, stats

from weldctl.daq.sim import render_offline
from weldctl.schema import Rig

IR_FOV_MM = 16.0  # the sim IR camera's field of view (docs/simulator.md)
MELT_C = 1425.0
KEYHOLE_COUNTS = 150  # camera counts above the melt-pool glow: keyhole opening
BANDS_HZ = {"low": (150.0, 1000.0), "mid": (1500.0, 4500.0), "high": (6000.0, 20000.0)}


def weld_stats(rig: Rig) -> list[dict[str, float | str]]:
    """One row per weld: steady-state statistics (the first 50 ms and the last 20 ms left out)."""
    process, streams = render_offline(rig)
    ir = next(d for d in rig.devices if d.kind == "ir")
    cpk, pitch = ir.counts_per_kelvin, IR_FOV_MM / ir.width
    daq_hz = next(d.rate_hz for d in rig.devices if d.kind == "daq")
    rows: list[dict[str, float | str]] = []
    for w in process.welds:
        a, b = w.t_start + 0.05, w.t_end - 0.02

        def win(name: str, a: float = a, b: float = b) -> np.ndarray:
            r = streams[name]
            return r.data[(r.t_s >= a) & (r.t_s < b)]

        daq, octd = win("daq"), win("oct")
        pd, ae = daq[:, 0].astype(np.float64), daq[:, 1].astype(np.float64)
        env = np.abs(signal.hilbert(ae))
        peaks, _ = signal.find_peaks(env, height=6 * np.median(env), distance=int(0.002 * daq_hz))
        f, pxx = signal.welch(ae, fs=daq_hz, nperseg=2048)
        band = {k: float(pxx[(f >= lo) & (f < hi)].sum() / pxx.sum()) for k, (lo, hi) in BANDS_HZ.items()}
        pd_peaks, _ = signal.find_peaks(pd, prominence=0.15, distance=int(0.002 * daq_hz))
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
