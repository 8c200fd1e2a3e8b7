"""Ctrl-C while the command line is still starting up (imports take a second or more on a busy machine)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_noted = threading.Event()


def _note(signum: int, frame: object) -> None:
    # A KeyboardInterrupt raised at an arbitrary instant can land where Python ignores it (a weakref
    # callback during an import) or leave the interpreter to exit by SIGINT after all; a noted one cannot.
    if _noted.is_set():
        raise KeyboardInterrupt  # a second Ctrl-C: whatever hangs, the user wants out now
    _noted.set()


def note_early_interrupt() -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _note)


def interrupted_early(keep_noting: bool = False) -> bool:
    """True when Ctrl-C came while starting up.

    From this call on, Ctrl-C raises KeyboardInterrupt as usual, unless ``keep_noting``: a command that
    sets itself up first (``notes_ctrl_c``) asks again when it is ready to act on it.
    """
    if not keep_noting and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)
    return _noted.is_set()


def notes_ctrl_c(func: F) -> F:
    """Mark a command whose set-up only notes a first Ctrl-C; it checks ``interrupted_early`` when ready."""
    func.notes_ctrl_c = True  # type: ignore[attr-defined]
    return func
