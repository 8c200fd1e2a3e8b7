"""Ctrl-C and SIGTERM as a clean stop of the recording, for as long as it runs."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def stop_on_signals(stop: Callable[[str], None]) -> Iterator[None]:
    """SIGINT and SIGTERM call ``stop`` with the reason instead of raising, until the block ends.

    Installed first of all, so a Ctrl-C while devices are opened or the store is made is a stop, not an
    exception. Python only lets the main thread install handlers: from any other thread this does nothing
    (whoever runs the recorder there stops it with ``Recorder.stop``).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old_int = signal.signal(signal.SIGINT, lambda *_: stop("interrupted (Ctrl-C)"))
    old_term = signal.signal(signal.SIGTERM, lambda *_: stop("terminated"))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old_int)
        signal.signal(signal.SIGTERM, old_term)
