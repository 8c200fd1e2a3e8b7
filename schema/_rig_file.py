"""Reading rig files, with errors that name the file, the field and what is allowed."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from ._errors import RigFileError
from ._rig import Rig
from ._rig_limits import rig_problems
from ._yaml_file import read_yaml_file


def _format_loc(loc: tuple[int | str, ...], data: object) -> str:
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int) and isinstance(node, list) and item < len(node):
            node = node[item]
            name = node.get("name") if isinstance(node, dict) else None
            parts.append(f"[{item}]" + (f"({name})" if name else ""))
            continue
        node = node.get(item) if isinstance(node, dict) and isinstance(item, str) else None
        parts.append(f".{item}" if parts else str(item))
    return "".join(parts) or "(top level)"


def parse_rig(data: object, source: str = "<rig>") -> Rig:
    hint = "fix the field(s) above; `weldctl rig show` prints a valid rig to start from"
    try:
        rig = Rig.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            lines.append(f"{source}: {_format_loc(err['loc'], data)}: {err['msg']}")
        raise RigFileError("\n".join(lines), hint) from None
    problems = rig_problems(rig)
    if problems:
        raise RigFileError("\n".join(f"{source}: {p}" for p in problems), hint)
    return rig


def load_rig(path: str | Path) -> Rig:
    path = Path(path)
    hint = "`weldctl rig show` prints a valid rig to start from"
    data = read_yaml_file(path, "rig file", hint, RigFileError)
    if not isinstance(data, dict):
        raise RigFileError(f"{path}: a rig file must be a YAML mapping with a 'devices' list", hint)
    return parse_rig(data, str(path))


def dump_rig(rig: Rig) -> str:
    return yaml.safe_dump(rig.model_dump(mode="json"), sort_keys=False)
