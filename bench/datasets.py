"""Dataset pipeline benchmark: `dvc repro` and `dvc pull` wall time against copying the same bytes.

Records >= 50 short sim runs (quick: 8), builds the dataset with the repository's dvc.yaml/params.yaml in a
scratch git+DVC repository, pushes it to a local remote, clones and pulls it elsewhere, and copies the remote
with plain file copies for the baseline.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from unittest import mock

import yaml

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
        raise RuntimeError(f"{' '.join(args)} failed ({res.returncode}): {res.stdout[-1000:]} {res.stderr[-2000:]}")
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


REPS = 5
# A single pull-to-copy ratio of a 1.2 GB split ranged 0.5-1.95 on this shared disk over 24 rounds (median 1.19):
# the local pull rows take more rounds than the S3 ones.
PULL_REPS = 9


@dataclass
class PullTimes:
    """Median wall times (s) for one target: pulls into fresh clones, plain copies of the same remote files,
    and a pull with nothing left to fetch."""

    pull: float
    copy: float
    noop: float

    @property
    def transfer(self) -> float:
        """The pull past DVC's fixed cost (start-up, repository index, state databases)."""
        return max(self.pull - self.noop, 0.0)


def _clone(root: Path, repo: Path, name: str) -> Path:
    shutil.rmtree(root / name, ignore_errors=True)
    _sh(root, "git", "clone", "-q", str(repo), name)
    return root / name


def _remote_files(repo: Path, remote: Path, target: str) -> list[tuple[str, Path]]:
    """(path in the workspace, file in the remote) for every file DVC pulls for TARGET (inside `dataset`)."""
    lock = yaml.safe_load((repo / "dvc.lock").read_text())
    (out,) = [o for o in lock["stages"]["build"]["outs"] if o["path"] == "dataset"]
    md5 = out["md5"]
    entries = json.loads((repo / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]).read_text())
    prefix = target.removeprefix("dataset").strip("/")
    return [(e["relpath"], remote / "files" / "md5" / e["md5"][:2] / e["md5"][2:]) for e in entries
            if not prefix or e["relpath"].startswith(f"{prefix}/")]


def _pull_vs_copy(root: Path, repo: Path, target: str) -> PullTimes:
    """The baseline copies the very files DVC reads (the remote's objects for TARGET) into a plain tree: the same
    bytes from the same place on disk, so the disk's and the host's caching treat both sides alike."""
    files = _remote_files(repo, root / "remote", target)
    pulls, copies, noops = [], [], []
    for _ in range(PULL_REPS):  # interleaved, so a slow spell of the disk hits both columns
        clone = _clone(root, repo, "pull")
        _drop_caches(root / "remote")
        pulls.append(_sh(clone, "dvc", "pull", "-q", target))
        noops.append(_sh(clone, "dvc", "pull", "-q", target))
        dest = root / "copy"
        shutil.rmtree(dest, ignore_errors=True)
        _drop_caches(root / "remote")
        t0 = time.perf_counter()
        for rel, src in files:
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest / rel)
        copies.append(time.perf_counter() - t0)
    shutil.rmtree(root / "pull")
    shutil.rmtree(root / "copy")
    med = statistics.median
    return PullTimes(med(pulls), med(copies), med(noops))


@dataclass
class S3Times:
    pull: float
    get: float
    get_process: float
    mb: float


