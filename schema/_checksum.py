"""The checksum manifest that makes "raw stays raw" checkable."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ._errors import StoreError
from ._location import fs_and_root, write_bytes
from ._shard_io import Stamp
from ._store_layout import CHECKSUMS, CHECKSUMS_DOC, is_url
from ._store_lock import LOCK_FILE

# Not part of the raw data: the manifest itself (and its temp file) and the writer's lock file.
_UNHASHED = (f"{CHECKSUMS}/", LOCK_FILE)
BLOCK = 1 << 22


def hash_threads(uri: str) -> int:
    """Files hashed at once: hashlib and reads release the GIL, so threads use every core (and keep a few
    requests in flight to object storage, where each read waits on the network)."""
    cores = os.cpu_count() or 1
    return min(32, 4 * cores) if is_url(uri) else cores + 1


def sha256_file(fs, path: str) -> str:  # type: ignore[no-untyped-def]
    h = hashlib.sha256()
    with fs.open(path, "rb") as f:
        while block := f.read(BLOCK):
            h.update(block)
    return h.hexdigest()


def hash_files(uri: str, known: Mapping[str, tuple[str, Stamp]] | None = None) -> dict[str, str]:
    """sha256 of every file of the store, several at a time.

    ``known`` holds checksums the shard writer took as it wrote (path -> (hash, file stamp then)); a local
    file whose size, mtime and inode still match its stamp is not read again. So finalize reads only what
    was written otherwise (metadata, tables, the last partial shard of each array, rewritten times), and its
    cost does not grow with the recording's length.
    """
    fs, root = fs_and_root(uri)
    rels = [p[len(root) + 1 :] for p in fs.find(root)]
    rels = sorted(r for r in rels if not r.startswith(_UNHASHED))
    out: dict[str, str] = {}
    todo: list[str] = []
    for rel in rels:
        hit = (known or {}).get(rel)
        if hit is not None and not is_url(uri):
            try:
                st = os.stat(f"{root}/{rel}")
            except FileNotFoundError:
                st = None
            if st is not None and (st.st_size, st.st_mtime_ns, st.st_ino) == hit[1]:
                out[rel] = hit[0]
                continue
        todo.append(rel)
    if todo:
        with ThreadPoolExecutor(min(len(todo), hash_threads(uri)), thread_name_prefix="weldctl-hash") as ex:
            out.update(zip(todo, ex.map(lambda rel: sha256_file(fs, f"{root}/{rel}"), todo), strict=True))
    return dict(sorted(out.items()))


def write_checksums(uri: str, known: Mapping[str, tuple[str, Stamp]] | None = None) -> int:
    files = hash_files(uri, known)
    doc = {"zarr_format": 3, "node_type": "group", "attributes": {"algorithm": "sha256", "files": files}}
    # One whole file (temp + rename locally): a manifest is complete or absent, never half-written.
    write_bytes(f"{str(uri).rstrip('/')}/{CHECKSUMS_DOC}", json.dumps(doc, indent=0, sort_keys=True).encode())
    return len(files)


@dataclass
class VerifyReport:
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # what the store's contents contradict (see _semantic)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.changed or self.added or self.problems)


def _manifest_files(uri: str) -> dict[str, object] | None:
    """The checksum manifest's map of file to hash; None when there is none or it is unreadable
    (UnicodeDecodeError is a ValueError)."""
    fs, root = fs_and_root(uri)
    try:
        with fs.open(f"{root}/{CHECKSUMS_DOC}", "r") as f:
            files = json.load(f)["attributes"]["files"]
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None
    return files if isinstance(files, dict) else None


def has_checksums(uri: str) -> bool:
    """True when the store has a complete checksum manifest (finalize got to its last step)."""
    return _manifest_files(uri) is not None


def listed_files(uri: str) -> list[str]:
    """Files the checksum manifest lists ([] when there is none or it is unreadable: verify reports that)."""
    return list(_manifest_files(uri) or {})


def content_fingerprint(uri: str) -> str | None:
    """A digest of a finalized store's whole content (its checksum manifest); None before finalize.

    Run stores never change once finalized, so anything derived from one can be cached under this digest.
    """
    files = _manifest_files(uri)
    return None if files is None else hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()


def verify_checksums(uri: str) -> VerifyReport:
    fs, root = fs_and_root(uri)
    try:
        with fs.open(f"{root}/{CHECKSUMS_DOC}", "r") as f:
            expected: dict[str, str] = json.load(f)["attributes"]["files"]
        if not isinstance(expected, dict) or not all(isinstance(v, str) for v in expected.values()):
            raise TypeError("files is not a map of path to hash")
    except FileNotFoundError:
        raise StoreError(
            f"{uri} has no checksum manifest: it was never finalized",
            f"run `weldctl recover {uri}` to finalize it",
        ) from None
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise StoreError(f"the checksum manifest of {uri} ({CHECKSUMS_DOC}) is corrupt: {exc}",
                         "the store was modified after it was finalized: restore it from a copy") from None
    actual = hash_files(uri)
    return VerifyReport(
        checked=len(expected),
        missing=sorted(set(expected) - set(actual)),
        changed=sorted(k for k in expected.keys() & actual.keys() if expected[k] != actual[k]),
        added=sorted(set(actual) - set(expected)),
    )
