"""Data at the edges: rig files, run manifests, stream specs, and the run-store layout."""

from ._array_writer import write_array
from ._checksum import VerifyReport, content_fingerprint, has_checksums, verify_checksums, write_checksums
from ._device_base import DeviceBase
from ._errors import RigFileError, RunIdError, StoreError, WeldctlError
from ._import_mapping import (
    Align,
    Channel,
    FieldRule,
    ImportMapping,
    ImportSourceError,
    RunRule,
    StreamMapping,
    TimeSpec,
    load_mapping,
    render,
)
from ._labels import LabelRecord, LabelStudioRef, TimeRegion, read_labels, write_labels
from ._location import (
    absolute_uri,
    check_destination,
    fs_and_root,
    glob_uri,
    join_uri,
    list_files,
    read_bytes,
    remove_uri,
    storage_errors,
    uri_exists,
    write_bytes,
    zarr_store,
)
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
from ._rig_cam import AravisCameraConfig, OpenCVCameraConfig
from ._rig_examples import example_rig_names, example_rig_text
from ._rig_file import dump_rig, load_rig, parse_rig
from ._rig_io import NidaqChannel, NidaqConfig, NidaqGrpc, OctTcpConfig, SounddeviceConfig
from ._run_id import MAX_RUN_ID, validate_run_id
from ._store_layout import CHECKSUMS, EVENT_COLUMNS, is_url, run_uri
from ._store_reader import RunReader, resolve_run
from ._store_writer import RunWriter
from ._stream import Calibration, ClockSource, StreamKind, StreamSpec
from ._stream_appender import UNWRITTEN, StreamAppender
from ._tables import read_table
from ._taxonomy import ChoiceGroup, ChoiceIs, RegionGroup, Taxonomy, load_taxonomy, shipped_taxonomies
from ._transfer import upload_run
from ._version import SCHEMA_VERSION, weldctl_version

__all__ = [
    "CHECKSUMS",
    "EVENT_COLUMNS",
    "MAX_RUN_ID",
    "SCHEMA_VERSION",
    "UNWRITTEN",
    "Align",
    "AravisCameraConfig",
    "Calibration",
    "Channel",
    "ChoiceGroup",
    "ChoiceIs",
    "ClockFault",
    "ClockSource",
    "DeviceBase",
    "DeviceConfig",
    "FieldRule",
    "ImportMapping",
    "ImportSourceError",
    "LabelRecord",
    "LabelStudioRef",
    "LaserCondition",
    "LossInjection",
    "NidaqChannel",
    "NidaqConfig",
    "NidaqGrpc",
    "OctTcpConfig",
    "OpenCVCameraConfig",
    "Penetration",
    "RecorderSettings",
    "RegionGroup",
    "Rig",
    "RigFileError",
    "RunIdError",
    "RunManifest",
    "RunReader",
    "RunRule",
    "RunStatus",
    "RunWriter",
    "SimAudioConfig",
    "SimCameraConfig",
    "SimDaqConfig",
    "SimIRConfig",
    "SimOctConfig",
    "SimProcess",
    "SounddeviceConfig",
    "StoreError",
    "StreamAppender",
    "StreamKind",
    "StreamMapping",
    "StreamSpec",
    "Taxonomy",
    "TimeRegion",
    "TimeSpec",
    "VerifyReport",
    "WeldPlan",
    "WeldctlError",
    "absolute_uri",
    "check_destination",
    "content_fingerprint",
    "default_sim_rig",
    "dump_rig",
    "example_rig_names",
    "example_rig_text",
    "fs_and_root",
    "glob_uri",
    "has_checksums",
    "is_url",
    "join_uri",
    "list_files",
    "load_mapping",
    "load_rig",
    "load_sim_rig",
    "load_taxonomy",
    "parse_rig",
    "read_bytes",
    "read_labels",
    "read_table",
    "remove_uri",
    "render",
    "resolve_run",
    "run_uri",
    "shipped_taxonomies",
    "storage_errors",
    "upload_run",
    "uri_exists",
    "validate_run_id",
    "verify_checksums",
    "weldctl_version",
    "write_array",
    "write_bytes",
    "write_checksums",
    "write_labels",
    "zarr_store",
]
