"""Recovering a run store a killed recorder left behind: trim, then the same finalize as `record`."""

from __future__ import annotations

from dataclasses import dataclass

from weldctl.schema import RunReader, RunWriter, StoreError, has_checksums

from ._finalize import finalize_run


@dataclass(frozen=True)
class RecoveredStream:
    name: str
    samples: int
    last_t_ns: int


def recover_run(uri: str) -> list[RecoveredStream]:
    """Finalize an unfinished store (status ``recovered``); what each stream kept."""
    reader = RunReader(uri)
    if reader.manifest.status in ("finalized", "recovered") and has_checksums(reader.uri):
        raise StoreError(f"{reader.uri} is already {reader.manifest.status}: nothing to recover",
                         f"`weldctl verify {reader.uri}` checks it is intact")
    writer = RunWriter.reopen(reader.uri)  # cuts every stream to the prefix that reached the disk
    writer.release_space()
    finalize_run(writer, status="recovered")
    out = []
    for name, app in writer.streams.items():
        last = int(app.t_ns[app.n - 1]) if app.n else 0
        out.append(RecoveredStream(name, app.n, last))
    return out
