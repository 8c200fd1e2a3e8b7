"""The simulated rig's devices: one per sensor kind, all sampling one WeldProcess."""

from __future__ import annotations

import numpy as np

from weldctl.schema import (
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
from ._banks import IRBank, NoiseBank, ProcessTable
from ._frames import FrameBank
from ._process import AMBIENT_C, WeldProcess
from ._source import SimSource

# Devices start a few ms apart, as real ones do; alignment must not assume a common start.
START_DELAY_S = {"camera": 0.0031, "ir": 0.0047, "daq": 0.0, "audio": 0.0113, "oct": 0.0019}
SIGNAL_BLOCK_S = 0.02
STROBE_DUTY = 0.5  # share of a frame period the camera's strobe output is high
STROBE_HIGH_V = 5.0


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

    def _do_configure(self) -> StreamSpec:
        c = self.config
        if self._bank is None:
            max_r = max((w.keyhole_radius_px for w in self.process.welds), default=5.0) * 1.5 + 1
            self._bank = FrameBank(c.width, c.height, max_r, seed=_seed(self.process, c.name))
        return StreamSpec(name=c.name, kind=self.kind, device="sim-camera", driver="sim", dtype="uint8",
                          sample_shape=(c.height, c.width), units="counts", nominal_rate_hz=c.fps, clock=c.clock,
                          strobe=c.strobe)

    def strobe_level(self, t_true: np.ndarray) -> np.ndarray:
        """The camera's exposure strobe at true times: high for the first half of every frame period."""
        phase = (np.asarray(t_true) - self.start_delay_s) * self.rate_hz * (1.0 + self.fault.drift_ppm * 1e-6)
        return (phase >= 0) & (phase - np.floor(phase) < STROBE_DUTY)

    def _render(self, t_true: np.ndarray, index: np.ndarray) -> np.ndarray:
        assert self._bank is not None
        return self._bank.take(self.process.keyhole_radius(t_true), index)


class SimIRCamera(_SimDevice, IRCamera):
    def __init__(self, cfg: SimIRConfig, process: WeldProcess) -> None:
        IRCamera.__init__(self, cfg)
        self._setup(cfg, process, cfg.fps, 1)
        h, w = cfg.height, cfg.width
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
        cy, cx = h / 2, w / 2
        # A hot spot with a cooling tail behind the beam (travel is +x).
        self._profile = np.exp(-(((xx - cx) / np.where(xx < cx, 40.0, 8.0)) ** 2) - ((yy - cy) / 10.0) ** 2)
        self._bank: IRBank | None = None

    def _do_configure(self) -> StreamSpec:
        c = self.config
        if c.render == "bank" and self._bank is None:
            peak = float(ProcessTable.of(self.process).values("ir_peak_c").max())
            self._bank = IRBank(self._profile, c.counts_per_kelvin, peak, _seed(self.process, c.name))
        cal = Calibration(scale=1.0 / c.counts_per_kelvin, offset=-273.15, units="degC")
        return StreamSpec(name=c.name, kind=self.kind, device="sim-ir", driver="sim", dtype="uint16",
                          sample_shape=(c.height, c.width), units="counts", calibration={"*": cal},
                          nominal_rate_hz=c.fps, clock=c.clock)

    def _render(self, t_true: np.ndarray, index: np.ndarray) -> np.ndarray:
        if self._bank is not None:
            return self._bank.take(ProcessTable.of(self.process)("ir_peak_c", t_true), index)
        peak = self.process.ir_peak_c(t_true)
        temp_c = AMBIENT_C + (peak[:, None, None] - AMBIENT_C) * self._profile[None]
        counts = (temp_c + 273.15) * self.config.counts_per_kelvin
        counts += self._noise(counts.shape, 2.0)
        return np.clip(counts, 0, 65535).astype(np.uint16)


class SimDaq(_SimDevice, DaqDevice):
    def __init__(self, cfg: SimDaqConfig, process: WeldProcess) -> None:
        DaqDevice.__init__(self, cfg)
        self._setup(cfg, process, cfg.rate_hz, int(cfg.rate_hz * SIGNAL_BLOCK_S))
        self._noise_bank = NoiseBank(_seed(process, cfg.name)) if cfg.render == "bank" else None
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
                out[:, j] = self.process.acoustic_envelope(t_true) * self._noise(t_true.shape, 1.0)
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

    def _do_configure(self) -> StreamSpec:
        c = self.config
        return StreamSpec(name=c.name, kind=self.kind, device="sim-microphone", driver="sim", dtype="float32",
                          sample_shape=(1,), channels=["mic"], units="Pa", nominal_rate_hz=c.rate_hz,
                          clock=c.clock)

    def _has_device_clock(self) -> bool:
        return False  # a sound card gives frame counts, not timestamps

    def _render(self, t_true: np.ndarray, index: np.ndarray) -> np.ndarray:
        env = 0.5 * self.process.acoustic_envelope(t_true)
        return (env * self._noise(t_true.shape, 1.0)).astype(np.float32)[:, None]


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
            depth_um = 1000.0 * ProcessTable.of(self.process)("keyhole_depth", t_true)
            noise = 5.0 * self._noise_bank.take(len(t_true))
        else:
            depth_um = 1000.0 * self.process.keyhole_depth(t_true)
            noise = self._noise(t_true.shape, 5.0)
        valid = depth_um > 1.0
        out = np.zeros((len(t_true), 2), dtype=np.float32)
        out[:, 0] = np.where(valid, depth_um + noise, 0.0)
        out[:, 1] = valid
        return out
