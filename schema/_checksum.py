"""The checksum manifest that makes "raw stays raw" checkable."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from ._errors import StoreError
from ._location import fs_and_root
from ._store_layout import CHECKSUMS_DOC


def _hash_files(uri: str) -> dict[str, str]:
    fs, root = fs_and_root(uri)
    out: dict[str, str] = {}
    for path in sorted(fs.find(root)):
        rel = path[len(root) + 1 :]
        if rel == CHECKSUMS_DOC:
            continue
        h = hashlib.sha256()
        with fs.open(path, "rb") as f:
            while block := f.read(1 << 22):
                h.update(block)
        out[rel] = h.hexdigest()
    return out


def write_checksums(uri: str) -> int:
    files = _hash_files(uri)
    fs, root = fs_and_root(uri)
    doc = {"zarr_format": 3, "node_type": "group", "attributes": {"algorithm": "sha256", "files": files}}
    fs.makedirs(f"{root}/{CHECKSUMS_DOC.rsplit('/', 1)[0]}", exist_ok=True)
    with fs.open(f"{root}/{CHECKSUMS_DOC}", "w") as f:
        json.dump(doc, f, indent=0, sort_keys=True)
    return len(files)


@dataclass
class VerifyReport:
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.changed or self.added)


def has_checksums(uri: str) -> bool:
    """True when the store has a complete checksum manifest (finalize got to its last step)."""
    fs, root = fs_and_root(uri)
    try:
        with fs.open(f"{root}/{CHECKSUMS_DOC}", "r") as f:
            return isinstance(json.load(f)["attributes"]["files"], dict)
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return False


def content_fingerprint(uri: str) -> str | None:
    """A digest of a finalized store's whole content (its checksum manifest); None before finalize.

    Run stores never change once finalized, so anything derived from one can be cached under this digest.
    """
    fs, root = fs_and_root(uri)
    try:
        with fs.open(f"{root}/{CHECKSUMS_DOC}", "rb") as f:
            files = json.load(f)["attributes"]["files"]
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()


def verify_checksums(uri: str) -> VerifyReport:
    fs, root = fs_and_root(uri)
    try:
        with fs.open(f"{root}/{CHECKSUMS_DOC}", "r") as f:
            expected: dict[str, str] = json.load(f)["attributes"]["files"]
    except FileNotFoundError:
        raise StoreError(
            f"{uri} has no checksum manifest: it was never finalized",
            f"run `weldctl recover {uri}` to finalize it",
        ) from None
    actual = _hash_files(uri)
    return VerifyReport(
        checked=len(expected),
        missing=sorted(set(expected) - set(actual)),
        changed=sorted(k for k in expected.keys() & actual.keys() if expected[k] != actual[k]),
        added=sorted(set(actual) - set(expected)),
    )
