"""The rig: which devices a recording drives, and how. A rig file is YAML of this model."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny, WrapValidator, model_validator

from ._device_base import DeviceBase
from ._drivers import DeviceEntryJsonSchema, validate_device_entry
from ._manifest import WeldPlan
from ._rig_view import ViewSettings
from ._stream import ClockSource


class ClockFault(BaseModel):
    """Known clock errors injected into a simulated device, so alignment can be measured."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    offset_ms: float = 0.0
    drift_ppm: float = 0.0
    jitter_us: float = Field(default=0.0, ge=0, description="std of host receive-time jitter")
    latency_us: float = Field(
        default=200.0, ge=0, description="true fixed transport latency: last sample of a block to its host receipt")
    drift_walk_ppm: float = Field(
        default=0.0, ge=0, description="the drift wanders by up to this much around drift_ppm during the run")
    drift_walk_period_s: float = Field(
        default=120.0, gt=0, description="time scale of that wander (a warming oscillator: minutes)")


class LossInjection(BaseModel):
    """Drop ``count`` samples/frames at ``at_s`` seconds into the run, the way ``kind`` would."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    at_s: float = Field(ge=0)
    count: int = Field(gt=0)
    kind: Literal["device_overflow", "queue_overflow", "packet_loss"] = "device_overflow"


class _SimDevice(DeviceBase):
    driver: Literal["sim"] = "sim"
    clock_fault: ClockFault = Field(default_factory=ClockFault)
    losses: list[LossInjection] = Field(default_factory=list)


class SimCameraConfig(_SimDevice):
    kind: Literal["camera"] = "camera"
    width: int = Field(default=256, gt=0, le=4096)
    height: int = Field(default=256, gt=0, le=4096)
    fps: float = Field(default=1000.0, gt=0)
    clock: ClockSource = ClockSource.device
    block_frames: int = Field(default=25, gt=0, description="frames handed over per read")
    strobe: str | None = Field(
        default=None, pattern=r"^[a-z][a-z0-9_]{0,31}\.camera_strobe$",
        description="'<daq stream>.camera_strobe': the DAQ channel wired to this camera's exposure strobe",
    )


SimRender = Literal["physics", "bank"]
RENDER_HELP = "physics: every sample from the process model; bank: pre-rendered banks, cheap at load rates"


class SimIRConfig(_SimDevice):
    kind: Literal["ir"] = "ir"
    render: SimRender = Field(default="physics", description=RENDER_HELP)
    width: int = Field(default=320, gt=0, le=4096)
    height: int = Field(default=256, gt=0, le=4096)
    fps: float = Field(default=100.0, gt=0)
    clock: ClockSource = ClockSource.device
    counts_per_kelvin: float = Field(default=20.0, gt=0)


SimDaqChannel = Literal["photodiode", "acoustic", "laser_on", "camera_strobe"]
DEFAULT_SIM_DAQ_CHANNELS: tuple[SimDaqChannel, ...] = ("photodiode", "acoustic", "laser_on")


class SimDaqConfig(_SimDevice):
    kind: Literal["daq"] = "daq"
    render: SimRender = Field(default="physics", description=RENDER_HELP)
    rate_hz: float = Field(default=100_000.0, gt=0)
    channels: list[SimDaqChannel] = Field(default_factory=lambda: list(DEFAULT_SIM_DAQ_CHANNELS))
    clock: ClockSource = ClockSource.sample_clock
    trigger: str | None = "start_trigger"


class SimAudioConfig(_SimDevice):
    kind: Literal["audio"] = "audio"
    rate_hz: float = Field(default=48_000.0, gt=0)
    clock: ClockSource = ClockSource.host


class SimOctConfig(_SimDevice):
    kind: Literal["oct"] = "oct"
    render: SimRender = Field(default="physics", description=RENDER_HELP)
    rate_hz: float = Field(default=20_000.0, gt=0)
    clock: ClockSource = ClockSource.device


class SimSpectrometerConfig(_SimDevice):
    """A fibre spectrometer looking at the keyhole: free running, one spectrum per integration."""

    kind: Literal["spectrometer"] = "spectrometer"
    rate_hz: float = Field(default=100.0, gt=0, le=10_000.0, description="spectra per second (1 / integration time)")
    pixels: int = Field(default=512, ge=16, le=4096)
    wavelength_min_nm: float = Field(default=350.0, gt=0)
    wavelength_max_nm: float = Field(default=850.0, gt=0)
    fwhm_nm: float = Field(default=1.5, gt=0, description="instrument line width (slit and grating)")
    spectrum_counter: bool = Field(
        default=True,
        description="the device numbers its spectra (losses are counted exactly from the counter's jumps); "
        "false: a model that counts nothing (a USB2000+), numbered from when each spectrum arrived, so "
        "`losses` and receipt jitter over half an integration are counted from host timing (over, never under)",
    )
    clock: ClockSource = ClockSource.host

    @model_validator(mode="after")
    def _range(self) -> SimSpectrometerConfig:
        if self.wavelength_max_nm <= self.wavelength_min_nm:
            raise ValueError("wavelength_max_nm must be above wavelength_min_nm")
        return self


class SimProcess(BaseModel):
    """The one weld-process model behind every simulated device."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    seed: int = 7
    material: str = "AISI 304"
    thickness_mm: float = Field(default=2.0, gt=0)
    workpiece: str = "WP-SIM-001"
    lead_s: float = Field(default=0.2, ge=0, description="idle time before the first weld")
    gap_s: float = Field(default=0.3, ge=0, description="idle time between welds")
    welds: list[WeldPlan] | None = Field(
        default=None, description="the weld sequence; None gives one weld per laser condition"
    )
    repeat: int = Field(default=1, ge=1, description="run the weld sequence this many times")


