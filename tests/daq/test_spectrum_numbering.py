"""Numbering spectra: from a device counter (exact, across its wrap) or from host timing (over, never under)."""

from __future__ import annotations

import numpy as np

from weldctl.daq._spectrum_numbering import SpectrumNumbering

PERIOD_NS = 10_000_000.0


def _run(numbering: SpectrumNumbering, recv: list[float], counters: list[int] | None = None) -> tuple[list[int], int]:
    seqs, lost = [], 0
    for i, r in enumerate(recv):
        seq, gap = numbering.number(round(r), None if counters is None else counters[i])
        seqs.append(seq)
        lost += gap.count if gap is not None else 0
    return seqs, lost


def test_a_counter_is_the_sequence_and_its_jumps_are_the_losses_across_the_wrap() -> None:
    modulus = 1 << 8
    true = [k for k in range(250, 270) if k not in (255, 256, 262)]  # three lost, the counter wraps at 256
    # receipts mean nothing on this path: a late reply is no loss when the counter says otherwise
    recv = [k * PERIOD_NS + (9e6 if k == 258 else 0.0) for k in true]
    seqs, lost = _run(SpectrumNumbering(PERIOD_NS, counter_modulus=modulus), recv, [k % modulus for k in true])
    assert lost == 3
    assert seqs == true


def test_host_timing_counts_a_lost_spectrum_and_a_very_late_reply_as_one_more_never_fewer() -> None:
    rng = np.random.default_rng(3)
    delivered = [k for k in range(60) if k not in (20, 41, 42)]
    recv = [k * PERIOD_NS + 2e6 + abs(rng.normal(0.0, 1e6)) for k in delivered]
    seqs, lost = _run(SpectrumNumbering(PERIOD_NS), recv)
    assert lost == 3 and seqs == delivered  # receipts within half a period of their integration: exact
    late = list(recv)
    late[-5] += 0.7 * PERIOD_NS  # a reply held up by the host for more than half a period
    seqs, lost = _run(SpectrumNumbering(PERIOD_NS), late)
    assert lost == 4  # the late one reads as one integration on: one too many, never too few
    assert np.all(np.diff(seqs) > 0) and seqs[-1] == delivered[-1] + 1  # and the rest are placed one period on
