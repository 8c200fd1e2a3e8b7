"""Dataset stages, in the order DVC runs them: samples (welds cut from runs, labelled), split (leakage-safe),
balance, augment, build (one sample set per split, with a manifest), card; plus the reader for users.

A sample set is one Parquet table plus one Zarr group of packed arrays (``_sampleset``). A new stage reads
one sample set and writes one: its module here, its parameters in ``_params``, its runner in ``_build``.
"""

from ._augment import apply as apply_augment
from ._augment import draw as draw_augment
from ._build import replay, run_augment, run_balance, run_build, run_split
from ._card import tree_hash, write_card
from ._channel_select import pearson_scores, run_channel_select, select_channels
from ._label_choice import chosen_labels
from ._leak_audit import LeakError, leak_audit
from ._params import DatasetParams, load_params, read_params_doc
from ._reader import DatasetSplit, class_map, iter_dataset, torch_dataset
from ._samples import build_samples, list_runs
from ._sampleset import DatasetError, SampleArrays, SampleSet, read_rows, write_rows
from ._split import SplitError, assign_splits, missing_classes

__all__ = [
    "DatasetError",
    "DatasetParams",
    "DatasetSplit",
    "LeakError",
    "SampleArrays",
    "SampleSet",
    "SplitError",
    "apply_augment",
    "assign_splits",
    "build_samples",
    "chosen_labels",
    "class_map",
    "draw_augment",
    "iter_dataset",
    "leak_audit",
    "list_runs",
    "load_params",
    "missing_classes",
    "pearson_scores",
    "read_params_doc",
    "read_rows",
    "replay",
    "run_augment",
    "run_balance",
    "run_build",
    "run_channel_select",
    "run_split",
    "select_channels",
    "torch_dataset",
    "tree_hash",
    "write_card",
    "write_rows",
]
