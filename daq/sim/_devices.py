"""The simulated rig's devices: one per sensor kind, all sampling one WeldProcess."""

from __future__ import annotations

import numpy as np

from weldctl.schema import (
    SPEED_OF_SOUND_M_S,
    Calibration,
    SimAudioConfig,
    SimCameraConfig,
    SimDaqConfig,
    SimIRConfig,
    SimOctConfig,
    StreamSpec,
)

from .._block import Block
from .._device import OCT_CHANNEL_UNITS, AudioDevice, Camera, DaqDevice, IRCamera, OctDevice
from ._acoustic import BandNoise, acoustic
from ._banks import IRBank, NoiseBank, ProcessTable
from ._frames import DARK, FrameBank
from ._ir import IRScene
from ._physics import AMBIENT_C
from ._process import CAMERA_MM_PER_PX, WeldProcess
from ._source import SimSource

# Devices start a few ms apart, as real ones do; alignment must not assume a common start.
START_DELAY_S = {"camera": 0.0031, "ir": 0.0047, "daq": 0.0, "audio": 0.0113, "oct": 0.0019}
SIGNAL_BLOCK_S = 0.02
STROBE_DUTY = 0.5  # share of a frame period the camera's strobe output is high
STROBE_HIGH_V = 5.0
IR_NOISE_FRAMES = 7
OCT_EXIT_SCATTER = 0.1  # σ of the rear-wall readings with the keyhole fully open, × sheet thickness
OCT_OPEN_QUALITY_LOSS = 0.4


def sound_delay_s(cfg: object) -> float:
    """Time sound takes from the weld to a sensor at the device's stated ``sound_path_m``."""
    return float(getattr(cfg, "sound_path_m", None) or 0.0) / SPEED_OF_SOUND_M_S


def _seed(process: WeldProcess, name: str) -> int:
    return process.cfg.seed * 1000 + sum(map(ord, name))


class _SimDevice(SimSource):
    """Glue between the device state machine and the sim source."""

    process: WeldProcess

    def _setup(self, cfg, process: WeldProcess, rate: float, block: int) -> None:  # type: ignore[no-untyped-def]
        self.process = process
        self._init_source(rate, block, cfg.clock_fault, cfg.losses, _seed(process, cfg.name),
                          START_DELAY_S.get(cfg.kind, 0.0), process.end_s)

    def _do_start(self, t0_host_ns: int) -> None:
        self._source_start(t0_host_ns)

    def _do_read(self, timeout_s: float) -> Block | None:
        return self._source_read(timeout_s)

    @property
    def done(self) -> bool:
        return self.source_done

    def _noise(self, shape: tuple[int, ...], sigma: float) -> np.ndarray:
        return self._rng.normal(0.0, sigma, shape)


class SimCamera(_SimDevice, Camera):
    def __init__(self, cfg: SimCameraConfig, process: WeldProcess) -> None:
        Camera.__init__(self, cfg)
        self._setup(cfg, process, cfg.fps, cfg.block_frames)
        self._bank: FrameBank | None = None
        self._scene_of: list[int] = []

    def _do_configure(self) -> StreamSpec:
        c = self.config
        if self._bank is None:
            self._bank = FrameBank(c.width, c.height, seed=_seed(self.process, c.name))
            scenes: dict[tuple[float, ...], int] = {}
            for w in self.process.welds:  # welds with the same steady state share a scene
                s = w.steady
                key = (round(s.pool_length_mm, 2), round(s.pool_width_mm, 2), round(s.spot_mm, 3),
                       round(s.peak_c), round(s.kappa, 2))
                if key not in scenes:
                    scenes[key] = len(scenes)
                    self._bank.add_scene(scenes[key], s.pool_length_mm / CAMERA_MM_PER_PX,
                                         s.pool_width_mm / CAMERA_MM_PER_PX, s.spot_mm / CAMERA_MM_PER_PX,
                                         s.peak_c, s.kappa)
                self._scene_of.append(scenes[key])
        return StreamSpec(name=c.name, kind=self.kind, device="sim-camera", driver="sim", dtype="uint8",
                          sample_shape=(c.height, c.width), units="counts", nominal_rate_hz=c.fps, clock=c.clock,
                          strobe=c.strobe)

    def strobe_level(self, t_true: np.ndarray) -> np.ndarray:
        """The camera's exposure strobe at true times: high while a frame is exposed, STROBE_DUTY of
        the frame period centred on the frame's time (``true_time`` is mid-exposure)."""
        phase = self._elapsed_s(np.asarray(t_true, dtype=np.float64) - self.start_delay_s) * self.rate_hz
        shifted = phase + STROBE_DUTY / 2
        return (shifted >= 0) & (shifted - np.floor(shifted) < STROBE_DUTY)

    def _render(self, t_true: np.ndarray, index: np.ndarray) -> np.ndarray:
        assert self._bank is not None
        weld, on = self.process._locate(t_true)
        scene = np.where(on, np.asarray([*self._scene_of, DARK])[weld], DARK)
        radius = self.process.keyhole_radius(t_true)
        frames = self._bank.take(scene, radius, index)
        self._bank.draw_droplets(frames, t_true, self.process.ejections, radius)
        return frames


