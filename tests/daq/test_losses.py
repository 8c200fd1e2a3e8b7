"""Issue: loss accounting — every injected loss is one gap event, exactly where and as large as injected."""

from __future__ import annotations

import numpy as np

from weldctl.daq import make_recorder
from weldctl.schema import (
    LossInjection,
    Rig,
    RunReader,
    SimAudioConfig,
    SimCameraConfig,
    SimDaqConfig,
    SimOctConfig,
    SimProcess,
    WeldPlan,
)

INJECTED = {
    # daq blocks are 2000 samples: the first loss spans two blocks.
    "daq": [LossInjection(at_s=0.31, count=3000, kind="device_overflow"),
            LossInjection(at_s=0.8, count=500, kind="device_overflow")],
    "camera": [LossInjection(at_s=0.25, count=7, kind="packet_loss"),
               LossInjection(at_s=0.6, count=60, kind="packet_loss")],
    # Queue overflows go through the recorder's own queue path: whole and partial blocks.
    "oct": [LossInjection(at_s=0.45, count=1500, kind="queue_overflow")],
    "audio": [LossInjection(at_s=0.2, count=100, kind="queue_overflow"),
              LossInjection(at_s=0.7, count=2000, kind="device_overflow")],
}


def lossy_rig() -> Rig:
    weld = WeldPlan(weld_id=0, condition="baseline", laser_power_w=2000.0, speed_mm_s=60.0, length_mm=45.0)
    return Rig(
        name="sim-lossy", sim=SimProcess(lead_s=0.1, welds=[weld]),
        # The camera's strobe is on the DAQ, which loses samples too: frames must stay on their edges.
        devices=[SimCameraConfig(name="camera", width=64, height=64, losses=INJECTED["camera"],
                                 strobe="daq.camera_strobe"),
                 SimDaqConfig(name="daq", losses=INJECTED["daq"],
                              channels=["photodiode", "acoustic", "laser_on", "camera_strobe"]),
                 SimAudioConfig(name="audio", losses=INJECTED["audio"]),
                 SimOctConfig(name="oct", losses=INJECTED["oct"])],
    )


