"""A disk slower than the sensors: the shard writer pushes back, the recorder's queues absorb what they can,
and everything beyond is recorded as gaps; the store holds exactly the samples that were not lost."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from weldctl.daq import Recorder, build_devices, manifest_for
from weldctl.schema import RecorderSettings, Rig, RunReader, SimCameraConfig, SimDaqConfig
from weldctl.schema._shard_io import LocalSink


def test_slow_disk_becomes_recorded_gaps_not_silent_loss(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    real_put = LocalSink.put

    def slow_put(self: LocalSink, key: str, data: memoryview | bytes) -> None:
        if "/c/" in key:  # a stalling disk: every shard write takes 150 ms
            time.sleep(0.15)
        real_put(self, key, data)

    monkeypatch.setattr(LocalSink, "put", slow_put)
    rig = Rig(
        devices=[SimCameraConfig(name="camera", width=64, height=64, fps=4000.0, block_frames=32),
                 SimDaqConfig(name="daq", rate_hz=50_000.0)],
        recorder=RecorderSettings(queue_seconds=0.3, stop_after_sequence=False),
    )
    rec = Recorder(build_devices(rig), manifest_for(rig, "RSLOW"), str(tmp_path), queue_seconds=0.3)
    result = rec.run(duration_s=2.5, stop_after_sequence=False)
    assert result.ok, result.error
    reader = RunReader(result.uri)
    cam = result.stats["camera"]
    assert cam.lost > 0, "a 150 ms-per-shard disk must overflow a 0.3 s queue at 4 kfps"
    for name, st in result.stats.items():
        assert st.received == st.samples + st.lost, name
        assert reader.length(name) == st.samples, name
        gaps = reader.gaps(name)
        assert int(gaps["count"].sum()) == st.lost, name
        seq = reader.seq(name)
        # Every missing sequence number is covered by a recorded gap.
        missing = np.setdiff1d(np.arange(seq[0], seq[-1] + 1), seq)
        covered = np.concatenate([np.arange(int(v), int(v) + int(c)) for v, c in
                                  zip(gaps["value"], gaps["count"], strict=True)] or [np.empty(0, np.int64)])
        assert np.isin(missing, covered).all(), name
