"""params.yaml: one section per curation step; CLI options override it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from weldctl.schema import WeldctlError


def params_section(path: Path, section: str) -> dict[str, Any]:
    """``section`` of params.yaml as a dict; {} when the file or the section is absent."""
    from weldctl.curation import read_params_doc

    if not path.exists():
        return {}
    value = read_params_doc(path).get(section)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise WeldctlError(f"{path}: section {section!r} must be a mapping", "see docs/datasets.md for every key")
    return value
