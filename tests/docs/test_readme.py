"""README.md and the docs it links work as written: every shell and Python block, in order, in a fresh clone.

The integration test clones the repository into a temporary folder (so a file the docs need but git does not
hold fails it), gives the clone this test's venv as its `.venv` (the install itself is what `make test` just
did; a second pip install would cost minutes), and runs the blocks in one bash session, as a user types them.
Blocks that need a server or data from outside run against the test peers (Label Studio from
LABEL_STUDIO_BIN, S3 on 127.0.0.1, a local Dask cluster, the gmaw-sample folder). See readme_blocks.py for
the markers.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import GMAW_SAMPLE, IN_CI, REPO, need
from tests.docs.readme_blocks import all_blocks, blocks, commands, linked_docs, script, with_peers
from tests.peers.label_studio import label_studio  # noqa: F401  (the fixture, for the peer=labelstudio blocks)

BUDGET_S = 1500  # the walk-through itself (~10 min on an idle 2-core machine); CI as a whole must stay under 45 min


def test_every_linked_doc_exists_and_every_block_has_a_known_marker() -> None:
    docs = linked_docs(REPO / "README.md")
    assert "docs/datasets.md" in docs and "docs/labelling.md" in docs
    for b in all_blocks(REPO):
        assert set(b.marks) <= {"skip", "peer", "same-as", "cwd"}, b.where
        assert set(b.peers) <= {"labelstudio", "s3", "dask", "gmaw"}, b.where
        if b.lang in ("bash", "sh"):
            assert "<" not in b.text.replace("<<", "").replace("<-", ""), f"{b.where}: a <placeholder> breaks bash"


def test_docs_repeat_the_readme_commands_word_for_word() -> None:
    """A doc block marked same-as=README.md is not run twice: each of its commands must be one of README's."""
    readme = {c for b in blocks(REPO / "README.md", "README.md") for c in commands(b.text)}
    checked = 0
    for b in all_blocks(REPO):
        if b.marks.get("same-as") == "README.md":
            for c in commands(b.text):
                assert c in readme, f"{b.where}: {c!r} is not a README.md command (README and doc disagree)"
                checked += 1
    assert checked >= 10


def test_peer_settings_win_over_the_placeholders_a_block_exports() -> None:
    from tests.docs.readme_blocks import Block

    b = Block("x.md", 1, "bash", "export A=placeholder B=keep\nrun $A\n", {"peer": "p"})
    text = with_peers(b, {"A": "real value"})
    env = subprocess.run(
        ["bash", "-c", text.replace("run $A", 'echo "$A|$B"')], capture_output=True, text=True, check=True
    ).stdout
    assert env.strip() == "real value|keep"


def _clone(tmp: Path) -> Path:
    clone = tmp / "weldctl"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    # The clone's .venv is this test's venv, seen through links; the stamp says it is installed, so `make
    # install` (and `make demo`, `make sim-runs`) go straight to their commands. Nothing in the real venv changes.
    venv = clone / ".venv"
    venv.mkdir()
    prefix = Path(sys.prefix)
    for entry in prefix.iterdir():
        if not entry.name.startswith("."):
            (venv / entry.name).symlink_to(entry)
    (venv / ".installed").touch()
    os.utime(clone / "pyproject.toml", (0, 0))
    return clone


def _peer_env(request: pytest.FixtureRequest, peers: set[str]) -> dict[str, dict[str, str]]:
    env: dict[str, dict[str, str]] = {}
    if "labelstudio" in peers:
        ls = request.getfixturevalue("label_studio")
        env["labelstudio"] = {
            "LABEL_STUDIO_URL": ls.url,
            "LABEL_STUDIO_API_KEY": ls.token,
            "LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT": str(ls.document_root),
        }
    if "s3" in peers:
        env["s3"] = dict(request.getfixturevalue("s3_server").env)
    if "dask" in peers:
        # Workers take credentials from their own environment, never from the client: a cluster of its own,
        # started inside the S3 settings (as a lab's workers would have them).
        from tests.peers.dask_cluster import local_cluster

        with pytest.MonkeyPatch.context() as mp:
            for k, v in env.get("s3", {}).items():
                mp.setenv(k, v)
            cluster = local_cluster(2)
            address = cluster.__enter__()
        request.addfinalizer(lambda: cluster.__exit__(None, None, None))
        env["dask"] = {"DASK_SCHEDULER_ADDRESS": address}
    if "gmaw" in peers:
        need(GMAW_SAMPLE.is_dir(), f"gmaw-sample dataset not found at {GMAW_SAMPLE} (set WELDCTL_GMAW_SAMPLE)")
        env["gmaw"] = {"GMAW": str(GMAW_SAMPLE)}
    return env


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(BUDGET_S + 600)  # + the peers' start (Label Studio's first start migrates its database)
def test_readme_and_linked_docs_run_in_order_in_a_fresh_clone(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    need(Path(sys.prefix, "bin", "activate").exists(), "run the tests from the project's venv (.venv/bin/python)")
    need(shutil.which("make") is not None and shutil.which("git") is not None, "make and git")
    clone = _clone(tmp_path)
    todo = [b for b in all_blocks(clone) if b.runs]
    peers = {p for b in todo for p in b.peers}
    text = script(clone, todo, _peer_env(request, peers))
    (tmp_path / "readme.sh").write_text(text)
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LABEL_STUDIO_", "AWS_", "DASK_", "VIRTUAL_ENV"))}
    env |= {
        "HOME": str(home),  # a new user's: no git identity, no DVC or AWS config of the developer's
        "PATH": os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(sys.prefix)),
        "GIT_AUTHOR_NAME": "Readme Test",
        "GIT_AUTHOR_EMAIL": "readme@example.com",
        "GIT_COMMITTER_NAME": "Readme Test",
        "GIT_COMMITTER_EMAIL": "readme@example.com",
        "DVC_NO_ANALYTICS": "1",  # the README turns it off after `dvc init`; a test never reports anywhere
        "COLUMNS": "100",
    }
    t0 = time.monotonic()
    log = tmp_path / "readme.log"
    with log.open("w") as out:
        proc = subprocess.run(
            ["bash", str(tmp_path / "readme.sh")],
            cwd=clone,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=BUDGET_S,
        )
    took = time.monotonic() - t0
    lines = log.read_text().splitlines()
    marks = [(ln.split()[1], float(ln.split()[2])) for ln in lines if ln.startswith("::block ")]
    timing = ", ".join(f"{w} {b - a:.0f}s" for (w, a), (_, b) in itertools.pairwise(marks) if b - a >= 5)
    print(f"\n{len(todo)} blocks in {took:.0f} s; slow blocks: {timing}")
    if proc.returncode != 0:
        failed = marks[-1][0] if marks else "?"
        tail = "\n".join(lines[-60:])
        pytest.fail(f"{failed}: a block failed (exit {proc.returncode}); the last output:\n{tail}", pytrace=False)
    assert marks and marks[-1][0] == "end"
    if IN_CI:
        assert took < BUDGET_S
