"""Rig entries of real drivers map to their classes, imported only when a rig uses them."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from weldctl.daq import build_devices
from weldctl.schema import parse_rig

# A fresh interpreter where the vendor library cannot be imported.
WITHOUT = textwrap.dedent(
    """
    import sys
    sys.modules[sys.argv[1]] = None
    from weldctl.daq import MissingDriverError, build_devices
    from weldctl.schema import parse_rig
    entry = {"name": "cam", "driver": sys.argv[2], "kind": "camera"}
    if sys.argv[2] == "opencv":
        entry["source"] = 0
    rig = parse_rig({"devices": [entry]})
    try:
        build_devices(rig)[0].open()
    except MissingDriverError as exc:
        print(exc.message); print(exc.hint)
    """
)


@pytest.mark.parametrize(("module", "driver", "install"), [("gi", "aravis", "weldctl[aravis]"),
                                                           ("cv2", "opencv", "opencv-python-headless")])
def test_missing_vendor_library_names_what_to_install(module: str, driver: str, install: str) -> None:
    proc = subprocess.run([sys.executable, "-c", WITHOUT, module, driver], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert install in proc.stdout, proc.stdout


def test_sim_rig_does_not_import_vendor_libraries() -> None:
    code = ("import sys; from weldctl.daq import build_devices; from weldctl.schema import default_sim_rig;"
            "build_devices(default_sim_rig()); print(sorted(m for m in ('gi', 'cv2') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


def test_camera_entries_build_their_drivers() -> None:
    rig = parse_rig({"devices": [
        {"name": "keyhole", "driver": "aravis", "kind": "camera"},
        {"name": "thermal", "driver": "aravis", "kind": "ir", "pixel_format": "Mono16"},
    ]})
    cam, ir = build_devices(rig)
    assert (type(cam).__name__, cam.kind.value) == ("AravisCamera", "camera")
    assert (type(ir).__name__, ir.kind.value) == ("AravisIRCamera", "ir")


def test_every_registered_driver_is_a_driver_whose_kinds_match_its_classes() -> None:
    from weldctl.daq import registered_drivers

    drivers = {d.name: d for d in registered_drivers()}
    assert {"sim", "aravis", "opencv", "nidaqmx", "sounddevice", "oct_tcp"} <= set(drivers)
    for driver in drivers.values():
        for kind, cls in driver.devices.items():
            assert cls.kind.value == kind and driver.configs[kind].model_fields["driver"].default == driver.name


def test_a_driver_declaration_that_does_not_add_up_is_refused() -> None:
    from weldctl.daq import Driver
    from weldctl.daq.drivers.oct_tcp import OctTcp, OctTcpConfig

    with pytest.raises(ValueError, match="kinds of configs"):
        Driver(name="x", configs={"oct": OctTcpConfig}, devices={}, summary="")
    with pytest.raises(ValueError, match="is a oct device, not camera"):
        Driver(name="x", configs={"camera": OctTcpConfig}, devices={"camera": OctTcp}, summary="")
