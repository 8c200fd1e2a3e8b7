"""Writing a whole array at once through the shard writer: standard sharded Zarr v3 whose chunks are
compressed on the pool's threads straight into shard buffers, one write per shard (O_DIRECT where the
filesystem has it).

zarr-python writes the metadata; the bytes of every shard depend on the data alone (always compressed, always
padded to the O_DIRECT alignment), so the same data gives the same files locally, on object storage and on
any worker.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Literal

import numpy as np
import zarr
from numpy.typing import NDArray

from ._errors import StoreError
from ._shard_io import shard_capacity
from ._shard_writer import WriterPool, codec_of, encode_shard
from ._stream_appender import sink_for

BloscCname = Literal["lz4", "lz4hc", "blosclz", "snappy", "zlib", "zstd"]
BloscShuffle = Literal["noshuffle", "shuffle", "bitshuffle"]

IN_FLIGHT = 4  # shards compressing or waiting for the disk: bounds memory to a few shard buffers


def _chunks(parts: Iterable[NDArray[Any]], rows: int, fill: NDArray[Any]) -> Iterator[NDArray[Any]]:
    """The concatenation of ``parts`` in whole chunks of ``rows``: views where a chunk lies inside one part,
    small copies where it straddles parts, the last one padded with ``fill``."""
    pending: list[NDArray[Any]] = []
    have = 0
    for p in parts:
        i = 0
        while i < len(p):
            if not pending and len(p) - i >= rows:
                yield p[i : i + rows]
                i += rows
                continue
            take = min(rows - have, len(p) - i)
            pending.append(p[i : i + take])
            have, i = have + take, i + take
            if have == rows:
                yield np.concatenate(pending)
                pending, have = [], 0
    if pending:
        edge = np.empty((rows, *fill.shape), dtype=fill.dtype)
        edge[:have] = np.concatenate(pending)
        edge[have:] = fill
        yield edge


def write_array(group: zarr.Group, name: str, parts: Iterable[NDArray[Any]], *, dtype: Any,
                row_shape: tuple[int, ...], chunk_rows: int, shard_rows: int, cname: BloscCname = "lz4",
                clevel: int = 5, shuffle: BloscShuffle = "shuffle", dims: Sequence[str] | None = None,
                fill_value: Any = 0, attributes: dict[str, Any] | None = None) -> int:
    """Write the rows of ``parts`` (concatenated along the first axis, cast to ``dtype``) as the array
    ``name`` of ``group``; returns the row count. Chunks are compressed from the parts themselves: no
    concatenated copy and no staging copy is made. ``parts`` may be a generator: shards go to the disk as
    they fill, so a producer can hand over parts while earlier ones are compressed and written."""
    from zarr.codecs import BloscCodec

    dt = np.dtype(dtype)
    if shard_rows % chunk_rows:
        raise ValueError(f"shard_rows {shard_rows} is not a multiple of chunk_rows {chunk_rows}")
    group.create_array(
        name, shape=(0, *row_shape), dtype=dt, chunks=(chunk_rows, *row_shape), shards=(shard_rows, *row_shape),
        compressors=[BloscCodec(cname=cname, clevel=clevel, shuffle=shuffle, typesize=dt.itemsize)],
        dimension_names=list(dims) if dims else None, fill_value=fill_value, attributes=attributes or {},
        overwrite=True, config={"write_empty_chunks": True},
    )
    sink = sink_for(group.store)
    key = f"{group.path}/{name}".lstrip("/")
    doc = sink.get(f"{key}/zarr.json")
    if doc is None:
        raise StoreError(f"zarr wrote no metadata for {key}")
    meta = json.loads(doc)
    codec = codec_of(meta)[0]
    per_shard = shard_rows // chunk_rows
    chunk_nbytes = chunk_rows * int(np.prod(row_shape, dtype=np.int64)) * dt.itemsize
    rows_seen = [0]

    def cast() -> Iterator[NDArray[Any]]:
        for p in parts:
            a = np.asarray(p)
            rows_seen[0] += len(a)
            yield a if a.dtype == dt else a.astype(dt)

    chunks = _chunks(cast(), chunk_rows, np.full(row_shape, meta["fill_value"], dtype=dt))
    pool = WriterPool(sink, compress_threads=min(2, os.cpu_count() or 1), adaptive=False)
    in_flight = threading.BoundedSemaphore(IN_FLIGHT)
    try:
        for i in itertools.count():
            shard = [np.ascontiguousarray(c) for c in itertools.islice(chunks, per_shard)]
            if not shard:
                break
            while not in_flight.acquire(timeout=0.25):
                pool.check()  # a failed write would never release its slot

            def fill(out: NDArray[Any], shard: list[NDArray[Any]] = shard) -> int:
                # Padded for O_DIRECT everywhere, so a local file and an object hold the same bytes.
                return encode_shard(out, shard, per_shard, True, lambda rows, o, off, _c: codec.into(rows, o, off))

            key_i = "/".join([key, "c", str(i), *("0" * len(row_shape))])
            pool.submit_shard(key_i, shard_capacity(chunk_nbytes, per_shard), fill, in_flight.release)
        n = rows_seen[0]
        pool.drain()
        meta["shape"][0] = n
        pool.io(lambda: sink.put(f"{key}/zarr.json", json.dumps(meta, indent=2).encode()))
        pool.drain()
        return n
    finally:
        pool.close()
