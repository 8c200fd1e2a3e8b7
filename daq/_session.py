"""One recording session: rig → devices → manifest → recorder, with sim truth when there is any."""

from __future__ import annotations

import platform
from collections.abc import Callable
from typing import Any

from weldctl.schema import Rig, RunManifest, validate_run_id

from ._clock import reference_stream
from ._recorder import Recorder, RecordResult
from ._registry import build_devices, sim_process


def manifest_for(rig: Rig, run_id: str, operator: str = "unknown", process: Any = None) -> RunManifest:
    process = process or sim_process(rig)
    welds = [w.plan for w in process.welds] if process else []
    return RunManifest(
        run_id=validate_run_id(run_id),
        operator=operator,
        rig=rig.name,
        material=rig.sim.material if process else "unknown",
        thickness_mm=rig.sim.thickness_mm if process else None,
        workpiece=rig.sim.workpiece if process else None,
        welds=welds,
        host=platform.node() or "unknown",
    )


def make_recorder(rig: Rig, run_id: str, out: str, *, overwrite: bool = False,
                  operator: str = "unknown", duration_s: float | None = None) -> Recorder:
    process = sim_process(rig, duration_s)
    manifest = manifest_for(rig, run_id, operator, process)
    devices = build_devices(rig, process)
    truth: Callable[[], dict[str, tuple[dict, dict]]] | None = None
    if process is not None:
        # Truth goes on the run time base: the reference device's sample clock when the rig has one.
        ref_name = reference_stream([d.config for d in devices])
        ref = next((d for d in devices if d.name == ref_name), None)
        to_run = getattr(ref, "run_time_ns", None)

        from .sim import SimSpectrometer, truth_spectra

        spectrometer = next((d for d in devices if isinstance(d, SimSpectrometer)), None)

        def truth() -> dict[str, tuple[dict, dict]]:
            out = {"welds": process.truth_welds(to_run), "pores": process.truth_pores(to_run),
                   "ejections": process.truth_ejections(to_run), "signals": process.truth_signals(to_run_ns=to_run)}
            if spectrometer is not None:  # what its spectra were made from: temperatures, line and film amplitudes
                out["spectra"] = truth_spectra(spectrometer.model, to_run_ns=to_run)
            return out
    return Recorder(devices, manifest, out, overwrite=overwrite, queue_seconds=rig.recorder.queue_seconds,
                    flush_interval_s=rig.recorder.flush_interval_s, max_at_risk_s=rig.recorder.max_at_risk_s,
                    nice=rig.recorder.nice, durability=rig.recorder.durability, truth=truth)


def record(rig: Rig, run_id: str, out: str, *, duration_s: float | None = None, overwrite: bool = False,
           operator: str = "unknown", on_tick: Callable[[Recorder], None] | None = None) -> RecordResult:
    rec = make_recorder(rig, run_id, out, overwrite=overwrite, operator=operator, duration_s=duration_s)
    return rec.run(duration_s=duration_s, stop_after_sequence=rig.recorder.stop_after_sequence, on_tick=on_tick)
