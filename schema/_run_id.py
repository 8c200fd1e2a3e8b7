"""Run ids become folder and object names, so only a safe alphabet is allowed."""

from __future__ import annotations

import re

from ._errors import RunIdError

MAX_RUN_ID = 64
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def validate_run_id(run_id: str) -> str:
    """Return ``run_id`` if it is safe as a path component, else raise RunIdError."""
    hint = "use letters, digits, '_', '-' or '.', start with a letter or digit, e.g. R0042"
    if not run_id:
        raise RunIdError("run id is empty", hint)
    if len(run_id) > MAX_RUN_ID:
        raise RunIdError(f"run id is {len(run_id)} characters long; the limit is {MAX_RUN_ID}", hint)
    if ".." in run_id or not _RUN_ID.fullmatch(run_id):
        raise RunIdError(f"run id {run_id!r} is not allowed (no '/', '..', spaces or symbols)", hint)
    if run_id.endswith(".") or run_id.lower().endswith(".zarr"):
        # R1.zarr would be stored as R1.zarr.zarr, and R1. looks like R1 to most people and some filesystems.
        raise RunIdError(f"run id {run_id!r} is not allowed (no trailing '.' or '.zarr': the store adds it)", hint)
    return run_id