class SimIRCamera(_SimDevice, IRCamera):
    def __init__(self, cfg: SimIRConfig, process: WeldProcess) -> None:
        IRCamera.__init__(self, cfg)
        self._setup(cfg, process, cfg.fps, 1)
        self._scene = IRScene(cfg.width, cfg.height, process)
        self._bank: IRBank | None = None
        # Sensor noise frames, cycled: a fresh normal draw per frame costs more than the field itself.
        rng = np.random.default_rng(_seed(process, cfg.name) + 1)
        self._sensor_noise = rng.normal(0.0, 2.0, (IR_NOISE_FRAMES, cfg.height, cfg.width)).astype(np.float32)

    def _do_configure(self) -> StreamSpec:
        c = self.config
        if c.render == "bank" and self._bank is None and self.process.welds:
            # The bank holds one field shape (the weld absorbing most), scaled by the peak temperature.
            hot = int(np.argmax([w.steady.absorbed_w for w in self.process.welds]))
            rise = max(self.process.welds[hot].steady.peak_c - AMBIENT_C, 1.0)
            profile = np.clip(self._scene.field(hot) / rise, 0.0, 1.0)
            peak = float(ProcessTable.of(self.process).values("ir_peak_c").max())
            self._bank = IRBank(profile, c.counts_per_kelvin, peak, _seed(self.process, c.name))
        elif c.render == "physics":
            for i in range(len(self.process.welds)):  # every weld's field now, not as a stall mid-recording
                self._scene.field(i)
        cal = Calibration(scale=1.0 / c.counts_per_kelvin, offset=-273.15, units="degC")
        return StreamSpec(name=c.name, kind=self.kind, device="sim-ir", driver="sim", dtype="uint16",
                          sample_shape=(c.height, c.width), units="counts", calibration={"*": cal},
                          nominal_rate_hz=c.fps, clock=c.clock)

    def _render(self, t_true: np.ndarray, index: np.ndarray) -> np.ndarray:
        if self._bank is not None:
            return self._bank.take(ProcessTable.of(self.process)("ir_peak_c", t_true), index)
        temp_c = self._scene.temperature(t_true)
        self._scene.draw_droplets(temp_c, t_true, self.process.ejections)
        counts = (temp_c + np.float32(273.15)) * np.float32(self.config.counts_per_kelvin)
        counts += self._sensor_noise[index % IR_NOISE_FRAMES]
        return np.clip(counts, 0, 65535).astype(np.uint16)


class SimDaq(_SimDevice, DaqDevice):
    def __init__(self, cfg: SimDaqConfig, process: WeldProcess) -> None:
        DaqDevice.__init__(self, cfg)
        self._setup(cfg, process, cfg.rate_hz, int(cfg.rate_hz * SIGNAL_BLOCK_S))
        self._noise_bank = NoiseBank(_seed(process, cfg.name)) if cfg.render == "bank" else None
        self._bands = BandNoise(cfg.rate_hz, _seed(process, cfg.name) + 1) if "acoustic" in cfg.channels else None
        self.strobed: SimCamera | None = None  # the camera wired to the camera_strobe channel

    def wire_strobe(self, camera: SimCamera) -> None:
        self.strobed = camera

    def _do_configure(self) -> StreamSpec:
        c = self.config
        if self._noise_bank is not None:
            for quantity in ("photodiode", "acoustic_envelope", "laser_on"):
                ProcessTable.of(self.process).values(quantity)
        return StreamSpec(name=c.name, kind=self.kind, device="sim-daq", driver="sim", dtype="float32",
                          sample_shape=(len(c.channels),), channels=list(c.channels), units="V",
                          nominal_rate_hz=c.rate_hz, clock=c.clock, trigger=c.trigger)

    def _has_device_clock(self) -> bool:
        return False  # timed by the sample clock: index / rate

    def _render(self, t_true: np.ndarray, index: np.ndarray) -> np.ndarray:
        if self._noise_bank is not None:
            return self._render_bank(t_true)
        out = np.empty((len(t_true), len(self.config.channels)), dtype=np.float32)
        for j, ch in enumerate(self.config.channels):
            if ch == "photodiode":
                out[:, j] = self.process.photodiode(t_true) + self._noise(t_true.shape, 0.01)
            elif ch == "acoustic":
                assert self._bands is not None
                out[:, j] = acoustic(self.process.acoustic_bands(t_true), self._bands, index,
                                     self._noise(t_true.shape, 1.0))
            elif ch == "laser_on":
                out[:, j] = 5.0 * self.process.laser_on(t_true)
            elif ch == "camera_strobe":
                out[:, j] = STROBE_HIGH_V * self.strobed.strobe_level(t_true) if self.strobed else 0.0
        return out

    def _render_bank(self, t: np.ndarray) -> np.ndarray:
        assert self._noise_bank is not None
        p, noise = ProcessTable.of(self.process), self._noise_bank
        out = np.zeros((len(t), len(self.config.channels)), dtype=np.float32)
        for j, ch in enumerate(self.config.channels):
            if ch == "photodiode":
                out[:, j] = p("photodiode", t) + 0.01 * noise.take(len(t))
            elif ch == "acoustic":
                out[:, j] = p("acoustic_envelope", t) * noise.take(len(t))
            elif ch == "laser_on":
                out[:, j] = 5.0 * p("laser_on", t)
            elif ch == "camera_strobe" and self.strobed:
                out[:, j] = STROBE_HIGH_V * self.strobed.strobe_level(t)
        return out


