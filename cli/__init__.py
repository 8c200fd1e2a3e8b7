"""The `weldctl` command line: thin commands over daq, curation and schema."""

# Before anything slow is imported: a Ctrl-C while the command starts up is noted, and main() reports it
# in one line instead of a KeyboardInterrupt traceback from the middle of an import.
from ._startup import note_early_interrupt

note_early_interrupt()

from . import (  # noqa: E402
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
from ._app import app, main  # noqa: E402

__all__ = [
    "app", "main",
]
