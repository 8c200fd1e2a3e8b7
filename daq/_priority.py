"""The rig's CPU priority for the length of a recording."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def raised_priority(nice: int | None) -> Iterator[str]:
    """Ask for ``nice`` before any recorder thread exists (threads inherit it), give the old one back after.

    A loaded PC otherwise starves the writer, and what waits in memory is what a crash loses. Yields a note
    for the operator when the priority could not be raised (empty when it was, or was not asked for).
    """
    if nice is None or not hasattr(os, "setpriority"):
        yield ""
        return
    before = os.getpriority(os.PRIO_PROCESS, 0)
    if nice >= before:
        yield ""
        return
    try:
        os.setpriority(os.PRIO_PROCESS, 0, nice)
    except OSError:
        raised = False
    else:
        raised = True
    if not raised:
        yield f"normal CPU priority (nice {before}): raising it to {nice} needs root"
        return
    try:
        yield ""
    finally:
        os.setpriority(os.PRIO_PROCESS, 0, before)
