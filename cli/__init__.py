"""The `weldctl` command line: thin commands over daq, curation and schema."""

from . import _inspect, _integrity, _record, _rig, _upload  # noqa: F401  (registers commands)
from ._app import app, main

__all__ = ["app", "main"]
