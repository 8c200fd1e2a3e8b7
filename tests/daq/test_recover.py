"""Issue: crash safety — finalize can be cut short at any step and `recover` completes it, with every
sample time applied exactly once."""

from __future__ import annotations

import numpy as np
import pytest

from tests.daq.test_losses import lossy_rig
from weldctl.daq import _finalize, make_recorder, recover_run
from weldctl.schema import ClockFault, RunReader, RunWriter, StoreError, verify_checksums


class Crash(Exception):
    """Stands in for the process dying here."""


def _offset_rig():  # type: ignore[no-untyped-def]
    rig = lossy_rig()
    for d in rig.devices:
        if d.kind in ("camera", "oct"):
            d.clock_fault = ClockFault(offset_ms=7.0, drift_ppm=40.0)  # a time applied twice is 7 ms off
    return rig


@pytest.mark.parametrize("crash_at", ["rewrite", "events"])
def test_recover_completes_an_interrupted_finalize(tmp_path, monkeypatch, crash_at) -> None:  # type: ignore[no-untyped-def]
    rec = make_recorder(_offset_rig(), "RRESUME", str(tmp_path))
    monkeypatch.setattr(_finalize, "REWRITE_BLOCK", 4096)  # several blocks per stream
    if crash_at == "rewrite":
        calls = {"n": 0}
        real = RunWriter.set_clock_attrs

        def dying(self, stream, attrs):  # type: ignore[no-untyped-def]
            calls["n"] += 1
            if calls["n"] == 9:  # a few blocks into the streams' time rewrite
                raise Crash
            return real(self, stream, attrs)

        monkeypatch.setattr(RunWriter, "set_clock_attrs", dying)
    else:
        def dying_events(writer, rows):  # type: ignore[no-untyped-def]
            raise Crash

        monkeypatch.setattr(RunWriter, "replace_events", dying_events)
    with pytest.raises(Crash):
        rec.run()
    monkeypatch.undo()
    assert RunReader(rec.writer.uri).manifest.status == "recording"

    recover_run(rec.writer.uri)
    r = RunReader(rec.writer.uri)
    assert r.manifest.status == "recovered" and verify_checksums(r.uri).ok
    devs = {d.name: d for d in rec.devices}
    for name in r.specs:
        truth = devs["daq"].run_time_ns(devs[name].true_time(r.seq(name).astype(float)))  # type: ignore[attr-defined]
        # No jitter injected: fitted streams are µs-exact; strobed frames sit within half a DAQ sample.
        tol = 5_000 if r.clock(name)["alignment"] == "strobe" else 1_000
        assert np.abs(r.t_ns(name) - truth).max() <= tol, name
    gaps = r.gaps()
    assert sorted(set(gaps["stream"].tolist())) == ["audio", "camera", "daq", "oct"] and len(gaps["count"]) == 7
    with pytest.raises(StoreError, match="nothing to recover"):
        recover_run(r.uri)


def test_recover_after_a_torn_clock_observation(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A kill mid-append left clock observations with device_ns written and host_ns not (reads as 0):
    recovery must not fit through them (that collapsed a stream's times to ~0, running backwards)."""
    from weldctl.daq import _store_lifecycle

    def killed(*_a, **_k):  # type: ignore[no-untyped-def]
        raise Crash

    monkeypatch.setattr(_store_lifecycle, "finalize_run", killed)
    rec = make_recorder(_offset_rig(), "RTORN", str(tmp_path))
    with pytest.raises(Crash):
        rec.run()
    monkeypatch.undo()
    rec.writer.unlock()  # the process "died": the OS would have dropped its lock
    import zarr

    for name in ("oct", "audio"):
        obs = zarr.open_group(rec.writer.uri, mode="r+")[f"clock/{name}/observations"]
        n = obs["device_ns"].shape[0]
        for col in ("device_ns", "host_ns"):
            obs[col].resize((n + 5,))
        obs["device_ns"][n:] = np.asarray(obs["device_ns"][n - 5 : n]) + 10**9
    recover_run(rec.writer.uri)
    r = RunReader(rec.writer.uri)
    for name in ("oct", "audio"):
        t = r.t_ns(name)
        assert np.all(np.diff(t) > 0) and t[-1] > 0.3e9, name
        assert abs(float(r.clock(name)["drift_ppm"])) < 100, (name, r.clock(name)["drift_ppm"])
