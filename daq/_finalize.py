"""Finalizing a run store: put every stream on the run time base, place events, checksum.

``record`` calls this when it stops; ``recover`` calls the same code on a store a killed
recorder left behind, so both produce the same kind of store. Every step can be repeated:
sample times of fitted streams are rewritten block by block with the fit and progress stored
first, times of hardware-timed streams follow from ``seq`` alone, and the events table is
rebuilt from a stashed copy of what the recorder wrote.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from weldctl.schema import EVENT_COLUMNS, SPEED_OF_SOUND_M_S, AlignmentMethod, RunStatus, RunWriter, StreamSpec

from ._clock import (
    HOST_TIME_BASE,
    ClockFit,
    ClockObservations,
    StrobeMap,
    on_reference_clock,
    reference_stream,
    strobe_map,
)
from ._timing import WindowedFit, compose, fit_windows, latency_term, shifted

REWRITE_BLOCK = 1 << 20
LASER_ON_THRESHOLD_V = 2.5
STROBE_THRESHOLD_V = 2.5
QUIET_FRAMES = 2  # strobe line low this many frame periods from the reference's start: a quiet start
FITTED_UPTO = "fitted_upto"  # clock/<stream> attr: samples whose t_ns are already on the run time base
WRITE_AHEAD = "provisional_block"  # clock/<stream>/: the block of provisional times being rewritten


def _blocks(n: int) -> Iterator[tuple[int, int]]:
    for i0 in range(0, n, REWRITE_BLOCK):
        yield i0, min(n, i0 + REWRITE_BLOCK)


def _host_fit(writer: RunWriter, name: str) -> tuple[WindowedFit, int]:
    dev, host, provisional = writer.clock_observations(name)
    wf = fit_windows(ClockObservations(list(dev), list(host)), "host")
    if not len(dev):
        wf = WindowedFit(ClockFit(float(provisional), 0.0, "provisional", 0, 0.0, 0.0), wf.residual_ns, 0.0, 0.0)
    return wf, provisional


def _rewrite(writer: RunWriter, name: str, fit: ClockFit, provisional: int, resid: np.ndarray,
             extra: dict[str, object]) -> ClockFit:
    """t_ns := fit(provisional t_ns − provisional offset), resuming where an earlier attempt stopped."""
    app = writer.streams[name]
    done = writer.clock_attrs(name)
    if FITTED_UPTO in done and "offset_ns" in done:
        fit = ClockFit.from_attrs(done)  # an interrupted finalize: keep its fit, or times would mix two
    else:
        writer.write_clock(name, {**fit.as_attrs(), **extra, FITTED_UPTO: 0}, resid)
    start = int(done.get(FITTED_UPTO, 0))  # type: ignore[call-overload]
    # Write-ahead: each block's provisional times are saved before they are overwritten, so a crash
    # between the overwrite and the progress mark cannot get the fit applied twice.
    ahead = writer.clock_array(name, WRITE_AHEAD)
    if ahead is not None and ahead[1].get("block_start") == start and start + len(ahead[0]) <= app.n:
        app.t_ns[start : start + len(ahead[0])] = fit.apply(ahead[0] - provisional)
        start += len(ahead[0])
        writer.set_clock_attrs(name, {FITTED_UPTO: start})
    for i0 in range(start, app.n, REWRITE_BLOCK):
        i1 = min(app.n, i0 + REWRITE_BLOCK)
        t_prov = np.asarray(app.t_ns[i0:i1])
        writer.set_clock_array(name, WRITE_AHEAD, t_prov, {"block_start": i0})
        app.t_ns[i0:i1] = fit.apply(t_prov - provisional)
        writer.set_clock_attrs(name, {FITTED_UPTO: i1})
    writer.set_clock_attrs(name, {FITTED_UPTO: app.n})
    writer.drop_clock_array(name, WRITE_AHEAD)
    return fit


def _strobe_pulses_ns(writer: RunWriter, ref: StreamSpec, channel: str, quiet_samples: float,
                      ) -> tuple[np.ndarray, bool]:
    """Middles of the strobe's pulses (mid-exposure) on the reference sample clock, and whether the
    line was quiet for ``quiet_samples`` from the reference's start up to the first pulse (then that
    pulse is the camera's first exposure). An edge is at the first sample of the new level less half
    a sample; a pulse counts only when both its edges were seen on consecutive samples (a reference
    loss may hide either)."""
    app = writer.streams[ref.name]
    j = ref.channel_index(channel)
    rises, falls, breaks = [], [], []
    prev_level, prev_seq = False, None
    for i0, i1 in _blocks(app.n):
        level = np.asarray(app.data[i0:i1, j]) > STROBE_THRESHOLD_V
        seq = np.asarray(app.seq[i0:i1]).astype(np.int64)
        lv = np.concatenate([[prev_level], level])
        sq = np.concatenate([[seq[0] - 2 if prev_seq is None else prev_seq], seq])  # no edge at the very start
        step = np.diff(lv.astype(np.int8))
        contiguous = np.diff(sq) == 1
        rises.append(sq[1:][(step > 0) & contiguous])
        falls.append(sq[1:][(step < 0) & contiguous])
        breaks.append(sq[1:][~contiguous])
        prev_level, prev_seq = bool(level[-1]), int(seq[-1])
    r, f, gaps = (np.concatenate(x) if x else np.empty(0, np.int64) for x in (rises, falls, breaks))
    if not len(r) or not len(f) or not app.n:
        return np.empty(0), False
    seq0 = app.seq_at(0)
    # Quiet start: low from the reference's first sample, no reference loss before the first rise.
    quiet = (not bool(np.asarray(app.data[0:1, j])[0] > STROBE_THRESHOLD_V) and r[0] - seq0 >= quiet_samples
             and not np.any(gaps[1:] < r[0]) and (not len(f) or f[0] > r[0]))
    nxt = np.searchsorted(f, r)  # the first fall after each rise
    ok = nxt < len(f)
    r, fr = r[ok], f[nxt[ok]]
    next_rise = np.concatenate([r[1:], [np.iinfo(np.int64).max]])
    broken = np.searchsorted(gaps, r, side="right") < np.searchsorted(gaps, fr, side="right")
    keep = (fr < next_rise) & ~broken
    period = 1e9 / ref.nominal_rate_hz
    return ((r[keep] + fr[keep] - 1) / 2.0) * period, quiet and bool(keep[0])


def _strobed(writer: RunWriter, spec: StreamSpec, ref: StreamSpec, guess: ClockFit, guess_unc_ns: float,
             shape_unc_ns: float, provisional: int, resid: np.ndarray) -> ClockFit | None:
    """Frame k at the middle of the k-th strobe pulse; None when the strobe shows too few to use.

    Which pulse is frame 0: the first pulse after a quiet start of the strobe line (the camera's first
    exposure; its frame counter starts at 0), else the camera's own clock fitted through the host,
    which is only sure when its uncertainty (latency included) is under half a frame period."""
    app = writer.streams[spec.name]
    _, channel = str(spec.strobe).split(".", 1)
    period = 1e9 / spec.nominal_rate_hz
    mids, quiet = _strobe_pulses_ns(writer, ref, channel, QUIET_FRAMES * ref.nominal_rate_hz / spec.nominal_rate_hz)
    if not app.n or spec.nominal_rate_hz * 2 > ref.nominal_rate_hz:
        return None  # no frames, or a strobe faster than the reference can resolve
    first_seq = app.seq_at(0)
    from_host = float(guess.apply(np.asarray([app.t_ns_at(0) - provisional]))[0]) - first_seq * period
    frame0 = float(mids[0]) if quiet and len(mids) else from_host
    numbering = ("first pulse after a quiet start is frame 0" if quiet and len(mids) else
                 "host-fitted camera clock" + (" (ambiguous: its uncertainty exceeds half a frame)"
                                               if guess_unc_ns >= period / 2 else ""))
    resumed = writer.clock_attrs(spec.name).get("frame0_guess_ns") is not None
    if resumed:
        frame0 = float(writer.clock_attrs(spec.name)["frame0_guess_ns"])  # type: ignore[arg-type]
    smap: StrobeMap | None = strobe_map(mids, 0.5e9 / ref.nominal_rate_hz, frame0, period)
    if smap is None:
        return None
    fit = ClockFit(float(smap.t_ns[0] - smap.frame[0] * smap.period_ns), (smap.period_ns / period - 1.0) * 1e6,
                   f"strobe {spec.strobe}", len(smap.frame), smap.residual_rms_ns, smap.quantisation_ns,
                   smap.quantisation_ns)
    all_seq = np.asarray(app.seq[:])
    on_pulse = np.isin(all_seq, smap.frame)
    seen = int(on_pulse.sum())
    # A frame whose pulse was lost (a reference gap) follows the camera's own host-fitted clock, which
    # tracks its drift, corrected by the offset of that clock from the pulses around it: the error is
    # the quantisation plus how much the fit's own error can change in between (twice its bound).
    # Straight interpolation between pulses would miss a drift that wanders over a long gap.
    anchor_seq: np.ndarray = np.empty(0)
    anchor_r: np.ndarray = np.empty(0)
    if not resumed and seen < app.n and seen:
        t_host_all = guess.apply(np.asarray(app.t_ns[:]) - provisional).astype(np.float64)
        anchor_seq = all_seq[on_pulse].astype(np.float64)
        anchor_r = smap.times(all_seq[on_pulse]) - t_host_all[on_pulse]
    unc = smap.quantisation_ns
    if seen < app.n:
        unc = (smap.quantisation_ns + 2 * shape_unc_ns if len(anchor_seq)
               else max(smap.quantisation_ns, smap.interpolation_ns))
    if smap.unsure_gaps:
        numbering += f"; ambiguous across {smap.unsure_gaps} reference gap(s)"
    if "ambiguous" in numbering:
        unc += guess_unc_ns  # a pulse may be numbered a few frames off: the host fit is all we know
    host_frames = round((from_host - frame0) / period)
    writer.write_clock(spec.name, {**fit.as_attrs(), "alignment": AlignmentMethod.strobe.value,
                                   "uncertainty_ns": unc, "uncertainty_on_pulse_ns": smap.quantisation_ns,
                                   "timestamp_at": "mid-exposure (middle of the strobe pulse)",
                                   "frame_numbering": numbering, "host_fit_frames_off": host_frames,
                                   "frame0_guess_ns": frame0, "edges": len(mids), FITTED_UPTO: 0}, resid)
    sq_err = 0.0
    for i0, i1 in _blocks(app.n):
        seq = np.asarray(app.seq[i0:i1])
        t_strobe = smap.times(seq)
        # How far the camera's own clock, fitted through the host, was from its strobe: a cross-check.
        # (Skipped on a resumed run, whose t_ns may already hold strobe times.)
        if not resumed:
            t_host = guess.apply(np.asarray(app.t_ns[i0:i1]) - provisional)
            sq_err += float(np.sum((t_host - t_strobe).astype(np.float64) ** 2))
            off = ~on_pulse[i0:i1]
            if len(anchor_seq) and off.any():
                t_strobe[off] = np.round(t_host[off] + np.interp(seq[off].astype(np.float64), anchor_seq, anchor_r))
        app.t_ns[i0:i1] = t_strobe
    extra: dict[str, object] = {FITTED_UPTO: app.n, "frames_on_edges": seen}
    if not resumed:
        extra["host_fit_vs_strobe_rms_ns"] = float(np.sqrt(sq_err / app.n))
    writer.set_clock_attrs(spec.name, extra)
    return fit


def _fitted(spec: StreamSpec, clock: dict[str, object], wf: WindowedFit, ref_wf: WindowedFit | None,
            ref_clock: dict[str, object], ref_name: str | None) -> tuple[ClockFit, dict[str, object]]:
    """A stream's device → run map and the attrs that say how good it is (see ``_timing``). The
    reference's stated latency is the zero latencies are relative to; a bound stated with it counts."""
    ref_latency_us = float(ref_clock.get("stated_latency_us") or 0.0)  # type: ignore[arg-type]
    lat = latency_term(spec.kind.value, clock, ref_latency_us)
    fit_unc = wf.precision_ns + wf.curvature_ns
    if ref_wf is not None:
        fit = compose(wf.fit, ref_wf.fit, ref_latency_us * 1e3 - lat.applied_ns,
                      f"{spec.clock.value} fit via host → {ref_name} sample clock")
        ref_unc = ref_wf.precision_ns + ref_wf.curvature_ns
        ref_unc += float(ref_clock.get("stated_latency_uncertainty_us") or 0.0) * 1e3  # type: ignore[arg-type]
    else:
        fit = shifted(wf.fit, -lat.applied_ns, f"{spec.clock.value} fit to host")
        ref_unc = 0.0
    sound = float(clock.get("sound_path_m") or 0.0)  # type: ignore[arg-type]
    return fit, {
        "alignment": (AlignmentMethod.calibrated if lat.stated else AlignmentMethod.fitted).value,
        "uncertainty_ns": float(np.ceil(fit_unc + ref_unc + lat.uncertainty_ns)),
        "latency_ns": lat.applied_ns, "latency_uncertainty_ns": lat.uncertainty_ns,
        "latency_prior": not lat.stated, "fit_uncertainty_ns": fit_unc, "reference_fit_uncertainty_ns": ref_unc,
        "physical_delay_ns": sound / SPEED_OF_SOUND_M_S * 1e9,
    }


