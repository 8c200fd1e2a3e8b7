"""What a run store must mean, beyond its bytes: the checks `weldctl verify` adds to the checksums.

Per stream: data, t_ns and seq of one length; t_ns strictly increasing; seq increasing, and every jump in it
covered by gap rows (and no gap row claiming samples that are there); a plausible clock fit. A store can match
its checksum manifest and still fail these (it was finalized from a corrupt state); a recovery that fitted a
clock through torn rows, for one, ran a stream's times backwards.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._store_reader import RunReader
from ._stream_appender import ARRAYS

Arr = np.ndarray[Any, Any]
BLOCK = 1 << 22  # samples read at a time: memory stays bounded on hour-long recordings
MAX_DRIFT_PPM = 1000.0  # a device clock further off than this is a broken fit, not a crystal
MAX_RESIDUAL_RMS_NS = 1e9
SHOW = 3  # examples per problem


def _merged(starts: Arr, counts: Arr) -> tuple[Arr, Arr]:
    """Union of the half-open seq intervals [start, start + count)."""
    keep = counts > 0
    s, e = starts[keep], starts[keep] + counts[keep]
    order = np.argsort(s, kind="stable")
    s, e = s[order], e[order]
    out_s: list[int] = []
    out_e: list[int] = []
    for a, b in zip(s.tolist(), e.tolist(), strict=True):
        if out_e and a <= out_e[-1]:
            out_e[-1] = max(out_e[-1], b)
        else:
            out_s.append(a)
            out_e.append(b)
    return np.asarray(out_s, dtype=np.int64), np.asarray(out_e, dtype=np.int64)


def _uncovered(miss_s: Arr, miss_e: Arr, gap_s: Arr, gap_e: Arr) -> Arr:
    """Which missing intervals no single merged gap interval covers."""
    if not len(miss_s):
        return np.zeros(0, dtype=bool)
    if not len(gap_s):
        return np.ones(len(miss_s), dtype=bool)
    k = np.searchsorted(gap_s, miss_s, side="right") - 1
    ok = (k >= 0) & (gap_e[np.clip(k, 0, None)] >= miss_e)
    return ~ok


def _stream_problems(r: RunReader, name: str) -> list[str]:
    out: list[str] = []
    shapes = {w: r._array(name, w).shape[0] for w in ARRAYS}
    if len(set(shapes.values())) != 1:
        out.append(f"{name}: data, t_ns and seq differ in length ({shapes['data']}, {shapes['t_ns']}, "
                   f"{shapes['seq']})")
    n = min(shapes.values())
    gaps = r.gaps(name)
    g_start = gaps["value"].astype(np.int64)
    g_count = gaps["count"].astype(np.int64)
    gap_s, gap_e = _merged(g_start, g_count)
    resets = set((g_start[(g_count == 0)]).tolist())  # a device whose counter went back says so with a 0-row
    back_t: list[int] = []
    back_seq: list[int] = []
    silent: list[tuple[int, int]] = []
    prev_t: int | None = None
    prev_seq: int | None = None
    for i0 in range(0, n, BLOCK):
        i1 = min(n, i0 + BLOCK)
        t, seq = r.read_many([(name, "t_ns", slice(i0, i1)), (name, "seq", slice(i0, i1))])
        t = t.astype(np.int64)
        seq = seq.astype(np.int64)
        if prev_t is not None:
            t = np.concatenate([[prev_t], t])
            seq = np.concatenate([[prev_seq], seq])
        base = i0 - (1 if prev_t is not None else 0)
        dt = np.diff(t)
        back_t.extend((base + 1 + np.flatnonzero(dt <= 0)[:SHOW]).tolist())
        ds = np.diff(seq)
        for j in np.flatnonzero(ds <= 0)[:SHOW]:
            if int(seq[j]) + 1 not in resets:
                back_seq.append(base + 1 + int(j))
        jumps = np.flatnonzero(ds > 1)
        miss_s, miss_e = seq[jumps] + 1, seq[jumps + 1]
        bad = _uncovered(miss_s, miss_e, gap_s, gap_e)
        silent.extend(zip(miss_s[bad][:SHOW].tolist(), (miss_e - miss_s)[bad][:SHOW].tolist(), strict=True))
        prev_t, prev_seq = int(t[-1]), int(seq[-1])
    if back_t:
        out.append(f"{name}: t_ns does not increase at sample(s) {', '.join(map(str, back_t[:SHOW]))}")
    if back_seq:
        out.append(f"{name}: seq does not increase at sample(s) {', '.join(map(str, back_seq[:SHOW]))} "
                   "and no gap row says the counter was reset")
    if silent:
        shown = ", ".join(f"{c} from seq {s}" for s, c in silent[:SHOW])
        out.append(f"{name}: samples missing with no gap row ({shown})")
    if n and len(gap_s):
        # A gap row that claims samples the stream holds contradicts the data.
        seq_all_first, seq_all_last = r.read_many([(name, "seq", slice(0, 1)), (name, "seq", slice(n - 1, n))])
        lo, hi = int(seq_all_first[0]), int(seq_all_last[0])
        inside = (gap_s <= hi) & (gap_e > lo)
        if inside.any():
            seq_all = _seq_values(r, name, n)
            held = np.searchsorted(seq_all, gap_e[inside]) - np.searchsorted(seq_all, gap_s[inside])
            if (held > 0).any():
                k = int(np.flatnonzero(held > 0)[0])
                out.append(f"{name}: a gap row claims seq {int(gap_s[inside][k])}..{int(gap_e[inside][k]) - 1} "
                           f"lost, but {int(held[k])} of those samples are in the store")
    out.extend(_clock_problems(name, r.clock(name)))
    return out


def _seq_values(r: RunReader, name: str, n: int) -> Arr:
    parts = [np.asarray(r.read_many([(name, "seq", slice(i0, min(n, i0 + BLOCK)))])[0])
             for i0 in range(0, n, BLOCK)]
    out: Arr = np.concatenate(parts).astype(np.int64)
    return out


def _clock_problems(name: str, clock: dict[str, object]) -> list[str]:
    out: list[str] = []
    drift = clock.get("drift_ppm")
    if drift is not None:
        d = float(drift)  # type: ignore[arg-type]
        if not math.isfinite(d) or abs(d) > MAX_DRIFT_PPM:
            out.append(f"{name}: implausible clock fit (drift {d:g} ppm; a device clock is within "
                       f"±{MAX_DRIFT_PPM:g} ppm)")
    for key in ("offset_ns", "residual_rms_ns"):
        v = clock.get(key)
        if v is not None and not math.isfinite(float(v)):  # type: ignore[arg-type]
            out.append(f"{name}: clock fit {key} is {v}")
    rms = clock.get("residual_rms_ns")
    if rms is not None and math.isfinite(float(rms)) and float(rms) > MAX_RESIDUAL_RMS_NS:  # type: ignore[arg-type]
        out.append(f"{name}: clock fit residuals of {float(rms) / 1e9:.1f} s rms")  # type: ignore[arg-type]
    return out


def check_meaning(r: RunReader) -> list[str]:
    """Every problem found, one line each; empty when the store means what it says."""
    problems: list[str] = []
    for name in r.specs:
        problems.extend(_stream_problems(r, name))
    ev = r.events()
    if len(ev.get("t_ns", [])):
        back = np.flatnonzero(ev["t_end_ns"] < ev["t_ns"])
        if len(back):
            problems.append(f"events: {len(back)} row(s) end before they start")
    return problems
