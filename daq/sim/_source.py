"""Pacing, clocks and injected faults shared by every simulated device.

A sim device samples the weld process at its own clock: sample i is taken at true time
``start_delay + i / (rate * (1 + drift))`` and stamped by the device at
``offset + (1 + drift) * t_true``. The host "receives" each block a fixed latency plus
|jitter| after its last sample. All of it is seeded, so tests know the exact answer.
"""

from __future__ import annotations

import time

import numpy as np

from weldctl.schema import ClockFault, LossInjection

from .._block import Block, Gap

HOST_LATENCY_NS = 200_000  # fixed transport latency before jitter


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
        self.injected: list[Gap] = []  # what was actually injected, for tests

    # -- clocks ----------------------------------------------------------------------------
    def true_time(self, index: np.ndarray) -> np.ndarray:
        return self.start_delay_s + index / (self.rate_hz * (1.0 + self.fault.drift_ppm * 1e-6))

    def run_time_ns(self, t_true: np.ndarray) -> np.ndarray:
        """True time on this device's sample clock (ns since its first sample): the run time base
        when this device is the rig's reference (hardware-timed on the shared start trigger)."""
        t = (np.asarray(t_true, dtype=np.float64) - self.start_delay_s) * (1.0 + self.fault.drift_ppm * 1e-6)
        return np.round(t * 1e9).astype(np.int64)

    def device_time_ns(self, t_true: np.ndarray) -> np.ndarray:
        d = self.fault.offset_ms * 1e-3 + (1.0 + self.fault.drift_ppm * 1e-6) * t_true
        return np.round(d * 1e9).astype(np.int64)

    # -- pacing ----------------------------------------------------------------------------
    def _source_start(self, t0_host_ns: int) -> None:
        self._t0_host_ns = t0_host_ns
        self._next = 0
        self._done = False
        self._rng = np.random.default_rng(self._seed)
        self.injected = []
        self._pending_losses = list(self.losses)

    def _source_read(self, timeout_s: float) -> Block | None:
        if self._done:
            time.sleep(min(timeout_s, 0.05))
            return None
        idx = np.arange(self._next, self._next + self.block_samples)
        t_true = self.true_time(idx.astype(np.float64))
        jitter = abs(self._rng.normal(0.0, self.fault.jitter_us * 1e3)) if self.fault.jitter_us else 0.0
        t_host_ns = round(t_true[-1] * 1e9) + HOST_LATENCY_NS + int(jitter)
        wait_s = (self._t0_host_ns + t_host_ns - time.monotonic_ns()) / 1e9
        if wait_s > timeout_s:
            time.sleep(timeout_s)
            return None
        if wait_s > 0:
            time.sleep(wait_s)
        taken = self._take_losses(idx, t_true)
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

    def _take_losses(self, idx: np.ndarray, t_true: np.ndarray) -> list[Gap]:
        gaps: list[Gap] = []
        while self._pending_losses and self._pending_losses[0].at_s <= t_true[-1]:
            loss = self._pending_losses.pop(0)
            start = int(idx[np.searchsorted(t_true, loss.at_s)]) if loss.at_s >= t_true[0] else int(idx[0])
            count = min(loss.count, int(idx[-1]) + 1 - start)
            # A loss longer than one block continues into the next one.
            if loss.count > count:
                self._pending_losses.insert(0, loss.model_copy(update={
                    "at_s": float(self.true_time(np.array([idx[-1] + 1.0]))[0]), "count": loss.count - count}))
            gap = Gap(seq_start=start, count=count, kind=loss.kind)
            gaps.append(gap)
            last = self.injected[-1] if self.injected else None
            if last and last.kind == gap.kind and last.seq_start + last.count == gap.seq_start:
                self.injected[-1] = Gap(last.seq_start, last.count + gap.count, gap.kind)  # one loss, two blocks
            else:
                self.injected.append(gap)
        return gaps

    @property
    def source_done(self) -> bool:
        return self._done

    def _has_device_clock(self) -> bool:
        return True

    def _render(self, t_true: np.ndarray, index: np.ndarray) -> np.ndarray:
        raise NotImplementedError
