"""Where weldctl reads and writes: a local path, file:// or any fsspec URL (s3://…), as files or a zarr store.

The one place that turns a URI into a filesystem. Credentials come only from the environment or the
usual AWS config files, never from our files. Local writes go to a temp file and are renamed into
place; on object storage an object is written whole (one PUT is atomic), so readers never see half a
file either way.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from zarr.storage import LocalStore

from ._errors import StoreError, WeldctlError
from ._store_layout import is_url, local_path

if TYPE_CHECKING:
    from zarr.abc.store import Store

Uri = str | os.PathLike[str]


def fs_and_root(uri: Uri):  # type: ignore[no-untyped-def]
    """(fsspec filesystem, path on it without a trailing slash); local paths are made absolute."""
    import fsspec

    if not is_url(uri):
        return fsspec.filesystem("file"), str(local_path(uri).resolve()).rstrip("/")
    fs, root = fsspec.core.url_to_fs(str(uri))
    root = root.rstrip("/")
    # The filesystem instance is shared and caches listings; zarr's own client, another process or a
    # Dask worker may have written here since, so listings and existence checks start fresh.
    fs.invalidate_cache(root)
    return fs, root


def join_uri(base: Uri, *parts: str) -> str:
    """``base/part/...`` for a folder or URL prefix (pathlib would fold the ``//`` of ``file://``)."""
    b = str(base)
    if "://" in b:
        return "/".join([b.rstrip("/"), *parts])
    return str(Path(b, *parts))


def absolute_uri(uri: Uri) -> str:
    """A URI that means the same from any working directory (Dask workers have their own)."""
    return str(uri) if is_url(uri) else str(local_path(uri).resolve())


def explain_storage_error(uri: Uri, exc: BaseException) -> StoreError:
    """One line naming the URI and the cause, plus what to check (credentials are never echoed)."""
    text = f"{type(exc).__name__}: {exc}"
    if any(s in text for s in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "Forbidden",
                               "NoCredentials", "PermissionError")):
        hint = "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or your AWS profile) for this endpoint"
    elif any(s in text for s in ("EndpointConnectionError", "Could not connect", "ConnectTimeout", "Connection refused",
                                 "ClientConnectorError", "Cannot connect")):
        hint = "the storage endpoint is unreachable: check AWS_ENDPOINT_URL and that the server is up"
    elif "NoSuchBucket" in text or isinstance(exc, FileNotFoundError):
        hint = "create the bucket first, or check its name"
    else:
        hint = "check the URL, the endpoint and the credentials"
    return StoreError(f"cannot use {uri}: {text.splitlines()[0][:200]}", hint)


@contextmanager
def storage_errors(uri: Uri) -> Iterator[None]:
    """Object-storage failures inside the block become one StoreError; local errors pass unchanged."""
    try:
        yield
    except WeldctlError:
        raise
    except Exception as exc:
        if not is_url(uri):
            raise
        raise explain_storage_error(uri, exc) from None


def check_destination(dest: Uri) -> None:
    """Fail before anything is written if an object-storage destination cannot be listed."""
    if not is_url(dest):
        return
    with storage_errors(dest):
        fs, path = fs_and_root(dest)
        fs.ls(path.split("/", 1)[0], detail=False, refresh=True)


def uri_exists(uri: Uri) -> bool:
    if not is_url(uri):
        return local_path(uri).exists()
    with storage_errors(uri):
        fs, path = fs_and_root(uri)
        return bool(fs.exists(path))


def read_bytes(uri: Uri) -> bytes:
    if not is_url(uri):
        return local_path(uri).read_bytes()
    with storage_errors(uri):
        fs, path = fs_and_root(uri)
        return bytes(fs.cat_file(path))


def write_bytes(uri: Uri, data: bytes) -> str:
    """Write one whole file: temp + rename locally, a single object on object storage."""
    if is_url(uri):
        with storage_errors(uri):
            fs, path = fs_and_root(uri)
            fs.pipe_file(path, data)
        return str(uri)
    dest = local_path(uri)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, dest)
    return str(uri)


def remove_uri(uri: Uri) -> None:
    """Delete a file or a whole tree; nothing there is fine."""
    with storage_errors(uri):
        fs, path = fs_and_root(uri)
        if fs.exists(path):
            fs.rm(path, recursive=True)


def list_files(uri: Uri) -> list[str]:
    """Paths of every file under ``uri``, relative to it, ordered as pathlib orders them (by part)."""
    with storage_errors(uri):
        if is_url(uri):
            fs, root = fs_and_root(uri)
            rel = [p[len(root) + 1 :] for p in fs.find(root)]
        else:
            rel = _local_files(str(local_path(uri)))
    return sorted((r for r in rel if r), key=lambda r: r.split("/"))


def _local_files(root: str) -> list[str]:
    """What fsspec's local ``find`` gives (a symlink is a file, a missing root has none) from a plain
    directory scan: fsspec stats every file and resolves the root, several times the cost, and readers list
    each stream they open."""
    out: list[str] = []
    todo = [("", os.path.normpath(root))]
    while todo:
        prefix, here = todo.pop()
        try:
            with os.scandir(here) as entries:
                for e in entries:
                    rel = f"{prefix}{e.name}"
                    if e.is_dir(follow_symlinks=False):
                        todo.append((f"{rel}/", e.path))
                    else:
                        out.append(rel)
        except OSError:  # as fsspec's walk: a folder that vanished or cannot be read lists nothing
            continue
    return out


def glob_uri(base: Uri, pattern: str) -> list[str]:
    """Names under ``base`` matching a glob ``pattern`` (e.g. ``*.zarr``), relative to it, sorted."""
    with storage_errors(base):
        fs, root = fs_and_root(base)
        return sorted(p[len(root) + 1 :] for p in fs.glob(f"{root}/{pattern}"))


def zarr_store(uri: Uri, *, read_only: bool) -> Store:
    if not is_url(uri):
        return LocalStore(local_path(uri), read_only=read_only)
    try:
        from zarr.storage import FsspecStore

        return FsspecStore.from_url(str(uri), read_only=read_only)
    except ImportError as exc:
        raise StoreError(
            f"cannot open {uri}: {exc}", "install the scale extra: pip install 'weldctl[scale]'"
        ) from None


def store_exists(uri: str) -> bool:
    return uri_exists(join_uri(uri, "zarr.json"))
