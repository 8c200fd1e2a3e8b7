"""A lab's own driver as a separate package: built here, registered through its entry point, recorded.

The package is written to a temp dir, installed with pip into a folder of its own (``--target``,
so the test venv is left as it was) and put on PYTHONPATH of the `weldctl` processes: weldctl
itself is not changed. Its own test runs the contract suite shipped as ``weldctl.daq.testing``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import zarr

PYPROJECT = """
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "weldctl-labcam"
version = "0.1.0"

[project.entry-points."weldctl.drivers"]
labcam = "weldctl_labcam:DRIVER"

[tool.setuptools]
py-modules = ["weldctl_labcam"]
"""

# The whole driver: config model, device class, probe, registration.
DRIVER_MODULE = '''
"""A pattern camera standing in for a lab's frame grabber: frame n is filled with n % 256."""

import time
from typing import Literal

import numpy as np
from pydantic import Field

from weldctl.daq import Block, Camera, Driver, StackReport
from weldctl.schema import ClockSource, DeviceBase, StreamSpec


class LabCamConfig(DeviceBase):
    driver: Literal["labcam"] = "labcam"
    kind: Literal["camera"] = "camera"
    width: int = Field(default=32, gt=0)
    height: int = Field(default=24, gt=0)
    fps: float = Field(default=200.0, gt=0)


class LabCamera(Camera):
    config: LabCamConfig

    def _do_configure(self) -> StreamSpec:
        c = self.config
        return StreamSpec(name=c.name, kind=self.kind, device="labcam pattern", driver="labcam", dtype="uint8",
                          sample_shape=(c.height, c.width), units="counts", nominal_rate_hz=c.fps,
                          clock=ClockSource.host)

    def _do_start(self, t0_host_ns: int) -> None:
        self._t0, self._started, self._next = t0_host_ns, time.monotonic_ns(), 0

    def _do_read(self, timeout_s: float) -> Block | None:
        time.sleep(min(timeout_s, 0.02))
        due = int((time.monotonic_ns() - self._started) * self.config.fps / 1e9)
        if due <= self._next:
            return None
        seq = np.arange(self._next, due, dtype=np.int64)
        self._next = due
        frames = np.broadcast_to((seq % 256).astype(np.uint8)[:, None, None],
                                 (len(seq), self.config.height, self.config.width)).copy()
        t_dev = self._started + (seq * 1e9 / self.config.fps).astype(np.int64)
        return Block(data=frames, seq=seq, t_host_ns=time.monotonic_ns() - self._t0, t_dev_ns=t_dev)


def probe(configured):
    return StackReport("labcam", [{"name": "pattern", "serial": "LC-1"}])


DRIVER = Driver(name="labcam", configs={"camera": LabCamConfig}, devices={"camera": LabCamera},
                summary="the lab's pattern camera", probe=probe)
'''

DRIVER_TEST = '''
from weldctl.daq.testing import CameraSuite
from weldctl_labcam import LabCamConfig, LabCamera


class TestLabCamera(CameraSuite):
    def make_device(self):
        return LabCamera(LabCamConfig(name="camera"))
'''

RIG = """
name: lab-with-own-driver
devices:
  - {name: pattern, driver: labcam, kind: camera, width: 40, height: 30, fps: 250.0}
recorder: {stop_after_sequence: false}
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The driver package, built and installed into a folder of its own."""
    root = tmp_path_factory.mktemp("labcam")
    pkg = root / "weldctl-labcam"
    pkg.mkdir()
    (pkg / "pyproject.toml").write_text(PYPROJECT)
    (pkg / "weldctl_labcam.py").write_text(textwrap.dedent(DRIVER_MODULE))
    (pkg / "test_labcam.py").write_text(textwrap.dedent(DRIVER_TEST))
    target = root / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                           "--no-index", "--target", str(target), str(pkg)],
                          capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (target / "weldctl_labcam-0.1.0.dist-info" / "entry_points.txt").is_file()
    return target


def _weldctl(site: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "weldctl.cli", *args], capture_output=True, text=True,
                          check=False, timeout=300, env=env, cwd=cwd)


def test_registered_driver_is_validated_listed_and_recorded(site: Path, tmp_path: Path) -> None:
    rig = tmp_path / "rig.yaml"
    rig.write_text(RIG)
    validate = _weldctl(site, "rig", "validate", str(rig))
    assert validate.returncode == 0, validate.stderr
    assert "pattern (labcam.camera)" in validate.stdout

    listing = _weldctl(site, "devices", "--stack", "labcam")
    assert listing.returncode == 0, listing.stderr
    assert "labcam: 1 device(s)" in listing.stdout and "serial=LC-1" in listing.stdout
    assert "labcam: the lab's pattern camera" in " ".join(_weldctl(site, "devices", "--help").stdout.split())

    rec = _weldctl(site, "record", "--rig", str(rig), "--run-id", "R0007", "--out", str(tmp_path / "runs"),
                   "--duration", "1.0", "--no-live")
    assert rec.returncode == 0, rec.stderr + rec.stdout
    # Read back with plain zarr, not weldctl: the frames are the pattern the device made.
    stream = zarr.open_group(str(tmp_path / "runs" / "R0007.zarr"), mode="r")["streams/pattern"]
    data, seq = stream["data"][:], stream["seq"][:]
    assert data.shape[1:] == (30, 40) and len(data) >= 100, data.shape
    np.testing.assert_array_equal(data[:, 0, 0], (seq % 256).astype(np.uint8))


def test_bad_entry_names_the_registered_driver_s_fields(site: Path, tmp_path: Path) -> None:
    rig = tmp_path / "rig.yaml"
    rig.write_text(RIG.replace("fps: 250.0", "fps: -1"))
    proc = _weldctl(site, "rig", "validate", str(rig))
    assert proc.returncode != 0
    assert f"{rig}: devices[0](pattern).fps: Input should be greater than 0" in proc.stderr + proc.stdout


def test_the_package_s_own_test_runs_the_shipped_contract_suite(site: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(site)}
    pkg_test = next(site.parent.glob("weldctl-labcam/test_labcam.py"))
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(pkg_test)],
                          capture_output=True, text=True, check=False, timeout=300, env=env, cwd=pkg_test.parent)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " passed" in proc.stdout and "failed" not in proc.stdout


def test_a_broken_driver_package_does_not_take_the_others_down(tmp_path: Path) -> None:
    """A registered driver whose module fails to import: a clear error where it is used, nowhere else."""
    site = tmp_path / "site"
    info = site / "weldctl_broken-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: weldctl-broken\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[weldctl.drivers]\nbroken = weldctl_broken:DRIVER\n")
    (site / "weldctl_broken.py").write_text("raise ImportError('the vendor SDK is not installed')\n")
    listing = _weldctl(site, "devices", "--json")
    assert listing.returncode == 0, listing.stderr
    stacks = {r["stack"]: r for r in json.loads(listing.stdout)}
    assert "vendor SDK" in stacks["broken"]["problem"] and "aravis" in stacks
    rig = tmp_path / "rig.yaml"
    rig.write_text("devices:\n  - {name: cam, driver: broken, kind: camera}\n")
    proc = _weldctl(site, "rig", "validate", str(rig))
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert f"{rig}: devices[0](cam): driver 'broken' is registered but cannot be loaded" in proc.stderr + proc.stdout
    sim = _weldctl(site, "record", "--run-id", "R0008", "--out", str(tmp_path / "runs"), "--duration", "0.5",
                   "--no-live")
    assert sim.returncode == 0, sim.stderr
