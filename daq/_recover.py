"""Recovering a run store a killed recorder left behind: trim, then the same finalize as `record`."""

from __future__ import annotations

from dataclasses import dataclass

from weldctl.schema import RunReader, RunWriter, StoreError, StoreLock, has_checksums, unfinished_store

from ._finalize import finalize_run


@dataclass(frozen=True)
class RecoveredStream:
    name: str
    samples: int
    last_t_ns: int


def recover_run(uri: str) -> list[RecoveredStream]:
    """Finalize an unfinished store (status ``recovered``); what each stream kept.

    Refuses a store another process is writing (its lock), and a store that was finalized once and has lost
    its checksum manifest since: re-finalizing it would bless whatever was changed.
    """
    reader = RunReader(uri)
    status = reader.manifest.status
    if status in ("finalized", "recovered") and has_checksums(reader.uri):
        raise StoreError(f"{reader.uri} is already {status}: nothing to recover",
                         f"`weldctl verify {reader.uri}` checks it is intact")
    if status in ("finalized", "recovered", "imported") and not unfinished_store(reader.uri):
        raise StoreError(f"{reader.uri} was {status}, and its checksum manifest is missing or unreadable: "
                         "it was changed after it was finalized",
                         "restore the run from a copy (recover does not re-finalize a modified store)")
    lock = StoreLock.acquire(reader.uri, "being recovered")  # a live store raises here, naming its recorder
    try:
        writer = RunWriter.reopen(reader.uri, lock)  # cuts every stream to the prefix that reached the disk
    except BaseException:
        lock.release()
        raise
    writer.release_space()
    finalize_run(writer, status="recovered")
    out = []
    for name, app in writer.streams.items():
        last = app.t_ns_at(app.n - 1) if app.n else 0
        out.append(RecoveredStream(name, app.n, last))
    return out
