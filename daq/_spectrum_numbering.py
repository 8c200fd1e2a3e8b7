"""Sequence numbers of spectra, and the spectra lost between them.

Two ways, by what the device gives:

* a **spectrum counter** (a model that numbers its spectra, as cameras number frames): the sequence
  number is the counter, unwrapped past its modulus, and a jump in it is an exact count of the
  spectra lost;
* **host timing** (a request/reply model that counts nothing, such as the USB2000+): the spectra lie
  on the device's integration grid, so a reply ``n`` periods after the previous one is ``n`` spectra
  on. From receipts alone a reply late by more than half a period cannot be told from one
  integration later: the count of losses may be over, never under.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from ._block import Gap

# A reply is placed on the nearest integration of the grid: host delays up to half a period are told apart
# from a lost spectrum.
SEQ_EARLY = 0.5
COUNTER_MODULUS = 1 << 32  # a 32-bit spectrum counter wraps after 2^32 spectra

LossAccounting = Literal["device_counter", "host_timing"]


@dataclass(frozen=True)
class Spectrum:
    """One spectrum as a driver read it: counts, its host receipt (ns since run start) and, where the
    device keeps one, its own spectrum number."""

    counts: npt.NDArray[np.float32]
    recv_ns: int
    counter: int | None = None


class SpectrumNumbering:
    """Numbers the spectra of one acquisition (a new one per start)."""

    def __init__(self, period_ns: float, counter_modulus: int = COUNTER_MODULUS) -> None:
        self.period_ns = period_ns
        self.modulus = counter_modulus
        self.next_seq = 0
        self._first = True
        self._base_ns: float | None = None  # origin of the integration grid on the host clock (lower envelope)
        self._last_raw: int | None = None

    def number(self, recv_ns: int, counter: int | None) -> tuple[int, Gap | None]:
        """The spectrum's sequence number, and the spectra lost just before it (None: none)."""
        if counter is not None:
            seq = self._unwrap(int(counter))
            kind, note = "missed_spectrum", "the device's spectrum counter skipped (an exact count)"
        else:
            seq = self._seq_of(recv_ns)
            kind, note = "missed_readout", "inferred from host timing: integrated while no request was pending"
        gap = None
        if not self._first and seq > self.next_seq:
            gap = Gap(self.next_seq, seq - self.next_seq, kind, note)
        self._first = False
        self.next_seq = seq + 1
        return seq, gap

    def _unwrap(self, raw: int) -> int:
        if self._last_raw is None:
            self._last_raw = raw
            return raw
        step = (raw - self._last_raw) % self.modulus
        if step > self.modulus // 2:  # backwards: a device reset, left for the recorder to report
            step -= self.modulus
        self._last_raw = raw
        return self.next_seq - 1 + step

    def _seq_of(self, recv_ns: int) -> int:
        """The spectrum's number from its receipt, on the device's integration grid.

        A reply comes one readout after its integration ends, plus whatever the host adds, never less. So the
        grid's origin is the lower envelope of ``receipt − k · period`` over the replies so far (a late first
        reply is corrected by the next earlier one), and a reply less than half a period off it is placed on
        its own integration.
        """
        if self._base_ns is None:
            self._base_ns = float(recv_ns)
            return self.next_seq
        k = max(self.next_seq, int(np.floor((recv_ns - self._base_ns) / self.period_ns + SEQ_EARLY)))
        self._base_ns = min(self._base_ns, recv_ns - k * self.period_ns)
        return k
