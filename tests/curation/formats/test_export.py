"""Exports read back with plain h5py / pandas (no weldctl) equal the run store sample for sample."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

# Read the export in a child interpreter where importing weldctl is impossible.
READ_H5 = r"""
import sys, json, hashlib, h5py, numpy as np
sys.modules["weldctl"] = None
def digest(a):
    return [str(a.dtype), list(a.shape), hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()]
out = {}
with h5py.File(sys.argv[1], "r") as f:
    for name, g in f.items():
        if name == "events":
            continue
        d = g["data"]
        out[name] = {"units": d.attrs["units"], "scale": d.dims[0][0].name, "kind": d.attrs["kind"],
                     "data": digest(d[:]), "t_ns": digest(g["t_ns"][:]), "seq": digest(g["seq"][:])}
    out["_run_id"] = f.attrs["run_id"]
print(json.dumps(out))
"""


def _digest(a: np.ndarray) -> list[object]:
    import hashlib

    return [str(a.dtype), list(a.shape), hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()]


def test_hdf5_round_trip_equals_store(sim_run_3s: str, tmp_path: Path) -> None:
    from weldctl.cli import app
    from weldctl.schema import RunReader

    h5 = tmp_path / "R3S.h5"
    res = CliRunner().invoke(app, ["export", sim_run_3s, "--format", "hdf5", "--out", str(h5)])
    assert res.exit_code == 0, res.output
    proc = subprocess.run(
        [sys.executable, "-c", READ_H5, str(h5), str(tmp_path)], capture_output=True, text=True, check=True
    )
    meta = json.loads(proc.stdout)
    r = RunReader(sim_run_3s)
    assert meta["_run_id"] == "R3S"
    assert set(meta) - {"_run_id"} == set(r.specs) == {"audio", "camera", "daq", "ir", "oct", "spectrometer"}
    for name, spec in r.specs.items():
        n = r.length(name)
        assert meta[name]["units"] == spec.units and meta[name]["kind"] == spec.kind.value
        assert meta[name]["scale"].endswith("t_ns")
        assert meta[name]["data"] == _digest(np.asarray(r.data(name)[:n])), name
        assert meta[name]["t_ns"] == _digest(r.t_ns(name)), name
        assert meta[name]["seq"] == _digest(r.seq(name)), name


def test_csv_export_of_one_stream(sim_run_3s: str, tmp_path: Path) -> None:
    import pandas as pd

    from weldctl.cli import app
    from weldctl.schema import RunReader

    out = tmp_path / "daq.csv"
    res = CliRunner().invoke(
        app, ["export", sim_run_3s, "--format", "csv", "--stream", "daq", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    r = RunReader(sim_run_3s)
    assert list(df.columns) == ["t_ns", "t_s", "photodiode [V]", "acoustic [V]", "laser_on [V]"]
    np.testing.assert_array_equal(df["t_ns"].to_numpy(), r.t_ns("daq"))
    np.testing.assert_allclose(df["photodiode [V]"].to_numpy(), np.asarray(r.data("daq")[:, 0]), rtol=1e-6)
    frames = CliRunner().invoke(app, ["export", sim_run_3s, "--format", "csv", "--stream", "camera"])
    assert frames.exit_code == 2 and "frames" in frames.output


def test_csv_export_gives_each_channel_its_own_units(sim_run_3s: str, tmp_path: Path) -> None:
    """OCT quality is a 0..1 figure next to the depth in um: the header says so per channel, raw or not."""
    import pandas as pd

    from weldctl.cli import app
    from weldctl.curation import export_csv
    from weldctl.schema import RunReader

    out = tmp_path / "oct.csv"
    res = CliRunner().invoke(app, ["export", sim_run_3s, "--format", "csv", "--stream", "oct", "--out", str(out)])
    assert res.exit_code == 0, res.output
    want = ["t_ns", "t_s", "keyhole_depth [um]", "quality [1]"]
    assert list(pd.read_csv(out, nrows=1).columns) == want
    raw = export_csv(RunReader(sim_run_3s), "oct", tmp_path / "raw.csv", calibrated=False)
    assert list(pd.read_csv(raw, nrows=1).columns) == want
