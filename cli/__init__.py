"""The `weldctl` command line: thin commands over daq, curation and schema."""

from . import _import, _inspect, _integrity, _label, _record, _rig, _segment, _upload, _view  # noqa: F401  (registers commands)
from ._app import app, main

__all__ = [
    "app", "main",
]
