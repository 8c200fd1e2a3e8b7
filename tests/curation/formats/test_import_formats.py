"""TDMS and HDF5 readers: a foreign DAQ file with known values imports onto one time base with a CSV."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

MAPPING = {
    "name": "lab-daq",
    "run": {
        "pattern": r"(?P<run_id>L\d+)$",
        "manifest": {"rig": "lab", "material": "{run_id}"},
        "labels": {"condition": {"from": "run_id", "map": {"L7": "baseline"}}},
    },
    "streams": [
        {
            "name": "daq",
            "kind": "daq",
            "reader": "tdms",
            "file": "{run_id}.tdms",
            "time": {"source": "rate"},
            "align": {"mode": "wall_clock"},
            "channels": [
                {"source": "ai/photodiode", "name": "photodiode", "units": "V"},
                {"source": "ai/current", "name": "current", "units": "A", "scale": 100.0},
            ],
        },
        {
            "name": "oct",
            "kind": "oct",
            "reader": "hdf5",
            "file": "oct.h5",
            "time": {"source": "rate", "rate_hz": 2000.0},
            "align": {"mode": "start_at", "to": "daq", "offset_s": 0.25},
            "channels": [{"source": "depth", "name": "keyhole_depth", "units": "um"}],
        },
        {
            "name": "robot",
            "kind": "daq",
            "reader": "hdf5",
            "file": "oct.h5",
            "time": {"source": "column", "columns": ["robot_t"]},
            "align": {"mode": "wall_clock"},
            "channels": [{"source": "robot_x", "name": "x", "units": "mm"}],
        },
    ],
}
START = np.datetime64("2024-05-02T10:00:00.000000", "ns")


def _write_sources(run: Path) -> tuple[np.ndarray, np.ndarray]:
    import h5py
    from nptdms import ChannelObject, GroupObject, TdmsWriter

    run.mkdir(parents=True)
    pd_v = np.sin(np.arange(5000) / 50.0)
    cur = np.linspace(0, 1.7, 5000)
    props = {"wf_increment": 1e-4, "wf_start_time": START}
    with TdmsWriter(run / "L7.tdms") as w:
        w.write_segment(
            [
                GroupObject("ai"),
                ChannelObject("ai", "photodiode", pd_v, properties=props),
                ChannelObject("ai", "current", cur, properties=props),
            ]
        )
    depth = np.cos(np.arange(1000) / 10.0) * 500 + 1500
    with h5py.File(run / "oct.h5", "w") as f:
        f["depth"] = depth
        # Robot poses stamped in epoch seconds, 0.1 s after the DAQ started.
        t0 = START.astype("int64") / 1e9
        f["robot_t"] = t0 + 0.1 + np.arange(20) * 0.05
        f["robot_x"] = np.arange(20) * 1.5
    return pd_v, depth


def test_tdms_and_hdf5_import(tmp_path: Path) -> None:
    from weldctl.curation import import_run, read_labels_jsonl
    from weldctl.schema import ImportMapping, RunReader

    pd_v, depth = _write_sources(tmp_path / "src" / "L7")
    mapping = ImportMapping.model_validate(yaml.safe_load(yaml.safe_dump(MAPPING)))
    res = import_run(
        mapping, tmp_path / "src" / "L7", tmp_path / "runs", labels_path=tmp_path / "labels.jsonl"
    )
    r = RunReader(res.uri)
    assert r.manifest.status == "imported" and r.manifest.material == "L7"
    assert r.manifest.start_utc.timestamp() == START.astype("int64") / 1e9
    np.testing.assert_allclose(r.data("daq")[:, 0], pd_v, rtol=1e-6)
    assert r.specs["daq"].calibration["current"].scale == 100.0
    assert r.specs["daq"].nominal_rate_hz == 10_000
    np.testing.assert_array_equal(r.t_ns("daq")[:3], [0, 100_000, 200_000])
    np.testing.assert_allclose(r.data("oct")[:, 0], depth, rtol=1e-6)
    assert r.t_ns("oct")[0] == 250_000_000 and r.t_ns("oct")[1] - r.t_ns("oct")[0] == 500_000
    np.testing.assert_allclose(r.t_ns("robot")[:2], [100_000_000, 150_000_000], atol=1e3)
    assert read_labels_jsonl(tmp_path / "labels.jsonl")[0]["labels"] == {"condition": "baseline"}
    # Placed by assumption (start_at), said so, with a bound that is not a claim of exactness.
    oct_clock = r.clock("oct")
    assert oct_clock["alignment"] == "assumed" and oct_clock["uncertainty_ns"] > 0
    assert "residual_rms_ns" not in oct_clock
    assert r.clock("daq")["alignment"] == "wall_clock" and r.clock("daq")["uncertainty_ns"] == 0


def test_bad_mapping_is_one_clear_error(tmp_path: Path) -> None:
    import pytest

    from weldctl.schema import ImportSourceError, load_mapping

    bad = dict(MAPPING, streams=[dict(MAPPING["streams"][1], align={"mode": "start_at", "to": "nowhere"})])
    p = tmp_path / "m.yaml"
    p.write_text(yaml.safe_dump(bad))
    with pytest.raises(ImportSourceError, match="unknown stream 'nowhere'"):
        load_mapping(p)
