"""Column tables in a run store: a group of equal-length 1-D arrays sharing one dimension.

A row is whole or absent after any crash. Appending writes every column first (resize, then data), and only
then publishes the new row count in the table's attributes (``rows``; zarr writes a metadata document by
rename, so the count changes in one step). Readers read up to that count and nothing past it: a recorder
killed between a column's resize and its write leaves a tail that reads as fill values, and that tail is
never shown. ``trim_table`` cuts such a tail off before a recovered store is finalized.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import zarr

from ._zarr_nodes import array_at, attr_dict, attr_int, attr_strs

TABLE_CHUNK = 4096
ROWS = "rows"  # table attr: the committed row count


def _as_column(values: object, dtype: str) -> np.ndarray[Any, Any]:
    if dtype == "str":
        return np.asarray(values, dtype=np.dtypes.StringDType())
    return np.asarray(values, dtype=dtype)


def create_table(parent: zarr.Group, name: str, columns: Mapping[str, str], dim: str = "row") -> zarr.Group:
    group = parent.require_group(name)
    group.attrs.update({ROWS: 0})  # first: a table being (re)created shows no rows until it is whole
    for col, dtype in columns.items():
        group.create_array(
            col,
            shape=(0,),
            chunks=(TABLE_CHUNK,),
            dtype=str if dtype == "str" else dtype,
            dimension_names=[dim],
            overwrite=True,
        )
    group.attrs.update({"columns": list(columns), "dtypes": dict(columns), ROWS: 0})
    return group


def table_complete(group: zarr.Group) -> bool:
    """False for a table whose creation was cut short (its column list is written last)."""
    cols = group.attrs.get("columns")
    return isinstance(cols, list) and all(c in group for c in cols)


def table_rows(group: zarr.Group) -> int:
    """Rows a reader may trust: the committed count (tables written before it existed: the shortest column)."""
    cols = attr_strs(group.attrs, "columns", [k for k, _ in group.arrays()])
    shortest = min((array_at(group, c).shape[0] for c in cols if c in group), default=0)
    if len(cols) and any(c not in group for c in cols):
        return 0
    if group.attrs.get(ROWS) is None:
        return shortest
    return min(attr_int(group.attrs, ROWS), shortest)


def append_rows(group: zarr.Group, rows: Mapping[str, object]) -> int:
    """Append columns of equal length; returns the new row count (published last, after every column)."""
    dtypes = {c: str(d) for c, d in attr_dict(group.attrs, "dtypes").items()}
    cols = {c: _as_column(rows.get(c, []), d) for c, d in dtypes.items()}
    lengths = {len(v) for v in cols.values()}
    if len(lengths) != 1:
        raise ValueError(f"table columns differ in length: { {c: len(v) for c, v in cols.items()} }")
    n_new = lengths.pop()
    n_old = table_rows(group)
    if n_new == 0:
        return n_old
    for col in dtypes:
        arr = array_at(group, col)
        arr.resize((n_old + n_new,))  # past the committed count: overwrites any tail a crash left
        arr[n_old:] = cols[col]
    group.attrs.update({ROWS: n_old + n_new})
    return n_old + n_new


def trim_table(group: zarr.Group) -> int:
    """Cut every column to the committed row count (recovery: drop rows a crash left incomplete)."""
    n = table_rows(group)
    for c in attr_strs(group.attrs, "columns"):
        if c in group and array_at(group, c).shape[0] != n:
            array_at(group, c).resize((n,))
    if group.attrs.get(ROWS) != n:
        group.attrs.update({ROWS: n})
    return n


def write_table(
    parent: zarr.Group, name: str, rows: Mapping[str, object], dtypes: Mapping[str, str], dim: str = "row"
) -> zarr.Group:
    group = create_table(parent, name, dtypes, dim)
    append_rows(group, rows)
    return group


def read_table(group: zarr.Group) -> dict[str, np.ndarray[Any, Any]]:
    cols = attr_strs(group.attrs, "columns", [k for k, _ in group.arrays()])
    n = table_rows(group)
    out: dict[str, np.ndarray[Any, Any]] = {}
    for c in cols:
        v = np.asarray(array_at(group, c)[:n])
        out[c] = v.astype(object).astype(str) if v.dtype.kind in "TO" else np.asarray(v)
    return out
