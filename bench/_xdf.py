"""An XDF writer in the recorder's place: what LabRecorder (the Lab Streaming Layer's recorder) does with the
same streams, for the benchmark.

XDF (https://github.com/sccn/xdf/wiki/Specifications) is one file of tagged chunks: a file header, a stream
header per stream (XML), then Samples chunks, each sample a time stamp (LSL: seconds as a double; omitted for
samples whose stamp follows from the first of a pushed chunk, as liblsl does) and the channel values
uncompressed, then a footer per stream. LabRecorder appends every stream's chunks to one buffered file with
no compression and no fsync; so does this writer, one Samples chunk per recorder block. LSL has no sample
counter: ``seq`` is not stored. XDF has no unsigned formats: uint8/uint16 go out as int8/int16, bit for bit.
"""

from __future__ import annotations

import os
import struct

import numpy as np

from weldctl.schema import StreamSpec

_FORMAT = {
    "float32": "float32",
    "float64": "double64",
    "int8": "int8",
    "uint8": "int8",
    "int16": "int16",
    "uint16": "int16",
    "int32": "int32",
    "uint32": "int32",
    "int64": "int64",
}
FILE_HEADER, STREAM_HEADER, SAMPLES, STREAM_FOOTER = 1, 2, 3, 6


def _chunk_head(tag: int, content_len: int) -> bytes:
    """[NumLengthBytes=8][Length (tag + content)][Tag]."""
    return struct.pack("<BQH", 8, 2 + content_len, tag)


class XdfSink:
    name = "xdf (LabRecorder-style)"

    def __init__(self, root: str, duration_s: float) -> None:
        self.path = os.path.join(root, "run.xdf")
        self._f = open(self.path, "wb", buffering=1 << 20)  # noqa: SIM115 - closed in close()
        self._f.write(b"XDF:")
        self._chunk(FILE_HEADER, b'<?xml version="1.0"?><info><version>1.0</version></info>')
        self.ids: dict[str, int] = {}
        self.counts: dict[str, int] = {}
        self.first_last: dict[str, tuple[float, float]] = {}

    def _chunk(self, tag: int, content: bytes) -> None:
        self._f.write(_chunk_head(tag, len(content)))
        self._f.write(content)

    def _header(self, spec: StreamSpec) -> int:
        sid = len(self.ids) + 1
        self.ids[spec.name] = sid
        self.counts[spec.name] = 0
        channels = int(np.prod(spec.sample_shape, dtype=np.int64))
        xml = (
            f'<?xml version="1.0"?><info><name>{spec.name}</name><type>{spec.kind}</type>'
            f"<channel_count>{channels}</channel_count><nominal_srate>{spec.nominal_rate_hz:g}</nominal_srate>"
            f"<channel_format>{_FORMAT[str(np.dtype(spec.dtype))]}</channel_format>"
            f"<source_id>{spec.device}</source_id></info>"
        )
        self._chunk(STREAM_HEADER, struct.pack("<I", sid) + xml.encode())
        return sid

    def append(self, spec: StreamSpec, data: np.ndarray, t_ns: np.ndarray, seq: np.ndarray) -> None:
        sid = self.ids.get(spec.name) or self._header(spec)
        n = len(data)
        values = np.ascontiguousarray(data).view(np.uint8).reshape(n, -1)
        width = values.shape[1]
        ts = float(t_ns[0]) / 1e9
        first = struct.pack("<Bd", 8, ts) + values[0].tobytes()
        rest = np.empty(n - 1, dtype=np.dtype([("tsb", "u1"), ("v", "u1", (width,))]))
        rest["tsb"] = 0  # deduced stamps: the first one plus the nominal rate
        rest["v"] = values[1:]
        content_len = 4 + 1 + 4 + len(first) + rest.nbytes
        self._f.write(_chunk_head(SAMPLES, content_len))
        self._f.write(struct.pack("<IBI", sid, 4, n))
        self._f.write(first)
        self._f.write(memoryview(rest).cast("B"))
        self.counts[spec.name] += n
        f0 = self.first_last.get(spec.name, (ts, ts))[0]
        self.first_last[spec.name] = (f0, float(t_ns[-1]) / 1e9)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        for name, sid in self.ids.items():
            first, last = self.first_last.get(name, (0.0, 0.0))
            xml = (
                f'<?xml version="1.0"?><info><first_timestamp>{first!r}</first_timestamp>'
                f"<last_timestamp>{last!r}</last_timestamp><sample_count>{self.counts[name]}</sample_count>"
                "</info>"
            )
            self._chunk(STREAM_FOOTER, struct.pack("<I", sid) + xml.encode())
        self._f.close()
