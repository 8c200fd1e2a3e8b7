"""Rig-file entries of the NI-DAQ, microphone and OCT drivers."""

from pathlib import Path

import pytest
import yaml

from weldctl.daq.drivers.nidaq import NidaqConfig
from weldctl.daq.drivers.oct_tcp import OctTcpConfig
from weldctl.daq.drivers.sounddevice import SounddeviceConfig
from weldctl.schema import RigFileError, dump_rig, load_rig

RIG = """
name: laser-cell
devices:
  - name: daq
    driver: nidaqmx
    kind: daq
    rate_hz: 100000
    start_trigger: /Dev1/PFI0
    grpc: {address: "daq-host:31763"}
    channels:
      - {name: photodiode, physical: Dev1/ai0, min_val: 0, max_val: 10}
      - {name: acoustic, physical: Dev1/ai1, iepe_current_a: 0.004}
      - {name: ae, physical: Dev1/ai2, type: accel, sensitivity: 100}
      - {name: laser_on, physical: Dev1/ai3, min_val: 0, max_val: 10}
      - name: oct_depth
        physical: Dev1/ai4
        calibration: {scale: 500.0, units: um}
  - {name: mic, driver: sounddevice, kind: audio, device: "USB Audio", rate_hz: 96000, dtype: int32}
  - {name: oct, driver: oct_tcp, kind: oct, host: 192.168.10.20, port: 5020, rate_hz: 100000}
"""


def test_io_rig_parses_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "rig.yaml"
    path.write_text(RIG)
    rig = load_rig(path)
    daq, mic, oct_ = rig.devices
    assert isinstance(daq, NidaqConfig) and isinstance(mic, SounddeviceConfig) and isinstance(oct_, OctTcpConfig)
    assert [c.type for c in daq.channels] == ["voltage", "voltage", "accel", "voltage", "voltage"]
    assert daq.channels[4].calibration is not None and daq.channels[4].calibration.units == "um"
    assert daq.grpc is not None and daq.grpc.address == "daq-host:31763"
    path.write_text(dump_rig(rig))
    assert load_rig(path) == rig


@pytest.mark.parametrize(("where", "value", "needle"), [
    (("devices", 0, "channels", 1, "type"), "thermocouple", "type"),
    (("devices", 0, "channels", 1, "iepe_current_a"), 0.5, "iepe_current_a"),
    (("devices", 2, "port"), 0, "port"),
    (("devices", 1, "dtype"), "float64", "dtype"),
])
def test_bad_io_fields_name_the_field(tmp_path: Path, where: tuple, value: object, needle: str) -> None:
    data = yaml.safe_load(RIG)
    node = data
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(RigFileError, match=needle):
        load_rig(path)


def test_duplicate_daq_channel_names_are_refused(tmp_path: Path) -> None:
    data = yaml.safe_load(RIG)
    data["devices"][0]["channels"][1]["name"] = "photodiode"
    path = tmp_path / "dup.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(RigFileError, match="unique"):
        load_rig(path)
