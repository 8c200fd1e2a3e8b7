"""The shell and Python blocks of README.md and the docs it links, as a user meets them, and the script that
runs them in order.

A fenced block tagged ``bash``/``sh`` (shell) or ``python`` runs; other fences (output, YAML, TOML) do not.
An HTML comment on the line before a fence says how the test treats it:

- ``<!-- readme-test: skip (why) -->``: not run (a server in the foreground, a second machine, CI itself);
- ``<!-- readme-test: peer=labelstudio,s3,dask,gmaw -->``: run against the test peers: their settings are
  in the environment, and win over the placeholders the block exports (a token, an endpoint, a path);
- ``<!-- readme-test: same-as=README.md -->``: not run again; every command in it must be one of that file's;
- ``<!-- readme-test: cwd=../dir -->``: run in that folder (relative to the clone).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

FENCE = re.compile(r"^```\s*([\w-]*)\s*$")
MARK = re.compile(r"^<!--\s*readme-test:\s*(.*?)\s*-->\s*$")
DOC_LINK = re.compile(r"\]\((docs/[\w./-]+\.md)(?:#[\w-]*)?\)")
SHELL = {"bash", "sh", "shell"}
RUNNABLE = SHELL | {"python"}
EXPORT = re.compile(r"^\s*export\s+(.*)$")


@dataclass
class Block:
    doc: str
    line: int  # 1-based line of the opening fence
    lang: str
    text: str
    marks: dict[str, str] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line}"

    @property
    def runs(self) -> bool:
        return self.lang in RUNNABLE and "skip" not in self.marks and "same-as" not in self.marks

    @property
    def peers(self) -> list[str]:
        return [p for p in self.marks.get("peer", "").split(",") if p]


def _marks(comment: str) -> dict[str, str]:
    out: dict[str, str] = {}
    if comment.startswith("skip"):
        return {"skip": comment[4:].strip(" ()")}
    for part in comment.split():
        key, _, value = part.partition("=")
        out[key] = value
    return out


def blocks(path: Path, name: str) -> list[Block]:
    lines = path.read_text().splitlines()
    out: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start, lang = i, m.group(1)
        j = i + 1
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        prev = next((lines[k] for k in range(start - 1, -1, -1) if lines[k].strip()), "")
        mark = MARK.match(prev.strip())
        out.append(
            Block(name, start + 1, lang, "\n".join(lines[start + 1 : j]) + "\n", _marks(mark.group(1)) if mark else {})
        )
        i = j + 1
    return out


def linked_docs(readme: Path) -> list[str]:
    """docs/*.md the README links, in the order it first links them."""
    seen: list[str] = []
    for m in DOC_LINK.finditer(readme.read_text()):
        if m.group(1) not in seen:
            seen.append(m.group(1))
    return seen


def all_blocks(repo: Path) -> list[Block]:
    found = blocks(repo / "README.md", "README.md")
    for doc in linked_docs(repo / "README.md"):
        found += blocks(repo / doc, doc)
    return found


def commands(text: str) -> list[str]:
    """Shell commands of a block: continuation lines joined, comments and blank lines dropped."""
    joined = re.sub(r"\\\n\s*", " ", text)
    out = []
    for line in joined.splitlines():
        line = re.sub(r"\s+#.*$", "", line).strip()  # a trailing comment (not a # inside a word or URL)
        if line and not line.startswith("#"):
            out.append(" ".join(line.split()))
    return out


def with_peers(block: Block, env: dict[str, str]) -> str:
    """The block's text with the peers' settings set first and re-set after each `export` that names one."""
    pre = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in sorted(env.items()))
    lines = []
    for line in block.text.splitlines():
        lines.append(line)
        m = EXPORT.match(line)
        if m:
            names = re.findall(r"(?:^|\s)([A-Za-z_]\w*)=", m.group(1))
            lines += [f"export {n}={shlex.quote(env[n])}" for n in names if n in env]
    return pre + "\n".join(lines) + "\n"


def script(repo_clone: Path, todo: list[Block], peer_env: dict[str, dict[str, str]]) -> str:
    """One bash script: every block in order, in one shell (so `source`, `cd` and exports carry over as in
    a user's terminal), each doc starting at the clone's root, each block announced on stderr."""
    out = ["set -eo pipefail", f"cd {shlex.quote(str(repo_clone))}"]
    doc = None
    for b in todo:
        if b.doc != doc:
            out.append(f"cd {shlex.quote(str(repo_clone))}")
            doc = b.doc
        out.append(f"echo '::block {b.where}' $(date +%s.%N) >&2")
        env: dict[str, str] = {}
        for p in b.peers:
            env |= peer_env[p]
        body = with_peers(b, env) if env else b.text
        if b.lang == "python":
            body = f"python - <<'README_TEST_PY'\n{body}README_TEST_PY\n"
        if "cwd" in b.marks:
            body = f"(cd {shlex.quote(str(repo_clone / b.marks['cwd']))}\n{body})\n"
        out.append(body)
    out.append("echo '::block end' $(date +%s.%N) >&2")
    return "\n".join(out) + "\n"
