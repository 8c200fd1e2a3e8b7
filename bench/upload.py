"""`weldctl upload` against a reference S3 tool, on one S3-compatible server on 127.0.0.1 (moto).

One finalized store is uploaded by: weldctl (several files in flight, each checked against the run's checksum
manifest as it is read; then, separately timed, every file read back and verified), weldctl one file at a time
(what upload did before), and `aws s3 cp --recursive` (awscli: 10 requests in flight, multipart above 8 MB, no
checksum check against our manifest), when installed. The server keeps objects in memory, so each upload is
deleted before the next.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from unittest import mock

from weldctl.daq import finalize_run
from weldctl.schema import upload_run, verify_checksums

from ._harness import scratch
from .finalize import make_store

REPS = 3


def _aws(src: str, dest: str, env: dict[str, str], endpoint: str) -> float | None:
    exe = shutil.which("aws")
    if exe is None:
        return None
    t0 = time.perf_counter()
    subprocess.run(
        [exe, "s3", "cp", "--recursive", "--only-show-errors", "--endpoint-url", endpoint, src, dest],
        check=True,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - t0


def run(quick: bool, base: str = ".bench-tmp") -> str:
    import fsspec

    from tests.peers.s3 import moto_s3

    gb = 0.3 if quick else 2.0
    reps = 1 if quick else REPS
    load0 = os.getloadavg()[0]
    times: dict[str, list[float]] = {
        "weldctl": [],
        "weldctl, one file at a time": [],
        "aws s3 cp": [],
        "verify at the destination": [],
    }
    with scratch(base, "upload") as out, moto_s3("bench-upload") as s3, mock.patch.dict(os.environ, s3.env):
        w, _ = make_store(out, gb)
        finalize_run(w)
        size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(w.uri) for f in fs)
        n_files = sum(len(fs) for _, _, fs in os.walk(w.uri))
        fsspec.filesystem("s3").clear_instance_cache()
        fs = fsspec.filesystem("s3")
        for rep in range(reps):
            for how, threads in (("weldctl", 8), ("weldctl, one file at a time", 1)):
                prefix = f"s3://{s3.bucket}/{rep}-{threads}"
                t0 = time.perf_counter()
                dest = upload_run(w.uri, prefix, threads=threads, verify_remote=False)
                times[how].append(time.perf_counter() - t0)
                if threads > 1:
                    t0 = time.perf_counter()
                    assert verify_checksums(dest).ok
                    times["verify at the destination"].append(time.perf_counter() - t0)
                fs.rm(prefix, recursive=True)
            t_aws = _aws(w.uri, f"s3://{s3.bucket}/aws-{rep}/", s3.env, s3.endpoint)
            if t_aws is not None:
                times["aws s3 cp"].append(t_aws)
                fs.rm(f"s3://{s3.bucket}/aws-{rep}", recursive=True)
        for dirpath, _, _ in os.walk(w.uri):
            os.chmod(dirpath, 0o755)
    ref = min(times["aws s3 cp"]) if times["aws s3 cp"] else None
    rows = []
    for how, ts in times.items():
        if not ts:
            rows.append(f"| {how} | not installed | | |")
            continue
        best = min(ts)
        vs = f"{best / ref:.2f}x" if ref and how != "verify at the destination" else "-"
        rows.append(f"| {how} | {best:.2f} | {size / best / 1e6:,.0f} | {vs} |")
    return "\n".join(
        [
            "## Upload to object storage",
            "",
            f"One finalized store ({size / 1e9:.2f} GB in {n_files:,} files; {gb:g} GB of raw camera frames) to a "
            f"local S3 server (moto on 127.0.0.1); best of {reps}. Load average at start: {load0:.1f}.",
            "",
            "| how | s | MB/s | / aws s3 cp |",
            "|---|---:|---:|---:|",
            *rows,
            "",
            "`weldctl upload` = the weldctl row + the verify row (it reads every file back by default). moto, a "
            "Python server, is the bottleneck of every row here; against a real object store the concurrency "
            "matters more.",
            "",
        ]
    )


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv))
