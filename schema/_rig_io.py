"""Rig-file entries of the real signal drivers: NI-DAQ, a sound-card microphone, an OCT depth stream."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ._device_base import DeviceBase
from ._stream import Calibration, ClockSource


class NidaqChannel(BaseModel):
    """One analog input of the DAQ task.

    ``type`` picks the DAQmx channel kind: ``voltage`` (photodiode, arc current shunt, a 5 V
    laser-on line), ``microphone`` / ``accel`` (IEPE acoustic and AE sensors, with DAQmx's own
    scaling to Pa or g). A ``voltage`` channel with ``iepe_current_a`` set is an IEPE sensor read as
    raw volts: the driver sets the excitation source/current and the coupling on the channel.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$", description="channel name in the stream (laser_on, ...)")
    physical: str = Field(description="physical channel, e.g. 'Dev1/ai0' or 'cDAQ1Mod1/ai2'")
    type: Literal["voltage", "microphone", "accel"] = "voltage"
    terminal: Literal["default", "rse", "nrse", "diff", "pseudo_diff"] = "default"
    min_val: float = -10.0
    max_val: float = 10.0
    coupling: Literal["dc", "ac", "gnd"] | None = Field(default=None, description="None keeps the device default")
    iepe_current_a: float | None = Field(default=None, gt=0, le=0.02, description="IEPE excitation, e.g. 0.004")
    sensitivity: float = Field(default=50.0, gt=0, description="mV/Pa (microphone) or mV/g (accel)")
    max_spl_db: float = Field(default=140.0, gt=0, description="microphone: max sound pressure level")
    calibration: Calibration | None = Field(
        default=None, description="stored units → physical units (e.g. an OCT analog depth output V → um)")

    @property
    def units(self) -> str:
        return {"voltage": "V", "microphone": "Pa", "accel": "g"}[self.type]


class NidaqGrpc(BaseModel):
    """Reach the DAQ through an NI gRPC Device Server instead of the local driver."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    address: str = Field(description="host:port of the gRPC device server")
    session_name: str = ""


class NidaqConfig(DeviceBase):
    driver: Literal["nidaqmx"] = "nidaqmx"
    kind: Literal["daq"] = "daq"
    rate_hz: float = Field(default=100_000.0, gt=0)
    channels: list[NidaqChannel] = Field(min_length=1)
    start_trigger: str | None = Field(default=None, description="shared start trigger terminal, e.g. '/Dev1/PFI0'")
    trigger_edge: Literal["rising", "falling"] = "rising"
    read_interval_s: float = Field(default=0.1, gt=0, le=1.0, description="one read per interval")
    buffer_s: float = Field(default=2.0, gt=0, description="driver buffer (DAQmx samps_per_chan) in seconds")
    grpc: NidaqGrpc | None = None

    @model_validator(mode="after")
    def _unique_channels(self) -> NidaqConfig:
        names = [c.name for c in self.channels]
        if len(set(names)) != len(names):
            raise ValueError(f"channel names must be unique: {names}")
        return self


class SounddeviceConfig(DeviceBase):
    driver: Literal["sounddevice"] = "sounddevice"
    kind: Literal["audio"] = "audio"
    device: str | int | None = Field(default=None, description="PortAudio device name (substring) or index")
    rate_hz: float = Field(default=48_000.0, gt=0)
    channels: int = Field(default=1, ge=1, le=32)
    dtype: Literal["float32", "int16", "int32"] = "float32"
    blocksize: int = Field(default=0, ge=0, description="frames per callback; 0 lets PortAudio choose")
    queue_s: float = Field(default=2.0, gt=0, description="capture ring between the callback and read()")
    units: str = "FS"
    calibration: Calibration | None = Field(default=None, description="full scale → Pa, if the chain is known")


class OctTcpConfig(DeviceBase):
    driver: Literal["oct_tcp"] = "oct_tcp"
    kind: Literal["oct"] = "oct"
    host: str = "127.0.0.1"
    port: int = Field(gt=0, lt=65536)
    rate_hz: float = Field(default=20_000.0, gt=0, description="nominal record rate")
    clock: ClockSource = ClockSource.device
    connect_timeout_s: float = Field(default=2.0, gt=0)
    reconnect_attempts: int = Field(default=10, ge=0, description="per loss of connection; 0 = give up at once")
    backoff_s: float = Field(default=0.1, gt=0, description="first reconnect delay; doubles up to backoff_max_s")
    backoff_max_s: float = Field(default=2.0, gt=0)
    block_records: int = Field(default=0, ge=0, description="records per block; 0 = rate / 50")
