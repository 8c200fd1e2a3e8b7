"""Column tables in a run store: a group of equal-length 1-D arrays sharing one dimension."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import zarr

TABLE_CHUNK = 4096


def _as_column(values: object, dtype: str) -> np.ndarray:
    if dtype == "str":
        return np.asarray(values, dtype=np.dtypes.StringDType())
    return np.asarray(values, dtype=dtype)


def create_table(parent: zarr.Group, name: str, columns: Mapping[str, str], dim: str = "row") -> zarr.Group:
    group = parent.require_group(name)
    for col, dtype in columns.items():
        group.create_array(
            col,
            shape=(0,),
            chunks=(TABLE_CHUNK,),
            dtype=str if dtype == "str" else dtype,
            dimension_names=[dim],
            overwrite=True,
        )
    group.attrs.update({"columns": list(columns), "dtypes": dict(columns)})
    return group


def append_rows(group: zarr.Group, rows: Mapping[str, object]) -> int:
    """Append columns of equal length; returns the new row count."""
    dtypes: dict[str, str] = dict(group.attrs["dtypes"])
    cols = {c: _as_column(rows.get(c, []), d) for c, d in dtypes.items()}
    lengths = {len(v) for v in cols.values()}
    if len(lengths) != 1:
        raise ValueError(f"table columns differ in length: { {c: len(v) for c, v in cols.items()} }")
    n_new = lengths.pop()
    arrays = {c: group[c] for c in dtypes}
    # Readers take the shortest column as the row count, so a crash mid-append never shows half a row.
    n_old = min(a.shape[0] for a in arrays.values())
    if n_new == 0:
        return n_old
    for col, arr in arrays.items():
        arr.resize((n_old + n_new,))
        arr[n_old:] = cols[col]
    return n_old + n_new


def write_table(
    parent: zarr.Group, name: str, rows: Mapping[str, object], dtypes: Mapping[str, str], dim: str = "row"
) -> zarr.Group:
    group = create_table(parent, name, dtypes, dim)
    append_rows(group, rows)
    return group


def read_table(group: zarr.Group) -> dict[str, np.ndarray]:
    cols = list(group.attrs.get("columns", [k for k, _ in group.arrays()]))
    arrays = {c: group[c] for c in cols}
    n = min((a.shape[0] for a in arrays.values()), default=0)
    out: dict[str, np.ndarray] = {}
    for c, a in arrays.items():
        v = a[:n]
        out[c] = v.astype(object).astype(str) if v.dtype.kind in "TO" else np.asarray(v)
    return out
