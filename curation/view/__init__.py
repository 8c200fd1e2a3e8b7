"""Views of a run: the quicklook figure (every signal on one time axis, frames under it) and its panels.

Pure matplotlib on figure objects: the caller's backend is left alone.
"""

from ._plots import PanelInfo, QuicklookResult, Segment, laser_segments, load_segments
from ._quicklook import quicklook

__all__ = ["PanelInfo", "QuicklookResult", "Segment", "laser_segments", "load_segments", "quicklook"]
