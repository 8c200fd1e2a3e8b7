"""Timestamped image folders: one frame per file, time from the file name."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from weldctl.schema import ImportSourceError, StreamMapping

from ..core import need_module
from ._source import SourceStream, file_times, to_gray

JPEG_START, JPEG_END = b"\xff\xd8", b"\xff\xd9"


def check_image_file(path: Path, data: bytes) -> None:
    """A JPEG cut short (an interrupted copy) still decodes: libjpeg only warns and fills the missing
    rows with grey. Its end-of-image marker is what is missing, so that is what is checked."""
    if data[:2] == JPEG_START and not data.rstrip(b"\x00")[-2:] == JPEG_END:
        raise ImportSourceError(
            f"{path}: truncated JPEG ({len(data):,} bytes, no end-of-image marker): "
            "decoding it would fill the missing part with grey",
            "re-copy the file from the source, or remove it",
        )


def read_images(paths: list[Path], m: StreamMapping) -> SourceStream:
    cv2 = need_module("cv2")
    origin = str(paths[0].parent)
    t_ns = file_times(paths, m.time, origin)
    order = np.argsort(t_ns, kind="stable")
    same = np.flatnonzero(np.diff(t_ns[order]) == 0)
    if len(same):
        a, b = paths[order[same[0]]], paths[order[same[0] + 1]]
        raise ImportSourceError(
            f"{b}: same capture time as {a.name} (a duplicated image?)",
            "remove the duplicate; two frames of one stream cannot share a time",
        )
    frames: list[np.ndarray] = []
    native: set[tuple[int, int]] = set()
    for i in order:
        check_image_file(paths[i], paths[i].read_bytes())
        img = cv2.imread(str(paths[i]), cv2.IMREAD_UNCHANGED)
        if img is None:
            raise ImportSourceError(f"{paths[i]}: unreadable image", "re-copy or remove the file")
        native.add((img.shape[1], img.shape[0]))
        if m.resize is None and len(native) > 1:
            raise ImportSourceError(
                f"{origin}: images differ in size {sorted(native)}",
                "set resize: [width, height] in the mapping",
            )
        frames.append(to_gray(img, m.resize))
    data = np.stack(frames)
    span = (t_ns.max() - t_ns.min()) / 1e9
    h, w = data.shape[1:]
    note = f"{len(paths)} images {sorted(native)} stored gray {w}x{h}, times from file names"
    return SourceStream(
        data=data,
        t_ns=t_ns[order],
        absolute=True,
        rate_hz=(len(frames) - 1) / span if span > 0 else 1.0,
        origin=origin,
        units=m.units or "counts",
        note=note,
    )
