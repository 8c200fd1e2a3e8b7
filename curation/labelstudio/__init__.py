"""Label Studio: one task per weld pushed with its signals and pictures, labels pulled back as label records.

``label_studio_sdk`` is imported only when a server is contacted.
"""

from ._client import LabelStudioError, LabelStudioSettings, connect, ls_errors
from ._config import TIME_COLUMN, TS_NAME, SignalColumn, label_config
from ._pull import Agreement, agreement, merge_records, pull_records
from ._push import PREDICTION_PREFIX, PushOptions, PushReport, find_project, push_welds

__all__ = [
    "PREDICTION_PREFIX",
    "TIME_COLUMN",
    "TS_NAME",
    "Agreement",
    "LabelStudioError",
    "LabelStudioSettings",
    "PushOptions",
    "PushReport",
    "SignalColumn",
    "agreement",
    "connect",
    "find_project",
    "label_config",
    "ls_errors",
    "merge_records",
    "pull_records",
    "push_welds",
]
