"""Vendor modules imported when first needed, so ``import weldctl.curation`` works without them."""

from __future__ import annotations

import importlib
from typing import Any

from weldctl.schema import ImportSourceError


def need_module(name: str, extra: str = "curation") -> Any:
    """Import a vendor module or say in one line what to install."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError:
        raise ImportSourceError(
            f"reading this format needs the Python package {name!r}", f"pip install 'weldctl[{extra}]'"
        ) from None
