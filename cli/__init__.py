"""The `weldctl` command line: thin commands over daq, curation and schema."""

from . import _devices, _import, _inspect, _label, _record, _rig, _segment, _upload, _view  # noqa: F401
from ._app import app, main

__all__ = [
    "app", "main",
]
