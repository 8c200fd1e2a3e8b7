"""Run attachments: files that belong to a run but not to its time base (photos of the finished part,
reports). Each is stored byte for byte under ``attachments/<name>/<index>`` as a 1-D uint8 array whose
attrs say what it is, when it was captured and where it came from, so plain zarr can read it back.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import zarr
from pydantic import BaseModel, ConfigDict, Field

from ._store_layout import ATTACHMENTS

ATTACHMENT_ATTR = "attachment"


class Attachment(BaseModel):
    """What one attached file is. Its bytes are the array it describes."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="the attachment group, e.g. 'stills'")
    index: int = Field(ge=0, description="position in capture-time order within the group")
    file_name: str
    media_type: str = Field(description="e.g. image/jpeg")
    captured_utc: datetime | None = Field(description="its own capture time; None when the source has none")
    origin: str = Field(description="where it was imported from (source path relative to the run folder)")
    sha256: str
    size: int = Field(ge=0)
    shows_outcome: bool = Field(description="it shows the weld's result, so it can give the label away")
    description: str = ""


def write_attachment(group: zarr.Group, meta: Attachment, data: bytes) -> None:
    """One attached file, written whole; the attrs (its description) go last."""
    g = group.require_group(ATTACHMENTS).require_group(meta.name)
    arr = g.create_array(str(meta.index), data=np.frombuffer(data, dtype=np.uint8), dimension_names=["byte"],
                         overwrite=True)
    arr.attrs[ATTACHMENT_ATTR] = meta.model_dump(mode="json")


def read_attachments(group: zarr.Group) -> list[Attachment]:
    """Every attachment of a run, by name then index (none when the run has none)."""
    if ATTACHMENTS not in group:
        return []
    out = []
    folder = group[ATTACHMENTS]
    assert isinstance(folder, zarr.Group)
    for _name, g in sorted(folder.groups()):
        for _key, arr in g.arrays():
            out.append(Attachment.model_validate(arr.attrs[ATTACHMENT_ATTR]))
    return sorted(out, key=lambda a: (a.name, a.index))


def attachment_bytes(group: zarr.Group, name: str, index: int) -> bytes:
    folder = group[ATTACHMENTS]
    assert isinstance(folder, zarr.Group)
    files = folder[name]
    assert isinstance(files, zarr.Group)
    arr = files[str(index)]
    assert isinstance(arr, zarr.Array)
    return bytes(np.asarray(arr[:], dtype=np.uint8))
