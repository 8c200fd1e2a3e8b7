"""Pre-rendered banks for the load generator: IR frames by peak temperature, noise, decimated signals.

The physics renderers cost ~1 s of CPU per second of IR at 500 Hz and grow with the sample rate; at
benchmark rates the simulator would measure itself. Banks keep the process model (values still follow
the welds, just quantised in temperature and held over a few samples) at the price of a memcpy.
"""

from __future__ import annotations

import numpy as np

from ._physics import AMBIENT_C
from ._process import WeldProcess

IR_STEP_C = 25.0  # temperature quantisation of the IR bank
IR_VARIANTS = 2  # noise variants per level, cycled frame by frame
NOISE_SAMPLES = 1 << 18
TABLE_RATE_HZ = 10_000.0  # process quantities are tabulated at this rate and held between points


class IRBank:
    """IR frames (counts) indexed by quantised peak temperature and a noise variant."""

    def __init__(self, profile: np.ndarray, counts_per_kelvin: float, max_peak_c: float, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.levels = int(np.ceil((max_peak_c - AMBIENT_C) / IR_STEP_C)) + 2
        h, w = profile.shape
        self.frames = np.empty((self.levels, IR_VARIANTS, h, w), dtype=np.uint16)
        for lvl in range(self.levels):
            temp_c = AMBIENT_C + lvl * IR_STEP_C * profile
            counts = (temp_c + 273.15) * counts_per_kelvin
            for v in range(IR_VARIANTS):
                noisy = counts + rng.normal(0.0, 2.0, counts.shape)
                self.frames[lvl, v] = np.clip(noisy, 0, 65535).astype(np.uint16)

    def take(self, peak_c: np.ndarray, index: np.ndarray) -> np.ndarray:
        lvl = np.clip(np.round((peak_c - AMBIENT_C) / IR_STEP_C).astype(np.int64), 0, self.levels - 1)
        return self.frames[lvl, index % IR_VARIANTS]


class NoiseBank:
    """Standard-normal noise, handed out as slices at seeded random offsets."""

    def __init__(self, seed: int) -> None:
        self._rng = np.random.default_rng(seed)
        self.noise = self._rng.standard_normal(NOISE_SAMPLES).astype(np.float32)

    def take(self, n: int) -> np.ndarray:
        if n > len(self.noise):
            reps = -(-n // len(self.noise))
            return np.tile(self.noise, reps)[:n]
        start = int(self._rng.integers(0, len(self.noise) - n + 1))
        return self.noise[start : start + n]


class ProcessTable:
    """Process quantities tabulated once per run at TABLE_RATE_HZ, shared by every bank-rendered device."""

    def __init__(self, process: WeldProcess) -> None:
        self.process = process
        self.t = np.arange(0.0, process.end_s + 1.0, 1.0 / TABLE_RATE_HZ)
        self._values: dict[str, np.ndarray] = {}

    @classmethod
    def of(cls, process: WeldProcess) -> ProcessTable:
        table = getattr(process, "_bank_table", None)
        if table is None:
            table = cls(process)
            process._bank_table = table  # type: ignore[attr-defined]
        return table

    def values(self, quantity: str) -> np.ndarray:
        """The whole table of one quantity (computed on first use: call it at configure time)."""
        values = self._values.get(quantity)
        if values is None:
            values = np.asarray(getattr(self.process, quantity)(self.t), dtype=np.float32)
            self._values[quantity] = values
        return values

    def __call__(self, quantity: str, t: np.ndarray) -> np.ndarray:
        values = self.values(quantity)
        i = np.clip((t * TABLE_RATE_HZ).astype(np.int64), 0, len(values) - 1)
        return values[i]
