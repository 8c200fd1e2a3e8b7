"""Card figures: tick labels never overprint, whatever the number and length of the names."""

from __future__ import annotations

from typing import Any

import pytest


def _overlaps(labels: list[Any], renderer: Any) -> list[tuple[str, str]]:
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in labels if t.get_text()]
    return [(a, b) for i, (a, ba) in enumerate(boxes) for b, bb in boxes[i + 1 :] if ba.overlaps(bb)]


def _check(fig: Any) -> None:
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        for ticks in (ax.get_xticklabels(), ax.get_yticklabels()):
            assert not _overlaps(ticks, renderer), _overlaps(ticks, renderer)[:3]


@pytest.mark.parametrize("n", [12, 120])
def test_group_and_class_plots_do_not_overprint(n: int) -> None:
    from weldctl.curation.dataset._card_plots import class_counts_figure, class_matrix_figure, group_counts_figure

    rows = [{"split": ("train", "val", "test")[i % 3], "workpiece": f"good_weld_{i}_12-21-22_plane_plate_BSK46",
             "quality": f"class_{i % 7}_excessive_convexity", "condition": f"cond_{i % 5}"} for i in range(n)]
    _check(group_counts_figure(rows, "workpiece"))
    _check(class_counts_figure(rows, "quality"))
    _check(class_matrix_figure(rows, "quality", "condition"))
