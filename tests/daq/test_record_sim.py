"""Issue: record a run end to end on the simulated rig."""

import json
import subprocess
import sys
import textwrap

import numpy as np

from weldctl.schema import LaserCondition, RunReader, verify_checksums

RATES = {"camera": 1000.0, "ir": 100.0, "daq": 100_000.0, "audio": 48_000.0, "oct": 20_000.0, "spectrometer": 100.0}

# Runs in a fresh interpreter where importing weldctl is impossible: the store must stand on its own.
PLAIN_READER = textwrap.dedent(
    """
    import json, sys
    sys.modules["weldctl"] = None
    import zarr, xarray as xr
    uri = sys.argv[1]
    g = zarr.open_group(uri, mode="r")
    out = {"manifest": g.attrs["weldctl"]["manifest"], "streams": {}}
    for name, sg in g["streams"].groups():
        ds = xr.open_zarr(uri, group=f"streams/{name}", consolidated=False)
        n = min(ds.sizes[d] for d in ds["t_ns"].dims)
        out["streams"][name] = {"n": int(n), "dims": list(ds["data"].dims), "coords": sorted(ds.coords),
                                "t_first": int(ds["t_ns"][0]), "t_last": int(ds["t_ns"][n - 1]),
                                "spec_kind": sg.attrs["stream_spec"]["kind"]}
    tree = xr.open_datatree(uri, engine="zarr", consolidated=False)
    out["truth_welds"] = [int(w) for w in tree["truth/welds"]["weld_id"].values]
    out["groups"] = sorted(tree.children)
    print(json.dumps(out))
    """
)


def test_three_seconds_open_without_weldctl(sim_run_3s: str) -> None:
    proc = subprocess.run([sys.executable, "-c", PLAIN_READER, sim_run_3s], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["manifest"]["run_id"] == "R3S" and out["manifest"]["status"] == "finalized"
    assert set(out["streams"]) == set(RATES)
    assert {"clock", "events", "streams", "truth", "integrity"} <= set(out["groups"])
    for name, rate in RATES.items():
        s = out["streams"][name]
        expected = rate * 3.0
        assert abs(s["n"] - expected) <= 0.01 * expected, (name, s["n"], expected)
        assert s["dims"][0] in ("sample", "frame", "time")
        assert {"t_ns", "seq"} <= set(s["coords"])
        assert 0 <= s["t_first"] < 50_000_000 and 2.9e9 < s["t_last"] < 3.05e9, (name, s)
    assert out["truth_welds"], "truth lists the welds"
    # spectra open with their wavelength axis as a coordinate, whatever reads them
    spectra = out["streams"]["spectrometer"]
    assert spectra["dims"] == ["time", "wavelength"] and "wavelength" in spectra["coords"], spectra


def test_streams_agree_with_truth(sim_run_3s: str) -> None:
    """The welds of truth are visible in every stream at the same times."""
    r = RunReader(sim_run_3s)
    welds = r.truth("welds")
    assert set(welds["condition"]) <= {c.value for c in LaserCondition}
    ev = r.events()
    on = ev["t_ns"][ev["kind"] == "laser_on"]
    started = welds["t_start_ns"][welds["t_start_ns"] < 2.9e9]
    assert len(on) == len(started)
    # Host-latency bound here; the time-base tests hold hardware-timed streams to 20 µs.
    assert np.all(np.abs(on - started) < 1_000_000)
    w0_start, w0_end = welds["t_start_ns"][0], welds["t_end_ns"][0]
    mid = (w0_start + w0_end) // 2
    depth, _ = r.window("oct", mid - 50_000_000, mid + 50_000_000)
    idle, _ = r.window("oct", 0, w0_start - 50_000_000)
    assert depth[:, 0].mean() > 500 and np.all(idle[:, 1] == 0)  # µm of keyhole while welding, invalid before
    frames, _ = r.window("camera", mid - 5_000_000, mid + 5_000_000)
    dark, _ = r.window("camera", 0, w0_start - 20_000_000)
    assert (frames > 200).sum(axis=(1, 2)).mean() > 50 > (dark > 200).sum(axis=(1, 2)).mean()
    ir_hot, _ = r.window("ir", w0_end - 20_000_000, w0_end)
    spec = r.specs["ir"]
    assert spec.calibration["*"].apply(ir_hot.max()) > 800  # °C at the end of the weld
    # the spectrometer sees the weld (dark-subtracted emission an order above the idle noise), its truth is stored
    sp = r.specs["spectrometer"].spectrum
    assert sp is not None
    lit, _ = r.window("spectrometer", mid - 50_000_000, mid + 50_000_000)
    idle_sp, _ = r.window("spectrometer", 0, w0_start - 50_000_000)
    assert sp.dark_subtracted(lit).sum(axis=1).mean() > 10 * abs(sp.dark_subtracted(idle_sp).sum(axis=1)).mean()
    assert {"continuum_temperature_k", "electron_temperature_k", "h_alpha"} <= set(r.truth("spectra"))
    assert verify_checksums(sim_run_3s).ok
