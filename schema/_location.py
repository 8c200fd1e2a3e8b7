"""Turning a run-store URI (local path, file:// or any fsspec URL) into a zarr store."""

from __future__ import annotations

import zarr
from zarr.storage import LocalStore

from ._errors import StoreError
from ._store_layout import is_url, local_path


def zarr_store(uri: str, *, read_only: bool) -> zarr.abc.store.Store:
    if not is_url(uri):
        return LocalStore(local_path(uri), read_only=read_only)
    try:
        from zarr.storage import FsspecStore

        return FsspecStore.from_url(uri, read_only=read_only)
    except ImportError as exc:
        raise StoreError(
            f"cannot open {uri}: {exc}", "install the scale extra: pip install 'weldctl[scale]'"
        ) from None


def store_exists(uri: str) -> bool:
    if not is_url(uri):
        return (local_path(uri) / "zarr.json").exists()
    import fsspec

    fs, path = fsspec.core.url_to_fs(uri)
    return bool(fs.exists(f"{path}/zarr.json"))
