"""The device contract suite, for every driver's tests (weldctl's own and a lab's driver package).

Subclass the mixin of the device's kind in a pytest module and provide ``make_device()``, which
returns a new, unopened device (python-microscope's test suites are used the same way)::

    from weldctl.daq.testing import CameraSuite

    class TestMyCamera(CameraSuite):
        def make_device(self):
            return MyCamera(MyCameraConfig(name="camera"))

``DeviceSuite`` is the kind-independent contract (state machine, spec against data, sequence
numbers, timestamps, restart); the kind mixins add what each kind's interface promises. Needs
pytest (``weldctl[dev]``); ``weldctl.daq`` itself never imports this package.
"""

from ._kinds import AudioSuite, CameraSuite, DaqSuite, IRCameraSuite, OctSuite, SpectrometerSuite
from ._suite import DeviceSuite

__all__ = ["AudioSuite", "CameraSuite", "DaqSuite", "DeviceSuite", "IRCameraSuite", "OctSuite", "SpectrometerSuite"]
