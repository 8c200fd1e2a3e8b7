"""The live view of a recording and its end summary (rich).

Both fit an 80-100 column terminal by default (no device kind column, a short state with the error spelled out
below the table, cells that wrap instead of being cut); ``wide=True`` adds the kind column."""

from __future__ import annotations

import shutil

from rich import box
from rich.markup import escape
from rich.table import Table

from weldctl.schema import is_url

from .._recorder import Recorder, RecordResult, StreamStats

BEHIND_FILL = 0.25  # queue share that means the writer is falling behind
AT_RISK_WARN_S = 1.0


def _mb(n: float) -> str:
    return f"{n / 1e6:,.1f}"


def stream_table(stats: dict[str, StreamStats], elapsed_s: float, title: str, *, final: bool = False,
                 wide: bool = False) -> Table:
    """Per-stream figures. Live: data at risk now and the queue fill now; ``final``: the worst seen over the run.
    Rate is samples written ÷ wall time since the start (start-up included), beside the device's nominal rate."""
    t = Table(title=title, title_justify="left", expand=False, box=box.HEAVY_HEAD if wide else box.SIMPLE_HEAD,
              collapse_padding=not wide, show_edge=wide, pad_edge=wide)
    risk_col = "peak at risk s" if final else "at risk s"
    cols = [("stream", "left"), ("kind", "left")] if wide else [("stream", "left")]
    cols += [("Hz", "right"), ("nominal", "right"), ("samples", "right"), ("lost", "right"), ("gaps", "right"),
             ("writer" if final else "queue", "right"), (risk_col, "right"), ("MB/s", "right"), ("state", "left")]
    for col, just in cols:
        t.add_column(col, justify=just, overflow="fold")  # type: ignore[arg-type]
    total_bytes = 0
    errors = []
    for s in stats.values():
        rate = s.samples / elapsed_s if elapsed_s > 0 else 0.0
        total_bytes += s.bytes
        lost = f"[bold red]{s.lost:,}[/]" if s.lost else "0"
        queue = ("ok" if not s.behind else "[bold yellow]fell behind[/]") if final else f"{s.queue_fill:4.0%}"
        if not final and (s.queue_fill > BEHIND_FILL or s.behind):
            # The writer is not keeping up: data at risk grows, and a full queue drops (and records) blocks.
            queue = f"[bold yellow]{queue} behind[/]"
        at_risk = s.at_risk_s if final else s.at_risk_now_s
        risk = f"{at_risk:.2f}"
        if at_risk > AT_RISK_WARN_S:
            risk = f"[bold yellow]{risk}[/]"
        state = f"[red]{escape(s.state)}[/]" if s.error else escape(s.state)
        if s.error:
            errors.append(f"[red]{escape(s.name)}: {escape(s.error)}[/]")
        row = [s.name, s.kind] if wide else [s.name]
        row += [f"{rate:,.0f}", f"{s.nominal_rate_hz:,.0f}", f"{s.samples:,}", lost, str(s.gaps), queue, risk,
                _mb(s.bytes / elapsed_s if elapsed_s > 0 else 0), state]
        t.add_row(*row)
    t.caption = "\n".join([
        f"total {_mb(total_bytes)} MB, ingest {_mb(total_bytes / elapsed_s if elapsed_s else 0)} MB/s",
        *errors,
        "Hz: samples written ÷ wall time since start (start-up included); lost: samples missing, each in a gap; "
        + ("peak at risk: longest a sample waited to reach the disk" if final
           else "at risk: how long the oldest sample not yet on disk has waited (a crash now loses it)"),
    ])
    t.caption_justify = "left"
    return t


def writer_line(load: dict[str, float], stats: dict[str, StreamStats], *, final: bool = False) -> str:
    """Where the bottleneck is: writer busy shares, disk rate and the headroom left; live, also the writes
    waiting for the disk and the fullest stream queue (both now)."""
    if not load:
        return ""
    deepest = max((s.queue_fill for s in stats.values()), default=0.0)
    headroom = load.get("headroom", 0.0)
    style = "red" if headroom < 0.1 or deepest > 0.5 else ("yellow" if headroom < 0.3 else "green")
    mode = "O_DIRECT" if load.get("direct_io") else "buffered"
    busy = (f"disk {load.get('disk_mb_s', 0.0):,.0f} MB/s ({mode}), compress {load.get('compress_busy', 0.0):.0%} "
            f"busy, I/O {load.get('io_busy', 0.0):.0%} busy, [{style}]headroom {headroom:.0%}[/]")
    if final:
        return f"writer over the run: {busy}"
    return (f"writer (last 2 s): {busy}; now {load.get('io_queue', 0.0):.0f} shard writes wait for the disk, "
            f"fullest stream queue {deepest:.0%}")


def live_table(rec: Recorder, *, wide: bool = False) -> Table:
    elapsed = rec.elapsed_s()
    table = stream_table(rec.stats, elapsed, escape(f"recording {rec.manifest.run_id}  {elapsed:6.1f} s"), wide=wide)
    if not is_url(rec.out):
        free = shutil.disk_usage(rec.out).free
        table.caption = f"disk free {free / 1e9:,.1f} GB, {table.caption}"
    if rec.writer is not None:
        table.caption = f"{table.caption}\n{writer_line(rec.writer.load(window_s=2.0), rec.stats)}"
    return table


def summary_table(result: RecordResult, *, wide: bool = False) -> Table:
    title = escape(f"{result.uri}: {result.duration_s:.2f} s, stopped: {result.stop_reason or 'error'}")
    table = stream_table(result.stats, result.duration_s, title, final=True, wide=wide)
    if result.writer:
        table.caption = f"{table.caption}\n{writer_line(result.writer, result.stats, final=True)}"
    for note in result.notes:
        table.caption = f"{table.caption}\n[yellow]{escape(note)}[/]"
    return table
