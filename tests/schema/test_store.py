"""Writer/reader round trip of the run-store layout, independent of devices."""

from pathlib import Path

import numpy as np
import pytest
import zarr

from weldctl.schema import (
    ClockSource,
    RunIdError,
    RunManifest,
    RunReader,
    RunWriter,
    StoreError,
    StreamKind,
    StreamSpec,
    verify_checksums,
)

SPECS = [
    StreamSpec(name="cam", kind=StreamKind.camera, device="d", driver="sim", dtype="uint8", sample_shape=(8, 6),
               units="counts", nominal_rate_hz=100, clock=ClockSource.device, chunk=4),
    StreamSpec(name="sig", kind=StreamKind.daq, device="d", driver="sim", dtype="float32", sample_shape=(2,),
               channels=["a", "b"], units="V", nominal_rate_hz=1000, chunk=16),
]


def test_round_trip_events_truth_checksums(tmp_path: Path) -> None:
    w = RunWriter.create(tmp_path, RunManifest(run_id="S1"), SPECS)
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 255, (37, 8, 6), dtype=np.uint8)
    sig = rng.normal(size=(1000, 2)).astype(np.float32)
    for i in range(0, 37, 5):
        w.streams["cam"].append(frames[i : i + 5], np.arange(i, min(i + 5, 37)) * 10, np.arange(i, min(i + 5, 37)))
    w.streams["sig"].append(sig, np.arange(1000) * 1_000_000, np.arange(1000))
    w.add_events([{"t_ns": 5, "stream": "sig", "kind": "gap", "count": 3}, {"t_ns": 1, "kind": "note", "note": "x"}])
    w.write_truth("welds", {"weld_id": [0, 1]}, {"weld_id": "int64"})
    w.finalize()

    r = RunReader(w.uri)
    assert r.manifest.status == "finalized"
    assert np.array_equal(r.data("cam")[:], frames)
    assert np.array_equal(r.data("sig")[:], sig)
    assert list(r.t_ns("cam")[:3]) == [0, 10, 20]
    ev = r.events()
    assert list(ev["kind"]) == ["note", "gap"]  # sorted by time
    assert r.gaps("sig")["count"].tolist() == [3]
    assert r.truth("welds")["weld_id"].tolist() == [0, 1]
    assert verify_checksums(w.uri).ok

    # plain zarr sees dimension names and the spec
    g = zarr.open_group(w.uri, mode="r")
    assert g["streams/sig/data"].metadata.dimension_names == ("sample", "channel")
    assert g["streams/cam/data"].metadata.dimension_names == ("frame", "y", "x")
    assert g["streams/sig"].attrs["stream_spec"]["channels"] == ["a", "b"]

    # a changed byte is caught
    chunk = next(p for p in (Path(w.uri) / "streams" / "sig" / "data").rglob("*") if p.is_file())
    chunk.write_bytes(chunk.read_bytes() + b"\0")
    rep = verify_checksums(w.uri)
    assert not rep.ok and rep.changed


def test_existing_run_is_not_overwritten(tmp_path: Path) -> None:
    RunWriter.create(tmp_path, RunManifest(run_id="S2"), SPECS).finalize()
    with pytest.raises(RunIdError, match="already exists"):
        RunWriter.create(tmp_path, RunManifest(run_id="S2"), SPECS)
    RunWriter.create(tmp_path, RunManifest(run_id="S2"), SPECS, overwrite=True).finalize()


def test_reader_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no run store"):
        RunReader(tmp_path / "nope.zarr")
    zarr.open_group(tmp_path / "plain.zarr", mode="w")
    with pytest.raises(StoreError, match="not a weldctl run store"):
        RunReader(tmp_path / "plain.zarr")
    w = RunWriter.create(tmp_path, RunManifest(run_id="S3"), SPECS)
    w.group["streams/sig"].attrs["stream_spec"] = {"name": "sig", "kind": "thermometer"}
    with pytest.raises(StoreError, match="stream 'sig' has no valid stream spec"):
        _ = RunReader(w.uri).specs


def test_crash_mid_append_reads_as_consistent_prefix(tmp_path: Path) -> None:
    w = RunWriter.create(tmp_path, RunManifest(run_id="S4"), SPECS)
    w.streams["sig"].append(np.ones((100, 2), np.float32), np.arange(100), np.arange(100))
    w.streams["sig"].flush()
    # simulate a kill after data and t_ns grew but before seq did
    w.streams["sig"].data.resize((150, 2))
    w.streams["sig"].t_ns.resize((150,))
    assert RunReader(w.uri).length("sig") == 100


def test_read_spans_match_plain_zarr_slices_and_read_a_shared_chunk_once(tmp_path: Path) -> None:
    w = RunWriter.create(tmp_path, RunManifest(run_id="S2"), SPECS)
    frames = np.random.default_rng(1).integers(0, 255, (300, 8, 6), dtype=np.uint8)
    w.streams["cam"].append(frames, np.arange(300) * 10, np.arange(300))
    w.finalize()
    r = RunReader(w.uri)
    # Out of order, overlapping, sharing a 4-frame chunk, abutting, empty, far apart, to the end.
    spans = [(40, 61), (5, 19), (17, 30), (30, 30), (62, 66), (200, 203), (0, 300), (299, 300), (31, 33)]
    got = r.read_spans([("cam", a, b) for a, b in spans])
    plain = zarr.open_array(f"{w.uri}/streams/cam/data", mode="r")
    for (a, b), arr in zip(spans, got, strict=True):
        assert arr.shape == (b - a, 8, 6)
        assert np.array_equal(arr, plain[a:b]), (a, b)

    reads: list[object] = []
    real = r.read_many
    r.read_many = lambda batch: reads.extend(batch) or real(batch)  # type: ignore[method-assign]
    r.read_spans([("cam", 5, 9), ("cam", 10, 14), ("cam", 40, 44)])  # chunks 1-2 and 2-3 share one; chunk 10 is apart
    assert [sel for _n, _w, sel in reads] == [slice(5, 14), slice(40, 44)]  # type: ignore[misc]
