"""`weldctl import`: read a foreign recording folder as a mapping says, write one run store atomically."""

from __future__ import annotations

import re
import shutil
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from pydantic import ValidationError

from weldctl.schema import (
    Align,
    AlignmentError,
    AlignmentMethod,
    ClockSource,
    ImportMapping,
    ImportSourceError,
    RunIdError,
    RunManifest,
    RunWriter,
    StreamMapping,
    StreamSpec,
    WeldPlan,
    render,
    run_uri,
    validate_run_id,
    write_attachment,
)

from ._align import assumed_clock, describe_alignment, event_clock, event_offset
from ._import_labels import import_label_record, manifest_fields, merge_labels_jsonl
from ._read_attachments import RunAttachment, read_attachments
from ._read_audio import read_audio
from ._read_csv import read_csv
from ._read_hdf5 import read_hdf5
from ._read_images import read_images
from ._read_tdms import read_tdms
from ._read_video import read_video
from ._source import SourceStream

_CLOCK = {
    "csv": ClockSource.host,
    "audio": ClockSource.sample_clock,
    "video": ClockSource.device,
    "images": ClockSource.device,
    "tdms": ClockSource.sample_clock,
    "hdf5": ClockSource.device,
}


@dataclass
class ImportResult:
    run_id: str
    uri: str
    samples: dict[str, int] = field(default_factory=dict)
    labels: dict[str, object] = field(default_factory=dict)
    seconds: float = 0.0
    alignment: dict[str, str] = field(default_factory=dict)  # stream -> how it was placed, with its bound
    attachments: int = 0


def path_groups(mapping: ImportMapping, folder: Path) -> dict[str, str]:
    m = re.search(mapping.run.pattern, Path(folder).resolve().as_posix())
    return {k: v for k, v in (m.groupdict() if m else {}).items() if v is not None}


def find_runs(mapping: ImportMapping, root: Path) -> list[Path]:
    """Folders under ``root`` (or root itself) whose path matches the mapping's run pattern."""
    rx = re.compile(mapping.run.pattern)
    found = [p for p in [root, *sorted(root.rglob("*"))] if p.is_dir() and rx.search(p.resolve().as_posix())]
    return found


def _read_stream(folder: Path, m: StreamMapping, groups: dict[str, str]) -> SourceStream | None:
    try:
        rel = m.file.format(**groups)
    except KeyError as exc:
        raise ImportSourceError(f"stream {m.name!r}: file {m.file!r} uses {exc}, not captured by run.pattern") from None
    if m.reader == "images":
        paths = sorted(folder.glob(rel))
        if not paths:
            if m.optional:
                return None
            raise ImportSourceError(f"{folder / rel}: no image files", "check the folder or mark the stream optional")
        return read_images(paths, m)
    path = folder / rel
    if not path.exists():
        if m.optional:
            return None
        raise ImportSourceError(f"{path}: missing file for stream {m.name!r}", "check the folder or the mapping")
    reader = {"csv": read_csv, "audio": read_audio, "video": read_video, "tdms": read_tdms, "hdf5": read_hdf5}
    return reader[m.reader](path, m)


def align_streams(
    mapping: ImportMapping, read: dict[str, SourceStream]
) -> tuple[int, dict[str, np.ndarray], dict[str, dict[str, object]]]:
    """Put every stream on one run time base: (t0 epoch ns, relative times, per-stream clock notes).

    The notes become ``clock/<stream>`` attrs: ``alignment`` (an AlignmentMethod) and, where known,
    ``uncertainty_ns`` (a bound on the placement error) with the measured event offset.
    """
    by_name = {m.name: m for m in mapping.streams}
    wall = [n for n in read if by_name[n].align.mode == "wall_clock"]
    for n in wall:
        if not read[n].absolute:
            raise ImportSourceError(
                f"stream {n!r} ({read[n].origin}) has no wall-clock times",
                "align it with mode: start_at to a stream that has them",
            )
    if not wall:
        raise ImportSourceError("no wall-clock stream was found in this run; run time 0 is undefined")
    t0 = min(int(read[n].t_ns[0]) for n in wall)
    rel: dict[str, np.ndarray] = {n: read[n].t_ns - t0 for n in wall}
    notes: dict[str, dict[str, object]] = {
        n: {"align": "wall_clock", "alignment": AlignmentMethod.wall_clock.value, "offset_ns": -t0} for n in wall
    }
    base = next(n for n in wall if int(read[n].t_ns[0]) == t0)
    notes[base]["uncertainty_ns"] = 0  # this stream's own stamps define run time 0
    pending = [n for n in read if n not in rel]
    while pending:
        progressed = False
        for n in list(pending):
            a = by_name[n].align
            if a.to not in read:
                raise ImportSourceError(f"stream {n!r} aligns to {a.to!r}, which this run does not have")
            if a.to not in rel:
                continue
            rel[n], notes[n] = _place(n, a, read, rel[a.to])
            pending.remove(n)
            progressed = True
        if not progressed:
            raise ImportSourceError(f"streams {pending} align to each other in a circle")
    return t0, rel, notes


