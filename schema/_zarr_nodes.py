"""Typed steps through a zarr hierarchy.

zarr types a group's member as ``Array | Group`` and an attribute as any JSON value. These helpers narrow
each once, where the store is read, and a store whose layout is not what the schema says fails with a
``StoreError`` naming the path instead of an ``AttributeError`` somewhere later.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import zarr

from ._errors import StoreError


def _where(parent: zarr.Group, path: str) -> str:
    return f"{parent.path}/{path}".lstrip("/")


def group_at(parent: zarr.Group, path: str) -> zarr.Group:
    """The group at ``path`` under ``parent`` (KeyError when there is nothing)."""
    node = parent[path]
    if not isinstance(node, zarr.Group):
        raise StoreError(f"{_where(parent, path)} is an array where the run store has a group")
    return node


def array_at(parent: zarr.Group, path: str) -> zarr.Array[Any]:
    """The array at ``path`` under ``parent`` (KeyError when there is nothing)."""
    node = parent[path]
    if not isinstance(node, zarr.Array):
        raise StoreError(f"{_where(parent, path)} is a group where the run store has an array")
    return node


def group_or_none(parent: zarr.Group, path: str) -> zarr.Group | None:
    """The group at ``path``, or None when there is nothing there."""
    return group_at(parent, path) if path in parent else None


def attr_int(attrs: Mapping[str, object], key: str, default: int = 0) -> int:
    """An integer attribute (a JSON number)."""
    value = attrs.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise StoreError(f"attribute {key!r} is {value!r}, not a number")
    return int(value)


def attr_strs(attrs: Mapping[str, object], key: str, default: list[str] | None = None) -> list[str]:
    """A list-of-names attribute (a JSON array of strings)."""
    value = attrs.get(key, default if default is not None else [])
    if not isinstance(value, list | tuple):
        raise StoreError(f"attribute {key!r} is {value!r}, not a list")
    return [str(v) for v in value]


def attr_dict(attrs: Mapping[str, object], key: str) -> dict[str, Any]:
    """A mapping attribute (a JSON object)."""
    value = attrs.get(key, {})
    if not isinstance(value, Mapping):
        raise StoreError(f"attribute {key!r} is {value!r}, not a mapping")
    return dict(value)