def test_gap_table_equals_the_injection(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rec = make_recorder(lossy_rig(), "RLOSS", str(tmp_path))
    result = rec.run()
    assert result.ok, result.error
    r = RunReader(result.uri)
    gaps = r.gaps()
    for dev in rec.devices:
        name = dev.name
        injected = sorted((g.seq_start, g.count, g.kind) for g in dev.injected)  # type: ignore[attr-defined]
        # What was asked for is what the sim did: same places (by time) and sizes.
        assert [c for _, c, _ in injected] == [x.count for x in INJECTED[name]], name
        mine = gaps["stream"] == name
        stored = sorted(zip(gaps["value"][mine].astype(int).tolist(), gaps["count"][mine].tolist(),
                            [n.split(":")[0] for n in gaps["note"][mine]], strict=True))
        assert stored == injected, (name, stored, injected)
        # The samples really are missing from the store, and nothing else is.
        seq = r.seq(name)
        missing = np.setdiff1d(np.arange(seq[0], seq[-1] + 1), seq)
        expect = np.concatenate([np.arange(s, s + c) for s, c, _ in injected])
        assert np.array_equal(missing, expect), name
        assert result.stats[name].lost == sum(c for _, c, _ in injected)
        # Gap times sit where the missing samples would have been.
        t = r.t_ns(name)
        for s0, t0, t1 in zip(gaps["value"][mine].astype(int), gaps["t_ns"][mine], gaps["t_end_ns"][mine],
                              strict=True):
            i = np.searchsorted(seq, s0)
            assert t[i - 1] < t0 <= t[i] and t0 < t1 <= t[i], name
    assert rec.stats["oct"].behind and rec.stats["audio"].behind
    # `weldctl inspect` totals the losses per stream and cause, and says how each stream was aligned.
    from typer.testing import CliRunner

    from weldctl.cli import app

    shown = CliRunner().invoke(app, ["inspect", result.uri], env={"COLUMNS": "220"})
    assert shown.exit_code == 0, shown.output
    for name, losses in INJECTED.items():
        for kind in {x.kind for x in losses}:
            total = sum(x.count for x in losses if x.kind == kind)
            assert any(name in line and kind in line and f"{total:,}" in line for line in shown.output.splitlines()), (
                name, kind, shown.output)
    assert "run time base: sample_clock:daq" in shown.output and "strobe" in shown.output
    # Lost frames and lost strobe edges (in the DAQ's overflows) do not shift the frames that remain.
    cam, daq = (next(d for d in rec.devices if d.name == n) for n in ("camera", "daq"))
    truth = daq.run_time_ns(cam.true_time(r.seq("camera").astype(float)))  # type: ignore[attr-defined]
    assert r.clock("camera")["alignment"] == "strobe"
    assert np.abs(r.t_ns("camera") - truth).max() <= 5_000


def test_a_writer_that_falls_behind_drops_whole_blocks_and_says_so(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Real backpressure, no injection: a stalled disk write fills the bounded queue; each block that
    does not fit is dropped and recorded, and nothing else is lost."""
    from weldctl.schema import StreamAppender

    rig = lossy_rig()
    for d in rig.devices:
        d.losses = []
    rig.recorder.queue_seconds = 0.1
    # Long enough that the stall lands mid-recording, whatever the machine's load.
    rig.sim.welds = [w.model_copy(update={"length_mm": 120.0}) for w in rig.sim.welds or []]
    real_append = StreamAppender.append
    stalled = {"done": False}

    def stalling_append(self, *args):  # type: ignore[no-untyped-def]
        # The writer thread waits on the disk once (an append blocks when shard buffers are all in
        # flight), for longer than the queue holds.
        if self.spec.name == "daq" and self.n > 0 and not stalled["done"]:
            stalled["done"] = True
            import time

            time.sleep(0.6)
        return real_append(self, *args)

    monkeypatch.setattr(StreamAppender, "append", stalling_append)
    rec = make_recorder(rig, "RSTALL", str(tmp_path))
    result = rec.run()
    assert result.ok, result.error
    r = RunReader(result.uri)
    total = 0
    for name in r.specs:
        seq = r.seq(name)
        # Every sample read from the device is either in the store or in a gap (drops at the end too).
        missing = np.setdiff1d(np.arange(result.stats[name].received), seq)
        g = r.gaps(name)
        assert all(n.startswith("queue_overflow") for n in g["note"]), name
        listed = np.concatenate([np.arange(s, s + c) for s, c in zip(g["value"].astype(int), g["count"], strict=True)]
                                ) if len(g["count"]) else np.empty(0, int)
        assert np.array_equal(np.sort(listed), missing), name
        assert result.stats[name].lost == len(missing)
        total += len(missing)
    assert total > 0 and any(s.behind for s in result.stats.values())


OVERLAPPING = {
    # B lies inside A; C starts inside A and runs past its end (another cause).
    "daq": [LossInjection(at_s=0.31, count=3000), LossInjection(at_s=0.32, count=500),
            LossInjection(at_s=0.335, count=1000, kind="packet_loss")],
    "camera": [LossInjection(at_s=0.25, count=20, kind="packet_loss"), LossInjection(at_s=0.255, count=30)],
    # A queue overflow (recorder side) over samples the device already lost, and past them.
    "oct": [LossInjection(at_s=0.45, count=1500), LossInjection(at_s=0.47, count=1500, kind="queue_overflow")],
}


def _first_index(at_s: float, start_delay_s: float, rate_hz: float) -> int:
    """The first sample taken at or after ``at_s`` on a clock with no drift: written from the
    configuration, not from the simulator's code."""
    return int(np.ceil(round((at_s - start_delay_s) * rate_hz, 6)))


def test_overlapping_losses_are_counted_once_and_placed_as_configured(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from weldctl.daq.sim._devices import START_DELAY_S

    rig = lossy_rig()
    for d in rig.devices:
        d.losses = OVERLAPPING.get(d.name, [])
    rec = make_recorder(rig, "ROVER", str(tmp_path))
    result = rec.run()
    assert result.ok, result.error
    r = RunReader(result.uri)
    for dev in rec.devices:
        name, cfg = dev.name, dev.config
        rate = getattr(cfg, "fps", None) or cfg.rate_hz
        configured = [(_first_index(x.at_s, START_DELAY_S[cfg.kind], rate), x.count, x.kind)
                      for x in OVERLAPPING.get(name, [])]
        # The simulator placed each loss exactly where configured, even one inside a longer one.
        assert sorted((g.seq_start, g.count, g.kind) for g in dev.injected) == sorted(configured), name
        union = np.unique(np.concatenate([np.arange(s, s + c) for s, c, _ in configured])) if configured else []
        seq = r.seq(name)
        missing = np.setdiff1d(np.arange(seq[0], seq[-1] + 1), seq)
        assert np.array_equal(missing, union), name
        g = r.gaps(name)
        rows = [np.arange(s, s + c) for s, c in zip(g["value"].astype(int), g["count"], strict=True)]
        listed = np.concatenate(rows) if rows else np.empty(0, int)
        # Every missing sample in exactly one gap row: the table's total is the number missing.
        assert int(np.sum(g["count"])) == len(union) == len(np.unique(listed)), (name, g["count"], len(union))
        assert np.array_equal(np.sort(listed), union), name
        assert result.stats[name].lost == len(union), name
        # Each row names a cause configured over its samples.
        for s0, c, note in zip(g["value"].astype(int), g["count"], g["note"], strict=True):
            kind = str(note).split(":")[0]
            assert any(k == kind and s <= s0 and s0 + c <= s + n for s, n, k in configured) or any(
                k == kind for s, n, k in configured if s <= s0 < s + n), (name, s0, c, kind)
