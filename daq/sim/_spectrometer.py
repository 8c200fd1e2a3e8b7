"""The simulated spectrometer: free running, each spectrum integrated over 1 / rate, timed at mid-integration."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from weldctl.schema import SimSpectrometerConfig, SpectrumSpec, StreamSpec

from .._block import Block
from .._spectrometer import Spectrometer
from ._process import WeldProcess
from ._source import SimSource
from ._spectra import SpectrumModel

BLOCK_S = 0.05  # five spectra a read at 100 Hz: the per-read cost of the state sampling is paid less often
TRUTH_RATE_HZ = 100.0


def _seed(process: WeldProcess, name: str) -> int:
    return process.cfg.seed * 1000 + sum(map(ord, name))


def wavelengths_of(cfg: SimSpectrometerConfig) -> np.ndarray:
    """A grating spectrometer's axis: close to linear in pixel, with a small quadratic term (as the
    calibration polynomials of real units have)."""
    x = np.linspace(0.0, 1.0, cfg.pixels)
    span = cfg.wavelength_max_nm - cfg.wavelength_min_nm
    return cfg.wavelength_min_nm + span * (1.04 * x - 0.04 * x**2)


class SimSpectrometer(SimSource, Spectrometer):
    config: SimSpectrometerConfig

    def __init__(self, cfg: SimSpectrometerConfig, process: WeldProcess) -> None:
        Spectrometer.__init__(self, cfg)
        self.process = process
        self._init_source(
            cfg.rate_hz,
            int(cfg.rate_hz * BLOCK_S),
            cfg.clock_fault,
            cfg.losses,
            _seed(process, cfg.name),
            0.0071,
            process.end_s,
        )
        self.model = SpectrumModel(process, wavelengths_of(cfg), cfg.fwhm_nm, _seed(process, cfg.name))

    def _do_configure(self) -> StreamSpec:
        c = self.config
        spectrum = SpectrumSpec(
            wavelengths_nm=self.model.wl.tolist(),
            integration_time_us=1e6 / c.rate_hz,
            dark_counts=self.model.dark.tolist(),
            saturation_counts=65535.0,
        )
        return StreamSpec(
            name=c.name,
            kind=self.kind,
            device="sim-spectrometer",
            driver="sim",
            dtype="float32",
            sample_shape=(c.pixels,),
            units="counts",
            nominal_rate_hz=c.rate_hz,
            clock=c.clock,
            spectrum=spectrum,
        )

    def _do_start(self, t0_host_ns: int) -> None:
        self._source_start(t0_host_ns)

    def _do_read(self, timeout_s: float) -> Block | None:
        """A block of spectra numbered by the Spectrometer base: from the device's counter (the sample index),
        or, for a model that counts nothing, from when each spectrum arrived. Either way the device reports
        no loss of its own: a configured loss shows only as the spectra missing."""
        block = self._source_read(timeout_s)
        if block is None:
            return None
        counted = self.config.spectrum_counter
        recv: np.ndarray = np.zeros(len(block), dtype=np.int64)
        if not counted:  # request/reply: each spectrum arrives on its own, the latency plus |jitter| after it
            jitter = np.abs(self._rng.normal(0.0, self.fault.jitter_us * 1e3, len(block)))
            t_true = self.true_time(block.seq.astype(np.float64))
            recv = np.maximum.accumulate(np.round(t_true * 1e9 + self.fault.latency_us * 1e3 + jitter).astype(np.int64))
        seqs, gaps = [], []
        for i, index in enumerate(block.seq.tolist()):
            seq, gap = self._number(int(recv[i]), int(index) if counted else None)
            seqs.append(seq)
            if gap is not None:
                gaps.append(gap)
        return Block(
            data=block.data,
            seq=np.asarray(seqs, dtype=np.int64),
            t_host_ns=block.t_host_ns,
            gaps=gaps,
            queue_faults=block.queue_faults,
        )

    def _do_counts_spectra(self) -> bool:
        return self.config.spectrum_counter

    @property
    def done(self) -> bool:
        return self.source_done

    def _has_device_clock(self) -> bool:
        return False  # a USB spectrometer stamps nothing: spectra are counted

    def _render(self, t_true: np.ndarray, index: np.ndarray) -> np.ndarray:
        return self.model.render(t_true, 1.0 / self.rate_hz, self._rng)


def truth_spectra(
    model: SpectrumModel,
    rate_hz: float = TRUTH_RATE_HZ,
    to_run_ns: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """What the spectra were made from, at ``rate_hz`` over the run (windows of 1 / rate_hz)."""
    t = np.arange(0.5 / rate_hz, model.process.end_s, 1.0 / rate_hz)
    s = model.scalars(t, 1.0 / rate_hz)
    t_ns = to_run_ns(t) if to_run_ns else np.round(t * 1e9).astype(np.int64)
    rows = {
        "t_ns": t_ns,
        "continuum_temperature_k": s.continuum_temperature_k,
        "electron_temperature_k": s.electron_temperature_k,
        "line_scale": s.line_scale,
        "h_alpha": s.h_alpha,
        "o_i": s.o_i,
        "c2_swan": s.swan,
    }
    return rows, {k: ("int64" if k == "t_ns" else "float64") for k in rows}
