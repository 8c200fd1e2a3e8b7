"""The zero-loss rate search of the recorder-limit benchmark, on a scripted writer (no recording)."""

from pathlib import Path

import pytest

from bench import _harness
from bench._harness import LoadResult, highest_rate


def _scripted(probe_limit: float, long_limit: float):  # type: ignore[no-untyped-def]
    """A writer that holds up to ``probe_limit`` kfps for a 10 s probe, but only ``long_limit`` for longer."""

    def record_load(writer: str, kfps: float, duration_s: float, base: str) -> LoadResult:
        limit = probe_limit if duration_s <= 10 else long_limit
        return LoadResult(writer=writer, kfps=kfps, duration_s=duration_s, lost=0 if kfps <= limit else 1000,
                          camera_share=1.0, ingest_mb_s=1.0, cpu_s=1.0, gb=1.0, max_queue=0.1, stored_gb=0.1)

    return record_load


def test_a_rate_that_holds_only_for_the_probe_steps_down_until_one_holds(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The bench run of 2026-12-03: weldctl held 14 kfps for 10 s, lost samples at 30 s, and the search had no
    # lower rate to confirm, so the section gave no ratio at all.
    monkeypatch.setattr(_harness, "record_load", _scripted(probe_limit=14.0, long_limit=10.0))
    best, runs = highest_rate("w", 14.0, 2.5, str(tmp_path), probe_s=10.0, confirm_s=30.0, max_probes=5, max_kfps=56.0)
    assert best is not None and best.duration_s == 30.0
    assert best.kfps == 9.0  # 14 failed at 30 s, then 11.5 and 9 below the lowest rate probed
    assert [r.kfps for r in runs if r.duration_s == 30.0] == [14.0, 11.5, 9.0]


def test_at_most_three_long_runs_per_writer(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(_harness, "record_load", _scripted(probe_limit=14.0, long_limit=1.0))
    best, runs = highest_rate("w", 14.0, 2.5, str(tmp_path), probe_s=10.0, confirm_s=30.0, max_probes=5, max_kfps=56.0)
    assert best is None and sum(r.duration_s == 30.0 for r in runs) == 3