def fit_streams(writer: RunWriter) -> dict[str, ClockFit]:
    """Put every stream's t_ns on the run time base (see ``_clock`` and ``_timing``); returns each fit."""
    specs = {name: app.spec for name, app in writer.streams.items()}
    ref_name = reference_stream(list(specs.values()))
    ref = specs.get(ref_name) if ref_name else None
    writer.set_clock_attrs(None, {"time_base": f"sample_clock:{ref_name}" if ref_name else HOST_TIME_BASE,
                                  "reference": ref_name or ""})
    host = {name: _host_fit(writer, name) for name in specs}
    clocks = {name: writer.clock_attrs(name) for name in specs}
    ref_wf = host[ref_name][0] if ref_name else None
    ref_clock = clocks[ref_name] if ref_name else {}
    fits: dict[str, ClockFit] = {}
    strobed: list[str] = []
    for name, spec in specs.items():
        wf, prov = host[name]
        if ref is not None and (name == ref_name or on_reference_clock(spec, ref)):
            # Hardware-timed on the shared trigger: device time is seq / rate, already the run time.
            exact = ClockFit(0.0, 0.0, f"sample clock on {ref.trigger}", wf.fit.n_observations,
                             wf.fit.residual_rms_ns, wf.fit.residual_max_ns)
            fits[name] = _rewrite(writer, name, exact, prov, wf.residual_ns, {
                "alignment": AlignmentMethod.sample_clock.value, "uncertainty_ns": 0.0,
                "timestamp_at": "the sample clock edge (by definition of the run time base)"})
            continue
        if ref is not None and spec.strobe and spec.strobe.split(".")[0] == ref_name:
            strobed.append(name)
            continue
        if not wf.fit.n_observations:
            fits[name] = _rewrite(writer, name, wf.fit, prov, wf.residual_ns, {
                "alignment": AlignmentMethod.assumed.value, "uncertainty_ns": None})
            continue
        composed, extra = _fitted(spec, clocks[name], wf, ref_wf, ref_clock, ref_name)
        fits[name] = _rewrite(writer, name, composed, prov, wf.residual_ns, extra)
    for name in strobed:
        wf, prov = host[name]
        guess, extra = _fitted(specs[name], clocks[name], wf, ref_wf, ref_clock, ref_name)
        shape = float(extra["fit_uncertainty_ns"]) + float(extra["reference_fit_uncertainty_ns"])  # type: ignore[arg-type]
        got = _strobed(writer, specs[name], ref, guess, float(extra["uncertainty_ns"]), shape, prov,  # type: ignore[arg-type]
                       wf.residual_ns)
        fits[name] = got if got is not None else _rewrite(writer, name, guess, prov, wf.residual_ns, {
            **extra, "strobe_unusable": True})
    return fits


