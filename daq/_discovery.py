"""What each driver stack can see on this machine, for `weldctl devices`.

One probe per stack. A probe never raises: a missing library or driver becomes a report that
says what to install, so one broken stack does not hide the others.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass, field

from weldctl.schema import Rig


@dataclass
class StackReport:
    """The devices one stack sees, or why it cannot look (``problem``) and what to do (``install``)."""

    stack: str
    devices: list[dict[str, str]] = field(default_factory=list)
    problem: str = ""
    install: str = ""
    note: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def probe_aravis() -> StackReport:
    from ._aravis_camera import list_aravis_devices
    from ._errors import MissingDriverError

    try:
        devices = list_aravis_devices()
    except MissingDriverError as exc:
        return StackReport("aravis", problem=exc.message, install=exc.hint or "")
    return StackReport("aravis", [{"id": d["id"], "address": d["address"], "protocol": d["protocol"],
                                   "model": f"{d['vendor']} {d['model']}".strip(), "serial": d["serial"]}
                                  for d in devices])


def probe_portaudio() -> StackReport:
    install = "apt-get install libportaudio2, then pip install sounddevice (or 'weldctl[hardware]')"
    try:
        import sounddevice
    except (ImportError, OSError) as exc:  # OSError: the PortAudio library itself is missing
        return StackReport("portaudio", problem=f"sounddevice not available ({exc})", install=install)
    try:
        found = sounddevice.query_devices()
    except Exception as exc:  # PortAudioError and friends: report, do not crash the listing
        return StackReport("portaudio", problem=f"PortAudio cannot list devices ({exc})", install=install)
    return StackReport("portaudio", [
        {"index": str(d["index"]), "name": str(d["name"]), "inputs": str(d["max_input_channels"]),
         "rate": f"{d['default_samplerate']:g}"}
        for d in found if d["max_input_channels"] > 0])


def probe_nidaqmx() -> StackReport:
    try:
        import nidaqmx.system
        from nidaqmx.errors import DaqNotFoundError
    except ImportError as exc:
        return StackReport("nidaqmx", problem=f"nidaqmx not available ({exc})",
                           install="pip install nidaqmx (or 'weldctl[hardware]')")
    try:
        devices = list(nidaqmx.system.System.local().devices)
        return StackReport("nidaqmx", [{"name": d.name, "product": d.product_type} for d in devices])
    except DaqNotFoundError:
        return StackReport("nidaqmx", problem="the NI-DAQmx driver is not installed",
                           install="install NI-DAQmx from ni.com (on Linux: python -m nidaqmx installdriver)")
    except Exception as exc:  # DaqError from a half-installed runtime
        return StackReport("nidaqmx", problem=f"NI-DAQmx cannot list devices ({exc})")


def probe_oct(rig: Rig | None, timeout_s: float = 0.5) -> StackReport:
    """The OCT endpoints a rig configures, each tried with one TCP connect."""
    entries = [d for d in (rig.enabled_devices if rig else []) if d.driver == "oct_tcp"]
    if not entries:
        note = "pass --rig to check the OCT endpoints a rig configures" if rig is None else \
            "the rig configures no OCT endpoint"
        return StackReport("oct_tcp", note=note)
    devices = []
    for d in entries:
        try:
            with socket.create_connection((d.host, d.port), timeout=timeout_s):
                state = "accepts TCP connections"
        except OSError as exc:
            state = f"no connection ({exc.strerror or exc})"
        devices.append({"name": d.name, "endpoint": f"{d.host}:{d.port}", "state": state})
    return StackReport("oct_tcp", devices)


PROBES: dict[str, Callable[..., StackReport]] = {
    "aravis": probe_aravis, "portaudio": probe_portaudio, "nidaqmx": probe_nidaqmx,
}


def discover(rig: Rig | None = None, stacks: list[str] | None = None) -> list[StackReport]:
    """One report per stack (all of them unless ``stacks`` names some)."""
    wanted = stacks or [*PROBES, "oct_tcp"]
    reports = []
    for name in wanted:
        if name == "oct_tcp":
            reports.append(probe_oct(rig))
        elif name in PROBES:
            reports.append(PROBES[name]())
        else:
            raise ValueError(f"unknown stack {name!r}; known: {', '.join([*PROBES, 'oct_tcp'])}")
    return reports
