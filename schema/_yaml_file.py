"""Reading a YAML file a person wrote (rig files, params.yaml): one error naming the file and the problem."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from ._errors import WeldctlError

# libyaml's parser where PyYAML was built with it: the same documents (SafeConstructor either way), ~20-40x
# faster; params.yaml and the shipped taxonomies are read on every curation command.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> object:
    """``yaml.safe_load``, with libyaml when PyYAML has it."""
    return yaml.load(text, Loader=_SafeLoader)


def read_yaml_file(path: str | os.PathLike[str], what: str, hint: str,
                   error: type[WeldctlError] = WeldctlError) -> object:
    """The parsed document; unreadable, non-UTF-8 or invalid YAML raises ``error`` (``what`` names the file kind)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(f"{p}: cannot read {what} ({exc.strerror})", "check the path") from None
    except UnicodeDecodeError as exc:
        raise error(f"{p}: not a text file (byte {exc.start} is not UTF-8)",
                    f"a {what} is UTF-8 YAML; {hint}") from None
    try:
        return load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise error(f"{p}:{where}: not valid YAML ({getattr(exc, 'problem', exc)})",
                    f"fix the YAML there; {hint}") from None
