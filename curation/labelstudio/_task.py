"""What a weld's task says: its data (media links, time axis, captions, title) and meta."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from weldctl.schema import RunReader

from ._config import caption_key, image_key
from ._media import UNIT_NAMES, WeldMedia, WeldWindow

# How the gate that found the weld reads to a technician (the segment source is not a laser condition).
GATE_NAMES = {"laser_on": "laser-on line", "photodiode": "photodiode level", "arc_current": "arc current",
              "oct_valid": "OCT depth validity"}


def _file_url(path: Path, document_root: Path) -> str:
    rel = path.resolve().relative_to(document_root.resolve())
    return "/data/local-files/?d=" + quote(rel.as_posix())


def _store_uri(uri: str) -> str:
    return uri if "://" in uri else os.path.abspath(uri)


def axis_text(win: WeldWindow, gate: str) -> str:
    """One line under the title: what the time axis is, where the weld is, what found it."""
    unit = UNIT_NAMES.get(win.unit_ns, f"units of {win.unit_ns} ns")
    if win.origin_ns == win.t_start_ns:
        zero = "the weld start"
    else:  # a task annotated before the axis started at the weld keeps its old origin
        zero = f"{(win.t_start_ns - win.origin_ns) / 1e6:,.1f} ms before the weld start"
    return (f"Time in {unit} from {zero}. The weld runs from {win.stamp(win.t_start_ns)} to "
            f"{win.stamp(win.t_end_ns)} (band 'weld' on top, found on the {GATE_NAMES.get(gate, gate)}); "
            f"the signal around it is context.")


def task_data(reader: RunReader, win: WeldWindow, media: WeldMedia, images: list[str], gate: str,
              root: Path, taxonomy: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(data, meta) of the weld's task; ``t0_ns`` + axis value x ``time_unit_ns`` is the run time base."""
    ids = {"run_id": reader.run_id, "weld_id": win.weld_id, "store_uri": _store_uri(reader.uri),
           "t0_ns": win.origin_ns, "t_start_ns": win.t_start_ns, "t_end_ns": win.t_end_ns}
    data: dict[str, Any] = {
        **ids, "time_unit_ns": win.unit_ns,
        "title": f"Run {reader.run_id} · weld {win.weld_id} · {(win.t_end_ns - win.t_start_ns) / 1e6:,.1f} ms long",
        "axis": axis_text(win, gate), "csv": _file_url(media.csv, root), "sample_ns": round(media.bin_ns)}
    for s in images:  # every image the config names must exist in the task data
        path = media.images.get(s)
        times = media.frame_times_ns.get(s, [])
        data[image_key(s)] = _file_url(path, root) if path else ""
        data[caption_key(s)] = media.captions.get(s) or (
            f"{s} keyframes at " + ", ".join(win.stamp(t) for t in times) if times else f"{s}: no frames in this weld")
    return data, {**ids, "taxonomy": taxonomy, "segment_source": gate}
