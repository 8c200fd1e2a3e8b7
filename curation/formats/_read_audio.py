"""Sound files (WAV, FLAC, ... through libsndfile): time = file start + sample rate."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from weldctl.schema import Calibration, ImportSourceError, StreamMapping

from ..core import need_module
from ._source import SourceStream, rate_times

BLOCK = 1 << 16


def read_audio(path: Path, m: StreamMapping) -> SourceStream:
    sf = need_module("soundfile")
    origin = str(path)
    # int16/int32 keep PCM samples exactly (a calibration maps them to full scale); else float32.
    dtype = m.dtype if m.dtype in ("int16", "int32", "float64") else "float32"
    blocks: list[np.ndarray] = []
    offset = 0
    try:
        with sf.SoundFile(path) as f:
            rate, expected, channels = float(f.samplerate), int(f.frames), f.channels
            # Read in blocks so a corrupt file is reported at the frame where decoding stopped.
            while True:
                block = f.read(BLOCK, dtype=dtype, always_2d=True)
                if not len(block):
                    break
                blocks.append(block)
                offset += len(block)
    except sf.LibsndfileError as exc:
        raise ImportSourceError(
            f"{origin}: corrupt or truncated audio at frame {offset}: {exc}",
            "re-copy the file from the source; a partial recording is not imported",
        ) from None
    if offset != expected:
        raise ImportSourceError(
            f"{origin}: truncated audio: header says {expected} frames, read {offset}",
            "re-copy the file from the source",
        )
    data = np.concatenate(blocks) if blocks else np.empty((0, channels), dtype)
    if m.time.rate_hz and abs(m.time.rate_hz - rate) > 1e-6:
        rate = m.time.rate_hz  # the mapping knows better (a mislabelled header)
    names = [c.name for c in m.channels] or (
        ["mic"] if channels == 1 else [f"ch{i}" for i in range(channels)]
    )
    if len(names) != channels:
        raise ImportSourceError(f"{origin}: {channels} audio channels, mapping names {len(names)}")
    calibration = {c.name: Calibration(scale=c.scale, offset=c.offset, units=c.units) for c in m.channels}
    if dtype.startswith("int"):
        units = m.units or "counts"
        calibration = calibration or {"*": Calibration(scale=1.0 / np.iinfo(dtype).max, units="FS")}
    else:
        units = m.units or "FS"
    return SourceStream(
        data=data,
        t_ns=rate_times(len(data), rate),
        absolute=False,
        rate_hz=rate,
        origin=origin,
        channels=names,
        units=units,
        calibration=calibration,
    )
