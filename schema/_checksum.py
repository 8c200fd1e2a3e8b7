"""The checksum manifest that makes "raw stays raw" checkable."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from ._errors import StoreError
from ._location import fs_and_root, write_bytes
from ._store_layout import CHECKSUMS, CHECKSUMS_DOC
from ._store_lock import LOCK_FILE

# Not part of the raw data: the manifest itself (and its temp file) and the writer's lock file.
_UNHASHED = (f"{CHECKSUMS}/", LOCK_FILE)


def _hash_files(uri: str) -> dict[str, str]:
    fs, root = fs_and_root(uri)
    out: dict[str, str] = {}
    for path in sorted(fs.find(root)):
        rel = path[len(root) + 1 :]
        if rel.startswith(_UNHASHED):
            continue
        h = hashlib.sha256()
        with fs.open(path, "rb") as f:
            while block := f.read(1 << 22):
                h.update(block)
        out[rel] = h.hexdigest()
    return out


def write_checksums(uri: str) -> int:
    files = _hash_files(uri)
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
    actual = _hash_files(uri)
    return VerifyReport(
        checked=len(expected),
        missing=sorted(set(expected) - set(actual)),
        changed=sorted(k for k in expected.keys() & actual.keys() if expected[k] != actual[k]),
        added=sorted(set(actual) - set(expected)),
    )
