"""Views of a run: the quicklook figure (every signal on one time axis, frames under it) and its panels.

Pure matplotlib on figure objects: the caller's backend is left alone.
"""

from ._plots import PanelInfo, QuicklookResult, Segment, laser_segments, load_segments
from ._quicklook import quicklook
from ._spectra import draw_spectra, spectra_png

__all__ = [
    "PanelInfo",
    "QuicklookResult",
    "Segment",
    "draw_spectra",
    "laser_segments",
    "load_segments",
    "quicklook",
    "spectra_png",
]
