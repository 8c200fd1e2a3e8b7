"""How well a sim recording is aligned: every pore (keyhole collapse) is found again in every stream
that shows it, on the run time base, and compared with the truth.

Each stream is matched against the weld-process model around each true pore: the shift ``tau``
that best explains the recorded samples is that stream's alignment error there. Signals with
additive noise (photodiode, OCT depth, camera keyhole area) use least squares; acoustic and
microphone signals are noise with a model envelope, so they use the Gaussian likelihood with
the envelope as its standard deviation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from weldctl.schema import SPEED_OF_SOUND_M_S, RunReader

from .._clock import reference_stream
from .._device import Device
from ._process import WeldProcess

WINDOW_S = (-0.004, 0.030)  # around each pore: the collapse and its recovery / ring
SEARCH_S = 0.003  # shifts tried: ± this
COARSE_STEP_S = 20e-6
FINE_STEP_S = 0.5e-6
KEYHOLE_FLOOR = 90.0  # counts: above the melt-pool glow and its noise, below the keyhole

TrueTime = Callable[[np.ndarray], np.ndarray]


def run_to_true(devices: Sequence[Device]) -> TrueTime:
    """Run time (ns) → true time (s) for a sim rig: the inverse of the reference sample clock, or
    the host clock the sim treats as true time."""
    ref_name = reference_stream([d.config for d in devices])
    ref = next((d for d in devices if d.name == ref_name), None)
    if ref is None:
        return lambda t_ns: np.asarray(t_ns, dtype=np.float64) / 1e9
    return ref.true_time_of_run_ns  # type: ignore[attr-defined, no-any-return]


def _signal(reader: RunReader, stream: str, channel: str, i0: int, i1: int) -> np.ndarray:
    data = np.asarray(reader.data(stream)[i0:i1])
    if channel == "keyhole_area":
        # Brightness above the melt-pool glow: the keyhole edge is anti-aliased, so this follows
        # the keyhole area smoothly (a thresholded pixel count moves in whole pixels).
        excess = np.clip(data.reshape(len(data), -1).astype(np.float64) - KEYHOLE_FLOOR, 0.0, None)
        return excess.sum(axis=1)
    spec = reader.specs[stream]
    return data[:, spec.channel_index(channel)].astype(np.float64)


def _model(process: WeldProcess, what: str, t_true: np.ndarray, sound_delay_s: float = 0.0) -> np.ndarray:
    if what == "photodiode":
        return process.photodiode(t_true)
    if what == "keyhole_depth":
        return 1000.0 * process.keyhole_depth(t_true)
    if what == "keyhole_area":
        return process.keyhole_area(t_true)
    if what == "acoustic":
        return process.acoustic_envelope(t_true)
    return 0.5 * process.acoustic_envelope(t_true - sound_delay_s)  # mic: the sound took its path


def _cost(x: np.ndarray, model: np.ndarray, envelope: bool) -> float:
    if envelope:
        var = np.maximum(model, 1e-3) ** 2
        return float(np.sum(x**2 / var + np.log(var)))
    a = np.vstack([model, np.ones_like(model)]).T  # free gain and offset: only the timing matters
    coef, *_ = np.linalg.lstsq(a, x, rcond=None)
    return float(np.sum((x - a @ coef) ** 2))


def _shift(process: WeldProcess, what: str, t_run_ns: np.ndarray, x: np.ndarray, to_true: TrueTime,
           sound_delay_s: float = 0.0) -> float:
    """The shift (s) that best matches the samples to the model: recorded at t means model at t − tau."""
    envelope = what in ("acoustic", "mic")
    best = 0.0
    for step, span in ((COARSE_STEP_S, SEARCH_S), (FINE_STEP_S, 2 * COARSE_STEP_S)):
        taus = best + np.arange(-span, span + step / 2, step)
        costs = [_cost(x, _model(process, what, to_true(t_run_ns - tau * 1e9), sound_delay_s), envelope)
                 for tau in taus]
        best = float(taus[int(np.argmin(costs))])
    return best


# (stream kind, channel or derived signal, model quantity)
PORE_SIGNALS: tuple[tuple[str, str, str], ...] = (
    ("daq", "photodiode", "photodiode"), ("daq", "acoustic", "acoustic"), ("oct", "keyhole_depth", "keyhole_depth"),
    ("camera", "keyhole_area", "keyhole_area"), ("audio", "mic", "mic"),
)


def pore_alignment_errors(reader: RunReader, process: WeldProcess, to_true: TrueTime,
                          max_pores: int | None = None) -> dict[str, np.ndarray]:
    """Per '<stream>.<signal>': the alignment error (ns, aligned − true) at every pore it shows (or at
    ``max_pores`` of them, spread over the run)."""
    pores = reader.truth("pores")["t_ns"]
    if max_pores is not None and len(pores) > max_pores:
        pores = pores[np.linspace(0, len(pores) - 1, max_pores).round().astype(int)]
    out: dict[str, np.ndarray] = {}
    for name, spec in reader.specs.items():
        t_all = reader.t_ns(name)
        # A microphone's samples are when the sound reached it: the model is delayed by the stated path.
        delay = float(reader.clock(name).get("sound_path_m") or 0.0) / SPEED_OF_SOUND_M_S  # type: ignore[arg-type]
        for kind, channel, what in PORE_SIGNALS:
            if spec.kind.value != kind or (channel != "keyhole_area" and channel not in spec.channels):
                continue
            errs = []
            for tp in pores:
                i0, i1 = np.searchsorted(t_all, [tp + WINDOW_S[0] * 1e9, tp + WINDOW_S[1] * 1e9])
                if i1 - i0 < 8:
                    continue  # the pore fell in a gap, or outside the recording
                x = _signal(reader, name, channel, int(i0), int(i1))
                errs.append(_shift(process, what, t_all[i0:i1], x, to_true, delay) * 1e9)
            out[f"{name}.{what}"] = np.asarray(errs)
    return out
