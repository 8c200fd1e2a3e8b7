"""A stand-in NI gRPC Device Server on 127.0.0.1, built on the servicer base class nidaqmx ships.

It implements only the RPCs weldctl's NI-DAQ driver makes (every other call answers
UNIMPLEMENTED, as an old device server would) and plays one fake analog-input device:

- the sample clock runs in real time from StartTask at the configured rate;
- channel ``c`` sample ``i`` (``i`` counted from the first StartTask, across restarts) is
  ``waveform(c, i)``, so a recording can be compared sample-exactly with what was served;
- ``inject_overflow(at_read, samples)``: the ``at_read``-th ReadAnalogF64 (1-based) answers
  DAQmx error -200279 instead of data, once the device has acquired ``samples`` past what was
  read; acquisition stalls there until the task is restarted (as DAQmx does after -200283), so
  exactly ``samples`` are lost and the device clock stays true to real time.

Every request is logged in ``calls`` (RPC name, selected fields) for tests to check what the
real nidaqmx package sent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass, field

import grpc
import numpy as np
from nidaqmx._stubs import nidaqmx_pb2 as pb
from nidaqmx._stubs import nidaqmx_pb2_grpc as pb_grpc
from session_pb2 import Session

SAMPLES_NO_LONGER_AVAILABLE = -200279
SAMPLES_NOT_YET_AVAILABLE = -200284
ATTR_AVAIL_SAMP_PER_CHAN = 0x1223
ATTR_TOTAL_SAMP_PER_CHAN_ACQUIRED = 0x192A
ATTR_TASK_NAME = 0x1276
DRIVER_VERSION = {0x1272: 25, 0x1923: 0, 0x2F22: 0}  # major, minor, update
ERROR_STRINGS = {SAMPLES_NO_LONGER_AVAILABLE: "Attempted to read samples that are no longer available. "
                 "The requested sample was previously available, but has since been overwritten."}


def waveform(channel: int, index: np.ndarray) -> np.ndarray:
    """What the fake device measures: a ramp, then sines of different frequency per channel."""
    i = np.asarray(index, dtype=np.float64)
    if channel == 0:
        return (i % 1000.0) / 100.0  # a 0..9.99 V ramp: any shifted or dropped sample shows
    return 2.0 * np.sin(2 * np.pi * i / (37.0 + 10 * channel)) + 0.25 * channel


@dataclass
class _Task:
    name: str
    channels: list[str] = field(default_factory=list)
    rate: float = 0.0
    buffer: int = 0
    trigger: str = ""
    running: bool = False
    started_at: float = 0.0
    base: int = 0  # device sample index of this run's first sample
    read_pos: int = 0  # samples read in this run
    stalled_at: int | None = None  # acquired count frozen by an injected overflow

    def acquired(self) -> int:
        if not self.running:
            return self.read_pos
        if self.stalled_at is not None:
            return self.stalled_at
        return int((time.monotonic() - self.started_at) * self.rate)


class FakeDaqServicer(pb_grpc.NiDAQmxServicer):
    def __init__(self) -> None:
        self.tasks: dict[str, _Task] = {}
        self.calls: list[tuple[str, dict[str, object]]] = []
        self.reads = 0
        self.served: list[tuple[int, int]] = []  # (first device index, count) per successful read
        self.overflows: list[tuple[int, int]] = []  # (first lost device index, count)
        self._inject: tuple[int, int] | None = None
        self.refuse_total_acquired = False  # as some devices do after an overflow
        self._lock = threading.Lock()

    def inject_overflow(self, at_read: int, samples: int) -> None:
        self._inject = (at_read, samples)

    def _log(self, rpc: str, **fields: object) -> None:
        with self._lock:
            self.calls.append((rpc, fields))

    def names(self) -> list[str]:
        return [c[0] for c in self.calls]

    def _task(self, session: Session) -> _Task:
        return self.tasks[session.name]

    # -- session and system ------------------------------------------------------------------
    def GetSystemInfoAttributeUInt32(self, request, context):
        return pb.GetSystemInfoAttributeUInt32Response(status=0, value=DRIVER_VERSION.get(request.attribute_raw, 0))

    def CreateTask(self, request, context):
        name = request.session_name or f"_unnamedTask<{len(self.tasks)}>"
        self.tasks[name] = _Task(name)
        self._log("CreateTask", session_name=request.session_name)
        return pb.CreateTaskResponse(status=0, task=Session(name=name), new_session_initialized=True)

    def GetTaskAttributeString(self, request, context):
        return pb.GetTaskAttributeStringResponse(status=0, value=request.task.name)

    def ClearTask(self, request, context):
        self._log("ClearTask")
        self.tasks.pop(request.task.name, None)
        return pb.ClearTaskResponse(status=0)

    def GetErrorString(self, request, context):
        return pb.GetErrorStringResponse(status=0, error_string=ERROR_STRINGS.get(request.error_code, ""))

    # -- channels, timing, triggers -------------------------------------------------------------
    def _add_chan(self, rpc: str, request, **fields: object) -> None:
        self._task(request.task).channels.append(request.name_to_assign_to_channel or request.physical_channel)
        self._log(rpc, physical=request.physical_channel, name=request.name_to_assign_to_channel, **fields)

    def CreateAIVoltageChan(self, request, context):
        self._add_chan("CreateAIVoltageChan", request, min_val=request.min_val, max_val=request.max_val)
        return pb.CreateAIVoltageChanResponse(status=0)

    def CreateAIMicrophoneChan(self, request, context):
        self._add_chan("CreateAIMicrophoneChan", request, sensitivity=request.mic_sensitivity,
                       excit=request.current_excit_val, excit_src=request.current_excit_source_raw)
        return pb.CreateAIMicrophoneChanResponse(status=0)

    def CreateAIAccelChan(self, request, context):
        self._add_chan("CreateAIAccelChan", request, sensitivity=request.sensitivity,
                       excit=request.current_excit_val, excit_src=request.current_excit_source_raw)
        return pb.CreateAIAccelChanResponse(status=0)

    def SetChanAttributeInt32(self, request, context):
        self._log("SetChanAttributeInt32", channel=request.channel, attribute=request.attribute_raw,
                  value=request.value_raw)
        return pb.SetChanAttributeInt32Response(status=0)

    def SetChanAttributeDouble(self, request, context):
        self._log("SetChanAttributeDouble", channel=request.channel, attribute=request.attribute_raw,
                  value=request.value)
        return pb.SetChanAttributeDoubleResponse(status=0)

    def CfgSampClkTiming(self, request, context):
        t = self._task(request.task)
        t.rate, t.buffer = request.rate, request.samps_per_chan
        self._log("CfgSampClkTiming", rate=request.rate, mode=request.sample_mode_raw, buffer=request.samps_per_chan)
        return pb.CfgSampClkTimingResponse(status=0)

    def CfgDigEdgeStartTrig(self, request, context):
        self._task(request.task).trigger = request.trigger_source
        self._log("CfgDigEdgeStartTrig", source=request.trigger_source, edge=request.trigger_edge_raw)
        return pb.CfgDigEdgeStartTrigResponse(status=0)

    # -- running ---------------------------------------------------------------------------------
    def StartTask(self, request, context):
        t = self._task(request.task)
        if not t.running:
            t.running, t.started_at, t.read_pos, t.stalled_at = True, time.monotonic(), 0, None
        self._log("StartTask")
        return pb.StartTaskResponse(status=0)

    def StopTask(self, request, context):
        t = self._task(request.task)
        if t.running:
            t.base += t.acquired()  # the next run continues the device's sample index after the last tick
            t.running = False
        self._log("StopTask")
        return pb.StopTaskResponse(status=0)

    def GetReadAttributeUInt32(self, request, context):
        t = self._task(request.task)
        if request.attribute_raw != ATTR_AVAIL_SAMP_PER_CHAN:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, f"read attribute {request.attribute_raw:#x}")
        avail = max(0, min(t.acquired() - t.read_pos, t.buffer or 1 << 62))
        return pb.GetReadAttributeUInt32Response(status=0, value=avail)

    def GetReadAttributeUInt64(self, request, context):
        t = self._task(request.task)
        if request.attribute_raw != ATTR_TOTAL_SAMP_PER_CHAN_ACQUIRED:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, f"read attribute {request.attribute_raw:#x}")
        if self.refuse_total_acquired:  # errors travel as the device server sends them: trailing metadata
            context.set_trailing_metadata((("ni-error", str(SAMPLES_NO_LONGER_AVAILABLE)),))
            context.abort(grpc.StatusCode.UNKNOWN, ERROR_STRINGS[SAMPLES_NO_LONGER_AVAILABLE])
        self._log("GetReadAttributeUInt64", attribute=request.attribute_raw, value=t.acquired())
        return pb.GetReadAttributeUInt64Response(status=0, value=t.acquired())

    def ReadAnalogF64(self, request, context):
        t = self._task(request.task)
        n, nch = request.num_samps_per_chan, len(t.channels)
        self.reads += 1
        if self._inject and self.reads == self._inject[0]:
            lost = self._inject[1]
            # The host "stalled" while the device went on: the error comes once the lost samples
            # have really been acquired, so the device's sample clock stays true to real time.
            while t.running and t.acquired() < t.read_pos + lost:
                time.sleep(0.002)
            t.stalled_at = t.read_pos + lost
            self.overflows.append((t.base + t.read_pos, lost))
            t.read_pos += lost
            # As the NI gRPC Device Server reports a failed read: error code and samples read as trailing metadata.
            context.set_trailing_metadata((("ni-error", str(SAMPLES_NO_LONGER_AVAILABLE)),
                                           ("ni-samps-per-chan-read", "0")))
            context.abort(grpc.StatusCode.UNKNOWN, ERROR_STRINGS[SAMPLES_NO_LONGER_AVAILABLE])
        deadline = time.monotonic() + (request.timeout if request.timeout >= 0 else 1e9)
        while t.acquired() - t.read_pos < n:
            if time.monotonic() > deadline or not t.running:
                return pb.ReadAnalogF64Response(status=SAMPLES_NOT_YET_AVAILABLE, samps_per_chan_read=0)
            time.sleep(min(0.01, max(0.0005, (n - t.acquired() + t.read_pos) / t.rate)))
        first = t.base + t.read_pos
        idx = np.arange(first, first + n)
        data = np.concatenate([waveform(c, idx) for c in range(nch)])  # group by channel, as the driver asked
        t.read_pos += n
        self.served.append((first, n))
        return pb.ReadAnalogF64Response(status=0, read_array=data.tolist(), samps_per_chan_read=n)


@dataclass
class FakeDaqServer:
    address: str
    servicer: FakeDaqServicer


@contextmanager
def fake_daq_server() -> Iterator[FakeDaqServer]:
    """Serve the stand-in on a free loopback port; stopped on exit."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4),
                         options=[("grpc.max_send_message_length", 64 * 1024 * 1024)])
    servicer = FakeDaqServicer()
    pb_grpc.add_NiDAQmxServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield FakeDaqServer(f"127.0.0.1:{port}", servicer)
    finally:
        server.stop(grace=None).wait(5)


def expected_block(channels: int, first: int, count: int) -> np.ndarray:
    """(count, channels) float32 of what the device served from index ``first``."""
    idx = np.arange(first, first + count)
    return np.stack([waveform(c, idx) for c in range(channels)], axis=1).astype(np.float32)
