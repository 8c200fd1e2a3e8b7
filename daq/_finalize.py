"""Finalizing a run store: fit clocks, place gaps and laser events on the run time base, checksum.

``record`` calls this when it stops; ``recover`` calls the same code on a store a killed
recorder left behind, so both produce the same kind of store.
"""

from __future__ import annotations

import numpy as np

from weldctl.schema import EVENT_COLUMNS, ClockSource, RunStatus, RunWriter

from ._clock import ClockFit, ClockObservations, fit_clock

REWRITE_BLOCK = 1 << 20
LASER_ON_THRESHOLD_V = 2.5


def _fit_stream(writer: RunWriter, name: str) -> tuple[ClockFit, int]:
    spec = writer.streams[name].spec
    dev, host, provisional = writer.clock_observations(name)
    obs = ClockObservations(list(dev), list(host))
    fit, resid = fit_clock(obs, spec.clock.value if spec.clock != ClockSource.host else "host")
    if not len(obs):
        fit = ClockFit(float(provisional), 0.0, "provisional", 0, 0.0, 0.0)
    writer.write_clock(name, fit.as_attrs(), resid)
    app = writer.streams[name]
    for i0 in range(0, app.n, REWRITE_BLOCK):
        i1 = min(app.n, i0 + REWRITE_BLOCK)
        t_prov = np.asarray(app.t_ns[i0:i1])
        app.t_ns[i0:i1] = fit.apply(t_prov - provisional)
    return fit, provisional


def _laser_events(writer: RunWriter) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for name, app in writer.streams.items():
        if "laser_on" not in app.spec.channels or app.n == 0:
            continue
        j = app.spec.channel_index("laser_on")
        level = np.asarray(app.data[: app.n, j]) > LASER_ON_THRESHOLD_V
        t = np.asarray(app.t_ns[: app.n])
        edges = np.flatnonzero(np.diff(level.astype(np.int8))) + 1
        for i in edges:
            rows.append({"t_ns": int(t[i]), "stream": name, "kind": "laser_on" if level[i] else "laser_off"})
    return rows


def finalize_run(writer: RunWriter, *, status: RunStatus = "finalized",
                 truth: dict[str, tuple[dict, dict]] | None = None) -> dict[str, ClockFit]:
    writer.flush()
    fits: dict[str, tuple[ClockFit, int]] = {name: _fit_stream(writer, name) for name in writer.streams}
    events = writer.events()
    # Gap times were written on the provisional clock: move them with their stream.
    rows: list[dict[str, object]] = []
    for i in range(len(events["t_ns"])):
        row = {c: events[c][i] for c in EVENT_COLUMNS}
        if row["kind"] in ("laser_on", "laser_off"):
            continue  # rebuilt below from the laser-on line
        if row["kind"] == "gap" and row["stream"] in fits:
            fit, prov = fits[str(row["stream"])]
            row["t_ns"], row["t_end_ns"] = fit.apply(np.array([row["t_ns"], row["t_end_ns"]]) - prov)
        rows.append(row)
    rows.extend(_laser_events(writer))
    writer.replace_events(rows)
    for name, (tbl, dtypes) in (truth or {}).items():
        writer.write_truth(name, tbl, dtypes)
    writer.finalize(status)
    return {k: v[0] for k, v in fits.items()}