class SimAudio(_SimDevice, AudioDevice):
    def __init__(self, cfg: SimAudioConfig, process: WeldProcess) -> None:
        AudioDevice.__init__(self, cfg)
        self._setup(cfg, process, cfg.rate_hz, int(cfg.rate_hz * SIGNAL_BLOCK_S))
        self._bands = BandNoise(cfg.rate_hz, _seed(process, cfg.name) + 1)

    def _do_configure(self) -> StreamSpec:
        c = self.config
        return StreamSpec(name=c.name, kind=self.kind, device="sim-microphone", driver="sim", dtype="float32",
                          sample_shape=(1,), channels=["mic"], units="Pa", nominal_rate_hz=c.rate_hz,
                          clock=c.clock)

    def _has_device_clock(self) -> bool:
        return False  # a sound card gives frame counts, not timestamps

    def _render(self, t_true: np.ndarray, index: np.ndarray) -> np.ndarray:
        # Airborne: the same emission as the structure-borne sensor, at half its level, heard
        # sound_path_m / c after it was made.
        bands = self.process.acoustic_bands(t_true - sound_delay_s(self.config))
        x = 0.5 * acoustic(bands, self._bands, index, self._noise(t_true.shape, 1.0))
        return x.astype(np.float32)[:, None]


class SimOct(_SimDevice, OctDevice):
    def __init__(self, cfg: SimOctConfig, process: WeldProcess) -> None:
        OctDevice.__init__(self, cfg)
        self._setup(cfg, process, cfg.rate_hz, int(cfg.rate_hz * SIGNAL_BLOCK_S))
        self._noise_bank = NoiseBank(_seed(process, cfg.name)) if cfg.render == "bank" else None

    def _do_configure(self) -> StreamSpec:
        c = self.config
        if self._noise_bank is not None:
            ProcessTable.of(self.process).values("keyhole_depth")
        return StreamSpec(name=c.name, kind=self.kind, device="sim-oct", driver="sim", dtype="float32",
                          sample_shape=(2,), channels=["keyhole_depth", "quality"], units="um",
                          channel_units=OCT_CHANNEL_UNITS,
                          nominal_rate_hz=c.rate_hz, clock=c.clock)

    def _render(self, t_true: np.ndarray, index: np.ndarray) -> np.ndarray:
        if self._noise_bank is not None:
            table = ProcessTable.of(self.process)
            depth_um = 1000.0 * table("keyhole_depth", t_true)
            noise = 5.0 * self._noise_bank.take(len(t_true))
            scatter = np.abs(self._noise_bank.take(len(t_true)))
            valid = table("laser_on", t_true) > 0.5
        else:
            depth_um = 1000.0 * self.process.keyhole_depth(t_true)
            noise = self._noise(t_true.shape, 5.0)
            scatter = np.abs(self._noise(t_true.shape, 1.0))
            valid = self.process.laser_on(t_true)
        # An open keyhole (full penetration) lets part of the beam out at the bottom: readings scatter up
        # the rear wall and the back-reflection weakens.
        open_ = self.process.sample("keyhole_open", t_true)
        scatter_um = OCT_EXIT_SCATTER * 1000.0 * self.process.cfg.thickness_mm * open_ * scatter
        out = np.zeros((len(t_true), 2), dtype=np.float32)
        out[:, 0] = np.where(valid, depth_um + noise - scatter_um, 0.0)
        out[:, 1] = np.where(valid, 1.0 - OCT_OPEN_QUALITY_LOSS * open_, 0.0)
        return out