def _place(name: str, a: Align, read: dict[str, SourceStream],
           ref: np.ndarray) -> tuple[np.ndarray, dict[str, object]]:
    """One stream placed at its reference's start or end (an assumption), then, for mode event, moved
    by the measured offset of the shared event."""
    if a.anchor == "end" and read[a.to].more is not None:  # type: ignore[index]
        raise ImportSourceError(
            f"stream {name!r} aligns to the end of {a.to!r}, which is read in blocks (its end is unknown)",
            "anchor it at the start instead",
        )
    anchor = int(ref[0] if a.anchor == "start" else ref[-1]) + round(a.offset_s * 1e9)
    own = read[name].t_ns
    placed = own - own[0] + anchor
    start_at = f"start_at {a.to}:{a.anchor}{a.offset_s:+g}s"
    if a.mode == "start_at":
        return placed, {"align": start_at, "offset_ns": int(anchor - own[0]),
                        **assumed_clock(placed, ref, f"placed at {a.to}'s {a.anchor} (align mode start_at)")}
    try:
        off = event_offset(read[a.to], ref, read[name], placed, a)  # type: ignore[index]
    except AlignmentError as exc:
        if a.on_failure == "fail":
            raise ImportSourceError(
                f"{read[name].origin}: cannot align stream {name!r} on {a.to}.{a.channel}: {exc}",
                "check the recording, or set align.on_failure: assumed in the mapping",
            ) from None
        return placed, {"align": start_at, "offset_ns": int(anchor - own[0]),
                        **assumed_clock(placed, ref, f"event not found ({exc}); placed at {a.to}'s {a.anchor}")}
    return placed + off.offset_ns, {"align": f"event {a.to}.{a.channel} ({'+'.join(a.events)})",
                                    "offset_ns": int(anchor - own[0] + off.offset_ns), **event_clock(off)}


def _read_whole(s: SourceStream) -> None:
    """Decode the rest of a stream read in blocks into memory (its data and times become whole)."""
    assert s.more is not None
    blocks = [(s.data, s.t_ns), *s.more()]
    s.data = np.concatenate([d for d, _ in blocks])
    s.t_ns = np.concatenate([t for _, t in blocks])
    s.more = None


