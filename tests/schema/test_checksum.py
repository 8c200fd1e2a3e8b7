"""The checksum manifest from hashes taken as shards are written: equal to hashlib over the files, finalize
does not read them back, recovery still gets every file right, verify catches a changed shard."""

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest

from tests.schema.small_stream import CAM
from weldctl.schema import (
    CHECKSUMS,
    RunManifest,
    RunWriter,
    verify_checksums,
)
from weldctl.schema import _checksum as checksum_module
from weldctl.schema._store_layout import CHECKSUMS_DOC


def _frames(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, (n, 16, 16), dtype=np.uint8)


def _write(tmp_path: Path, n: int, adaptive: bool = False) -> RunWriter:
    w = RunWriter.create(tmp_path, RunManifest(run_id="H1"), [CAM])
    w.pool.adaptive = adaptive  # not adaptive: no shortcut under pressure, every whole shard is hashed
    app = w.streams["cam"]
    for i in range(0, n, 7):
        k = min(7, n - i)
        app.append(_frames(n)[i : i + k], np.arange(i, i + k) * 10, np.arange(i, i + k))
        w.checkpoint(0.0)  # partial shards rewritten as they grow, like a recording
    w.flush()
    return w


def _manifest(uri: str) -> dict[str, str]:
    return json.loads((Path(uri) / CHECKSUMS_DOC).read_text())["attributes"]["files"]


def _on_disk(uri: str) -> dict[str, str]:
    root = Path(uri)
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.relative_to(root).as_posix().startswith((f"{CHECKSUMS}/", ".weldctl"))
    }


def test_hashes_taken_while_writing_equal_hashlib_over_the_files(tmp_path: Path) -> None:
    w = _write(tmp_path, 100)
    shard = w.streams["cam"].shard
    assert 100 // shard >= 2  # several whole shards, and a partial one
    whole = {k: v for k, v in w.pool.hashes.items() if "/data/c/" in k}
    assert len(whole) == 100 // shard  # only whole shards: the partial last one is left to finalize
    root = Path(w.uri)
    for key, (digest, _stamp) in whole.items():
        assert digest == hashlib.sha256((root / key).read_bytes()).hexdigest()
    w.finalize()
    assert _manifest(w.uri) == _on_disk(w.uri)
    assert verify_checksums(w.uri).ok


def test_finalize_reads_only_what_the_writer_did_not_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    w = _write(tmp_path, 200)
    shard = w.streams["cam"].shard
    assert 200 % shard  # a partial last shard
    read: list[str] = []
    real = checksum_module.sha256_file
    monkeypatch.setattr(checksum_module, "sha256_file", lambda fs, path: read.append(path) or real(fs, path))
    w.finalize()
    frames_read = {p.split("/cam/data/", 1)[1] for p in read if "/cam/data/c/" in p}
    assert frames_read == {f"c/{200 // shard}/0/0"}  # of the frames, only the partial last shard is read
    assert _manifest(w.uri) == _on_disk(w.uri)


def test_shards_left_unhashed_under_pressure_are_hashed_at_finalize(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from weldctl.schema._shard_writer import WriterPool

    monkeypatch.setattr(WriterPool, "under_pressure", property(lambda self: True))
    w = _write(tmp_path, 100, adaptive=True)
    assert not [k for k in w.pool.hashes if "/data/c/" in k]  # the compressors were "behind": no checksums
    w.finalize()
    assert _manifest(w.uri) == _on_disk(w.uri)


def test_a_file_rewritten_after_it_was_hashed_is_hashed_again(tmp_path: Path) -> None:
    w = _write(tmp_path, 100)
    key = next(k for k in w.pool.hashes if "/data/c/0/" in k)
    path = Path(w.uri) / key
    data = bytearray(path.read_bytes())
    data[20] ^= 0xFF
    os.unlink(path)  # a writer other than the shard writer (new inode, same size)
    path.write_bytes(bytes(data))
    w.finalize()
    assert _manifest(w.uri)[key] == hashlib.sha256(bytes(data)).hexdigest()


def test_recovered_store_gets_a_correct_manifest(tmp_path: Path) -> None:
    """Shards written but never hashed into a manifest (a killed recorder): recovery hashes them all."""
    w = _write(tmp_path, 100)
    w.pool.close()
    w.unlock()  # the recorder dies here: no finalize, the pool's hashes are gone with it
    r = RunWriter.reopen(w.uri)
    r.finalize("recovered")
    assert _manifest(w.uri) == _on_disk(w.uri)
    assert verify_checksums(w.uri).ok


def test_verify_detects_a_corrupted_shard_reading_in_parallel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    w = _write(tmp_path, 100)
    w.finalize()
    shard = next(p for p in (Path(w.uri) / "streams" / "cam" / "data" / "c").rglob("*") if p.is_file())
    os.chmod(shard, 0o644)
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0x01
    shard.write_bytes(bytes(data))
    import threading

    threads: set[str] = set()
    real = checksum_module.sha256_file
    monkeypatch.setattr(
        checksum_module, "sha256_file", lambda fs, path: threads.add(threading.current_thread().name) or real(fs, path)
    )
    rep = verify_checksums(w.uri)
    assert rep.changed == [shard.relative_to(w.uri).as_posix()]
    assert all(t.startswith("weldctl-hash") for t in threads)
