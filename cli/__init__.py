"""The `weldctl` command line: thin commands over daq, curation and schema."""

from . import _devices, _inspect, _record, _rig  # noqa: F401  (registers commands)
from ._app import app, main

__all__ = ["app", "main"]
