"""The live view of a recording and its end summary (rich)."""

from __future__ import annotations

import shutil

from rich.markup import escape
from rich.table import Table

from weldctl.schema import is_url

from .._recorder import Recorder, RecordResult, StreamStats

BEHIND_FILL = 0.25  # queue share that means the writer is falling behind
AT_RISK_WARN_S = 1.0


def _mb(n: float) -> str:
    return f"{n / 1e6:,.1f}"


def stream_table(stats: dict[str, StreamStats], elapsed_s: float, title: str) -> Table:
    t = Table(title=title, title_justify="left", expand=False)
    for col, just in (("stream", "left"), ("kind", "left"), ("rate Hz", "right"), ("nominal", "right"),
                      ("samples", "right"), ("lost", "right"), ("gaps", "right"), ("queue", "right"),
                      ("at risk s", "right"), ("MB/s", "right"), ("state", "left")):
        t.add_column(col, justify=just)  # type: ignore[arg-type]
    total_bytes = 0
    for s in stats.values():
        rate = s.samples / elapsed_s if elapsed_s > 0 else 0.0
        total_bytes += s.bytes
        lost = f"[bold red]{s.lost:,}[/]" if s.lost else "0"
        queue = f"{s.queue_fill:4.0%}"
        if s.queue_fill > BEHIND_FILL or s.behind:
            # The writer is not keeping up: data at risk grows, and a full queue drops (and records) blocks.
            queue = f"[bold yellow]{queue} writer behind[/]"
        risk = f"{s.at_risk_s:.2f}"
        if s.at_risk_s > AT_RISK_WARN_S:
            risk = f"[bold yellow]{risk}[/]"
        state = f"[red]{escape(s.state)}: {escape(s.error)}[/]" if s.error else escape(s.state)
        t.add_row(s.name, s.kind, f"{rate:,.0f}", f"{s.nominal_rate_hz:,.0f}", f"{s.samples:,}", lost,
                  str(s.gaps), queue, risk, _mb(s.bytes / elapsed_s if elapsed_s > 0 else 0), state)
    t.caption = f"total {_mb(total_bytes)} MB, ingest {_mb(total_bytes / elapsed_s if elapsed_s else 0)} MB/s"
    return t


def writer_line(load: dict[str, float], stats: dict[str, StreamStats]) -> str:
    """Where the bottleneck is: writer busy shares, queued writes, disk rate and the headroom left."""
    if not load:
        return ""
    deepest = max((s.queue_fill for s in stats.values()), default=0.0)
    headroom = load.get("headroom", 0.0)
    style = "red" if headroom < 0.1 or deepest > 0.5 else ("yellow" if headroom < 0.3 else "green")
    mode = "O_DIRECT" if load.get("direct_io") else "buffered"
    return (f"writer: disk {load.get('disk_mb_s', 0.0):,.0f} MB/s ({mode}), compress "
            f"{load.get('compress_busy', 0.0):.0%} busy, I/O {load.get('io_busy', 0.0):.0%} busy, "
            f"{load.get('io_queue', 0.0):.0f} writes queued, deepest queue {deepest:.0%}, "
            f"[{style}]headroom {headroom:.0%}[/]")


def live_table(rec: Recorder) -> Table:
    elapsed = rec.elapsed_s()
    table = stream_table(rec.stats, elapsed, escape(f"recording {rec.manifest.run_id}  {elapsed:6.1f} s"))
    if not is_url(rec.out):
        free = shutil.disk_usage(rec.out).free
        table.caption = f"{table.caption}   disk free {free / 1e9:,.1f} GB"
    if rec.writer is not None:
        table.caption = f"{table.caption}\n{writer_line(rec.writer.load(window_s=2.0), rec.stats)}"
    return table


def summary_table(result: RecordResult) -> Table:
    title = escape(f"{result.uri}: {result.duration_s:.2f} s, stopped: {result.stop_reason or 'error'}")
    table = stream_table(result.stats, result.duration_s, title)
    if result.writer:
        table.caption = f"{table.caption}\n{writer_line(result.writer, result.stats)}"
    for note in result.notes:
        table.caption = f"{table.caption}\n[yellow]{escape(note)}[/]"
    return table
