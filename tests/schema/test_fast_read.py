"""Batched reads of complete local stores go through tensorstore; zarr-python, read on its own, is the oracle."""

from pathlib import Path

import numpy as np
import pytest
import zarr

from weldctl.schema import RunManifest, RunReader, RunWriter, StoreError
from weldctl.schema import _fast_read as fast_read

from .small_stream import CAM

pytestmark = pytest.mark.skipif(not fast_read.available(), reason="tensorstore is not installed")


def test_every_array_of_a_sim_run_reads_as_zarr_python_reads_it(sim_run_3s: str) -> None:
    r = RunReader(sim_run_3s)
    assert r._fast  # a finalized store on a local disk
    plain = zarr.open_group(sim_run_3s, mode="r")["streams"]
    reads = []
    for name, spec in r.specs.items():
        n = r.length(name)
        reads += [(name, w, slice(0, n)) for w in ("data", "t_ns", "seq")]
        reads += [(name, "data", slice(n // 3, n // 2)), (name, "data", slice(n - 1, n + 50)),  # clipped as numpy
                  (name, "data", slice(7, 7))]
        if spec.channels:
            reads.append((name, "data", (slice(1, n - 1), len(spec.channels) - 1)))
    got = r.read_many(reads)
    for (name, which, sel), arr in zip(reads, got, strict=True):
        want = plain[name][which][sel]
        assert arr.dtype == want.dtype and arr.shape == want.shape, (name, which, sel)
        assert np.array_equal(arr, want), (name, which, sel)


def test_read_spans_agree_with_and_without_tensorstore(sim_run_3s: str, monkeypatch: pytest.MonkeyPatch) -> None:
    spans = [("camera", 10, 90), ("camera", 85, 200), ("ir", 0, 40), ("camera", 600, 601)]
    fast = RunReader(sim_run_3s).read_spans(spans)
    monkeypatch.setattr(fast_read, "available", lambda: False)
    slow_reader = RunReader(sim_run_3s)
    assert not slow_reader._fast
    for a, b in zip(fast, slow_reader.read_spans(spans), strict=True):
        assert np.array_equal(a, b)


def test_a_store_still_being_written_is_read_by_zarr_python(tmp_path: Path) -> None:
    w = RunWriter.create(tmp_path, RunManifest(run_id="LIVE"), [CAM])
    frames = np.arange(40 * 16 * 16, dtype=np.uint8).reshape(40, 16, 16)
    w.streams["cam"].append(frames, np.arange(40) * 10, np.arange(40))
    w.flush()
    r = RunReader(w.uri)
    assert not r._fast  # its shards may be half-written: zarr-python and the committed-length rule read it
    assert np.array_equal(r.read_many([("cam", "data", slice(0, r.length("cam")))])[0], frames[: r.length("cam")])
    w.finalize()
    done = RunReader(w.uri)
    assert done._fast and np.array_equal(done.read_many([("cam", "data", slice(0, 40))])[0], frames)


def test_a_missing_array_is_a_store_error_naming_it(tmp_path: Path) -> None:
    w = RunWriter.create(tmp_path, RunManifest(run_id="GONE"), [CAM])
    w.streams["cam"].append(np.zeros((8, 16, 16), np.uint8), np.arange(8), np.arange(8))
    w.finalize()
    seq = Path(w.uri) / "streams" / "cam" / "seq"
    seq.chmod(0o755)  # finalized stores are read-only
    (seq / "zarr.json").unlink()
    with pytest.raises(StoreError, match="'seq'"):
        RunReader(w.uri).read_many([("cam", "data", slice(0, 8))])


def _read_in_child(uri: str) -> int:
    r = RunReader(uri)
    return int(r.read_many([("camera", "data", slice(0, 5))])[0].sum())


def test_a_process_forked_after_tensorstore_ran_reads_through_zarr_python(sim_run_3s: str) -> None:
    import multiprocessing

    want = _read_in_child(sim_run_3s)  # tensorstore's threads now run in this process
    with multiprocessing.get_context("fork").Pool(1) as pool:  # aborted before: tensorstore is not fork-safe
        assert pool.apply(_read_in_child, (sim_run_3s,)) == want