def _pull_vs_get_s3(root: Path, repo: Path, target: str) -> S3Times:
    """The usual remote of an ML team is object storage: `dvc pull TARGET` from an S3 remote against
    downloading the same files with s3fs, in this process (imports and connections warm) and as a command
    in a fresh process, like `dvc pull` itself; all through one S3 server (moto on 127.0.0.1, started here)."""
    import s3fs

    from tests.peers.s3 import moto_s3

    with moto_s3("bench-dvc") as s3, mock.patch.dict(os.environ, s3.env):
        _sh(repo, "dvc", "remote", "add", "-f", "s3", f"s3://{s3.bucket}/dvc")
        _sh(repo, "dvc", "remote", "modify", "s3", "endpointurl", s3.endpoint)
        _sh(repo, "git", "commit", "-qam", "s3 remote")
        _sh(repo, "dvc", "push", "-q", "-r", "s3", target)
        fs = s3fs.S3FileSystem(endpoint_url=s3.endpoint, key=s3.key, secret=s3.secret,
                               skip_instance_cache=True)
        src = f"{s3.bucket}/plain/{target}"
        fs.put(str(repo / target), src, recursive=True)
        get_cmd = f"import s3fs, sys; s3fs.S3FileSystem().get({src!r}, sys.argv[1], recursive=True)"
        pulls, gets, procs = [], [], []
        for _ in range(REPS):
            clone = _clone(root, repo, "s3-pull")
            pulls.append(_sh(clone, "dvc", "pull", "-q", "-r", "s3", target))
            dest = root / "s3-get"
            shutil.rmtree(dest, ignore_errors=True)
            t0 = time.perf_counter()
            fs.get(src, str(dest), recursive=True)
            gets.append(time.perf_counter() - t0)
            shutil.rmtree(dest)
            procs.append(_sh(root, sys.executable, "-c", get_cmd, str(dest)))
            shutil.rmtree(dest)
        shutil.rmtree(root / "s3-pull")
    med = statistics.median
    return S3Times(med(pulls), med(gets), med(procs), _tree(repo / target)[1] / 1e6)


def _case(n_runs: int, cam: int, fps: float) -> tuple[str, list[tuple[float, float, float]]]:
    """Record, build, push and pull one dataset: its part of the section, and (split GB, pull/copy)."""
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
        sim.record_sim_runs(repo / "runs", n_runs, camera_px=cam, camera_fps=fps)
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
        clone = _clone(root, repo, "clone")
        t_pull = _sh(clone, "dvc", "pull", "-q")
        shutil.rmtree(clone)
        _drop_caches(root / "remote")
        t0 = time.perf_counter()
        shutil.copytree(root / "remote", root / "copy")
        t_copy = time.perf_counter() - t0
        shutil.rmtree(root / "copy")
        ds = _pull_vs_copy(root, repo, "dataset")
        train = _pull_vs_copy(root, repo, "dataset/train")
        s3 = _pull_vs_get_s3(root, repo, "dataset/train")
        ds_files, ds_bytes = _tree(repo / "dataset")
        r_files, r_bytes = _tree(root / "remote")
        runs_files, runs_bytes = _tree(repo / "runs")
        splits = {s.name: _tree(s) for s in sorted((repo / "dataset").iterdir()) if s.is_dir()}
    train_gb = splits["train"][1] / 1e9
    lines = [
        f"### Camera {cam}x{cam} @ {fps / 1000:g} kfps",
        "",
        f"{n_runs} sim runs (3 welds each, camera {cam}x{cam} @ {fps / 1000:g} kfps, IR, DAQ, OCT), recorded in "
        f"{t_record:.1f} s: {runs_files} files, {runs_bytes / 1e6:.1f} MB.",
        "",
        "| step | s | note |",
        "|---|---|---|",
        f"| `dvc repro` (7 stages) | {t_repro:.1f} | segment → card, from scratch |",
        f"| `dvc repro` again | {t_noop:.1f} | nothing to do |",
        f"| `dvc push`, local remote | {t_push:.1f} | {r_files} files, {r_bytes / 1e6:.1f} MB |",
        f"| `git clone` + `dvc pull` | {t_pull:.1f} | everything |",
        f"| plain copy of the remote | {t_copy:.2f} | pull / copy = {_ratio(t_pull, t_copy)} |",
        f"| `dvc pull dataset` | {ds.pull:.2f} | all splits: {ds_files} files, {ds_bytes / 1e6:.1f} MB |",
        f"| plain copy of the same remote files | {ds.copy:.2f} | pull / copy = **{_ratio(ds.pull, ds.copy)}** |",
        f"| `dvc pull dataset/train` | {train.pull:.2f} | one split, {train_gb * 1e3:.0f} MB |",
        f"| plain copy of the same remote files | {train.copy:.2f} | pull / copy = "
        f"**{_ratio(train.pull, train.copy)}** |",
        f"| `dvc pull dataset/train` again | {train.noop:.2f} | nothing to fetch: DVC's fixed cost in every pull |",
        f"| pull past the fixed cost | {train.transfer:.2f} | / copy = {_ratio(train.transfer, train.copy)} |",
        f"| `dvc pull -r s3 dataset/train` | {s3.pull:.2f} | one split from an S3 remote, {s3.mb:.0f} MB |",
        f"| s3fs download, in this process | {s3.get:.2f} | pull / download = {_ratio(s3.pull, s3.get)} |",
        f"| s3fs download, a fresh process | {s3.get_process:.2f} | pull / download = "
        f"**{_ratio(s3.pull, s3.get_process)}** |",
        "",
        "| split | files | MB |",
        "|---|---|---|",
        *[f"| {s} | {f} | {b / 1e6:.1f} |" for s, (f, b) in splits.items()],
        "",
    ]
    return "\n".join(lines), [(train_gb, train.pull / max(train.copy, 1e-9),
                               train.transfer / max(train.copy, 1e-9))]


