"""The `weldctl` command line: thin commands over daq, curation and schema."""

from . import (
    _calibrate,
    _dataset,
    _devices,
    _import,
    _inspect,
    _integrity,
    _label,
    _label_truth,
    _record,
    _rig,
    _segment,
    _upload,
    _view,
)
from ._app import app, main

__all__ = [
    "app", "main",
]
