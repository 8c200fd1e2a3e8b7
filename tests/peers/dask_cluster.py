"""A real Dask cluster on 127.0.0.1: a LocalCluster with worker processes behind nannies."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def local_cluster(n_workers: int = 2) -> Iterator[str]:
    from distributed import LocalCluster

    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None, silence_logs=40)
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def kill_one_worker(address: str) -> int:
    """SIGKILL one worker process (its nanny starts a new one); returns the killed pid."""
    from distributed import Client

    with Client(address, set_as_default=False) as client:
        pids = client.run(os.getpid)
    pid = sorted(pids.values())[0]
    os.kill(pid, signal.SIGKILL)
    return pid


def kill_busy_worker(address: str, stop: threading.Event, poll_s: float = 0.01) -> int:
    """SIGKILL the first worker seen running a task (its nanny starts a new one); its pid, or 0 if ``stop`` came first.

    Waiting for a busy worker, rather than killing after a fixed delay, makes the kill land mid-task on any
    machine load.
    """
    from distributed import Client

    with Client(address, set_as_default=False) as client:
        while not stop.is_set():
            busy = sorted(w for w, keys in client.processing().items() if keys)
            if busy:
                pid = int(client.run(os.getpid, workers=busy[:1])[busy[0]])
                os.kill(pid, signal.SIGKILL)
                return pid
            stop.wait(poll_s)
    return 0
