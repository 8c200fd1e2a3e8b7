"""The executor: the same results in-process and on a Dask cluster, even when a worker dies."""

import threading
import time

import cloudpickle
import pytest

from weldctl.curation import map_items
from weldctl.schema import WeldctlError

pytestmark = pytest.mark.integration


def _slow_square(x: int) -> int:
    time.sleep(0.3)
    return x * x


cloudpickle.register_pickle_by_value(__import__(__name__))


def test_same_results_in_process_and_on_dask(dask_scheduler: str) -> None:
    items = list(range(12))
    assert map_items(_slow_square, items, label="sq") == map_items(_slow_square, items, label="sq",
                                                                   scheduler=dask_scheduler)


def test_killed_worker_task_is_rescheduled(dask_scheduler: str) -> None:
    from tests.peers.dask_cluster import kill_one_worker

    killed: list[int] = []
    timer = threading.Timer(1.0, lambda: killed.append(kill_one_worker(dask_scheduler)))
    timer.start()
    items = list(range(16))
    got = map_items(_slow_square, items, label="sq", scheduler=dask_scheduler)
    timer.join()
    assert killed, "a worker was killed mid-run"
    assert got == [x * x for x in items]


def test_unreachable_scheduler_is_one_clear_error() -> None:
    with pytest.raises(WeldctlError, match="cannot reach the Dask scheduler"):
        map_items(_slow_square, [1], label="sq", scheduler="tcp://127.0.0.1:9")


def test_threads_in_process_keep_input_order() -> None:
    items = [5, 1, 4, 2, 3, 0]

    def slow_in_reverse(x: int) -> int:
        time.sleep(0.02 * x)  # later items finish first
        return x * x

    assert map_items(slow_in_reverse, items, label="sq", threads=2) == [x * x for x in items]


def test_an_error_in_a_thread_reaches_the_caller() -> None:
    def fail_on_three(x: int) -> int:
        if x == 3:
            raise ValueError("three")
        return x

    with pytest.raises(ValueError, match="three"):
        map_items(fail_on_three, list(range(8)), label="x", threads=2)
