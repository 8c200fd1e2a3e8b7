"""Writing a whole array at once through the shard writer: standard sharded Zarr v3 whose chunks are
compressed on the pool's threads straight into shard buffers, one write per shard.

zarr-python writes the metadata; the bytes of every shard depend on the data alone (always compressed, no
alignment padding), so the same data gives the same files locally, on object storage and on any worker.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import zarr

from ._errors import StoreError
from ._shard_writer import ShardedArray, WriterPool
from ._stream_appender import sink_for


def write_array(group: zarr.Group, name: str, parts: Sequence[np.ndarray], *, dtype: Any,
                row_shape: tuple[int, ...], chunk_rows: int, shard_rows: int, cname: str = "lz4",
                clevel: int = 5, shuffle: str = "shuffle", dims: Sequence[str] | None = None,
                fill_value: Any = 0, attributes: dict[str, Any] | None = None) -> int:
    """Write the rows of ``parts`` (concatenated along the first axis, cast to ``dtype``) as the array
    ``name`` of ``group``; returns the row count. No concatenated copy is ever made."""
    from zarr.codecs import BloscCodec

    dt = np.dtype(dtype)
    group.create_array(
        name, shape=(0, *row_shape), dtype=dt, chunks=(chunk_rows, *row_shape), shards=(shard_rows, *row_shape),
        compressors=[BloscCodec(cname=cname, clevel=clevel, shuffle=shuffle, typesize=dt.itemsize)],
        dimension_names=list(dims) if dims else None, fill_value=fill_value, attributes=attributes or {},
        overwrite=True, config={"write_empty_chunks": True},
    )
    sink = sink_for(group.store)
    if hasattr(sink, "direct"):
        sink.direct = False  # O_DIRECT pads shards: the bytes would differ from object storage's
    key = f"{group.path}/{name}".lstrip("/")
    doc = sink.get(f"{key}/zarr.json")
    if doc is None:
        raise StoreError(f"zarr wrote no metadata for {key}")
    pool = WriterPool(sink, compress_threads=min(2, os.cpu_count() or 1), adaptive=False)
    try:
        arr = ShardedArray(pool, key, json.loads(doc), 0)
        for p in parts:
            rows = np.asarray(p)
            arr.append(rows if rows.dtype == dt else rows.astype(dt))
        arr.write_partial(0.0)
        pool.drain()
        pool.io(lambda: sink.put(f"{key}/zarr.json", arr.metadata_doc()))
        pool.drain()
        return arr.n
    finally:
        pool.close()
