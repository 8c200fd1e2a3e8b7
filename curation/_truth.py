"""Sim truth standing in for labelling: the exact labels of simulated runs, in the labels JSONL format."""

from __future__ import annotations

from typing import Any

from weldctl.schema import RunReader, StoreError


def _welds(reader: RunReader) -> dict[str, Any]:
    if not reader.has_truth():
        raise StoreError(
            f"run {reader.run_id} has no truth (it is not simulated)",
            "segment it with `weldctl segment` and label it in Label Studio instead",
        )
    return reader.truth("welds")


def labels_from_truth(reader: RunReader) -> list[dict[str, Any]]:
    """Label records (agreed JSONL format) of a sim run: one per weld, annotator "sim-truth"."""
    w = _welds(reader)
    pores = reader.truth("pores")
    # The run's start time, not now: the same run gives the same file, so DVC sees no change.
    stamp = reader.manifest.start_utc.isoformat()
    out = []
    for i, weld_id in enumerate(w["weld_id"].tolist()):
        mine = pores["t_ns"][pores["weld_id"] == weld_id].tolist()
        # A pore region spans the keyhole collapse and most of its recovery (see the sim process model).
        regions = [{"t_start_ns": int(t) - 1_000_000, "t_end_ns": int(t) + 20_000_000} for t in mine]
        out.append(
            {
                "run_id": reader.run_id,
                "weld_id": int(weld_id),
                "annotator": "sim-truth",
                "labels": {
                    "penetration": str(w["penetration"][i]),
                    "porosity": str(w["porosity"][i]),
                    "condition": str(w["condition"][i]),
                },
                "pore_regions": regions,
                "created_at": stamp,
                "updated_at": stamp,
                "source": "truth",
                "ls": None,
            }
        )
    return out
