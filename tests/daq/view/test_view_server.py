"""The live page's server during a real (sim) recording: several viewers, viewers that vanish mid-answer,
and the recording untouched; the replay of a finished run at a cursor, checked against the store read
with zarr-python."""

from __future__ import annotations

import base64
import http.client
import io
import json
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import zarr
from PIL import Image

from tests.daq.view.view_rig import view_rig
from weldctl.daq import LiveView, ReplayView, ViewServer, ViewTap, make_recorder
from weldctl.schema import RunReader, verify_checksums


def _get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def _viewer(port: int, stop: threading.Event, seen: list[dict]) -> None:
    """A browser's pattern: one keep-alive connection, state a few times a second, each new frame once."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    frames: dict[str, int] = {}
    while not stop.is_set():
        conn.request("GET", "/api/state")
        state = json.loads(conn.getresponse().read())
        seen.append(state)
        for f in state.get("frames", []):
            if frames.get(f["name"]) != f["seq"]:
                conn.request("GET", f"/api/frame/{f['name']}.png?seq={f['seq']}")
                r = conn.getresponse()
                body = r.read()
                assert r.status == 200 and Image.open(io.BytesIO(body)).size == (f["width"], f["height"])
                frames[f["name"]] = f["seq"]
        time.sleep(0.25)
    conn.close()


def _rude_viewers(port: int, stop: threading.Event) -> None:
    """Viewers that vanish: connect and close, send half a request, ask for state and never read it."""
    while not stop.is_set():
        for payload in (b"", b"GET /api/sta", b"GET /api/state HTTP/1.1\r\nHost: x\r\n\r\n"):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(payload)
            s.close()
        time.sleep(0.1)


def test_live_view_serves_several_viewers_and_leaves_the_recording_untouched(tmp_path: Path) -> None:
    duration = 6.0
    rec = make_recorder(view_rig(duration), "RVIEW", str(tmp_path), duration_s=duration)
    tap = ViewTap()
    rec.tap = tap
    source = LiveView(rec, tap, window_s=4.0, refresh_hz=5.0).start()
    server = ViewServer(source).start()
    port = int(server.url.rsplit(":", 1)[1].strip("/"))
    stop = threading.Event()
    seen: list[list[dict]] = [[], []]
    threads = [threading.Thread(target=_viewer, args=(port, stop, s), daemon=True) for s in seen]
    threads.append(threading.Thread(target=_rude_viewers, args=(port, stop), daemon=True))
    for t in threads:
        t.start()
    try:
        result = rec.run(duration_s=duration, stop_after_sequence=False)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=10)
        server.close()
        source.stop()
    assert result.ok, result.error
    assert sum(s.lost for s in result.stats.values()) == 0
    assert verify_checksums(result.uri).ok
    for states in seen:
        # Under load the IR frame can reach the page before the first camera frame: only states that show
        # the camera count as camera updates.
        live = [s for s in states if any(f["name"] == "camera" for f in s.get("frames", []))]
        assert len(live) >= 5
        cam = [next(f for f in s["frames"] if f["name"] == "camera") for s in live]
        assert cam[-1]["t_s"] > cam[0]["t_s"] + 1.0  # the camera picture moves on
        last = live[-1]
        assert {c["stream"] + "." + c["channel"] for c in last["traces"]} >= {"daq.photodiode", "oct.keyhole_depth",
                                                                            "audio.mic"}
        assert last["laser"]["present"] and last["laser"]["welds"] >= 1
        assert not [a for a in last["alerts"] if a["level"] == "error"]


def test_replay_at_a_cursor_shows_the_store(sim_run_3s: str) -> None:
    r = RunReader(sim_run_3s)
    ev = zarr.open_group(sim_run_3s, mode="r")["events"]
    kind, t_ev = np.array([str(k) for k in ev["kind"][:]]), np.asarray(ev["t_ns"][:])
    on, off = np.sort(t_ev[kind == "laser_on"]), np.sort(t_ev[kind == "laser_off"])
    welds = [(i, int(a), int(off[off > a][0])) for i, a in enumerate(on) if (off > a).any()]
    source = ReplayView(r, welds, window_s=1.0, points=200)
    server = ViewServer(source).start()
    port = int(server.url.rsplit(":", 1)[1].strip("/"))
    try:
        w, a, b = welds[0]
        t_mid = (a + b) // 2
        status, body = _get(port, f"/api/state?t={t_mid / 1e9}")
        assert status == 200
        state = json.loads(body)
        assert state["mode"] == "replay" and state["weld"] == w and state["laser"]["on"]
        assert [x["id"] for x in state["welds"]] == [x[0] for x in welds]
        # The frame shown is the store's last camera frame at or before the cursor (zarr-python, not weldctl).
        g = zarr.open_group(sim_run_3s, mode="r")
        t_cam = np.asarray(g["streams/camera/t_ns"][:])
        i = int(np.searchsorted(t_cam, t_mid, side="right") - 1)
        cam = next(f for f in state["frames"] if f["name"] == "camera")
        assert cam["seq"] == i and abs(cam["t_s"] - t_cam[i] / 1e9) < 1e-9
        status, png = _get(port, f"/api/frame/camera.png?t={t_mid / 1e9}")
        np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(png))), g["streams/camera/data"][i])
        # The photodiode's envelope in the cursor's bucket is the raw samples' min and max there.
        tr = next(c for c in state["traces"] if c["channel"] == "photodiode")
        hi = np.frombuffer(base64.b64decode(tr["hi"]), "<f4")
        lo = np.frombuffer(base64.b64decode(tr["lo"]), "<f4")
        t_daq = np.asarray(g["streams/daq/t_ns"][:])
        j = r.specs["daq"].channel_index("photodiode")
        dt = round(tr["dt_s"] * 1e9)
        b0 = round(tr["t0_s"] * 1e9) + (len(hi) - 1) * dt
        assert b0 <= t_mid < b0 + dt
        sel = (t_daq >= b0) & (t_daq < b0 + dt)
        raw = np.asarray(g["streams/daq/data"][:])[sel, j]
        assert hi[-1] == raw.max() and lo[-1] == raw.min()
        # The spectrometer's trace is its total emission: dark-subtracted counts summed over the pixels.
        sp = next(c for c in state["traces"] if c["stream"] == "spectrometer")
        assert sp["channel"] == "total_emission" and sp["units"] == "counts", sp["channel"]
        shi = np.frombuffer(base64.b64decode(sp["hi"]), "<f4")
        sdt, st0 = round(sp["dt_s"] * 1e9), round(sp["t0_s"] * 1e9)
        t_sp = np.asarray(g["streams/spectrometer/t_ns"][:])
        last = int(t_sp[t_sp < st0 + len(shi) * sdt][-1])  # the last spectrum in the window
        k = (last - st0) // sdt
        dark = g["streams/spectrometer"].attrs["stream_spec"]["spectrum"].get("dark_counts") or 0.0
        sel = (t_sp >= st0 + k * sdt) & (t_sp < st0 + (k + 1) * sdt)
        total = (np.asarray(g["streams/spectrometer/data"][:])[sel] - np.asarray(dark, dtype=np.float64)).sum(axis=1)
        assert shi[k] == pytest.approx(total.max(), rel=1e-6)
        # A spectrum every 10 ms in 5 ms buckets: each holds over its period, so the page draws a line, not dots.
        assert sdt < 1e9 / r.specs["spectrometer"].nominal_rate_hz and np.isfinite(shi[-50:]).all()
        assert (shi[k:] == shi[k]).all()
        assert _get(port, "/api/frame/nope.png")[0] == 404 and _get(port, "/../etc/passwd")[0] == 404
    finally:
        server.close()
