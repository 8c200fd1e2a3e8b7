"""Running a curation step over many runs: in-process, or as tasks on a Dask cluster.

Both paths call the same pure per-item function and return results in input order, so outputs
are identical whichever path ran them. Dask reschedules the tasks of a worker that dies.
"""

from __future__ import annotations

import itertools
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from weldctl.schema import WeldctlError

T = TypeVar("T")
R = TypeVar("R")
SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"
TASK_RETRIES = 3
# In-process threads for steps that mostly wait on reads (segment, samples): two overlap one run's reads
# with another's decode and hashing; more only contend for a small machine's cores.
READ_THREADS = 2


def scheduler_address(explicit: str | None) -> str | None:
    return explicit or os.environ.get(SCHEDULER_ENV) or None


def _progress(console: Console | None) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console or Console(stderr=True), transient=True)


def map_items(func: Callable[[T], R], items: Sequence[T], *, label: str, scheduler: str | None = None,
              console: Console | None = None, threads: int = 1) -> list[R]:
    """``[func(x) for x in items]``, shown with progress; on Dask when a scheduler address is given, else
    in-process on ``threads`` threads (results in input order either way)."""
    return list(iter_items(func, items, label=label, scheduler=scheduler, console=console, threads=threads))


def iter_items(func: Callable[[T], R], items: Sequence[T], *, label: str, scheduler: str | None = None,
               console: Console | None = None, threads: int = 1) -> Iterator[R]:
    """``map_items`` as a generator: each result in input order as soon as it and those before it are done,
    so the caller writes one while the next are computed, and holds only a few at a time in-process."""
    address = scheduler_address(scheduler)
    with _progress(console) as progress:
        task = progress.add_task(label, total=len(items))

        def tick() -> None:
            progress.advance(task)

        if address is None:
            yield from _iter_in_process(func, items, threads, tick)
        else:
            yield from _iter_on_dask(func, items, address, tick)


def _iter_in_process(func: Callable[[T], R], items: Sequence[T], threads: int, tick: Callable[[], None]
                     ) -> Iterator[R]:
    if threads <= 1 or len(items) <= 1:
        for item in items:
            result = func(item)
            tick()
            yield result
        return
    # Threads overlap one item's waits for the disk (and the GIL-free decode and hashing) with another's; a
    # window of threads + 1 items bounds what is held in memory.
    todo = iter(items)
    with ThreadPoolExecutor(threads, thread_name_prefix="weldctl-curate") as pool:
        window = deque(pool.submit(func, item) for item in itertools.islice(todo, threads + 1))
        try:
            while window:
                result = window.popleft().result()
                tick()
                for item in itertools.islice(todo, 1):
                    window.append(pool.submit(func, item))
                yield result
        finally:
            for f in window:
                f.cancel()


def _iter_on_dask(func: Callable[[T], R], items: Sequence[T], address: str, tick: Callable[[], None]
                  ) -> Iterator[R]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise WeldctlError("dask.distributed is not installed", "pip install 'weldctl[scale]'") from None
    try:
        client = Client(address, timeout="10s")
    except OSError as exc:
        raise WeldctlError(f"cannot reach the Dask scheduler at {address}: {exc}",
                           "start one (`dask scheduler`) or drop --scheduler to run in-process") from None
    with client:
        # pure=False: each item is its own task even if two items compare equal.
        futures = [client.submit(func, item, retries=TASK_RETRIES, pure=False) for item in items]
        index = {f.key: i for i, f in enumerate(futures)}
        done: dict[int, R] = {}
        following = 0
        for fut in as_completed(futures):
            done[index[fut.key]] = fut.result()
            fut.release()  # the worker may drop it: the result is here now
            tick()
            while following in done:
                yield done.pop(following)
                following += 1
