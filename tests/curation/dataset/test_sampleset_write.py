"""A sample set written while its samples arrive reads back exactly, in any arrival order, and a writer
that fails leaves no table (so the set never looks complete)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from weldctl.curation import SampleArrays, SampleSet
from weldctl.curation.dataset._sampleset import Layout
from weldctl.curation.dataset._sampleset_write import SampleSetStream

LAYOUT = Layout(["a", "b"], 1000.0, {"cam": ((8, 6), "uint8")})


def _sample(rng: np.random.Generator) -> SampleArrays:
    n_sig, n_frames = int(rng.integers(1, 400)), int(rng.integers(0, 70))
    frames = rng.integers(0, 255, (n_frames, 8, 6), dtype=np.uint8)
    return SampleArrays(rng.normal(size=(n_sig, 2)).astype(np.float32), {"cam": frames},
                        {"cam": np.sort(rng.integers(0, 10**9, n_frames)).astype(np.int64)})


def test_samples_read_back_exactly_whatever_their_arrival_order(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    ids = [f"R{r:03d}-w{w:03d}" for r in range(12) for w in range(3)]
    arrival = list(reversed(ids[18:])) + ids[:18]  # not sorted: offsets, not order, locate a sample
    samples = {sid: _sample(rng) for sid in arrival}
    stream = SampleSetStream(tmp_path / "set", LAYOUT, {"params": {"x": 1}})
    for sid in arrival:
        stream.add({"sample_id": sid, "run_id": sid[:4]}, samples[sid])
    stream.close()
    got = SampleSet(tmp_path / "set")
    assert [r["sample_id"] for r in got.rows] == sorted(ids)
    for sid, expected in samples.items():
        a = got.arrays(sid)
        np.testing.assert_array_equal(a.signals, expected.signals)
        np.testing.assert_array_equal(a.frames["cam"], expected.frames["cam"])
        np.testing.assert_array_equal(a.frames_t["cam"], expected.frames_t["cam"])
        assert got.by_id[sid]["content_hash"] == expected.content_hash()


def test_a_failing_writer_is_raised_and_leaves_no_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import weldctl.curation.dataset._sampleset_write as mod

    def broken(group, name, parts, *args):  # type: ignore[no-untyped-def]
        for _ in parts:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(mod, "write_packed", broken)
    rng = np.random.default_rng(1)
    stream = SampleSetStream(tmp_path / "set", LAYOUT)
    with pytest.raises(Exception, match="No space left"):
        for k in range(2000):  # enough to fill the queues: the producer must not hang on a dead writer
            stream.add({"sample_id": f"S{k:05d}"}, _sample(rng))
        stream.close()
    stream.abort()
    assert not (tmp_path / "set" / "samples.parquet").exists()
