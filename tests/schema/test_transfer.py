"""Uploading runs to object storage and reading them back from it (real S3 API, moto server)."""

import numpy as np
import pytest

from weldctl.schema import RunReader, StoreError, upload_run, verify_checksums

pytestmark = pytest.mark.integration


def test_upload_then_read_from_s3_equals_local(sim_run_3s: str, s3_env) -> None:  # type: ignore[no-untyped-def]
    dest = upload_run(sim_run_3s, f"s3://{s3_env.bucket}/runs")
    assert dest == f"s3://{s3_env.bucket}/runs/R3S.zarr"
    assert verify_checksums(dest).ok
    local, remote = RunReader(sim_run_3s), RunReader(dest)
    assert remote.manifest == local.manifest
    for name in local.specs:
        assert np.array_equal(remote.t_ns(name), local.t_ns(name))
    assert np.array_equal(remote.data("oct")[:], local.data("oct")[:])
    assert remote.truth("welds")["weld_id"].tolist() == local.truth("welds")["weld_id"].tolist()


def test_wrong_credentials_one_clear_error_nothing_written(  # type: ignore[no-untyped-def]
    sim_run_3s: str, s3_server_with_auth, monkeypatch
) -> None:
    import fsspec

    srv = s3_server_with_auth
    for k, v in srv.env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIANOTAKEY000000000")
    fsspec.filesystem("s3").clear_instance_cache()
    with pytest.raises(StoreError) as exc:
        upload_run(sim_run_3s, f"s3://{srv.bucket}/wrong-creds")
    assert "AWS_ACCESS_KEY_ID" in str(exc.value) and "not-the-secret" not in str(exc.value)
    # Moto cannot list under auth (see tests/peers/s3.py); a HEAD on the would-be manifest is enough.
    import botocore.exceptions

    with pytest.raises(botocore.exceptions.ClientError, match="404"):
        srv.client().head_object(Bucket=srv.bucket, Key="wrong-creds/R3S.zarr/zarr.json")


def test_unreachable_endpoint(sim_run_3s: str, s3_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import fsspec

    from tests.peers._process import free_port

    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    fsspec.filesystem("s3").clear_instance_cache()
    with pytest.raises(StoreError, match="unreachable"):
        upload_run(sim_run_3s, f"s3://{s3_env.bucket}/nowhere")


def test_upload_sends_several_files_at_once_and_round_trips(  # type: ignore[no-untyped-def]
    sim_run_3s: str, s3_env, monkeypatch
) -> None:
    import threading

    import fsspec

    from weldctl.schema import _transfer

    names: set[str] = set()
    real = _transfer._send

    def send(*args):  # type: ignore[no-untyped-def]
        names.add(threading.current_thread().name)
        return real(*args)

    monkeypatch.setattr(_transfer, "_send", send)
    dest = upload_run(sim_run_3s, f"s3://{s3_env.bucket}/concurrent", threads=4)
    assert len(names) > 1 and all(n.startswith("weldctl-upload") for n in names)
    # What s3fs reads back is, byte for byte, what the run's manifest lists.
    fs = fsspec.filesystem("s3")
    local = verify_checksums(sim_run_3s)
    assert local.ok and verify_checksums(dest).checked == local.checked
    remote = fs.cat_file(f"{dest}/streams/oct/data/zarr.json")
    assert remote == (__import__("pathlib").Path(sim_run_3s) / "streams/oct/data/zarr.json").read_bytes()


def test_a_damaged_local_copy_is_refused_and_never_looks_uploaded(  # type: ignore[no-untyped-def]
    sim_run_3s: str, s3_env, tmp_path
) -> None:
    import os
    import shutil
    from pathlib import Path

    import fsspec

    from weldctl.schema._store_layout import CHECKSUMS_DOC

    copy = tmp_path / "R3S.zarr"
    shutil.copytree(sim_run_3s, copy)
    shard = next(p for p in sorted((copy / "streams" / "camera" / "data" / "c").rglob("*")) if p.is_file())
    os.chmod(shard, 0o644)
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0x01
    shard.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="damaged"):
        upload_run(str(copy), f"s3://{s3_env.bucket}/damaged")
    fs = fsspec.filesystem("s3")
    assert not fs.exists(f"{s3_env.bucket}/damaged/R3S.zarr/{CHECKSUMS_DOC}")
    assert Path(sim_run_3s).exists()
