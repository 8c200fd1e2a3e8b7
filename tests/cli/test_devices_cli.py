"""`weldctl devices` and `weldctl rig show --example`: what a technician runs before the first recording."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from tests.conftest import need
from tests.peers.fake_gige import available, fake_gige_camera
from weldctl.daq import probed_drivers, registered_drivers
from weldctl.daq.drivers.oct_tcp import probe_oct
from weldctl.schema import example_rig_names, example_rig_text, load_rig, parse_rig

WELDCTL = [sys.executable, "-m", "weldctl.cli"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*WELDCTL, *args], capture_output=True, text=True, check=False, timeout=120)


def test_every_stack_answers_with_devices_or_what_to_do() -> None:
    proc = _run("devices", "--json")
    assert proc.returncode == 0, proc.stderr
    reports = json.loads(proc.stdout)
    assert [r["stack"] for r in reports] == [d.stack for d in probed_drivers()]
    assert {"aravis", "portaudio", "nidaqmx", "oct_tcp", "opencv"} <= {r["stack"] for r in reports}
    for r in reports:
        assert r["devices"] or r["problem"] or r["note"] or r["stack"] != "oct_tcp"
        if r["problem"] and r["stack"] != "nidaqmx":
            assert r["install"], r


def test_missing_stacks_say_what_to_install() -> None:
    code = ("import sys; sys.modules['gi'] = None; sys.modules['sounddevice'] = None; sys.modules['nidaqmx'] = None;"
            "sys.argv = ['weldctl', 'devices']; from weldctl.cli import main; main()")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = {line.split(":")[0]: line for line in proc.stdout.splitlines() if ":" in line}
    assert "weldctl[aravis]" in lines["aravis"]
    assert "pip install sounddevice" in lines["portaudio"]
    assert "pip install nidaqmx" in lines["nidaqmx"]


def test_unknown_stack_is_refused() -> None:
    proc = _run("devices", "--stack", "firewire")
    assert proc.returncode == 2
    assert "unknown stack 'firewire'" in proc.stderr


@pytest.mark.integration
def test_lists_the_fake_gige_camera() -> None:
    need(available(), "Aravis (gir1.2-aravis-0.8, PyGObject) and arv-fake-gv-camera-0.8 are needed")
    with fake_gige_camera(serial="GV07"):
        proc = _run("devices", "--stack", "aravis")
    assert proc.returncode == 0, proc.stderr
    assert "aravis: 1 device(s)" in proc.stdout
    assert "id=Aravis-Fake-GV07" in proc.stdout and "address=127.0.0.1" in proc.stdout


def test_oct_endpoints_of_the_rig_are_tried() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        open_port = server.getsockname()[1]
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            closed_port = s.getsockname()[1]  # bound, never listening: connections are refused
            rig = SimpleNamespace(enabled_devices=[
                SimpleNamespace(driver="oct_tcp", name="oct", host="127.0.0.1", port=open_port),
                SimpleNamespace(driver="oct_tcp", name="oct2", host="127.0.0.1", port=closed_port),
                SimpleNamespace(driver="sim", name="daq"),
            ])
            report = probe_oct([d for d in rig.enabled_devices if d.driver == "oct_tcp"])
    assert [(d["name"], d["state"].split(" ")[0]) for d in report.devices] == [("oct", "accepts"),
                                                                             ("oct2", "no")]
    assert probe_oct(None).note.startswith("pass --rig")
    assert probe_oct([]).note == "the rig configures no OCT endpoint"


def test_lab_example_is_a_valid_commented_rig(tmp_path: Path) -> None:
    assert "lab" in example_rig_names()
    proc = _run("rig", "show", "--example", "lab")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == example_rig_text("lab")
    assert sum(line.lstrip().startswith("#") for line in proc.stdout.splitlines()) >= 8, "it explains itself"
    path = tmp_path / "lab.yaml"
    path.write_text(proc.stdout)
    rig = load_rig(path)
    kinds = {f"{d.driver}.{d.kind}" for d in rig.devices}
    assert {"aravis.camera", "aravis.ir", "opencv.camera", "nidaqmx.daq", "sounddevice.audio", "oct_tcp.oct"} <= kinds
    assert _run("rig", "validate", str(path)).returncode == 0
    assert parse_rig(yaml.safe_load(proc.stdout)).recorder.stop_after_sequence is False


def test_unknown_example_names_the_known_ones() -> None:
    proc = _run("rig", "show", "--example", "nope")
    assert proc.returncode == 2
    assert "examples: lab" in proc.stderr


def test_help_lists_every_registered_driver() -> None:
    proc = _run("devices", "--help")
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stdout.split())
    for driver in registered_drivers():
        assert f"{driver.name}: {driver.summary}"[:60] in text, driver.name
