"""Reading rig files, with errors that name the file, the field and what is allowed."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

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


SHOW_HEADER = (
    "# The default simulated rig: save it (`weldctl rig show > my-rig.yaml`), edit, then\n"
    "# `weldctl rig validate my-rig.yaml` and `weldctl record --run-id R0100 --rig my-rig.yaml`.\n"
    "# Every device becomes one stream in the run store, named by `name`.\n"
    "# A commented real rig: `weldctl rig show --example lab`.\n"
)
_COMMENT_WIDTH = 100


def dump_rig(rig: Rig, *, comments: bool = False) -> str:
    """The rig as YAML; with ``comments``, each field's description above it (from the models), so the file
    reads as its own documentation and still loads back to the same rig."""
    if not comments:
        return yaml.safe_dump(rig.model_dump(mode="json"), sort_keys=False)
    return SHOW_HEADER + "".join(_commented(rig, rig.model_dump(mode="json"), "", seen=set()))


def _comment(text: str, indent: str) -> list[str]:
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(indent) + 2 + len(line) + 1 + len(w) > _COMMENT_WIDTH:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    return [f"{indent}# {ln}\n" for ln in [*lines, line] if ln]


def _scalar(value: object) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).removesuffix("\n...\n").strip()


def _commented(
    model: BaseModel, data: dict[str, object], indent: str, first_prefix: str = "", *, seen: set[str]
) -> list[str]:
    """YAML lines of ``model``; a description is written once, at the field's first appearance."""
    out: list[str] = []
    fields = type(model).model_fields
    prefix = first_prefix or indent
    for key, value in data.items():
        desc = fields[key].description if key in fields else None
        if desc in seen:
            desc = None
        if desc:
            seen.add(desc)  # above the key; for the first key of a list item, above its dash
            out += _comment(desc, indent if prefix == indent else prefix.removesuffix("- "))
        child = getattr(model, key, None)
        if isinstance(child, BaseModel) and isinstance(value, dict) and value:
            out.append(f"{prefix}{key}:\n")
            out += _commented(child, value, indent + "  ", seen=seen)
        elif isinstance(child, list) and child and all(isinstance(c, BaseModel) for c in child):
            out.append(f"{prefix}{key}:\n")
            for item, item_data in zip(child, value, strict=True):  # type: ignore[call-overload]
                out += _commented(item, item_data, indent + "    ", first_prefix=indent + "  - ", seen=seen)
        else:
            out.append(f"{prefix}{key}: {_scalar(value)}\n")
        prefix = indent
    return out
