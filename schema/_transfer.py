"""Verified copies of finalized run stores between local disk and object storage (any fsspec URL).

Credentials come only from the environment or the usual AWS config files, never from our files.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

from ._checksum import _manifest_files, verify_checksums
from ._errors import StoreError
from ._location import check_destination, explain_storage_error, fs_and_root
from ._store_layout import CHECKSUMS, CHECKSUMS_DOC
from ._store_lock import LOCK_FILE
from ._store_reader import RunReader

# Files in flight at once. Object stores serve each PUT at a fraction of the link's speed, so throughput
# comes from many at once; each file is held in memory whole while it is sent (a shard is tens of MB at most).
UPLOAD_THREADS = 8


class _Damaged(Exception):
    """A file read for upload does not match the run's checksum manifest."""


def _send(src_fs, src: str, dst_fs, dst: str, expected: str) -> int:  # type: ignore[no-untyped-def]
    """Read one file, check it against the manifest, then put it whole (s3fs sends big ones in parts)."""
    data = bytes(src_fs.cat_file(src))
    if hashlib.sha256(data).hexdigest() != expected:
        raise _Damaged(src)
    dst_fs.pipe_file(dst, data)
    return len(data)


def upload_run(run: str, dest_prefix: str, *, progress: Callable[[int, int], None] | None = None,
               threads: int = UPLOAD_THREADS, verify_remote: bool = True) -> str:
    """Copy a finalized run to ``dest_prefix/<run_id>.zarr``, several files at a time.

    Every byte sent is checked against the run's checksum manifest as it is read (a damaged local copy is
    refused, nothing of it counts as uploaded); the manifest goes last, so a store without it reads as an
    incomplete upload; then (``verify_remote``) every file at the destination is read back and checked.
    """
    reader = RunReader(run)
    if reader.manifest.status == "recording":
        raise StoreError(f"{reader.uri} was never finalized", f"run `weldctl recover {reader.uri}` first")
    expected = _manifest_files(reader.uri)
    if expected is None:  # none, or unreadable: verify_checksums names which
        verify_checksums(reader.uri)
        raise StoreError(f"{reader.uri} has no readable checksum manifest", "do not upload it")
    src_fs, src_root = fs_and_root(reader.uri)
    sizes = {p[len(src_root) + 1 :]: int(info.get("size") or 0)
             for p, info in src_fs.find(src_root, detail=True).items()}
    present = {r for r in sizes if not r.startswith((f"{CHECKSUMS}/", LOCK_FILE))}
    missing, added = sorted(set(expected) - present), sorted(present - set(expected))
    if missing or added:
        raise StoreError(f"{reader.uri} does not match its checksum manifest before upload (missing "
                         f"{missing[:3]}, added {added[:3]})", "the local copy is damaged: do not upload it")
    check_destination(dest_prefix)
    dest = f"{dest_prefix.rstrip('/')}/{reader.run_id}.zarr"
    dst_fs, dst_root = fs_and_root(dest)
    files = sorted(expected, key=lambda rel: -sizes[rel])  # big files first, small ones fill the gaps
    total = len(files) + 1
    try:
        with ThreadPoolExecutor(max(1, threads), thread_name_prefix="weldctl-upload") as ex:
            futures = [ex.submit(_send, src_fs, f"{src_root}/{rel}", dst_fs, f"{dst_root}/{rel}",
                                 str(expected[rel])) for rel in files]
            pending, done_n = set(futures), 0
            while pending:
                done, pending = wait(pending, return_when=FIRST_EXCEPTION)
                for f in done:
                    f.result()  # the first failure stops the upload (the others still finish)
                done_n += len(done)
                if progress:
                    progress(done_n, total)
        with src_fs.open(f"{src_root}/{CHECKSUMS_DOC}", "rb") as f:
            dst_fs.pipe_file(f"{dst_root}/{CHECKSUMS_DOC}", f.read())
        if progress:
            progress(total, total)
        report = verify_checksums(dest) if verify_remote else None
    except _Damaged as exc:
        raise StoreError(f"{exc} does not match the checksum manifest of {reader.uri}: the local copy is damaged",
                         "do not upload it; restore the run from another copy (the upload is incomplete: "
                         f"it has no {CHECKSUMS_DOC})") from None
    except StoreError:
        raise
    except Exception as exc:
        raise explain_storage_error(dest, exc) from None
    if report is not None and not report.ok:
        raise StoreError(f"upload of {reader.run_id} did not verify (missing {report.missing[:3]}, "
                         f"changed {report.changed[:3]})", "retry the upload")
    return dest

