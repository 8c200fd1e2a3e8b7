"""Names and codecs of the run-store layout (Zarr v3). The only module that spells them."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from zarr.codecs import BloscCodec

STREAMS = "streams"
EVENTS = "events"
CLOCK = "clock"
TRUTH = "truth"
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


def codecs_for(dtype: np.dtype | str, sample_shape: tuple[int, ...]) -> list[BloscCodec]:
    """blosc-lz4: fast enough for camera rates; bitshuffle pays off on 8-bit frames, byte shuffle on 16-bit."""
    dt = np.dtype(dtype)
    shuffle = "bitshuffle" if dt.itemsize == 1 else "shuffle"
    level = 1 if len(sample_shape) == 2 else 5
    return [BloscCodec(cname="lz4", clevel=level, shuffle=shuffle, typesize=dt.itemsize)]
