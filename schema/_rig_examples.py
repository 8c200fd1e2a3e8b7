"""Example rig files shipped with weldctl (schema/rigs/*.yaml), commented starting points."""

from __future__ import annotations

from importlib.resources import files

from ._errors import RigFileError


def example_rig_names() -> list[str]:
    return sorted(p.name.removesuffix(".yaml") for p in files(__package__).joinpath("rigs").iterdir()
                  if p.name.endswith(".yaml"))


def example_rig_text(name: str) -> str:
    """The example's YAML with its comments (so it reads as documentation)."""
    if name not in example_rig_names():
        raise RigFileError(f"no example rig {name!r}", f"examples: {', '.join(example_rig_names())}")
    return files(__package__).joinpath("rigs", f"{name}.yaml").read_text()
