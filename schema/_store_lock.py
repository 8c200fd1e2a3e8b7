"""The live-store lock: a store being recorded (or recovered) is locked by the process writing it.

An OS lock (``flock``) on ``<store>/.weldctl-lock``, held for as long as the writer lives: the kernel drops it
when that process ends, however it ends, so a killed recorder never leaves a store locked. The file also
names its owner (pid, host, what it is doing, since when) for the message another process shows.

The file outlives a killed writer on purpose: it marks a store whose writing never finished, which is what
lets ``recover`` tell an interrupted finalize (lock file left, checksum manifest missing) from a finalized
store whose manifest was removed afterwards (no lock file) — the latter is never re-finalized.

Object storage has no such lock; stores there are written by one recorder by convention.
"""

from __future__ import annotations

import json
import os
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ._errors import StoreError
from ._store_layout import is_url, local_path

LOCK_FILE = ".weldctl-lock"


@dataclass(frozen=True)
class LockOwner:
    pid: int
    host: str
    purpose: str
    since: str

    def describe(self) -> str:
        return f"{self.purpose} by pid {self.pid} on {self.host} since {self.since}"


class StoreBusyError(StoreError):
    """Another process holds the store's lock."""


def _owner(path: Path) -> LockOwner:
    try:
        doc = json.loads(path.read_text(encoding="utf-8") or "{}")
        return LockOwner(int(doc["pid"]), str(doc["host"]), str(doc["purpose"]), str(doc["since"]))
    except (OSError, ValueError, KeyError, TypeError):
        return LockOwner(0, "?", "in use", "?")


def _busy(store: str, owner: LockOwner) -> StoreBusyError:
    return StoreBusyError(f"{store} is locked: {owner.describe()}",
                          "wait until it finishes (a recording finalizes itself when stopped); "
                          f"if pid {owner.pid} is gone, its lock went with it: try again")


class StoreLock:
    """An exclusive lock on a local store, held until ``release`` (or until this process ends)."""

    def __init__(self, store: str, fd: int | None) -> None:
        self.store = store
        self._fd = fd

    @classmethod
    def acquire(cls, store: str | os.PathLike[str], purpose: str) -> StoreLock:
        """Lock ``store`` (a local run-store folder that exists) or raise StoreBusyError naming the owner."""
        import fcntl

        if is_url(store):
            return cls(str(store), None)
        path = local_path(store) / LOCK_FILE
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(f"cannot lock {store}: {exc.strerror}",
                             "check the folder exists and is writable by this user") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise _busy(str(store), _owner(path)) from None
        doc = {"pid": os.getpid(), "host": platform.node() or "unknown", "purpose": purpose,
               "since": datetime.now(UTC).isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(doc).encode(), 0)
        return cls(str(store), fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self, *, remove: bool = False) -> None:
        """Drop the lock; ``remove`` also deletes the file (the store's writing is complete)."""
        if self._fd is None:
            return
        if remove:
            (local_path(self.store) / LOCK_FILE).unlink(missing_ok=True)
        os.close(self._fd)  # closing the descriptor releases the flock
        self._fd = None


def lock_owner(store: str | os.PathLike[str]) -> LockOwner | None:
    """Who holds the store's lock right now, or None (no lock file, or its owner is gone)."""
    import fcntl

    if is_url(store):
        return None
    path = local_path(store) / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _owner(path)
    finally:
        os.close(fd)
    return None


def unfinished_store(store: str | os.PathLike[str]) -> bool:
    """True when a writer started on the store and never completed it (its lock file is still there)."""
    return not is_url(store) and (local_path(store) / LOCK_FILE).exists()


def check_not_live(store: str | os.PathLike[str]) -> None:
    """Raise StoreBusyError when another process is writing the store."""
    owner = lock_owner(store)
    if owner is not None:
        raise _busy(str(store), owner)
