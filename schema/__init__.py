"""Data at the edges: rig files, run manifests, stream specs, and the run-store layout."""

from ._array_writer import write_array
from ._attachments import Attachment, attachment_bytes, read_attachments, write_attachment
from ._checksum import VerifyReport, content_fingerprint, has_checksums, verify_checksums, write_checksums
from ._device_base import SPEED_OF_SOUND_M_S, DeviceBase
from ._drivers import ENTRY_POINT_GROUP, device_config_model, driver_names, load_driver
from ._errors import RigFileError, RunIdError, StoreError, WeldctlError
from ._event_alignment import (
    AlignmentError,
    AlignmentMethod,
    Edges,
    EventOffset,
    offset_from_edges,
    offset_from_envelopes,
    signal_edges,
)
from ._import_mapping import (
    Align,
    AttachmentMapping,
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
from ._labels import LabelRecord, LabelStudioRef, TimeRegion, check_label_values, read_labels, taxonomy_of, write_labels
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
from ._rig_examples import example_rig_names, example_rig_text
from ._rig_file import dump_rig, load_rig, parse_rig
from ._rig_view import ViewSettings
from ._run_id import MAX_RUN_ID, validate_run_id
from ._store_claim import make_read_only
from ._store_layout import CHECKSUMS, EVENT_COLUMNS, is_url, run_uri
from ._store_lock import LOCK_FILE, LockOwner, StoreBusyError, StoreLock, check_not_live, lock_owner, unfinished_store
from ._store_reader import RunReader, resolve_run
from ._store_writer import RunWriter
from ._spectrum import SpectrumSpec
from ._stream import Calibration, ClockSource, StreamKind, StreamSpec
from ._stream_appender import UNWRITTEN, StreamAppender
from ._tables import read_table
from ._taxonomy import ChoiceGroup, ChoiceIs, RegionGroup, Taxonomy, load_taxonomy, shipped_taxonomies
from ._transfer import upload_run
from ._verify import verify_run
from ._version import SCHEMA_VERSION, weldctl_version
from ._yaml_file import read_yaml_file

__all__ = [
    "CHECKSUMS",
    "ENTRY_POINT_GROUP",
    "EVENT_COLUMNS",
    "LOCK_FILE",
    "MAX_RUN_ID",
    "SCHEMA_VERSION",
    "SPEED_OF_SOUND_M_S",
    "UNWRITTEN",
    "Align",
    "AlignmentError",
    "AlignmentMethod",
    "Attachment",
    "AttachmentMapping",
    "Calibration",
    "Channel",
    "ChoiceGroup",
    "ChoiceIs",
    "ClockFault",
    "ClockSource",
    "DeviceBase",
    "DeviceConfig",
    "Edges",
    "EventOffset",
    "FieldRule",
    "ImportMapping",
    "ImportSourceError",
    "LabelRecord",
    "LabelStudioRef",
    "LaserCondition",
    "LockOwner",
    "LossInjection",
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
    "SpectrumSpec",
    "StoreBusyError",
    "StoreError",
    "StoreLock",
    "StreamAppender",
    "StreamKind",
    "StreamMapping",
    "StreamSpec",
    "Taxonomy",
    "TimeRegion",
    "TimeSpec",
    "VerifyReport",
    "ViewSettings",
    "WeldPlan",
    "WeldctlError",
    "absolute_uri",
    "attachment_bytes",
    "check_destination",
    "check_label_values",
    "check_not_live",
    "content_fingerprint",
    "default_sim_rig",
    "device_config_model",
    "driver_names",
    "dump_rig",
    "example_rig_names",
    "example_rig_text",
    "fs_and_root",
    "glob_uri",
    "has_checksums",
    "is_url",
    "join_uri",
    "list_files",
    "load_driver",
    "load_mapping",
    "load_rig",
    "load_sim_rig",
    "load_taxonomy",
    "lock_owner",
    "make_read_only",
    "offset_from_edges",
    "offset_from_envelopes",
    "parse_rig",
    "read_attachments",
    "read_bytes",
    "read_labels",
    "read_table",
    "read_yaml_file",
    "remove_uri",
    "render",
    "resolve_run",
    "run_uri",
    "shipped_taxonomies",
    "signal_edges",
    "storage_errors",
    "taxonomy_of",
    "unfinished_store",
    "upload_run",
    "uri_exists",
    "validate_run_id",
    "verify_checksums",
    "verify_run",
    "weldctl_version",
    "write_array",
    "write_attachment",
    "write_bytes",
    "write_checksums",
    "write_labels",
    "zarr_store",
]
