"""An S3-compatible server on 127.0.0.1 (moto in server mode).

With ``auth=True`` moto checks credentials: it skips auth only for the first few requests
(INITIAL_NO_AUTH_ACTION_COUNT), which create an IAM user with a key, so wrong credentials really
fail. Moto's signature check rejects valid ListObjectsV2 requests (getmoto/moto#5948), so data-path
tests use a server without auth and only the credential tests use the checking one.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.peers._process import free_port, stop_process


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    key: str
    secret: str
    bucket: str

    @property
    def env(self) -> dict[str, str]:
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": self.key,
                "AWS_SECRET_ACCESS_KEY": self.secret, "AWS_DEFAULT_REGION": "us-east-1"}

    def client(self):  # type: ignore[no-untyped-def]
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=self.key, aws_secret_access_key=self.secret)


def _moto_command() -> list[str]:
    exe = shutil.which("moto_server") or str(Path(sys.executable).with_name("moto_server"))
    return [exe] if Path(exe).exists() else [sys.executable, "-m", "moto.server"]


@contextmanager
def moto_s3(bucket: str = "weld-data", *, auth: bool = False) -> Iterator[S3Server]:
    import boto3

    port = free_port()
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "3"} if auth else dict(os.environ)
    proc = subprocess.Popen([*_moto_command(), "-H", "127.0.0.1", "-p", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)
        iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
        iam.create_user(UserName="weld-lab")
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        iam.put_user_policy(UserName="weld-lab", PolicyName="all", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName="weld-lab")["AccessKey"]
        server = S3Server(endpoint, key["AccessKeyId"], key["SecretAccessKey"], bucket)
        server.client().create_bucket(Bucket=bucket)
        yield server
    finally:
        stop_process(proc)