def _seq_to_t(writer: RunWriter, name: str, targets: np.ndarray) -> np.ndarray:
    """Run time of (possibly missing) sequence numbers: interpolated between the samples around them,
    extended by the nominal period beyond the first and last sample."""
    app = writer.streams[name]
    period = 1e9 / app.spec.nominal_rate_hz
    targets = np.asarray(targets, dtype=np.float64)
    if app.n == 0:
        return np.round(targets * period).astype(np.int64)
    seq_parts, t_parts = [], []
    lo_s, hi_s = targets.min(), targets.max()
    for i0, i1 in _blocks(app.n):
        seq = np.asarray(app.seq[i0:i1])
        keep = (seq >= lo_s - 1) & (seq <= hi_s + 1)
        if i0 == 0 or i1 == app.n:
            keep[[0, -1]] = True
        # The last sample before and first after each target are all interpolation needs.
        idx = np.unique(np.clip(np.concatenate([np.searchsorted(seq, targets) - 1, np.searchsorted(seq, targets),
                                                np.flatnonzero(keep)]), 0, len(seq) - 1))
        seq_parts.append(seq[idx])
        t_parts.append(np.asarray(app.t_ns[i0:i1])[idx])
    s = np.concatenate(seq_parts).astype(np.float64)
    t = np.concatenate(t_parts).astype(np.float64)
    order = np.argsort(s)
    s, t = s[order], t[order]
    out = np.interp(targets, s, t)
    out = np.where(targets < s[0], t[0] - (s[0] - targets) * period, out)
    out = np.where(targets > s[-1], t[-1] + (targets - s[-1]) * period, out)
    return np.round(out).astype(np.int64)


