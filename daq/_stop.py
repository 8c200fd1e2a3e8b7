"""Why a recording stops: one flag every part of the recorder watches, set once with its reason."""

from __future__ import annotations

import threading


class StopFlag:
    """Set by a signal, the operator, a stop rule or a failure; the first reason and the first error win."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = ""
        self.error = ""

    def stop(self, reason: str) -> None:
        if not self._event.is_set():
            self.reason = reason
            self._event.set()

    def fail(self, message: str) -> None:
        self.error = self.error or message
        self.stop("error")

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float) -> bool:
        return self._event.wait(timeout)

    def set(self) -> None:
        """Stop whatever the reason (the supervisor's way out); keeps a reason given before."""
        self._event.set()
