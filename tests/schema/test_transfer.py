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
