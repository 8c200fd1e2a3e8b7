"""Label taxonomies: the questions a labeller answers about a weld. Data, not code (taxonomies/*.yaml)."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ._errors import WeldctlError
from ._yaml_file import load_yaml

NAME = r"^[a-z][a-z0-9_]{0,31}$"


class ChoiceGroup(BaseModel):
    """One single-choice question per weld, e.g. penetration in {lack, partial, full}."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=NAME, description="key in a label record's `labels`")
    title: str = ""
    classes: list[str] = Field(min_length=2)
    required: bool = True
    from_manifest: str | None = Field(
        default=None, description="WeldPlan field holding the intended class (pre-annotation)")
    from_truth: str | None = Field(default=None, description="column of the sim's truth/welds table")

    @model_validator(mode="after")
    def _unique(self) -> ChoiceGroup:
        if len(set(self.classes)) != len(self.classes):
            raise ValueError(f"choice group {self.name!r} repeats a class")
        return self


class ChoiceIs(BaseModel):
    """A condition on one answer: choice group ``choice`` has the class ``value``."""

    model_config = ConfigDict(extra="forbid")
    choice: str = Field(description="name of a choice group")
    value: str = Field(description="one of its classes")


class RegionGroup(BaseModel):
    """Spans in time marked on the signals, e.g. pores; a label record keeps them as `<name>_regions`."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=NAME)
    title: str = ""
    label: str = Field(description="the region label shown to the labeller")
    from_truth: str | None = Field(default=None, description="truth table of instants (t_ns) to pre-annotate")
    truth_before_ms: float = Field(default=1.0, ge=0, description="pre-annotated span before a true instant")
    truth_after_ms: float = Field(default=4.0, ge=0, description="and after it")
    exactly_when: ChoiceIs | None = Field(
        default=None, description="at least one region is marked exactly when this answer is given "
                                  "(porosity present <=> at least one pore); checked at pull and status")

    @property
    def record_key(self) -> str:
        return f"{self.name}_regions"


class Taxonomy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=NAME)
    version: int = Field(default=1, ge=1)
    process: Literal["laser", "arc"]
    description: str = ""
    choices: list[ChoiceGroup] = Field(min_length=1)
    regions: list[RegionGroup] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_names(self) -> Taxonomy:
        names = [g.name for g in self.choices] + [r.name for r in self.regions]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"group names must be unique; repeated: {', '.join(dupes)}")
        for r in self.regions:
            rule = r.exactly_when
            if rule is None:
                continue
            classes = {g.name: g.classes for g in self.choices}.get(rule.choice)
            if classes is None:
                raise ValueError(f"region group {r.name!r}: exactly_when names no choice group {rule.choice!r}")
            if rule.value not in classes:
                raise ValueError(f"region group {r.name!r}: {rule.value!r} is not a class of {rule.choice!r}")
        return self

    def group(self, name: str) -> ChoiceGroup:
        for g in self.choices:
            if g.name == name:
                return g
        raise KeyError(name)


def shipped_taxonomies() -> list[str]:
    files = resources.files("weldctl.schema").joinpath("taxonomies").iterdir()
    return sorted(f.name.removesuffix(".yaml") for f in files if f.name.endswith(".yaml"))


def load_taxonomy(name_or_path: str | os.PathLike[str]) -> Taxonomy:
    """A shipped taxonomy by name (laser, arc) or a YAML file of the same form."""
    s = str(name_or_path)
    if s in shipped_taxonomies():
        text = resources.files("weldctl.schema").joinpath("taxonomies", f"{s}.yaml").read_text()
        where = f"taxonomy {s!r}"
    else:
        p = Path(s)
        if not p.is_file():
            raise WeldctlError(f"no taxonomy {s!r}",
                               f"use one of {', '.join(shipped_taxonomies())} or a YAML file")
        text, where = p.read_text(), str(p)
    try:
        return Taxonomy.model_validate(load_yaml(text))
    except yaml.YAMLError as exc:
        raise WeldctlError(f"{where} is not valid YAML: {exc}".splitlines()[0]) from None
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(map(str, err["loc"])) or "(top)"
        raise WeldctlError(f"{where} does not validate: {loc}: {err['msg']}") from None
