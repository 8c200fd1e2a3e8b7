"""The rig file's ``view:`` section: off unless asked for, loopback by default, bad values named."""

from pathlib import Path

import pytest
import yaml

from weldctl.schema import RigFileError, default_sim_rig, dump_rig, load_rig


def test_view_is_off_and_on_loopback_by_default() -> None:
    view = default_sim_rig().view
    assert not view.enabled and view.host == "127.0.0.1" and view.port == 0


def test_view_section_is_read_and_bad_values_are_named(tmp_path: Path) -> None:
    data = yaml.safe_load(dump_rig(default_sim_rig()))
    data["view"] = {"enabled": True, "port": 8091, "window_s": 5}
    path = tmp_path / "rig.yaml"
    path.write_text(yaml.safe_dump(data))
    rig = load_rig(path)
    assert rig.view.enabled and rig.view.port == 8091 and rig.view.window_s == 5.0
    data["view"] = {"enabled": True, "port": 70000}
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(RigFileError, match=r"view\.port: Input should be less than or equal to 65535"):
        load_rig(path)
    data["view"] = {"enable": True}
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(RigFileError, match=r"view\.enable"):
        load_rig(path)
