"""What an operator sees of a recording: the live page in a browser (during it, or replaying a finished run)
and the terminal table (during it, and the summary after).

The recorder knows none of this: it offers each block it reads to a tap (``ViewTap``), which keeps a
bounded, lossy copy of references; the view's own thread renders from there.
"""

from ._live import LiveView
from ._replay import ReplayView
from ._server import ViewServer, ViewSource
from ._tap import ViewTap
from ._terminal import live_table, summary_table

__all__ = ["LiveView", "ReplayView", "ViewServer", "ViewSource", "ViewTap", "live_table", "summary_table"]
