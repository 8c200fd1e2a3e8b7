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

from weldctl.schema import EVENT_COLUMNS, RunStatus, RunWriter, StreamSpec

from ._clock import (
    HOST_TIME_BASE,
    ClockFit,
    ClockObservations,
    StrobeMap,
    fit_clock,
    on_reference_clock,
    reference_stream,
    rising_edges,
    strobe_map,
)

REWRITE_BLOCK = 1 << 20
LASER_ON_THRESHOLD_V = 2.5
STROBE_THRESHOLD_V = 2.5
FITTED_UPTO = "fitted_upto"  # clock/<stream> attr: samples whose t_ns are already on the run time base
WRITE_AHEAD = "provisional_block"  # clock/<stream>/: the block of provisional times being rewritten


def _blocks(n: int) -> Iterator[tuple[int, int]]:
    for i0 in range(0, n, REWRITE_BLOCK):
        yield i0, min(n, i0 + REWRITE_BLOCK)


def _host_fit(writer: RunWriter, name: str) -> tuple[ClockFit, np.ndarray, int]:
    dev, host, provisional = writer.clock_observations(name)
    fit, resid = fit_clock(ClockObservations(list(dev), list(host)), "host")
    if not len(dev):
        fit = ClockFit(float(provisional), 0.0, "provisional", 0, 0.0, 0.0)
    return fit, resid, provisional


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


def _strobe_edges_ns(writer: RunWriter, ref: StreamSpec, channel: str) -> np.ndarray:
    """Times of the strobe's rising edges on the reference sample clock (seq / rate)."""
    app = writer.streams[ref.name]
    j = ref.channel_index(channel)
    out: list[np.ndarray] = []
    prev = False
    for i0, i1 in _blocks(app.n):
        level = np.asarray(app.data[i0:i1, j]) > STROBE_THRESHOLD_V
        idx = rising_edges(np.concatenate([[prev], level]))[0:] - 1
        idx = idx[idx >= 0]
        seq = np.asarray(app.seq[i0:i1])
        out.append(seq[idx].astype(np.float64) * (1e9 / ref.nominal_rate_hz))
        prev = bool(level[-1]) if len(level) else prev
    return np.concatenate(out) if out else np.empty(0)


def _strobed(writer: RunWriter, spec: StreamSpec, ref: StreamSpec, guess: ClockFit, provisional: int,
             resid: np.ndarray) -> ClockFit | None:
    """Frame k at the k-th strobe edge; None when the strobe shows too few edges to use."""
    app = writer.streams[spec.name]
    _, channel = str(spec.strobe).split(".", 1)
    edges = _strobe_edges_ns(writer, ref, channel)
    period = 1e9 / spec.nominal_rate_hz
    if not app.n or spec.nominal_rate_hz * 2 > ref.nominal_rate_hz:
        return None  # no frames, or a strobe faster than the reference can resolve
    first_seq = int(app.seq[0])
    frame0 = float(guess.apply(np.asarray([int(app.t_ns[0]) - provisional]))[0]) - first_seq * period
    resumed = writer.clock_attrs(spec.name).get("frame0_guess_ns") is not None
    if resumed:
        frame0 = float(writer.clock_attrs(spec.name)["frame0_guess_ns"])  # type: ignore[arg-type]
    smap: StrobeMap | None = strobe_map(edges, 1e9 / ref.nominal_rate_hz, frame0, period)
    if smap is None:
        return None
    fit = ClockFit(float(smap.t_ns[0] - smap.frame[0] * smap.period_ns), (smap.period_ns / period - 1.0) * 1e6,
                   f"strobe {spec.strobe}", len(smap.frame), smap.residual_rms_ns, smap.quantisation_ns,
                   smap.quantisation_ns)
    writer.write_clock(spec.name, {**fit.as_attrs(), "alignment": "strobe", "uncertainty_ns": smap.quantisation_ns,
                                   "frame0_guess_ns": frame0, "edges": len(edges), FITTED_UPTO: 0}, resid)
    seen, sq_err = 0, 0.0
    for i0, i1 in _blocks(app.n):
        seq = np.asarray(app.seq[i0:i1])
        seen += int(np.isin(seq, smap.frame).sum())
        t_strobe = smap.times(seq)
        # How far the camera's own clock, fitted through the host, was from its strobe: a cross-check.
        # (Skipped on a resumed run, whose t_ns may already hold strobe times.)
        if not resumed:
            t_host = guess.apply(np.asarray(app.t_ns[i0:i1]) - provisional)
            sq_err += float(np.sum((t_host - t_strobe).astype(np.float64) ** 2))
        app.t_ns[i0:i1] = t_strobe
    extra: dict[str, object] = {FITTED_UPTO: app.n, "frames_on_edges": seen}
    if not resumed:
        extra["host_fit_vs_strobe_rms_ns"] = float(np.sqrt(sq_err / app.n))
    writer.set_clock_attrs(spec.name, extra)
    return fit


def fit_streams(writer: RunWriter) -> dict[str, ClockFit]:
    """Put every stream's t_ns on the run time base (see ``_clock``); returns each stream's fit."""
    specs = {name: app.spec for name, app in writer.streams.items()}
    ref_name = reference_stream(list(specs.values()))
    ref = specs.get(ref_name) if ref_name else None
    writer.set_clock_attrs(None, {"time_base": f"sample_clock:{ref_name}" if ref_name else HOST_TIME_BASE,
                                  "reference": ref_name or ""})
    host = {name: _host_fit(writer, name) for name in specs}
    to_run = host[ref_name][0].inverse(f"host → {ref_name} sample clock") if ref_name else None
    fits: dict[str, ClockFit] = {}
    strobed: list[str] = []
    for name, spec in specs.items():
        fit, resid, prov = host[name]
        if ref is not None and (name == ref_name or on_reference_clock(spec, ref)):
            # Hardware-timed on the shared trigger: device time is seq / rate, already the run time.
            exact = ClockFit(0.0, 0.0, f"sample clock on {ref.trigger}", fit.n_observations, fit.residual_rms_ns,
                             fit.residual_max_ns)
            fits[name] = _rewrite(writer, name, exact, prov, resid, {"alignment": "sample_clock",
                                                                      "uncertainty_ns": 0.0})
            continue
        if ref is not None and spec.strobe and spec.strobe.split(".")[0] == ref_name:
            strobed.append(name)
            continue
        composed = fit.then(to_run, f"{spec.clock.value} fit via host → {ref_name} sample clock") if to_run else fit
        fits[name] = _rewrite(writer, name, composed, prov, resid, {"alignment": "fitted",
                                                                    "uncertainty_ns": composed.envelope_rms_ns})
    for name in strobed:
        fit, resid, prov = host[name]
        guess = fit.then(to_run, "host guess") if to_run else fit
        got = _strobed(writer, specs[name], ref, guess, prov, resid)  # type: ignore[arg-type]
        fits[name] = got if got is not None else _rewrite(writer, name, guess, prov, resid, {
            "alignment": "fitted (strobe unusable)", "uncertainty_ns": guess.envelope_rms_ns})
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
