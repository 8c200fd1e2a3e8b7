"""Label records checked and counted: the rules a label must follow, the labelling status of a set of runs,
and labels taken from a simulated run's ground truth."""

from ._rules import label_problems, with_problems
from ._status import LabelStatus, label_status
from ._truth import labels_from_truth

__all__ = ["LabelStatus", "label_problems", "label_status", "labels_from_truth", "with_problems"]