def run(quick: bool = False) -> str:
    # The same pipeline at three split sizes: DVC's fixed cost per pull weighs less as splits grow, and a real
    # high-speed camera fills a split faster than the sim rig's 1 kfps.
    # (A 0.27 GB split, 128x128 frames, showed DVC's fixed cost per pull dominating: 12x a copy whole, 3.8x
    # past the start-up. Its `dvc pull again` row says the same at every size, so it is not rerun.)
    cases = [(8, 64, 1000.0)] if quick else [(50, 256, 1000.0), (50, 256, 3000.0)]
    parts, ratios = [], []
    for n, cam, fps in cases:
        text, r = _case(n, cam, fps)
        print(text, flush=True)  # a case takes minutes: keep what is done if a later one fails
        parts.append(text)
        ratios += r
    big = [(gb, whole, past) for gb, whole, past in ratios if gb >= 1.0]
    met = [gb for gb, _whole, past in big if past <= 1.5]
    missed = [gb for gb, _whole, past in big if past > 1.5]
    sizes = lambda gbs: ", ".join(f"{gb:.1f}" for gb in gbs) + " GB"  # noqa: E731
    verdict = ("no split of 1 GB or more in this run" if not big else
               f"met for every split of 1 GB or more ({sizes(met)})" if not missed else
               f"not met for {sizes(missed)}" + (f"; met for {sizes(met)}" if met else ""))
    return "\n".join([
        "## Dataset pipeline (DVC)",
        "",
        f"Target: `dvc pull` of a split of 1 GB or more within 1.5x a plain copy of the same files, past DVC's "
        f"fixed start-up (the time of a pull with nothing to fetch): **{verdict}**. Per split: "
        + ", ".join(f"{gb:.2f} GB → {whole:.2f}x whole, {past:.2f}x past the start-up" for gb, whole, past in ratios)
        + ".",
        "",
        f"Local pull and copy rows are the median of {PULL_REPS} (S3 rows: {REPS}), interleaved, each pull into "
        "a fresh clone with the remote "
        "evicted from the page cache (synced first); each plain copy reads the same remote files, equally cold, "
        "into a plain tree. The workspace links to the DVC cache (`cache.type reflink,hardlink,copy`). "
        "S3 rows go through one S3 server on 127.0.0.1 (moto) for both sides. "
        f"DVC {version('dvc')}, dvc-s3 {version('dvc-s3')}, s3fs {version('s3fs')}.",
        "",
        *parts,
    ])


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv))
