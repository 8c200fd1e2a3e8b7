"""Video files (OpenCV): gray frames with the container's frame times."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from weldctl.schema import ImportSourceError, StreamMapping

from ._import_source import SourceStream, need_module, rate_times, to_gray


def read_video(path: Path, m: StreamMapping) -> SourceStream:
    cv2 = need_module("cv2")
    origin = str(path)
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise ImportSourceError(
                f"{origin}: unreadable video (OpenCV cannot open it)",
                "check the file; re-encode it with ffmpeg if the codec is unusual",
            )
        fps = float(cap.get(cv2.CAP_PROP_FPS)) or (m.time.rate_hz or 0.0)
        expected = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        frames: list[np.ndarray] = []
        times_ms: list[float] = []
        while True:
            pos_ms = float(cap.get(cv2.CAP_PROP_POS_MSEC))  # the container's time of the frame read next
            ok, frame = cap.read()
            if not ok:
                break
            times_ms.append(pos_ms)
            frames.append(to_gray(frame, m.resize))
    finally:
        cap.release()
    if not frames:
        raise ImportSourceError(
            f"{origin}: unreadable video (no frame decodes)", "check or re-encode the file"
        )
    if expected > 0 and len(frames) < expected:
        raise ImportSourceError(
            f"{origin}: truncated video: decoding stopped at frame {len(frames)} of {expected}",
            "re-copy the file from the source",
        )
    rate = m.time.rate_hz or fps
    if not rate:
        raise ImportSourceError(f"{origin}: video has no frame rate; set time.rate_hz in the mapping")
    t_ns = np.round(np.asarray(times_ms) * 1e6).astype(np.int64)
    if m.time.source == "rate" or (len(t_ns) > 1 and np.any(np.diff(t_ns) <= 0)):
        t_ns = rate_times(len(frames), rate)  # no usable container times: constant rate
    h, w = frames[0].shape
    note = f"video {origin.rsplit('/', 1)[-1]} at {rate:g} fps, stored gray {w}x{h}"
    return SourceStream(
        data=np.stack(frames),
        t_ns=t_ns,
        absolute=False,
        rate_hz=rate,
        origin=origin,
        units=m.units or "counts",
        note=note,
    )
