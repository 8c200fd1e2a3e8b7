"""Issue: a table in the store (events, clock observations, truth) never shows a torn row."""

from __future__ import annotations

import contextlib

import numpy as np
import zarr

from weldctl.schema._tables import append_rows, create_table, read_table, trim_table

COLUMNS = {"device_ns": "int64", "host_ns": "int64"}


def _torn(tmp_path) -> zarr.Group:  # type: ignore[no-untyped-def]
    """A table as a recorder killed mid-append leaves it: both columns resized, only the first written."""
    g = create_table(zarr.open_group(tmp_path / "t.zarr", mode="w"), "obs", COLUMNS)
    append_rows(g, {"device_ns": [10, 20], "host_ns": [110, 120]})
    for col in COLUMNS:
        g[col].resize((5,))
    g["device_ns"][2:] = [30, 40, 50]
    return g


def test_a_torn_append_is_never_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    g = _torn(tmp_path)
    # Reopened from disk by plain zarr, as a recovering process would.
    reopened = zarr.open_group(tmp_path / "t.zarr", mode="r")["obs"]
    cols = read_table(reopened)
    assert cols["device_ns"].tolist() == [10, 20] and cols["host_ns"].tolist() == [110, 120]
    # The next append overwrites the torn tail; trim cuts it for plain-zarr readers.
    append_rows(g, {"device_ns": [30], "host_ns": [130]})
    assert read_table(g)["host_ns"].tolist() == [110, 120, 130]
    for col in COLUMNS:
        g[col].resize((6,))
    assert trim_table(g) == 3 and g["host_ns"].shape == (3,)


def test_rows_appear_whole_at_every_step(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Stop an append after each store write: what a reader sees is always a prefix of whole rows."""
    g = create_table(zarr.open_group(tmp_path / "s.zarr", mode="w"), "obs", COLUMNS)
    append_rows(g, {"device_ns": [1, 2], "host_ns": [3, 4]})
    store = g.store
    real_set = type(store).set
    calls = {"n": 0, "stop": 0}

    class Killed(Exception):
        pass

    async def dying_set(self, key, value):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == calls["stop"]:
            raise Killed
        return await real_set(self, key, value)

    type(store).set = dying_set  # type: ignore[method-assign]
    try:
        for stop in range(1, 12):
            calls["n"], calls["stop"] = 0, stop
            with contextlib.suppress(Killed):
                append_rows(g, {"device_ns": [5, 6, 7], "host_ns": [8, 9, 10]})
            seen = read_table(zarr.open_group(tmp_path / "s.zarr", mode="r")["obs"])
            n = len(seen["host_ns"])
            assert len(seen["device_ns"]) == n and np.all(seen["host_ns"] > 0), (stop, seen)
            assert (n - 2) % 3 == 0, (stop, n)
    finally:
        type(store).set = real_set  # type: ignore[method-assign]
