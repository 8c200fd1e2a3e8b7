"""The simulated rig: every sensor kind, driven by one weld-process model."""

from ._alignment import pore_alignment_errors, run_to_true
from ._conditions import CONDITION_PARAMETERS, NOMINAL, Surface, condition_plan, default_weld_sequence, surface_of
from ._devices import SimAudio, SimCamera, SimDaq, SimIRCamera, SimOct
from ._events import Events
from ._frames import FrameBank
from ._offline import Rendered, render_offline, study_rig
from ._process import WeldProcess, penetration_of
from ._spectra import SpectrumModel
from ._spectrometer import SimSpectrometer, truth_spectra
from ._state import ProcessState

__all__ = [
    "CONDITION_PARAMETERS", "NOMINAL", "Events", "FrameBank", "ProcessState", "Rendered", "SimAudio", "SimCamera",
    "SimDaq", "SimIRCamera", "SimOct", "SimSpectrometer", "SpectrumModel", "Surface", "WeldProcess",
    "condition_plan", "default_weld_sequence", "penetration_of", "pore_alignment_errors", "render_offline",
    "run_to_true", "study_rig", "surface_of", "truth_spectra",
]