def _merge_gaps(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """One loss split over several blocks is one gap: contiguous rows of one stream and kind merge."""
    rows = sorted(rows, key=lambda r: (str(r["stream"]), float(r["value"])))  # type: ignore[arg-type]
    out: list[dict[str, object]] = []
    for r in rows:
        p = out[-1] if out else None
        kind = str(r["note"]).split(":")[0]
        if (p and p["stream"] == r["stream"] and str(p["note"]).split(":")[0] == kind and int(r["count"]) > 0  # type: ignore[call-overload]
                and float(p["value"]) + int(p["count"]) == float(r["value"])):  # type: ignore[arg-type, call-overload]
            p["count"] = int(p["count"]) + int(r["count"])  # type: ignore[call-overload]
        else:
            out.append(dict(r))
    return out


def _laser_events(writer: RunWriter) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for name, app in writer.streams.items():
        if "laser_on" not in app.spec.channels or app.n == 0:
            continue
        j = app.spec.channel_index("laser_on")
        prev: bool | None = None
        for i0, i1 in _blocks(app.n):
            level = np.asarray(app.data[i0:i1, j]) > LASER_ON_THRESHOLD_V
            t = np.asarray(app.t_ns[i0:i1])
            full = np.concatenate([[level[0] if prev is None else prev], level])
            for i in np.flatnonzero(np.diff(full.astype(np.int8))):
                rows.append({"t_ns": int(t[i]), "stream": name, "kind": "laser_on" if level[i] else "laser_off"})
            prev = bool(level[-1])
    return rows


def _unrecorded_gaps(writer: RunWriter, gaps: list[dict[str, object]]) -> list[dict[str, object]]:
    """Gap rows for sequence jumps no recorded gap covers: a recorder killed after dropping samples (writer
    behind) but before it wrote their gap row. Recovery says so instead of leaving the loss unexplained."""
    out: list[dict[str, object]] = []
    for name, app in writer.streams.items():
        spans = sorted((int(float(g["value"])), int(g["count"])) for g in gaps  # type: ignore[arg-type, call-overload]
                       if g["stream"] == name and int(g["count"]) > 0)  # type: ignore[call-overload]
        starts = np.asarray([a for a, _ in spans], dtype=np.int64)
        ends = np.maximum.accumulate(np.asarray([a + c for a, c in spans], dtype=np.int64)) if spans else starts
        prev: int | None = None
        for i0, i1 in _blocks(app.n):
            seq = np.asarray(app.seq[i0:i1]).astype(np.int64)
            if prev is not None:
                seq = np.concatenate([[prev], seq])
            for j in np.flatnonzero(np.diff(seq) > 1):
                lo, hi = int(seq[j]) + 1, int(seq[j + 1])
                k = int(np.searchsorted(starts, lo, side="right")) - 1
                if k >= 0 and ends[k] >= hi:
                    continue
                out.append({"t_ns": 0, "stream": name, "kind": "gap", "value": float(lo), "count": hi - lo,
                            "note": "unrecorded: found at recovery (the recorder died before writing this gap)"})
            prev = int(seq[-1]) if len(seq) else prev
    return out


def place_events(writer: RunWriter, *, find_unrecorded: bool = False) -> None:
    """Rebuild the events table on the run time base: gaps from their sequence numbers, laser edges
    from the laser-on line (and, on recovery, gaps for sequence jumps nobody recorded)."""
    recorded = writer.stashed_events()
    if recorded is None:
        recorded = writer.events()
        writer.stash_events(recorded)
    gaps: list[dict[str, object]] = []
    rows: list[dict[str, object]] = []
    for i in range(len(recorded["t_ns"])):
        row = {c: recorded[c][i].item() if hasattr(recorded[c][i], "item") else recorded[c][i]
               for c in EVENT_COLUMNS}
        if row["kind"] in ("laser_on", "laser_off"):
            continue  # rebuilt below from the laser-on line
        (gaps if row["kind"] == "gap" and row["stream"] in writer.streams else rows).append(row)
    gaps = _merge_gaps(gaps)
    if find_unrecorded:
        gaps += _unrecorded_gaps(writer, gaps)
    for name in {str(g["stream"]) for g in gaps}:
        mine = [g for g in gaps if g["stream"] == name]
        first = np.asarray([float(g["value"]) for g in mine])  # type: ignore[arg-type]
        count = np.asarray([int(g["count"]) for g in mine])  # type: ignore[call-overload]
        t = _seq_to_t(writer, name, np.concatenate([first, first + count]))
        for g, t0, t1 in zip(mine, t[: len(mine)], t[len(mine):], strict=True):
            g["t_ns"], g["t_end_ns"] = int(t0), int(t1)
    writer.replace_events([*rows, *gaps, *_laser_events(writer)])
    writer.drop_stashed_events()


def finalize_run(writer: RunWriter, *, status: RunStatus = "finalized",
                 truth: dict[str, tuple[dict, dict]] | None = None) -> dict[str, ClockFit]:
    writer.flush()
    fits = fit_streams(writer)
    place_events(writer, find_unrecorded=status == "recovered")
    for name, (tbl, dtypes) in (truth or {}).items():
        writer.write_truth(name, tbl, dtypes)
    writer.finalize(status)
    return fits
