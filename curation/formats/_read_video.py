"""Video files (OpenCV): gray frames with the container's frame times, read in blocks.

Only the first block is read up front (shape, first time); the rest is decoded while the importer
writes, so a long high-speed video never has to fit in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from weldctl.schema import ImportSourceError, StreamMapping

from ..core import need_module
from ._source import SourceStream, to_gray

BLOCK = 256  # frames per block


class _VideoBlocks:
    def __init__(self, path: Path, m: StreamMapping) -> None:
        self.cv2 = need_module("cv2")
        self.origin = str(path)
        self.m = m
        self.cap = self.cv2.VideoCapture(str(path))
        if not self.cap.isOpened():
            self.close()
            raise ImportSourceError(
                f"{self.origin}: unreadable video (OpenCV cannot open it)",
                "check the file; re-encode it with ffmpeg if the codec is unusual",
            )
        fps = float(self.cap.get(self.cv2.CAP_PROP_FPS))
        self.rate = m.time.rate_hz or fps
        if not self.rate:
            self.close()
            raise ImportSourceError(f"{self.origin}: video has no frame rate; set time.rate_hz in the mapping")
        self.expected = int(self.cap.get(self.cv2.CAP_PROP_FRAME_COUNT))
        self.count = 0
        self.last_t = -1

    def close(self) -> None:
        self.cap.release()

    def block(self) -> tuple[np.ndarray, np.ndarray] | None:
        frames: list[np.ndarray] = []
        times: list[int] = []
        while len(frames) < BLOCK:
            ok, frame = self.cap.read()
            if not ok:
                break
            pos_ms = float(self.cap.get(self.cv2.CAP_PROP_POS_MSEC))  # after a read: that frame's time stamp
            i = self.count + len(frames)
            t = round(i * 1e9 / self.rate) if self.m.time.source == "rate" else round(pos_ms * 1e6)
            if t <= self.last_t:
                raise ImportSourceError(
                    f"{self.origin}: frame {i}: container time {pos_ms:.3f} ms does not increase",
                    "set time: {source: rate} in the mapping to use the nominal frame rate",
                )
            self.last_t = t
            times.append(t)
            frames.append(to_gray(frame, self.m.resize))
        self.count += len(frames)
        if not frames:
            return None
        return np.stack(frames), np.asarray(times, np.int64)

    def rest(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        try:
            while (b := self.block()) is not None:
                yield b
            if self.expected > 0 and self.count < self.expected:
                raise ImportSourceError(
                    f"{self.origin}: truncated video: decoding stopped at frame {self.count} of {self.expected}",
                    "re-copy the file from the source",
                )
        finally:
            self.close()


def read_video(path: Path, m: StreamMapping) -> SourceStream:
    v = _VideoBlocks(path, m)
    first = v.block()
    if first is None:
        v.close()
        raise ImportSourceError(f"{v.origin}: unreadable video (no frame decodes)", "check or re-encode the file")
    frames, t_ns = first
    h, w = frames.shape[1:]
    note = f"video {Path(v.origin).name} at {v.rate:g} fps, stored gray {w}x{h}"
    return SourceStream(
        data=frames,
        t_ns=t_ns,
        absolute=False,
        rate_hz=v.rate,
        origin=v.origin,
        units=m.units or "counts",
        note=note,
        more=v.rest,
        close=v.close,
    )
