"""Segments tables: one Parquet per run, ``<segments_dir>/<run_id>.segments.parquet``.

Minimal reader/writer of the agreed format (the segment command owns this module; this stand-in keeps the
dataset stages working until it lands, with the same function names and columns).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

SEGMENT_COLUMNS = {
    "run_id": "str",
    "weld_id": "int64",
    "t_start_ns": "int64",
    "t_end_ns": "int64",
    "source": "str",
    "confidence": "float64",
}


def segments_path(segments_dir: str | os.PathLike[str], run_id: str) -> Path:
    return Path(segments_dir) / f"{run_id}.segments.parquet"


def write_segments(path: str | os.PathLike[str], df: Any) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df[list(SEGMENT_COLUMNS)], preserve_index=False)
    pq.write_table(table.replace_schema_metadata(None), str(path))


def read_segments(path: str | os.PathLike[str]) -> Any:
    import pandas as pd

    df = pd.read_parquet(path)
    missing = sorted(set(SEGMENT_COLUMNS) - set(df.columns))
    if missing:
        from weldctl.schema import WeldctlError

        raise WeldctlError(f"{path}: segments table lacks columns {missing}", "re-run `weldctl segment`")
    return df
