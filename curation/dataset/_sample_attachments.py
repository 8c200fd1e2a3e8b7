"""Run attachments (photos of the finished part) as sample images, only when params ask for them."""

from __future__ import annotations

import numpy as np

from weldctl.schema import RunReader, attachment_bytes, read_attachments

from ..core import need_module
from ._sampleset import DatasetError


def attachment_frames(reader: RunReader, name: str, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(frames (K, H, W) uint8 gray at ``size`` = (width, height), capture times in ns after run start;
    -1 where unknown). A run without such attachments gives none."""
    cv2 = need_module("cv2")
    metas = [a for a in read_attachments(reader.group) if a.name == name]
    w, h = size
    frames = np.zeros((len(metas), h, w), np.uint8)
    times = np.full(len(metas), -1, np.int64)
    start = reader.manifest.start_utc
    for i, a in enumerate(metas):
        raw = np.frombuffer(attachment_bytes(reader.group, name, a.index), np.uint8)
        img = cv2.imdecode(raw, cv2.IMREAD_GRAYSCALE)
        if img is None:
            raise DatasetError(f"run {reader.run_id}: attachment {name}/{a.file_name} is not an image",
                               f"drop {name!r} from samples.attachments")
        frames[i] = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
        if a.captured_utc is not None:
            times[i] = round((a.captured_utc - start).total_seconds() * 1e9)
    return frames, times
