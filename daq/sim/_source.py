"""Pacing, clocks and injected faults shared by every simulated device.

A sim device samples the weld process on its own oscillator. Its drift is ``drift_ppm`` plus a
smooth wander of up to ``drift_walk_ppm`` (a warming crystal), so the elapsed device time after
its first sample is ``e(u) = (1 + drift)·u + W(u)`` for ``u`` true seconds, with ``W`` the
integral of the wander. Sample i is taken at the true time where ``e(u) = i / rate``; the device
stamps it at ``offset + (1 + drift)·t_true + W(u)``. The host "receives" each block the device's
transport latency plus |jitter| after its last sample. All of it is seeded and exposed
(``true_time``, ``run_time_ns``, ``device_time_ns``, ``drift_ppm_at``, ``injected``), so tests
know the exact answer.
"""

from __future__ import annotations

import math
import time

import numpy as np

from weldctl.schema import ClockFault, LossInjection

from .._block import Block, Gap

WALK_SHARES = (0.6, 0.4)  # two slow components: their sum never exceeds drift_walk_ppm
WALK_PERIOD_RATIO = (1.0, 0.37)


class SimSource:
    """Mixin for sim devices: call ``_init_source`` in __init__, implement ``_render``."""

    rate_hz: float
    block_samples: int

    def _init_source(self, rate_hz: float, block_samples: int, fault: ClockFault, losses: list[LossInjection],
                     seed: int, start_delay_s: float, end_s: float) -> None:
        self.rate_hz = rate_hz
        self.block_samples = max(1, block_samples)
        self.fault = fault
        self.losses = sorted(losses, key=lambda x: x.at_s)
        self.start_delay_s = start_delay_s
        self.end_s = end_s
        self._seed = seed
        self._t0_host_ns = 0
        self._next = 0
        self._rng = np.random.default_rng(seed)
        self._done = False
        phases = np.random.default_rng(seed + 7919).uniform(0.0, 2 * np.pi, len(WALK_SHARES))
        self._walk = [(share * fault.drift_walk_ppm * 1e-6, fault.drift_walk_period_s * ratio, float(ph))
                      for share, ratio, ph in zip(WALK_SHARES, WALK_PERIOD_RATIO, phases, strict=True)]
        self.injected: list[Gap] = self._loss_ranges()  # the configured losses, in sequence numbers

    # -- clocks ----------------------------------------------------------------------------
    def drift_ppm_at(self, t_true: np.ndarray) -> np.ndarray:
        """The oscillator's true drift (ppm) at true times: drift_ppm plus the wander."""
        u = np.asarray(t_true, dtype=np.float64) - self.start_delay_s
        w = sum((a * np.sin(2 * np.pi * u / p + ph) for a, p, ph in self._walk), np.zeros_like(u))
        return self.fault.drift_ppm + w * 1e6

    def _wander_s(self, u: np.ndarray) -> np.ndarray:
        """W(u): device seconds gained through the wander, u true seconds after the first sample."""
        out = np.zeros_like(u)
        for a, p, ph in self._walk:
            out += a * p / (2 * np.pi) * (math.cos(ph) - np.cos(2 * np.pi * u / p + ph))
        return out

    def _elapsed_s(self, u: np.ndarray) -> np.ndarray:
        return (1.0 + self.fault.drift_ppm * 1e-6) * u + self._wander_s(u)

    def true_time(self, index: np.ndarray) -> np.ndarray:
        """True time (s) at which sample ``index`` is taken (a frame: mid-exposure)."""
        target = np.asarray(index, dtype=np.float64) / self.rate_hz
        rate = 1.0 + self.fault.drift_ppm * 1e-6
        u = target / rate
        if self.fault.drift_walk_ppm:
            for _ in range(3):  # Newton: the wander is a few ppm, so this converges far below a ns
                u = u - (self._elapsed_s(u) - target) / (rate + (self.drift_ppm_at(u + self.start_delay_s)
                                                                 - self.fault.drift_ppm) * 1e-6)
        return self.start_delay_s + u

    def run_time_ns(self, t_true: np.ndarray) -> np.ndarray:
        """True time on this device's sample clock (ns since its first sample): the run time base
        when this device is the rig's reference (hardware-timed on the shared start trigger)."""
        u = np.asarray(t_true, dtype=np.float64) - self.start_delay_s
        return np.round(self._elapsed_s(u) * 1e9).astype(np.int64)

    def true_time_of_run_ns(self, t_run_ns: np.ndarray) -> np.ndarray:
        """Inverse of ``run_time_ns``: true time (s) of a time on this device's sample clock."""
        return self.true_time(np.asarray(t_run_ns, dtype=np.float64) * self.rate_hz / 1e9)

    def device_time_ns(self, t_true: np.ndarray) -> np.ndarray:
        t = np.asarray(t_true, dtype=np.float64)
        d = (self.fault.offset_ms * 1e-3 + (1.0 + self.fault.drift_ppm * 1e-6) * t
             + self._wander_s(t - self.start_delay_s))
        return np.round(d * 1e9).astype(np.int64)

    # -- losses ----------------------------------------------------------------------------
    def _loss_ranges(self) -> list[Gap]:
        """Each configured loss as sequence numbers: from the first sample taken at or after ``at_s``.
        Losses may overlap; each keeps its own place and size."""
        out = []
        for loss in self.losses:
            u = max(loss.at_s - self.start_delay_s, 0.0)
            first = math.ceil(float(self._elapsed_s(np.array([u]))[0]) * self.rate_hz - 1e-6)
            out.append(Gap(seq_start=max(0, first), count=loss.count, kind=loss.kind))
        return out

    # -- pacing ----------------------------------------------------------------------------
    def _source_start(self, t0_host_ns: int) -> None:
        self._t0_host_ns = t0_host_ns
        self._next = 0
        self._done = False
        self._rng = np.random.default_rng(self._seed)

    def _source_read(self, timeout_s: float) -> Block | None:
        if self._done:
            time.sleep(min(timeout_s, 0.05))
            return None
        idx = np.arange(self._next, self._next + self.block_samples)
        t_true = self.true_time(idx.astype(np.float64))
        jitter = abs(self._rng.normal(0.0, self.fault.jitter_us * 1e3)) if self.fault.jitter_us else 0.0
        t_host_ns = round(t_true[-1] * 1e9) + round(self.fault.latency_us * 1e3) + int(jitter)
        wait_s = (self._t0_host_ns + t_host_ns - time.monotonic_ns()) / 1e9
        if wait_s > timeout_s:
            time.sleep(timeout_s)
            return None
        if wait_s > 0:
            time.sleep(wait_s)
        taken = self._take_losses(int(idx[0]), int(idx[-1]) + 1)
        # A queue overflow happens in the recorder, not the device: those samples are delivered,
        # marked so the recorder's queue path drops them.
        gaps = [g for g in taken if g.kind != "queue_overflow"]
        queue_faults = [g for g in taken if g.kind == "queue_overflow"]
        keep = np.ones(len(idx), dtype=bool)
        for g in gaps:
            keep &= ~((idx >= g.seq_start) & (idx < g.seq_start + g.count))
        self._next = int(idx[-1]) + 1
        if t_true[-1] >= self.end_s:
            self._done = True
        idx, t_true = idx[keep], t_true[keep]
        data = self._render(t_true, idx)
        return Block(data=data, seq=idx.astype(np.int64), t_host_ns=t_host_ns,
                     t_dev_ns=self.device_time_ns(t_true) if self._has_device_clock() else None, gaps=gaps,
                     queue_faults=queue_faults)

    def _take_losses(self, i0: int, i1: int) -> list[Gap]:
        """The part of every configured loss inside samples [i0, i1), as the device reports it: a
        loss longer than a block is reported block by block, and overlapping losses overlap."""
        out = []
        for g in self.injected:
            lo, hi = max(g.seq_start, i0), min(g.seq_start + g.count, i1)
            if hi > lo:
                out.append(Gap(seq_start=lo, count=hi - lo, kind=g.kind))
        return out

    @property
    def source_done(self) -> bool:
        return self._done

    def _has_device_clock(self) -> bool:
        return True

    def _render(self, t_true: np.ndarray, index: np.ndarray) -> np.ndarray:
        raise NotImplementedError
