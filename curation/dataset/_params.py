"""params.yaml of the dataset pipeline: one pydantic model per stage, so a typo fails loudly."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from weldctl.schema import read_yaml_file

from ._sampleset import DatasetError

# Group names in params -> sample columns; "run" and "weld" read better in params than column names.
GROUP_COLUMNS = {"run": "run_id", "workpiece": "workpiece", "day": "day", "rig": "rig", "weld": "weld_key"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class SamplesParams(_Strict):
    mode: Literal["weld", "window"] = "weld"
    window_s: float = Field(default=0.1, gt=0, description="window length (mode: window)")
    step_s: float = Field(default=0.05, gt=0, description="window step (mode: window)")
    signal_rate_hz: float = Field(default=1000.0, gt=0, description="common time axis of a sample's signals")
    channels: list[str] = Field(default_factory=list,
                                description="stream.channel names to keep; empty: those every run has")
    images: list[str] | None = Field(
        default=None, description="image streams (camera, IR, video) to put into samples, each a (F, H, W) "
        "array of the frames inside the sample with their times; None: those every run has; []: none")
    attachments: dict[str, tuple[int, int]] = Field(
        default_factory=dict, description="run attachments (photos of the finished part) to put into samples, "
        "name -> [width, height] to store them at; none unless asked: they can show the label")
    spectral_bands: int = Field(
        default=32, ge=0, le=1024, description="a spectrometer stream becomes this many wavelength-band channels "
        "(<stream>.nm<centre>, dark-subtracted mean counts); 0 leaves spectrometers out")


class SplitParams(_Strict):
    seed: int = 0
    fractions: dict[str, float] = Field(default_factory=lambda: {"train": 0.6, "val": 0.2, "test": 0.2})
    strata: list[str] = Field(default_factory=lambda: ["penetration", "condition", "porosity", "quality"],
                              description="labels kept in proportion across splits (those the samples carry)")
    groups: list[str] = Field(default_factory=lambda: ["workpiece", "run", "day"])
    audit: list[str] = Field(default_factory=lambda: ["workpiece", "run", "day"])
    missing_classes: Literal["warn", "fail"] = Field(
        default="warn", description="a class of a stratum label absent from a split: reported (warn) or the "
        "build fails (fail)")

    @model_validator(mode="after")
    def _known(self) -> SplitParams:
        unknown = sorted(set(self.groups + self.audit) - set(GROUP_COLUMNS))
        if unknown:
            raise ValueError(f"unknown group(s) {unknown}; allowed: {sorted(GROUP_COLUMNS)}")
        if "train" not in self.fractions or any(v < 0 for v in self.fractions.values()):
            raise ValueError("fractions need a 'train' split and no negative values")
        return self


class BalanceParams(_Strict):
    seed: int = 0
    by: str | list[str] = Field(
        default_factory=lambda: ["penetration", "quality"],
        description="label balanced in the train split; a list: the first one the samples carry")
    targets: dict[str, int] | None = Field(default=None, description="class -> count after balancing")
    target: Literal["max", "min", "none"] | int = Field(default="max", description="used when no targets")


class ImageAugment(_Strict):
    hflip: float = Field(default=0.5, ge=0, le=1, description="probability")
    vflip: float = Field(default=0.0, ge=0, le=1, description="probability")
    rotate_deg: float = Field(default=5.0, ge=0, description="max |angle|")
    brightness: float = Field(default=0.1, ge=0, description="max shift, share of full scale")
    contrast: float = Field(default=0.1, ge=0, description="max relative gain change")
    noise: float = Field(default=0.01, ge=0, description="gaussian sigma, share of full scale")


class SignalAugment(_Strict):
    jitter: float = Field(default=0.02, ge=0, description="gaussian sigma, share of channel std")
    scale: float = Field(default=0.05, ge=0, description="sigma of a per-channel gain around 1")
    shift_s: float = Field(default=0.005, ge=0, description="max |time shift|")
    warp: float = Field(default=0.05, ge=0, description="max local speed change of a smooth time warp")


class AugmentParams(_Strict):
    seed: int = 0
    copies: int = Field(default=0, ge=0, description="extra augmented copies of every original train sample")
    image: ImageAugment = Field(default_factory=ImageAugment)
    signal: SignalAugment = Field(default_factory=SignalAugment)


class BuildParams(_Strict):
    max_files_per_split: int = Field(default=300, gt=0)


class ChannelSelectParams(_Strict):
    label: str = Field(default="condition", description="label the channels are ranked against")
    top_k: int = Field(default=8, gt=0, description="channels kept")
    candidates: Literal["spectral", "all"] = Field(
        default="spectral", description="spectral: the spectrometer band channels; all: every channel")


class CardParams(_Strict):
    intended_use: str = Field(default="", description="what the dataset is for, in the card's words; empty: "
                              "the card says what its labels and inputs allow")
    limits: list[str] = Field(default_factory=list, description="known limits, added to those the card finds")


class DatasetParams(_Strict):
    samples: SamplesParams = Field(default_factory=SamplesParams)
    split: SplitParams = Field(default_factory=SplitParams)
    balance: BalanceParams = Field(default_factory=BalanceParams)
    augment: AugmentParams = Field(default_factory=AugmentParams)
    channels: ChannelSelectParams = Field(default_factory=ChannelSelectParams)
    build: BuildParams = Field(default_factory=BuildParams)
    card: CardParams = Field(default_factory=CardParams)


# Top-level sections of params.yaml: the dataset stages above, and `weldctl segment`'s.
SECTIONS = ("segment", *DatasetParams.model_fields)


def read_params_doc(path: str | os.PathLike[str]) -> dict:
    """params.yaml as a mapping, every top-level section one we know: a misspelled section would otherwise be
    ignored and its stage run on defaults without a word."""
    import difflib

    p = Path(path)
    raw = read_yaml_file(p, "params file", "see docs/datasets.md for every key", DatasetError) or {}
    if not isinstance(raw, dict):
        raise DatasetError(f"{p}: params must be a YAML mapping of sections ({', '.join(SECTIONS)})",
                           "see docs/datasets.md for every key")
    for key in raw:
        if key not in SECTIONS:
            close = difflib.get_close_matches(str(key), SECTIONS, n=1)
            maybe = f" (did you mean {close[0]!r}?)" if close else ""
            raise DatasetError(f"{p}: unknown section {key!r}{maybe}; sections are {', '.join(SECTIONS)}",
                               "fix params.yaml; see docs/datasets.md for every key")
    return raw


def load_params(path: str | os.PathLike[str] = "params.yaml") -> DatasetParams:
    p = Path(path)
    if not p.exists():
        raise DatasetError(
            f"no params file {p}", "create params.yaml (see docs/datasets.md) or pass --params"
        )
    raw = read_params_doc(p)
    known = {k: v for k, v in raw.items() if k in DatasetParams.model_fields}
    try:
        return DatasetParams.model_validate(known)
    except ValidationError as exc:
        e = exc.errors()[0]
        raise DatasetError(
            f"{p}: {'.'.join(map(str, e['loc']))}: {e['msg']}",
            "fix params.yaml; see docs/datasets.md for every key",
        ) from None
