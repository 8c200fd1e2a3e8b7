"""Incremental push: a weld's CSV and PNGs are rendered again only when something they show changed.

Next to each weld's media a small JSON sidecar records the key it was rendered for (the run store's content
digest, the window, the channels, the render settings) and a SHA-256 of every file. A later push with the
same key and intact files reuses them; anything else (new settings, a file edited or removed) renders again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from weldctl.schema import RunReader, content_fingerprint

from ._config import SignalColumn
from ._media import WeldMedia, WeldWindow, render_weld

# Bump when render_weld writes different bytes for the same inputs, so old media are not reused.
RENDER_VERSION = 3  # 3: captions (spectra) kept with the media


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def media_key(fingerprint: str, win: WeldWindow, columns: list[SignalColumn], image_streams: list[str],
              max_points: int, keyframes: int) -> str:
    doc = {"render": RENDER_VERSION, "run": fingerprint, "window": asdict(win),
           "columns": [asdict(c) for c in columns], "images": image_streams,
           "max_points": max_points, "keyframes": keyframes}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def _sidecar(out_dir: Path, weld_id: int) -> Path:
    return out_dir / f"w{weld_id:04d}.media.json"


def _reuse(sidecar: Path, key: str) -> WeldMedia | None:
    try:
        doc: dict[str, Any] = json.loads(sidecar.read_text())
    except (OSError, ValueError):
        return None
    if doc.get("key") != key:
        return None
    out = sidecar.parent
    files = doc.get("files", {})
    if not files or any(_sha256(out / name) != digest for name, digest in files.items()):
        return None  # a file was removed or changed since: render again
    return WeldMedia(csv=out / doc["csv"], rows=int(doc["rows"]), bin_ns=float(doc["bin_ns"]),
                     images={s: out / name for s, name in doc["images"].items()},
                     frame_times_ns={s: [int(t) for t in ts] for s, ts in doc["frame_times_ns"].items()},
                     captions={s: str(c) for s, c in doc.get("captions", {}).items()})


def _remember(sidecar: Path, key: str, media: WeldMedia) -> None:
    paths = [media.csv, *media.images.values()]
    doc = {"key": key, "csv": media.csv.name, "rows": media.rows, "bin_ns": media.bin_ns,
           "images": {s: p.name for s, p in media.images.items()}, "frame_times_ns": media.frame_times_ns,
           "captions": media.captions, "files": {p.name: _sha256(p) for p in paths}}
    tmp = sidecar.with_name(f".{sidecar.name}.partial")
    tmp.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    tmp.replace(sidecar)  # written last: a sidecar never vouches for files that are not all there


def weld_media(reader: RunReader, win: WeldWindow, columns: list[SignalColumn], image_streams: list[str],
               out_dir: Path, max_points: int, keyframes: int) -> tuple[WeldMedia, bool]:
    """The weld's media and whether they were rendered now (False: reused from an earlier push)."""
    fingerprint = content_fingerprint(reader.uri)  # None for a store never finalized: always render
    sidecar = _sidecar(out_dir, win.weld_id)
    key = None
    if fingerprint is not None:
        key = media_key(fingerprint, win, columns, image_streams, max_points, keyframes)
        reused = _reuse(sidecar, key)
        if reused is not None:
            return reused, False
    media = render_weld(reader, win, columns, image_streams, out_dir, max_points, keyframes)
    if key is not None:
        _remember(sidecar, key, media)
    return media, True
