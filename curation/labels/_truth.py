"""Sim truth standing in for labelling: the exact labels of simulated runs, as label records."""

from __future__ import annotations

from weldctl.schema import LabelRecord, RunReader, StoreError, TimeRegion

# A pore region spans the keyhole collapse and most of its recovery (see the sim process model).
PORE_BEFORE_NS = 1_000_000
PORE_AFTER_NS = 20_000_000


def labels_from_truth(reader: RunReader) -> list[LabelRecord]:
    """One record per weld of a sim run, annotator "sim-truth", source "truth"."""
    if not reader.has_truth():
        raise StoreError(
            f"run {reader.run_id} has no truth (it is not simulated)",
            "label it in Label Studio instead: `weldctl label push` / `pull`",
        )
    w = reader.truth("welds")
    pores = reader.truth("pores")
    # The run's start time, not now: the same run gives the same file, so DVC sees no change.
    stamp = reader.manifest.start_utc
    out = []
    for i, weld_id in enumerate(w["weld_id"].tolist()):
        mine = pores["t_ns"][pores["weld_id"] == weld_id].tolist()
        out.append(
            LabelRecord(
                run_id=reader.run_id,
                weld_id=int(weld_id),
                annotator="sim-truth",
                source="truth",
                labels={
                    "penetration": str(w["penetration"][i]),
                    "porosity": str(w["porosity"][i]),
                    "condition": str(w["condition"][i]),
                },
                pore_regions=[
                    TimeRegion(t_start_ns=int(t) - PORE_BEFORE_NS, t_end_ns=int(t) + PORE_AFTER_NS)
                    for t in mine
                ],
                created_at=stamp,
                updated_at=stamp,
            )
        )
    return out
