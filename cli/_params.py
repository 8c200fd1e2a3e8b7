"""params.yaml: one section per curation step; CLI options override it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from weldctl.schema import WeldctlError


def params_section(path: Path, section: str) -> dict[str, Any]:
    """``section`` of params.yaml as a dict; {} when the file or the section is absent."""
    if not path.exists():
        return {}
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise WeldctlError(f"{path} is not valid YAML: {exc}") from None
    value = doc.get(section) if isinstance(doc, dict) else None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise WeldctlError(f"{path}: section {section!r} must be a mapping")
    return value
