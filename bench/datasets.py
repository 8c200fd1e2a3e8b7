"""Dataset pipeline benchmark: `dvc repro` and `dvc pull` wall time against copying the same bytes.

Records >= 50 short sim runs (quick: 8), builds the dataset with the repository's dvc.yaml/params.yaml in a
scratch git+DVC repository, pushes it to a local remote, clones and pulls it elsewhere, and copies the remote
with plain file copies for the baseline.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _sh(cwd: Path, *args: str) -> float:
    env = dict(
        os.environ,
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        DVC_NO_ANALYTICS="1",
        GIT_AUTHOR_NAME="bench",
        GIT_AUTHOR_EMAIL="bench@example.org",
        GIT_COMMITTER_NAME="bench",
        GIT_COMMITTER_EMAIL="bench@example.org",
    )
    exe = shutil.which(args[0], path=env["PATH"]) or args[0]
    t0 = time.perf_counter()
    res = subprocess.run([exe, *args[1:]], cwd=cwd, env=env, capture_output=True, text=True)
    if res.returncode:
        raise RuntimeError(f"{' '.join(args)} failed: {res.stderr[-2000:]}")
    return time.perf_counter() - t0


def _tree(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def _ratio(a: float, b: float) -> str:
    return f"{a / max(b, 1e-9):.2f}x"


def _drop_caches(root: Path) -> None:
    """Evict a tree from the page cache (best effort), so pull and copy both read the remote from disk.
    Dirty pages cannot be dropped: the tree was just written, so write it back first."""
    os.sync()
    for p in root.rglob("*"):
        if p.is_file():
            try:
                fd = os.open(p, os.O_RDONLY)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                os.close(fd)
            except OSError:
                pass


def _pull_vs_copy(root: Path, repo: Path, target: str, reps: int = 3) -> tuple[float, float, float]:
    """Median wall times of `dvc pull TARGET` into a fresh clone, of copying the same files plainly (both
    reading the remote cold), and of the same pull again when there is nothing to fetch (DVC's fixed cost)."""
    pulls, copies, noops = [], [], []
    for k in range(reps):
        clone = root / f"pull-{target.replace('/', '-')}-{k}"
        _sh(root, "git", "clone", "-q", str(repo), clone.name)
        _drop_caches(root / "remote")
        pulls.append(_sh(clone, "dvc", "pull", "-q", target))
        noops.append(_sh(clone, "dvc", "pull", "-q", target))
        dest = root / f"copy-{target.replace('/', '-')}-{k}"
        _drop_caches(root / "remote")
        _drop_caches(repo / target)
        t0 = time.perf_counter()
        shutil.copytree(repo / target, dest)
        copies.append(time.perf_counter() - t0)
        shutil.rmtree(clone)
        shutil.rmtree(dest)
    return statistics.median(pulls), statistics.median(copies), statistics.median(noops)


def _pull_vs_get_s3(root: Path, repo: Path, target: str, reps: int = 3) -> tuple[float, float, float]:
    """The usual remote of an ML team is object storage: median wall times of `dvc pull TARGET` from an
    S3 remote and of downloading the same files plainly with s3fs, through the same S3 server (moto on
    127.0.0.1, started here); and the MB moved."""
    import s3fs

    from tests.peers.s3 import moto_s3

    with moto_s3("bench-dvc") as s3, mock.patch.dict(os.environ, s3.env):
        _sh(repo, "dvc", "remote", "add", "-f", "s3", f"s3://{s3.bucket}/dvc")
        _sh(repo, "dvc", "remote", "modify", "s3", "endpointurl", s3.endpoint)
        _sh(repo, "git", "commit", "-qam", "s3 remote")
        _sh(repo, "dvc", "push", "-q", "-r", "s3", "dataset")
        fs = s3fs.S3FileSystem(endpoint_url=s3.endpoint, key=s3.key, secret=s3.secret,
                               skip_instance_cache=True)
        fs.put(str(repo / target), f"{s3.bucket}/plain/{target}", recursive=True)
        pulls, gets = [], []
        for k in range(reps):
            clone = root / f"s3-pull-{k}"
            _sh(root, "git", "clone", "-q", str(repo), clone.name)
            pulls.append(_sh(clone, "dvc", "pull", "-q", "-r", "s3", target))
            dest = root / f"s3-get-{k}"
            t0 = time.perf_counter()
            fs.get(f"{s3.bucket}/plain/{target}", str(dest), recursive=True)
            gets.append(time.perf_counter() - t0)
            shutil.rmtree(clone)
            shutil.rmtree(dest)
    return statistics.median(pulls), statistics.median(gets), _tree(repo / target)[1] / 1e6


def _case(n_runs: int, cam: int) -> str:
    """Record, build, push and pull one dataset; its part of the section."""
    spec = importlib.util.spec_from_file_location("sim_runs", REPO / "scripts" / "sim_runs.py")
    assert spec and spec.loader
    sim = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sim)
    from weldctl.curation import labels_from_truth, list_runs
    from weldctl.schema import RunReader, write_labels

    with tempfile.TemporaryDirectory(prefix="bench-datasets-") as tmp:
        root = Path(tmp)
        repo = root / "repo"
        t0 = time.perf_counter()
        sim.record_sim_runs(repo / "runs", n_runs, camera_px=cam, camera_fps=1000.0)
        t_record = time.perf_counter() - t0
        write_labels(
            repo / "labels.jsonl",
            [rec for r in list_runs(repo / "runs") for rec in labels_from_truth(RunReader(str(r)))],
        )
        for f in ("dvc.yaml", "params.yaml"):
            shutil.copy(REPO / f, repo / f)
        _sh(repo, "git", "init", "-q", "-b", "main")
        _sh(repo, "dvc", "init", "-q")
        # As the Makefile sets it up: the workspace links to the cache instead of holding a second copy.
        _sh(repo, "dvc", "config", "cache.type", "reflink,hardlink,copy")
        _sh(repo, "dvc", "add", "-q", "runs")
        t_repro = _sh(repo, "dvc", "repro", "-q")
        t_noop = _sh(repo, "dvc", "repro", "-q")
        _sh(repo, "dvc", "remote", "add", "-d", "local", str(root / "remote"))
        _sh(repo, "git", "add", "-A")
        _sh(repo, "git", "commit", "-qm", "dataset")
        t_push = _sh(repo, "dvc", "push", "-q")
        _sh(root, "git", "clone", "-q", str(repo), "clone")
        t_pull = _sh(root / "clone", "dvc", "pull", "-q")
        t0 = time.perf_counter()
        shutil.copytree(root / "remote", root / "copy")
        t_copy = time.perf_counter() - t0
        t_pull_ds, t_copy_ds, t_noop_pull = _pull_vs_copy(root, repo, "dataset")
        t_pull_train, t_copy_train, _ = _pull_vs_copy(root, repo, "dataset/train")
        t_s3_pull, t_s3_get, s3_mb = _pull_vs_get_s3(root, repo, "dataset/train")
        ds_files, ds_bytes = _tree(repo / "dataset")
        r_files, r_bytes = _tree(root / "remote")
        runs_files, runs_bytes = _tree(repo / "runs")
        splits = {s.name: _tree(s) for s in sorted((repo / "dataset").iterdir()) if s.is_dir()}
        samples = sum(1 for _ in (repo / "dataset").glob("*/samples.parquet"))
    lines = [
        f"### Camera {cam}x{cam}",
        "",
        f"{n_runs} sim runs (3 welds each, camera {cam}x{cam} @ 1 kfps, IR, DAQ, OCT), recorded in "
        f"{t_record:.1f} s: {runs_files} files, {runs_bytes / 1e6:.1f} MB.",
        "",
        "| step | s | note |",
        "|---|---|---|",
        f"| `dvc repro` (7 stages) | {t_repro:.1f} | segment → card, from scratch |",
        f"| `dvc repro` again | {t_noop:.1f} | nothing to do |",
        f"| `dvc push`, local remote | {t_push:.1f} | {r_files} files, {r_bytes / 1e6:.1f} MB |",
        f"| `git clone` + `dvc pull` | {t_pull:.1f} | everything |",
        f"| plain copy of the remote | {t_copy:.2f} | pull / copy = {_ratio(t_pull, t_copy)} |",
        f"| `dvc pull dataset` | {t_pull_ds:.2f} | all splits: {ds_files} files, {ds_bytes / 1e6:.1f} MB |",
        f"| plain copy of `dataset/` | {t_copy_ds:.2f} | pull / copy = **{_ratio(t_pull_ds, t_copy_ds)}** |",
        f"| `dvc pull dataset/train` | {t_pull_train:.2f} | one split |",
        f"| plain copy of `dataset/train` | {t_copy_train:.2f} | pull / copy = "
        f"**{_ratio(t_pull_train, t_copy_train)}** |",
        f"| `dvc pull dataset` again | {t_noop_pull:.2f} | nothing to fetch: DVC's fixed cost in every pull |",
        f"| `dvc pull -r s3 dataset/train` | {t_s3_pull:.2f} | one split from an S3 remote, {s3_mb:.0f} MB |",
        f"| s3fs download of the same files | {t_s3_get:.2f} | pull / download = "
        f"**{_ratio(t_s3_pull, t_s3_get)}** |",
        "",
        "Pull and copy rows are the median of 3, each into a fresh clone with the remote evicted from the "
        "page cache; the workspace links to the DVC cache (`cache.type reflink,hardlink,copy`). The S3 rows go "
        "through one S3 server on 127.0.0.1 (moto) for both. Target: pull of a split ≤ 1.5x a plain copy.",
        "",
        "| split | files | MB |",
        "|---|---|---|",
        *[f"| {s} | {f} | {b / 1e6:.1f} |" for s, (f, b) in splits.items()],
        "",
        f"({samples} split stores; a split stays a handful of shard files however many samples it holds.)",
        "",
    ]
    return "\n".join(lines)


def run(quick: bool = False) -> str:
    # The same dataset with a small and a full-size (the default sim rig's) camera: DVC's fixed cost per pull
    # weighs less as splits grow.
    cases = [(8, 64)] if quick else [(50, 128), (50, 256)]
    return "\n".join(["## Dataset pipeline (DVC)", "", *(_case(n, cam) for n, cam in cases)])


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv))