def _manifest(
    mapping: ImportMapping,
    run_id: str,
    groups: dict[str, str],
    t0: int,
    notes: str,
    labels: dict[str, object],
) -> RunManifest:
    fields = {k: render(v, groups) for k, v in mapping.run.manifest.items()}
    weld: dict[str, object] = {k: render(v, groups) for k, v in mapping.run.weld.items()}
    for field_name, value in manifest_fields(mapping, labels).items():
        weld.setdefault(field_name, value)
    try:
        return RunManifest(
            run_id=run_id,
            start_utc=datetime.fromtimestamp(t0 / 1e9, UTC),
            notes=notes,
            welds=[WeldPlan(weld_id=0, **{k: v for k, v in weld.items() if v is not None})],
            **{k: v for k, v in fields.items() if v is not None},
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ImportSourceError(
            f"mapping {mapping.name}: manifest field {'.'.join(map(str, err['loc']))}: {err['msg']}",
            "fix run.manifest / run.weld in the mapping",
        ) from None


def _spec(m: StreamMapping, s: SourceStream) -> StreamSpec:
    return StreamSpec(
        name=m.name,
        kind=m.kind,
        device=f"import:{Path(s.origin).name}",
        driver=f"import-{m.reader}",
        dtype=str(s.data.dtype),
        sample_shape=tuple(s.data.shape[1:]),
        channels=s.channels,
        units=s.units,
        calibration=s.calibration,
        nominal_rate_hz=max(s.rate_hz, 1e-6),
        clock=_CLOCK[m.reader],
    )


def _write_atomically(
    mapping: ImportMapping,
    read: dict[str, SourceStream],
    rel: dict[str, np.ndarray],
    clock_notes: dict[str, dict[str, object]],
    manifest: RunManifest,
    out: Path,
    final: Path,
    attachments: list[RunAttachment],
) -> dict[str, int]:
    """Write under a temporary folder next to the destination, then rename: all or nothing."""
    by_name = {m.name: m for m in mapping.streams}
    specs = [_spec(by_name[n], s) for n, s in read.items()]
    tmp = out / f".importing-{manifest.run_id}-{uuid.uuid4().hex[:8]}"
    samples: dict[str, int] = {}
    try:
        writer = RunWriter.create(tmp, manifest, specs)
        for n, s in read.items():
            app = writer.streams[n]
            shift = int(rel[n][0] - s.t_ns[0])  # file time -> run time
            app.append(s.data, rel[n].astype(np.int64), np.arange(len(s.data), dtype=np.int64))
            count = len(s.data)
            for frames, t_ns in s.more() if s.more is not None else ():
                app.append(frames, t_ns + shift, np.arange(count, count + len(frames), dtype=np.int64))
                count += len(frames)
            samples[n] = count
            # No clock was fitted: a residual appears only where an event offset was measured.
            fit = {"source": f"import:{by_name[n].time.source}", "file": Path(s.origin).name, **clock_notes[n]}
            writer.write_clock(n, fit, np.zeros(0, np.int64))
        for att in attachments:
            write_attachment(writer.group, att.meta, att.data)
        base = next((n for n, c in clock_notes.items() if c.get("uncertainty_ns") == 0
                     and c.get("alignment") == "wall_clock"), None)
        writer.set_clock_attrs(None, {"time_base": f"wall_clock:{base} (its first sample is 0)"})
        writer.finalize("imported")
        staged = Path(run_uri(tmp, manifest.run_id))
        if final.exists():
            final.rename(tmp / "replaced.zarr")
        staged.rename(final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return samples


def import_run(
    mapping: ImportMapping,
    folder: str | Path,
    out: str | Path,
    *,
    run_id: str | None = None,
    labels_path: str | Path | None = None,
    overwrite: bool = False,
) -> ImportResult:
    """Import one run folder. The store appears complete under ``out`` or not at all."""
    started = time.perf_counter()
    folder = Path(folder)
    if not folder.is_dir():
        raise ImportSourceError(f"{folder}: not a folder", "pass the folder that holds one run's files")
    groups = path_groups(mapping, folder)
    if run_id:
        groups["run_id"] = run_id
    try:
        rid = validate_run_id(str(render(mapping.run.run_id, groups)))
    except ImportSourceError:
        raise ImportSourceError(
            f"{folder}: path does not match run.pattern of {mapping.name} and no run id given",
            "pass --run-id, or fix run.pattern",
        ) from None
    out = Path(out)
    final = Path(run_uri(out, rid))
    if final.exists() and not overwrite:
        raise RunIdError(f"run {rid} already exists at {final}", "pass --overwrite to replace it, or pick a run id")

    read: dict[str, SourceStream] = {}
    try:
        for m in mapping.streams:
            if (s := _read_stream(folder, m, groups)) is not None:
                read[m.name] = s
                if m.align.mode == "event" and s.more is not None:
                    _read_whole(s)  # the event may be anywhere in it: it is found before anything is written
        attachments = [a for am in mapping.attachments for a in read_attachments(folder, am, groups)]
        t0, rel, clock_notes = align_streams(mapping, read)
        rendered = ((k, render(v, groups)) for k, v in mapping.run.labels.items())
        labels: dict[str, object] = {k: v for k, v in rendered if v is not None}
        notes = "; ".join(
            [f"imported from {folder.name} with mapping {mapping.name}"]
            + [f"{n}: {s.note}" for n, s in read.items() if s.note]
        )
        manifest = _manifest(mapping, rid, groups, t0, notes, labels)
        samples = _write_atomically(mapping, read, rel, clock_notes, manifest, out, final, attachments)
    finally:
        for s in read.values():
            if s.close is not None:
                s.close()

    if labels and labels_path is not None:
        merge_labels_jsonl(labels_path, [import_label_record(rid, 0, labels, mapping, folder, groups)])
    return ImportResult(
        run_id=rid,
        uri=str(final),
        samples=samples,
        labels=labels,
        seconds=time.perf_counter() - started,
        alignment={n: describe_alignment(c) for n, c in clock_notes.items()},
        attachments=len(attachments),
    )
