"""Run attachments at import: files kept byte for byte, with their own capture time and origin."""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from weldctl.schema import Attachment, AttachmentMapping, ImportSourceError

from ._read_images import check_image_file
from ._source import file_times


@dataclass
class RunAttachment:
    meta: Attachment
    data: bytes


def read_attachments(folder: Path, m: AttachmentMapping, groups: dict[str, str]) -> list[RunAttachment]:
    try:
        rel = m.file.format(**groups)
    except KeyError as exc:
        raise ImportSourceError(f"attachment {m.name!r}: file {m.file!r} uses {exc}, not captured by run.pattern",
                                "fix the mapping") from None
    paths = sorted(folder.glob(rel))
    if not paths:
        if m.optional:
            return []
        raise ImportSourceError(f"{folder / rel}: no files for attachment {m.name!r}",
                                "check the folder or mark the attachment optional")
    stamps = file_times(paths, m.time, str(folder)) if m.time is not None else [None] * len(paths)
    order = sorted(range(len(paths)), key=lambda i: (stamps[i] is None, stamps[i] or 0, paths[i].name))
    out = []
    for index, i in enumerate(order):
        p = paths[i]
        data = p.read_bytes()
        check_image_file(p, data)
        media = mimetypes.guess_type(p.name)[0] or "application/octet-stream"
        t = stamps[i]
        out.append(RunAttachment(Attachment(
            name=m.name, index=index, file_name=p.name, media_type=media,
            captured_utc=None if t is None else datetime.fromtimestamp(int(t) / 1e9, UTC),
            origin=p.relative_to(folder).as_posix(), sha256=hashlib.sha256(data).hexdigest(), size=len(data),
            shows_outcome=m.shows_outcome, description=m.description,
        ), data))
    return out
