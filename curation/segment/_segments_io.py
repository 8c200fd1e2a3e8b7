"""The segments table: one Parquet file per run, the contract between `segment` and labels/samples/view."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from weldctl.schema import (
    WeldctlError,
    glob_uri,
    join_uri,
    uri_exists,
)

from ..core import read_parquet, write_parquet

if TYPE_CHECKING:
    import pandas as pd

SEGMENT_COLUMNS: dict[str, str] = {
    "run_id": "str",
    "weld_id": "int64",
    "t_start_ns": "int64",  # on the run time base, inclusive
    "t_end_ns": "int64",  # on the run time base, exclusive
    "source": "str",  # laser_on | photodiode | arc_current | oct_valid | truth
    "confidence": "float64",  # 0..1
}
SEGMENT_SOURCES = ("laser_on", "photodiode", "arc_current", "oct_valid", "truth")
SUFFIX = ".segments.parquet"


def segments_path(segments_dir: str | os.PathLike[str], run_id: str) -> str:
    """Where run ``run_id``'s table lives under a folder or URL prefix."""
    return join_uri(segments_dir, f"{run_id}{SUFFIX}")


def segment_tables(segments_dir: str | os.PathLike[str]) -> list[str]:
    """Every run's table under a folder or URL prefix, sorted by run id."""
    return [join_uri(segments_dir, n) for n in glob_uri(segments_dir, f"*{SUFFIX}")]


def _conform(df: pd.DataFrame) -> pd.DataFrame:
    return _conform_columns({c: df[c] for c in df.columns})


def _conform_columns(columns: Mapping[str, Any]) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    missing = [c for c in SEGMENT_COLUMNS if c not in columns]
    if missing:
        raise WeldctlError(f"segments table lacks columns {missing}", f"expected {list(SEGMENT_COLUMNS)}")
    # Column by column in numpy: pandas' per-column astype/sort costs more than the table is worth.
    cols = {c: np.array([str(x) for x in columns[c]], dtype=object) if d == "str"
            else np.asarray(columns[c], dtype=d) for c, d in SEGMENT_COLUMNS.items()}
    bad = sorted(set(cols["source"]) - set(SEGMENT_SOURCES))
    if bad:
        raise WeldctlError(f"unknown segment source(s) {bad}", f"allowed: {', '.join(SEGMENT_SOURCES)}")
    if (cols["t_end_ns"] <= cols["t_start_ns"]).any():
        raise WeldctlError("segments table has a segment with t_end_ns <= t_start_ns")
    order = np.lexsort((cols["weld_id"], cols["run_id"].astype(str)))
    return pd.DataFrame({c: v[order] for c, v in cols.items()})


def write_segments(path: str | os.PathLike[str], df: pd.DataFrame) -> str:
    """Write the table whole (temp + rename locally, one object remotely), so readers never see half of it."""
    import pyarrow as pa

    table = pa.Table.from_pandas(_conform(df), preserve_index=False)
    # Plain string columns and no pandas metadata: any Parquet reader gets the same table.
    table = table.cast(pa.schema([pa.field(c, pa.string() if d == "str" else pa.from_numpy_dtype(d))
                                  for c, d in SEGMENT_COLUMNS.items()])).replace_schema_metadata(None)
    return write_parquet(path, table)


def read_segments(path: str | os.PathLike[str]) -> pd.DataFrame:
    if not uri_exists(path):
        raise WeldctlError(f"no segments table at {path}", "run `weldctl segment RUN` first")
    table = read_parquet(path)
    if any(table.column(c).null_count for c in SEGMENT_COLUMNS if c in table.column_names):
        return _conform(table.to_pandas())  # pandas' reading of nulls, whatever the column
    # Straight from Arrow: a DataFrame made only to be taken apart again costs more than the rest of the read.
    return _conform_columns({c: table.column(c).to_pylist() if SEGMENT_COLUMNS.get(c) == "str"
                             else table.column(c).to_numpy() for c in table.column_names})
