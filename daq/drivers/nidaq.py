"""NI-DAQ analog input through the ``nidaqmx`` package (local driver or an NI gRPC Device Server).

One hardware-timed continuous task holds every channel of the device entry (photodiode, IEPE
acoustic/AE sensors, the laser-on line wired to an analog input, arc current), optionally armed
on the rig's shared start trigger. About ``1 / read_interval_s`` times a second the driver reads
one block into a preallocated (channels, samples) float64 buffer with
``AnalogMultiChannelReader.read_many_sample``.

Sequence numbers count sample-clock ticks since start. When DAQmx reports that the host fell
behind (buffer overflow, e.g. -200279), the samples the device acquired but we never read
(``total_samp_per_chan_acquired`` minus what we read) become one ``device_overflow`` gap, and the
task is restarted. A restarted task's sample clock starts again, so the driver stamps samples with
device times that carry the restart dead time measured on the host clock (a few ms); within one
task the times are exact multiples of the sample period.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from weldctl.schema import Calibration, ClockSource, DeviceBase, StreamSpec

from .._block import Block, Gap
from .._device import DaqDevice
from .._driver import Driver, StackReport
from .._errors import DeviceError, MissingDriverError

# DAQmx errors that mean "the host did not keep up": the data is gone, the task must restart.
OVERFLOW_ERRORS = {
    -200279: "samples no longer available (buffer overwritten)",
    -200010: "input FIFO overflow",
    -200361: "input FIFO overflow",
    -200283: "acquisition stopped to prevent an intermediate buffer overflow",
}


class NidaqChannel(BaseModel):
    """One analog input of the DAQ task.

    ``type`` picks the DAQmx channel kind: ``voltage`` (photodiode, arc current shunt, a 5 V
    laser-on line), ``microphone`` / ``accel`` (IEPE acoustic and AE sensors, with DAQmx's own
    scaling to Pa or g). A ``voltage`` channel with ``iepe_current_a`` set is an IEPE sensor read as
    raw volts: the driver sets the excitation source/current and the coupling on the channel.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$", description="channel name in the stream (laser_on, ...)")
    physical: str = Field(description="physical channel, e.g. 'Dev1/ai0' or 'cDAQ1Mod1/ai2'")
    type: Literal["voltage", "microphone", "accel"] = "voltage"
    terminal: Literal["default", "rse", "nrse", "diff", "pseudo_diff"] = "default"
    min_val: float = -10.0
    max_val: float = 10.0
    coupling: Literal["dc", "ac", "gnd"] | None = Field(default=None, description="None keeps the device default")
    iepe_current_a: float | None = Field(default=None, gt=0, le=0.02, description="IEPE excitation, e.g. 0.004")
    sensitivity: float = Field(default=50.0, gt=0, description="mV/Pa (microphone) or mV/g (accel)")
    max_spl_db: float = Field(default=140.0, gt=0, description="microphone: max sound pressure level")
    calibration: Calibration | None = Field(
        default=None, description="stored units → physical units (e.g. an OCT analog depth output V → um)")

    @property
    def units(self) -> str:
        return {"voltage": "V", "microphone": "Pa", "accel": "g"}[self.type]


