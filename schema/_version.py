"""Versions written into every run store."""

from __future__ import annotations

from importlib import metadata

# Bump the major part when a reader of the previous layout would misread a store.
SCHEMA_VERSION = "1.0"


def weldctl_version() -> str:
    try:
        return metadata.version("weldctl")
    except metadata.PackageNotFoundError:  # running from a source tree without an install
        return "0+unknown"
