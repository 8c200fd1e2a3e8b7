"""The run store through a recording: made (with disk held back for finalizing), discarded when nothing was
recorded, finalized at the end, or left locked-free for `recover` when that cannot be done."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence

from weldctl.schema import Durability, RunManifest, RunWriter, StreamSpec, is_url

from ._device import Device
from ._errors import RecordingError, is_disk_full
from ._finalize import finalize_run
from ._pipe import Pipe
from ._timing import stated_timing
from ._writer_loop import flush_tables

RESERVE_MAX_BYTES = 16 << 20
RESERVE_SHARE = 0.05
RECOVER_HINT = " — free space, then `weldctl recover` finalizes it"

Truth = Callable[[], dict[str, tuple[dict, dict]]]


def reserve_bytes(out: str) -> int:
    """Disk held back for finalizing (sample times, events, checksums) when the disk fills up."""
    if is_url(out):
        return 0
    free = shutil.disk_usage(out).free
    return int(min(RESERVE_MAX_BYTES, RESERVE_SHARE * free))


def create_store(
    out: str,
    manifest: RunManifest,
    specs: Sequence[StreamSpec],
    devices: Sequence[Device],
    *,
    overwrite: bool,
    durability: Durability,
    truth: Truth | None,
) -> RunWriter:
    """The new store, with what is known before the first sample; nothing is left behind when it fails."""
    writer: RunWriter | None = None
    try:
        writer = RunWriter.create(out, manifest, list(specs), overwrite=overwrite, durability=durability)
        for d in devices:  # the stated latencies and delays finalize applies (recover too)
            writer.set_clock_attrs(d.name, stated_timing(d.config))
        # Sim truth is known before the run (and on the run time base), so a recovered store has it too.
        for name, (tbl, dtypes) in (truth() if truth else {}).items():
            writer.write_truth(name, tbl, dtypes)
        writer.reserve_space(reserve_bytes(out))
    except OSError as exc:
        where = writer.uri if writer else out
        if writer is not None:
            writer.discard()
        if is_disk_full(exc):
            raise RecordingError(
                f"disk full before recording started ({where})", "free space or record to another --out"
            ) from None
        raise RecordingError(
            f"cannot write the run store at {where}: {exc.strerror or exc}",
            "check the --out folder exists, is a folder and is writable",
        ) from None
    return writer


def finalize_store(
    writer: RunWriter, pipes: list[Pipe], *, write_failed: bool
) -> tuple[RunWriter, dict[str, object], str]:
    """Finalize after the threads have stopped: (the writer now, clock fits, why it could not be finalized).

    After a failed write, the reserved space is given back and every array cut to what really reached the
    disk (every sample received past it becomes a gap). A store that cannot be finalized is unlocked and
    left for `recover`.
    """
    try:
        if write_failed:
            writer.release_space()
            writer = RunWriter.reopen(writer.uri, writer.lock)
            _account_unwritten(writer, pipes)
        flush_tables(writer, pipes)  # what the table thread had not written yet
        return writer, dict(finalize_run(writer, status="finalized")), ""
    except OSError as exc:
        writer.unlock()
        return writer, {}, f"could not finalize the store: {exc}"


def _account_unwritten(writer: RunWriter, pipes: list[Pipe]) -> None:
    """After a failed write: every received sample past what reached the disk becomes a gap."""
    for pipe in pipes:
        app = writer.streams[pipe.spec.name]
        if pipe.first_seq is not None:
            pipe.account_unwritten(app.seq_at(app.n - 1) + 1 if app.n else pipe.first_seq)