class NidaqGrpc(BaseModel):
    """Reach the DAQ through an NI gRPC Device Server instead of the local driver."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    address: str = Field(description="host:port of the gRPC device server")
    session_name: str = ""


class NidaqConfig(DeviceBase):
    driver: Literal["nidaqmx"] = "nidaqmx"
    kind: Literal["daq"] = "daq"
    rate_hz: float = Field(default=100_000.0, gt=0)
    channels: list[NidaqChannel] = Field(min_length=1)
    start_trigger: str | None = Field(default=None, description="shared start trigger terminal, e.g. '/Dev1/PFI0'")
    trigger_edge: Literal["rising", "falling"] = "rising"
    read_interval_s: float = Field(default=0.1, gt=0, le=1.0, description="one read per interval")
    buffer_s: float = Field(default=2.0, gt=0, description="driver buffer (DAQmx samps_per_chan) in seconds")
    grpc: NidaqGrpc | None = None

    @model_validator(mode="after")
    def _unique_channels(self) -> NidaqConfig:
        names = [c.name for c in self.channels]
        if len(set(names)) != len(names):
            raise ValueError(f"channel names must be unique: {names}")
        return self


def _import_nidaqmx() -> Any:
    try:
        import nidaqmx
        import nidaqmx.stream_readers
    except ImportError as exc:
        raise MissingDriverError(
            f"the nidaqmx driver needs the nidaqmx package ({exc.name} is missing)",
            "pip install 'weldctl[hardware]'  (or: pip install 'nidaqmx[grpc]')") from None
    return nidaqmx


class DaqmxError(Exception):
    """A DAQmx call that failed, with DAQmx's error code (0 when there is none, e.g. a gRPC failure)."""

    def __init__(self, message: str, code: int = 0, *, driver_missing: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.driver_missing = driver_missing  # no NI-DAQmx library on this machine: not a device problem


class NidaqmxApi:
    """The nidaqmx calls the driver makes, on one task: the seam its unit tests replace.

    Every vendor error comes out as a ``DaqmxError`` carrying DAQmx's code.
    """

    def __init__(self, config: NidaqConfig) -> None:
        self.config = config
        self._nidaqmx = _import_nidaqmx()
        self._channel: Any = None  # grpc channel, when the device is remote
        self._task: Any = None
        self._reader: Any = None
        if config.grpc is not None:
            import grpc

            self._channel = grpc.insecure_channel(config.grpc.address)

    def _error(self, exc: Exception) -> DaqmxError:
        missing = isinstance(exc, getattr(self._nidaqmx.errors, "DaqNotFoundError", ()))
        return DaqmxError(str(exc), int(getattr(exc, "error_code", 0) or 0), driver_missing=missing)

    def create_task(self, buffer_samples: int) -> None:
        """A continuous hardware-timed task with every channel, armed on the start trigger if any."""
        from nidaqmx.constants import AcquisitionType, Edge

        nidaqmx, c = self._nidaqmx, self.config
        self.close_task()
        try:
            if c.grpc is None:
                self._task = nidaqmx.Task()
            else:
                options = nidaqmx.GrpcSessionOptions(self._channel, c.grpc.session_name)
                self._task = nidaqmx.Task(c.grpc.session_name, grpc_options=options)
            for ch in c.channels:
                self._add_channel(ch)
            self._task.timing.cfg_samp_clk_timing(c.rate_hz, sample_mode=AcquisitionType.CONTINUOUS,
                                                  samps_per_chan=buffer_samples)
            if c.start_trigger:
                edge = Edge.RISING if c.trigger_edge == "rising" else Edge.FALLING
                self._task.triggers.start_trigger.cfg_dig_edge_start_trig(c.start_trigger, trigger_edge=edge)
            self._reader = nidaqmx.stream_readers.AnalogMultiChannelReader(self._task.in_stream)
            self._reader.verify_array_shape = False  # the buffer is ours and shaped once
        except nidaqmx.errors.Error as exc:  # DaqError, or RpcError from a gRPC device server
            self.close_task()
            raise self._error(exc) from None

    def _add_channel(self, ch: NidaqChannel) -> None:
        from nidaqmx.constants import (
            Coupling,
            ExcitationSource,
            ExcitationVoltageOrCurrent,
            TerminalConfiguration,
        )

        ai = self._task.ai_channels
        terminal = TerminalConfiguration[ch.terminal.upper()]
        excitation = ch.iepe_current_a or 0.004
        if ch.type == "microphone":
            chan = ai.add_ai_microphone_chan(ch.physical, ch.name, terminal_config=terminal,
                                             mic_sensitivity=ch.sensitivity, max_snd_press_level=ch.max_spl_db,
                                             current_excit_source=ExcitationSource.INTERNAL,
                                             current_excit_val=excitation)
        elif ch.type == "accel":
            chan = ai.add_ai_accel_chan(ch.physical, ch.name, terminal_config=terminal, min_val=ch.min_val,
                                        max_val=ch.max_val, sensitivity=ch.sensitivity,
                                        current_excit_source=ExcitationSource.INTERNAL,
                                        current_excit_val=excitation)
        else:
            chan = ai.add_ai_voltage_chan(ch.physical, ch.name, terminal_config=terminal, min_val=ch.min_val,
                                          max_val=ch.max_val)
            if ch.iepe_current_a is not None:  # an IEPE sensor read as raw volts
                chan.ai_excit_src = ExcitationSource.INTERNAL
                chan.ai_excit_voltage_or_current = ExcitationVoltageOrCurrent.USE_CURRENT
                chan.ai_excit_val = ch.iepe_current_a
        if ch.coupling is not None:
            chan.ai_coupling = Coupling[ch.coupling.upper()]
        elif ch.iepe_current_a is not None and ch.type == "voltage":
            chan.ai_coupling = Coupling.AC  # IEPE sensors sit on a DC bias that must not reach the ADC range

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except self._nidaqmx.errors.Error as exc:
            raise self._error(exc) from None

    def start(self) -> None:
        self._call(self._task.start)

    def stop(self) -> None:
        if self._task is not None:
            self._call(self._task.stop)

    def available(self) -> int:
        """Samples per channel waiting in the driver buffer."""
        return int(self._call(lambda: self._task.in_stream.avail_samp_per_chan))

    def acquired(self) -> int:
        """Samples per channel the device acquired since the task started."""
        return int(self._call(lambda: self._task.in_stream.total_samp_per_chan_acquired))

    def read_into(self, buf: np.ndarray, n: int, timeout_s: float) -> int:
        """Read ``n`` samples per channel into ``buf[:, :n]``; returns how many were read."""
        return int(self._call(self._reader.read_many_sample, buf, n, timeout=timeout_s))

    def close_task(self) -> None:
        task, self._task, self._reader = self._task, None, None
        if task is not None:
            with contextlib.suppress(Exception):  # closing must not hide the error that led here
                task.close()

    def close(self) -> None:
        self.close_task()
        if self._channel is not None:
            self._channel.close()
            self._channel = None


class NidaqDaq(DaqDevice):
    """A DAQ task on one NI device (or cDAQ chassis), read in blocks."""

    config: NidaqConfig

    def __init__(self, config: NidaqConfig, api: Callable[[NidaqConfig], NidaqmxApi] = NidaqmxApi) -> None:
        super().__init__(config)
        self.block_samples = max(1, round(config.rate_hz * config.read_interval_s))
        self._make_api = api
        self._api: NidaqmxApi | None = None
        self._buf = np.empty((len(config.channels), self.block_samples), dtype=np.float64)
        self._period_ns = 1e9 / config.rate_hz
        self._t0_host_ns = 0
        self._seg_host_ns = 0
        self._reset_counters()

    def _reset_counters(self) -> None:
        self._seq = 0  # next sequence number (sample-clock ticks since start, losses included)
        self._read_in_task = 0  # samples read since the current task (re)started
        self._seg_seq0 = 0  # first sequence number of the current task run ...
        self._seg_t0_ns = 0.0  # ... and its device time
        self._pending: list[Gap] = []
        self.overflows = 0

    @property
    def api(self) -> NidaqmxApi:
        if self._api is None:
            raise DeviceError(f"{self.name}: not open")
        return self._api

    # -- lifecycle ---------------------------------------------------------------------------
    def _do_open(self) -> None:
        self._api = self._make_api(self.config)

    def _do_configure(self) -> StreamSpec:
        c = self.config
        # The driver buffer holds buffer_s of data: a stall shorter than that costs nothing.
        buffer = max(2 * self.block_samples, round(c.rate_hz * c.buffer_s))
        try:
            self.api.create_task(buffer)
        except DaqmxError as exc:
            if exc.driver_missing:
                raise _driver_missing(self.name) from None
            where = f" via {c.grpc.address}" if c.grpc else ""
            raise DeviceError(f"{self.name}: DAQmx could not set up the task{where}: {exc}",
                              "check the physical channel names and the device in NI MAX / nidaqmx") from None
        calibration = {ch.name: ch.calibration for ch in c.channels if ch.calibration is not None}
        units = {ch.units for ch in c.channels}
        mixed = len(units) > 1
        return StreamSpec(name=c.name, kind=self.kind, device=f"nidaqmx:{c.channels[0].physical.split('/')[0]}",
                          driver="nidaqmx", dtype="float32", sample_shape=(len(c.channels),),
                          channels=[ch.name for ch in c.channels], units="mixed" if mixed else units.pop(),
                          channel_units={ch.name: ch.units for ch in c.channels} if mixed else {},
                          calibration=calibration, nominal_rate_hz=c.rate_hz, clock=ClockSource.sample_clock,
                          trigger=c.start_trigger)

    def _do_get_ranges(self) -> dict[str, tuple[float, float]]:
        return {ch.name: (ch.min_val, ch.max_val) for ch in self.config.channels}

    def _do_start(self, t0_host_ns: int) -> None:
        self._t0_host_ns = t0_host_ns
        self._reset_counters()
        try:
            self.api.start()
        except DaqmxError as exc:
            if exc.driver_missing:
                raise _driver_missing(self.name) from None
            raise DeviceError(f"{self.name}: DAQmx could not start the task: {exc}") from None
        self._seg_host_ns = time.monotonic_ns()  # host time the current task run started

    def _do_stop(self) -> None:
        with contextlib.suppress(DaqmxError):  # a task that cannot stop is closed next anyway
            self.api.stop()

    def _do_close(self) -> None:
        if self._api is not None:
            self._api.close()
            self._api = None

    # -- reading -----------------------------------------------------------------------------
    def _do_read(self, timeout_s: float) -> Block | None:
        n = self.block_samples
        # Wait until a whole block is there: no partial reads, so every read fills the buffer.
        deadline = time.monotonic() + timeout_s
        try:
            while (avail := self.api.available()) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                time.sleep(min(left, max(0.002, (n - avail) / self.config.rate_hz)))
            got = self.api.read_into(self._buf, n, max(1.0, timeout_s))
        except DaqmxError as exc:
            if exc.code in OVERFLOW_ERRORS:
                self._restart_after_overflow(exc)
                return None
            raise DeviceError(f"{self.name}: DAQmx read failed: {exc}",
                              "check the device connection; the recording keeps what was read") from None
        return self._block(got)

    def _block(self, got: int) -> Block:
        seq = np.arange(self._seq, self._seq + got, dtype=np.int64)
        t_dev = np.round(self._seg_t0_ns + (seq - self._seg_seq0) * self._period_ns).astype(np.int64)
        data = self._buf[:, :got].T.astype(np.float32)  # (samples, channels), a copy: the buffer is reused
        self._seq += got
        self._read_in_task += got
        gaps, self._pending = self._pending, []
        return Block(data=data, seq=seq, t_host_ns=time.monotonic_ns() - self._t0_host_ns, t_dev_ns=t_dev,
                     gaps=gaps)

    def _restart_after_overflow(self, exc: DaqmxError) -> None:
        t_err = time.monotonic_ns()
        try:
            acquired = self.api.acquired()
        except DaqmxError:
            acquired = -1
        if acquired < self._read_in_task:  # refused or implausible: estimate from the host clock
            acquired = round((t_err - self._seg_host_ns) / self._period_ns)
        lost = max(0, acquired - self._read_in_task)
        try:
            self.api.stop()
            self.api.start()
        except DaqmxError as restart_exc:
            raise DeviceError(f"{self.name}: DAQmx overflow ({exc.code}) and the task did not restart: "
                              f"{restart_exc}", "check the device; the recording keeps what was read") from None
        self._seg_host_ns = time.monotonic_ns()
        dead_ns = self._seg_host_ns - t_err
        first_lost = self._seq
        t_first_lost = self._seg_t0_ns + (first_lost - self._seg_seq0) * self._period_ns
        self._seq += lost
        self._seg_seq0 = self._seq
        self._seg_t0_ns = t_first_lost + lost * self._period_ns + dead_ns
        self._read_in_task = 0
        self.overflows += 1
        self._pending.append(Gap(seq_start=first_lost, count=lost, kind="device_overflow",
                                 note=f"DAQmx {exc.code} {OVERFLOW_ERRORS[exc.code]}; task restarted "
                                      f"({dead_ns / 1e6:.1f} ms dead time)"))


DRIVER_INSTALL = "install NI-DAQmx from ni.com (on Linux: python -m nidaqmx installdriver)"


def _driver_missing(name: str) -> DeviceError:
    """No NI-DAQmx library here: nothing about the device, its channels or NI MAX can help yet."""
    return DeviceError(f"{name}: the NI-DAQmx driver is not installed on this machine (nidaqmx found no library)",
                       f"{DRIVER_INSTALL}; or set `grpc:` on the device to reach an NI gRPC Device Server")


def probe_nidaqmx(configured: Sequence[Any] | None = None) -> StackReport:
    """The NI devices the local NI-DAQmx driver sees."""
    try:
        import nidaqmx.system
        from nidaqmx.errors import DaqNotFoundError
    except ImportError as exc:
        return StackReport("nidaqmx", problem=f"nidaqmx not available ({exc})",
                           install="pip install nidaqmx (or 'weldctl[hardware]')")
    try:
        devices = list(nidaqmx.system.System.local().devices)
        return StackReport("nidaqmx", [{"name": d.name, "product": d.product_type} for d in devices])
    except DaqNotFoundError:
        return StackReport("nidaqmx", problem="the NI-DAQmx driver is not installed",
                           install=DRIVER_INSTALL)
    except Exception as exc:  # DaqError from a half-installed runtime
        return StackReport("nidaqmx", problem=f"NI-DAQmx cannot list devices ({exc})")


DRIVER = Driver(
    name="nidaqmx",
    configs={"daq": NidaqConfig},
    devices={"daq": NidaqDaq},
    summary="NI-DAQ hardware-timed analog input through nidaqmx (local driver or NI gRPC Device Server)",
    probe=probe_nidaqmx,
)
