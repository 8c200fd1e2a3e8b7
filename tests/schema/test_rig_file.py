from pathlib import Path

import pytest
import yaml

from weldctl.schema import Rig, RigFileError, default_sim_rig, driver_names, dump_rig, load_rig, parse_rig


def test_default_rig_round_trips_through_yaml(tmp_path: Path) -> None:
    path = tmp_path / "rig.yaml"
    path.write_text(dump_rig(default_sim_rig()))
    assert load_rig(path) == default_sim_rig()


def test_every_kind_in_default_rig() -> None:
    assert {d.kind for d in default_sim_rig().devices} == {"camera", "ir", "daq", "audio", "oct", "spectrometer"}


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


def test_unknown_driver_lists_the_registered_ones(tmp_path: Path) -> None:
    data = {"devices": [{"name": "cam", "kind": "camera", "driver": "webcam9000"}]}
    with pytest.raises(RigFileError) as exc:
        parse_rig(data, "x.yaml")
    assert str(exc.value).startswith("x.yaml: devices[0](cam): unknown driver 'webcam9000'; registered drivers: ")
    assert all(name in str(exc.value) for name in driver_names())
    assert {"sim", "aravis", "oct_tcp"} <= set(driver_names())


def test_unknown_kind_lists_the_driver_s_kinds() -> None:
    allowed = r"devices\[0\]\(cam\): driver 'aravis' has no kind 'daq'; allowed: camera, ir"
    with pytest.raises(RigFileError, match=allowed):
        parse_rig({"devices": [{"name": "cam", "kind": "daq", "driver": "aravis"}]}, "x.yaml")
    with pytest.raises(RigFileError, match=r"driver 'oct_tcp' needs a kind; allowed: oct"):
        parse_rig({"devices": [{"name": "oct", "driver": "oct_tcp", "port": 5555}]}, "x.yaml")


def test_driver_fields_are_checked_by_the_driver_s_model() -> None:
    data = {"devices": [{"name": "oct", "driver": "oct_tcp", "kind": "oct", "port": 70000, "hots": "x"}]}
    with pytest.raises(RigFileError) as exc:
        parse_rig(data, "x.yaml")
    assert "x.yaml: devices[0](oct).port: Input should be less than 65536" in str(exc.value)
    assert "x.yaml: devices[0](oct).hots: Extra inputs are not permitted" in str(exc.value)


def test_rig_json_schema_lists_every_registered_model() -> None:
    schema = Rig.model_json_schema()
    refs = schema["properties"]["devices"]["items"]["oneOf"]
    titles = {(schema["$defs"][r["$ref"].split("/")[-1]] if "$ref" in r else r)["title"] for r in refs}
    assert {"SimCameraConfig", "AravisCameraConfig", "NidaqConfig", "OctTcpConfig"} <= titles


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


def test_rig_show_prints_the_sim_rig_with_comments_that_load_back_to_the_same_rig(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from weldctl.cli import app

    res = CliRunner().invoke(app, ["rig", "show"])
    assert res.exit_code == 0, res.output
    text = res.output
    comments = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("#")]
    assert len(comments) >= 20, text  # the header and the models' field descriptions
    assert "# stream name in the run store" in text and "# idle time before the first weld" in text
    assert max(len(ln) for ln in text.splitlines() if ln.strip().startswith("#")) <= 100
    path = tmp_path / "my-rig.yaml"
    path.write_text(text)
    assert load_rig(path) == default_sim_rig()
    assert yaml.safe_load(text) == yaml.safe_load(dump_rig(default_sim_rig()))
