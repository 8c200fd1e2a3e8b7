"""Reading rig files, with errors that name the file, the field and what is allowed."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from ._errors import RigFileError
from ._rig import Rig


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
    try:
        return Rig.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            lines.append(f"{source}: {_format_loc(err['loc'], data)}: {err['msg']}")
        raise RigFileError(
            "\n".join(lines), "fix the field(s) above; `weldctl rig show` prints a valid rig to start from"
        ) from None


def load_rig(path: str | Path) -> Rig:
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise RigFileError(f"{path}: cannot read rig file ({exc.strerror})", "check the path") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise RigFileError(f"{path}:{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict):
        raise RigFileError(f"{path}: a rig file must be a YAML mapping with a 'devices' list")
    return parse_rig(data, str(path))


def dump_rig(rig: Rig) -> str:
    return yaml.safe_dump(rig.model_dump(mode="json"), sort_keys=False)
