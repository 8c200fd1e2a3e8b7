"""Devices, the simulated rig, clocks and the recorder."""

from ._block import Block, Gap
from ._calibrate import StreamCalibration, calibrate_run
from ._clock import ClockFit, ClockObservations, fit_clock
from ._device import ROI, AudioDevice, Camera, DaqDevice, Device, DeviceState, IRCamera, OctDevice, TriggerMode
from ._discovery import discover, probed_drivers
from ._driver import BuildContext, Driver, StackReport
from ._errors import DeviceError, MissingDriverError, RecordingError
from ._finalize import finalize_run
from ._recorder import Recorder, RecordResult, StreamStats, raise_on_failure
from ._recover import RecoveredStream, recover_run
from ._registry import build_devices, get_driver, registered_drivers, sim_process
from ._session import make_recorder, manifest_for, record
from ._signals import stop_on_signals
from ._spectrometer import Spectrometer
from .view import LiveView, ReplayView, ViewServer, ViewTap, live_table, summary_table

__all__ = [
    "ROI",
    "AudioDevice",
    "Block",
    "BuildContext",
    "Camera",
    "ClockFit",
    "ClockObservations",
    "DaqDevice",
    "Device",
    "DeviceError",
    "DeviceState",
    "Driver",
    "Gap",
    "IRCamera",
    "LiveView",
    "MissingDriverError",
    "OctDevice",
    "RecordResult",
    "Recorder",
    "RecordingError",
    "RecoveredStream",
    "ReplayView",
    "Spectrometer",
    "StackReport",
    "StreamCalibration",
    "StreamStats",
    "TriggerMode",
    "ViewServer",
    "ViewTap",
    "build_devices",
    "calibrate_run",
    "discover",
    "finalize_run",
    "fit_clock",
    "get_driver",
    "live_table",
    "make_recorder",
    "manifest_for",
    "probed_drivers",
    "raise_on_failure",
    "record",
    "recover_run",
    "registered_drivers",
    "sim_process",
    "stop_on_signals",
    "summary_table",
]
