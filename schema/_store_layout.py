"""Names and codecs of the run-store layout (Zarr v3). The only module that spells them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import numpy as np
from zarr.codecs import BloscCodec

STREAMS = "streams"
EVENTS = "events"
CLOCK = "clock"
TRUTH = "truth"
ATTACHMENTS = "attachments"  # files with their own capture time, not on the run time base
ROOT_ATTR = "weldctl"
STREAM_ATTR = "stream_spec"
CHECKSUMS = "integrity"  # a zarr group whose attrs hold the checksum manifest
CHECKSUMS_DOC = f"{CHECKSUMS}/zarr.json"
SUFFIX = ".zarr"

EVENT_COLUMNS: dict[str, str] = {
    "t_ns": "int64",  # start of the event on the run time base
    "t_end_ns": "int64",  # end (== t_ns for instants)
    "stream": "str",
    "kind": "str",  # laser_on, laser_off, trigger, gap, note, ...
    "value": "float64",
    "count": "int64",  # samples lost, for gaps
    "note": "str",
}


def is_url(uri: str | os.PathLike[str]) -> bool:
    return "://" in str(uri) and not str(uri).startswith("file://")


def local_path(uri: str | os.PathLike[str]) -> Path:
    s = str(uri)
    return Path(s[len("file://") :] if s.startswith("file://") else s)


def run_uri(out: str | os.PathLike[str], run_id: str) -> str:
    """Where run ``run_id`` lives under ``out`` (a folder or a URL prefix)."""
    base = str(out).rstrip("/")
    return f"{base}/{run_id}{SUFFIX}"


def codecs_for(dtype: np.dtype[Any] | str, sample_shape: tuple[int, ...]) -> list[BloscCodec]:
    """blosc-lz4: fast enough for camera rates; bitshuffle pays off on 8-bit frames, byte shuffle on wider."""
    dt = np.dtype(dtype)
    shuffle: Literal["bitshuffle", "shuffle"] = "bitshuffle" if dt.itemsize == 1 else "shuffle"
    level = 1 if len(sample_shape) == 2 else 5
    return [BloscCodec(cname="lz4", clevel=level, shuffle=shuffle, typesize=dt.itemsize)]


# Sharding: shards are the unit of a disk write, inner chunks the unit of compression (and of reads).
SHARD_SECONDS = 2.0  # a shard holds at most ~this much data at the nominal rate: partial rewrites stay small
SHARD_MAX_CHUNKS = 8  # camera: chunk 64 frames -> shard 512 frames
SHARD_MAX_CHUNKS_1D = 16  # 1-D streams: chunk 2^18 values -> shard ~2^22
SHARD_MAX_BYTES = 64 << 20  # staging buffers are shard-sized, a few per array
INDEX_CHUNK = 1 << 14  # t_ns / seq samples per inner chunk


def shard_chunks(chunk: int, sample_bytes: int, rate_hz: float, max_chunks: int) -> int:
    """Inner chunks per shard: a power of two, within time and size bounds, at least one."""
    by_time = SHARD_SECONDS * rate_hz / chunk
    by_size = SHARD_MAX_BYTES / max(1, chunk * sample_bytes)
    n = 1
    while n * 2 <= min(max_chunks, by_time, by_size):
        n *= 2
    return n


def stream_shards(chunk: int, sample_bytes: int, rate_hz: float, frames: bool) -> tuple[int, int]:
    """(chunk, shard) lengths along time for a stream's data array."""
    n = shard_chunks(chunk, sample_bytes, rate_hz, SHARD_MAX_CHUNKS if frames else SHARD_MAX_CHUNKS_1D)
    return chunk, chunk * n


def index_shards(rate_hz: float) -> tuple[int, int]:
    """(chunk, shard) lengths for t_ns and seq (int64)."""
    return INDEX_CHUNK, INDEX_CHUNK * shard_chunks(INDEX_CHUNK, 8, rate_hz, SHARD_MAX_CHUNKS)
