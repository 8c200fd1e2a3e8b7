"""The simulated rig: every sensor kind, driven by one weld-process model."""

from ._alignment import pore_alignment_errors, run_to_true
from ._conditions import SIGNATURES, Signature, default_weld_sequence
from ._devices import SimAudio, SimCamera, SimDaq, SimIRCamera, SimOct
from ._frames import FrameBank
from ._process import WeldProcess, penetration_of

__all__ = [
    "SIGNATURES", "FrameBank", "Signature", "SimAudio", "SimCamera", "SimDaq", "SimIRCamera", "SimOct",
    "WeldProcess", "default_weld_sequence", "penetration_of", "pore_alignment_errors", "run_to_true",
]
