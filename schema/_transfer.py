"""Verified copies of finalized run stores between local disk and object storage (any fsspec URL).

Credentials come only from the environment or the usual AWS config files, never from our files.
"""

from __future__ import annotations

from collections.abc import Callable

from ._checksum import verify_checksums
from ._errors import StoreError
from ._location import check_destination, explain_storage_error, fs_and_root
from ._store_layout import CHECKSUMS_DOC
from ._store_reader import RunReader


def upload_run(run: str, dest_prefix: str, *, progress: Callable[[int, int], None] | None = None) -> str:
    """Copy a finalized run to ``dest_prefix/<run_id>.zarr`` and verify every file there by checksum."""
    reader = RunReader(run)
    if reader.manifest.status == "recording":
        raise StoreError(f"{reader.uri} was never finalized", f"run `weldctl recover {reader.uri}` first")
    local = verify_checksums(reader.uri)
    if not local.ok:
        raise StoreError(f"{reader.uri} fails its checksums before upload (changed: {local.changed[:3]})",
                         "the local copy is damaged: do not upload it")
    check_destination(dest_prefix)
    dest = f"{dest_prefix.rstrip('/')}/{reader.run_id}.zarr"
    src_fs, src_root = fs_and_root(reader.uri)
    dst_fs, dst_root = fs_and_root(dest)
    files = sorted(src_fs.find(src_root))
    # The checksum manifest goes last: a store without it reads as "upload incomplete".
    files.sort(key=lambda p: p.endswith(CHECKSUMS_DOC))
    try:
        for i, path in enumerate(files):
            rel = path[len(src_root) + 1 :]
            with src_fs.open(path, "rb") as f:
                dst_fs.pipe_file(f"{dst_root}/{rel}", f.read())
            if progress:
                progress(i + 1, len(files))
        report = verify_checksums(dest)
    except StoreError:
        raise
    except Exception as exc:
        raise explain_storage_error(dest, exc) from None
    if not report.ok:
        raise StoreError(f"upload of {reader.run_id} did not verify (missing {report.missing[:3]}, "
                         f"changed {report.changed[:3]})", "retry the upload")
    return dest
