from pathlib import Path

import pytest
import yaml

from weldctl.schema import RigFileError, default_sim_rig, dump_rig, load_rig, parse_rig


def test_default_rig_round_trips_through_yaml(tmp_path: Path) -> None:
    path = tmp_path / "rig.yaml"
    path.write_text(dump_rig(default_sim_rig()))
    assert load_rig(path) == default_sim_rig()


def test_all_five_kinds_in_default_rig() -> None:
    assert {d.kind for d in default_sim_rig().devices} == {"camera", "ir", "daq", "audio", "oct"}


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "bad-rig.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_bad_enum_names_file_field_and_allowed_values(tmp_path: Path) -> None:
    data = yaml.safe_load(dump_rig(default_sim_rig()))
    data["devices"][2]["channels"] = ["photodiode", "thermocouple"]
    path = _write(tmp_path, data)
    with pytest.raises(RigFileError) as exc:
        load_rig(path)
    msg = str(exc.value)
    assert str(path) in msg
    assert "devices[2](daq).channels[1]" in msg
    assert "'photodiode'" in msg and "'laser_on'" in msg  # the allowed values


def test_negative_rate_names_field(tmp_path: Path) -> None:
    data = yaml.safe_load(dump_rig(default_sim_rig()))
    data["devices"][0]["fps"] = -5
    with pytest.raises(RigFileError, match=r"devices\[0\]\(camera\)\.fps: Input should be greater than 0"):
        load_rig(_write(tmp_path, data))


def test_unknown_driver_lists_allowed(tmp_path: Path) -> None:
    data = {"devices": [{"name": "cam", "kind": "camera", "driver": "webcam9000"}]}
    with pytest.raises(RigFileError, match=r"unknown driver\.kind; allowed: .*sim\.camera"):
        parse_rig(data, "x.yaml")


def test_typo_field_is_rejected(tmp_path: Path) -> None:
    data = yaml.safe_load(dump_rig(default_sim_rig()))
    data["devices"][1]["fsp"] = 100
    with pytest.raises(RigFileError, match=r"devices\[1\]\(ir\)\.fsp: Extra inputs are not permitted"):
        load_rig(_write(tmp_path, data))


def test_duplicate_names_and_bad_yaml(tmp_path: Path) -> None:
    data = yaml.safe_load(dump_rig(default_sim_rig()))
    data["devices"][1]["name"] = "camera"
    with pytest.raises(RigFileError, match="repeated: camera"):
        load_rig(_write(tmp_path, data))
    broken = tmp_path / "broken.yaml"
    broken.write_text("devices: [\n  - name: x\n   kind")
    with pytest.raises(RigFileError, match=r"broken\.yaml: line \d+"):
        load_rig(broken)
    with pytest.raises(RigFileError, match="cannot read rig file"):
        load_rig(tmp_path / "missing.yaml")
