"""The drivers shipped with weldctl, one module each: config model, device class(es), probe, ``DRIVER``.

Each is registered in the ``weldctl.drivers`` entry-point group of pyproject.toml and imported
only when a rig uses it (or ``weldctl devices`` probes it); a module imports its vendor library
inside the functions that talk to the device, never at import.
"""
