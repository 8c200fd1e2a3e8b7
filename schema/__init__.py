"""Data at the edges: rig files, run manifests, stream specs, and the run-store layout."""

from ._checksum import VerifyReport, verify_checksums, write_checksums
from ._errors import RigFileError, RunIdError, StoreError, WeldctlError
from ._manifest import LaserCondition, Penetration, RunManifest, RunStatus, WeldPlan
from ._rig import (
    ClockFault,
    DeviceConfig,
    LossInjection,
    RecorderSettings,
    Rig,
    SimAudioConfig,
    SimCameraConfig,
    SimDaqConfig,
    SimIRConfig,
    SimOctConfig,
    SimProcess,
    default_sim_rig,
    load_sim_rig,
)
from ._rig_file import dump_rig, load_rig, parse_rig
from ._run_id import MAX_RUN_ID, validate_run_id
from ._store_layout import CHECKSUMS, EVENT_COLUMNS, is_url, run_uri
from ._store_reader import RunReader, resolve_run
from ._store_writer import UNWRITTEN, RunWriter, StreamAppender
from ._stream import Calibration, ClockSource, StreamKind, StreamSpec
from ._tables import read_table
from ._version import SCHEMA_VERSION, weldctl_version

__all__ = [
    "CHECKSUMS", "EVENT_COLUMNS", "MAX_RUN_ID", "SCHEMA_VERSION", "UNWRITTEN",
    "Calibration", "ClockFault", "ClockSource", "DeviceConfig", "LaserCondition", "LossInjection",
    "Penetration", "RecorderSettings", "Rig", "RigFileError", "RunIdError", "RunManifest", "RunReader",
    "RunStatus", "RunWriter", "SimAudioConfig", "SimCameraConfig", "SimDaqConfig", "SimIRConfig",
    "SimOctConfig", "SimProcess", "StoreError", "StreamAppender", "StreamKind", "StreamSpec",
    "VerifyReport", "WeldPlan", "WeldctlError", "default_sim_rig", "dump_rig", "load_sim_rig", "is_url", "load_rig",
    "parse_rig", "read_table", "resolve_run", "run_uri", "validate_run_id", "verify_checksums",
    "weldctl_version", "write_checksums",
]