# A device entry: the common fields here, the rest by the config model of its driver (any installed
# `weldctl.drivers` entry point, see _drivers.py). Serialized as its own model, not as DeviceBase.
DeviceConfig = Annotated[SerializeAsAny[DeviceBase], WrapValidator(validate_device_entry), DeviceEntryJsonSchema]


class RecorderSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    queue_seconds: float = Field(default=4.0, gt=0, description="per-stream buffer before losses are recorded")
    flush_interval_s: float = Field(default=0.5, gt=0, le=1.0, description="bound on data at risk in a crash")
    max_at_risk_s: float = Field(
        default=1.0, gt=0, le=10.0,
        description="longest a received block may wait for the writer: a writer that falls further behind "
                    "drops blocks and records them as gaps, instead of holding seconds in memory a crash would lose. "
                    "The I/O of one checkpoint comes on top (a sample's worst wait until it is on disk was 1.7-1.8 s "
                    "in 30 s loss-free runs on a 2-core machine; the live view and summary show it as 'at risk')")
    durability: Literal["none", "shard", "interval"] = Field(
        default="shard",
        description="what a power cut may cost (a killed process loses about a second either way: what was not yet "
                    "committed; docs/recording-at-speed.md gives the measured numbers): "
                    "'shard' (default) fdatasyncs every shard and shape before its rename, so a power cut loses the "
                    "shard being written; on a disk with slow stretches it also held the higher zero-loss rate, as "
                    "the journal never piles up; 'interval' syncs the store's filesystem once per flush_interval_s; "
                    "'none' leaves writeback to the OS (shard data is written O_DIRECT, but file sizes and names "
                    "wait for the filesystem's journal, ~5 s on ext4). docs/recording-at-speed.md says what each costs")
    stop_after_sequence: bool = Field(default=True, description="stop when the sim weld sequence ends")
    nice: int = Field(
        default=-10, ge=-20, le=19,
        description="CPU priority the recorder asks for (Unix nice; lower is more): on a busy PC it keeps the "
                    "acquisition and writer threads ahead of other work. Needs root or CAP_SYS_NICE; without "
                    "them the recording runs at normal priority and the summary says so")


class Rig(BaseModel):
    """A rig file. With no rig file, ``default_sim_rig()`` is recorded."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    name: str = "sim"
    sim: SimProcess = Field(default_factory=SimProcess)
    devices: list[DeviceConfig]
    recorder: RecorderSettings = Field(default_factory=RecorderSettings)
    view: ViewSettings = Field(default_factory=ViewSettings)

    @model_validator(mode="after")
    def _unique_names(self) -> Rig:
        names = [d.name for d in self.devices]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"device names must be unique; repeated: {', '.join(dupes)}")
        daqs = {d.name: d for d in self.devices if getattr(d, "kind", None) == "daq"}
        for d in self.devices:
            strobe = getattr(d, "strobe", None)
            if strobe:
                daq, channel = strobe.split(".", 1)
                wired = [getattr(c, "name", c) for c in getattr(daqs.get(daq), "channels", [])]
                if channel not in wired:
                    raise ValueError(f"camera {d.name!r}: strobe {strobe!r} needs a daq device {daq!r} "
                                     f"with a {channel!r} channel")
        return self

    @property
    def enabled_devices(self) -> list[Any]:
        return [d for d in self.devices if d.enabled]


def default_sim_rig() -> Rig:
    return Rig(
        name="sim",
        devices=[
            SimCameraConfig(name="camera"),
            SimIRConfig(name="ir"),
            SimDaqConfig(name="daq"),
            SimAudioConfig(name="audio"),
            SimOctConfig(name="oct"),
            SimSpectrometerConfig(name="spectrometer"),
        ],
    )


# One pass of the default weld sequence lasts ~5.6 s (7 welds of 0.5 s, 0.3 s apart).
_SEQUENCE_S = 5.6


def load_sim_rig(camera_kfps: float = 10.0, duration_s: float = 30.0, queue_seconds: float = 2.0) -> Rig:
    """The load generator: the sim rig at recorder-benchmark rates, rendered from banks so the simulator
    costs a memcpy per frame and is not what a benchmark measures. Camera 256x256 uint8 at
    ``camera_kfps`` kfps, IR 320x256 uint16 at 500 Hz, DAQ 4 channels at 1 MS/s, OCT at 100 kHz."""
    repeat = max(1, int(-(-(duration_s + 1.0) // _SEQUENCE_S)))
    return Rig(
        name=f"load-{camera_kfps:g}kfps",
        sim=SimProcess(repeat=repeat),
        devices=[
            SimCameraConfig(name="camera", fps=camera_kfps * 1000.0, block_frames=64),
            SimIRConfig(name="ir", fps=500.0, render="bank"),
            SimDaqConfig(name="daq", rate_hz=1_000_000.0, render="bank",
                         channels=["photodiode", "acoustic", "laser_on", "camera_strobe"]),
            SimOctConfig(name="oct", rate_hz=100_000.0, render="bank"),
        ],
        recorder=RecorderSettings(queue_seconds=queue_seconds, stop_after_sequence=False),
    )
