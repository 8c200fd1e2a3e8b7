"""Taking a run-store folder for a new recording, and giving a finished one up: create it exclusively, delete
only what is provably a weldctl store nobody is writing, and make a finalized store read-only."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

from ._errors import RunIdError, StoreError
from ._location import fs_and_root, uri_exists
from ._store_layout import ROOT_ATTR, is_url, local_path
from ._store_lock import LOCK_FILE, StoreLock

READ_ONLY_FILE = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
READ_ONLY_DIR = READ_ONLY_FILE | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH


def _taken(uri: str, run_id: str) -> RunIdError:
    return RunIdError(f"run {run_id} already exists at {uri}",
                      "pick a new run id, or pass --overwrite to replace it (its data will be lost)")


def is_weldctl_store(uri: str) -> bool:
    """A root zarr.json that parses and carries weldctl's attributes: the proof a folder is ours to delete."""
    fs, root = fs_and_root(uri)
    try:
        with fs.open(f"{root}/zarr.json", "rb") as f:
            doc = json.load(f)
        return isinstance(doc.get("attributes", {}).get(ROOT_ATTR, {}).get("manifest"), dict)
    except (OSError, ValueError, AttributeError):
        return False


def _writable(path: Path) -> None:
    """Give back write permission a finalized (read-only) store took away, so it can be deleted."""
    for dirpath, dirnames, _ in os.walk(path):
        os.chmod(dirpath, os.stat(dirpath).st_mode | stat.S_IWUSR)
        for d in dirnames:
            p = os.path.join(dirpath, d)
            os.chmod(p, os.stat(p).st_mode | stat.S_IWUSR | stat.S_IXUSR)


def _only_a_lock(uri: str) -> bool:
    """A folder holding nothing but our lock file: a recorder that died before writing anything."""
    return not is_url(uri) and local_path(uri).is_dir() and {p.name for p in local_path(uri).iterdir()} == {LOCK_FILE}


def _remove_ours(uri: str, run_id: str) -> None:
    if not (is_weldctl_store(uri) or _only_a_lock(uri)):
        raise StoreError(f"{uri} exists but is not a weldctl run store (no readable zarr.json with a run manifest)",
                         "not deleting it: move it away, or record under another run id or --out")
    if is_url(uri):
        fs, root = fs_and_root(uri)
        fs.rm(root, recursive=True)
        return
    path = local_path(uri)
    lock = StoreLock.acquire(path, "being deleted by record --overwrite")  # refuses a live store
    try:
        _writable(path)
        shutil.rmtree(path)
    finally:
        lock.release()


def claim_store(uri: str, run_id: str, *, overwrite: bool) -> None:
    """Make an empty folder for run ``run_id`` at ``uri``, exclusively: of two recorders started at once with
    the same id, one gets it. ``overwrite`` first deletes an existing store, only if it is one of ours and
    nobody holds its lock."""
    there = uri_exists(uri)
    if there and not overwrite:
        raise _taken(uri, run_id)
    if there:
        _remove_ours(uri, run_id)
    if is_url(uri):
        return  # object storage: no exclusive create; the existence check above is all there is
    path = local_path(uri)
    if path.parent.exists() and not path.parent.is_dir():
        raise StoreError(f"--out {path.parent} is a file, not a folder", "pass a folder for --out")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir()
    except FileExistsError:
        raise _taken(uri, run_id) from None


def make_read_only(uri: str) -> None:
    """Finalized raw data is never modified again: files r--, folders r-x (local stores)."""
    if is_url(uri):
        return
    for dirpath, _, files in os.walk(local_path(uri), topdown=False):
        for name in files:
            os.chmod(os.path.join(dirpath, name), READ_ONLY_FILE)
        os.chmod(dirpath, READ_ONLY_DIR)
