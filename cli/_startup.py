"""Ctrl-C while the command line is still starting up (imports take a second or more on a busy machine)."""

from __future__ import annotations

import signal
import threading

_early = threading.Event()


def note_early_interrupt() -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, lambda *_: _early.set())


def interrupted_early() -> bool:
    """True when Ctrl-C came during start-up; from now on Ctrl-C raises KeyboardInterrupt as usual."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)
    return _early.is_set()
