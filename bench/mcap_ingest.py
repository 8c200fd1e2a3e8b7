"""Recorder ingest against an mcap writer on the same load (issue 8: is an array store the right form?)."""

from __future__ import annotations

from ._harness import highest_rate, record_load


def run(quick: bool, base: str = ".bench-tmp") -> str:
    duration = 6.0 if quick else 15.0
    same = 10.0  # kfps: weldctl's target load
    w = record_load("weldctl", same, duration, base)
    m = record_load("mcap", same, duration, base)
    probe_s, probes = (3.0, 2) if quick else (8.0, 3)
    best, runs = highest_rate("mcap", 4.0, 2.0, base, probe_s=probe_s, confirm_s=duration, max_probes=probes,
                              max_kfps=12.0)
    lines = [
        "## Recorder ingest vs an mcap writer (same load)",
        "",
        f"mcap 1.x Python writer, one channel per stream, one message per recorder block, no compression "
        f"(lz4 is slower here), 4 MiB chunks; {duration:.0f} s per run, same load generator and recorder.",
        "",
        "| writer | camera kfps | lost | ingest MB/s | CPU s/GB |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in (w, m, *runs):
        lines.append(f"| {r.writer} | {r.kfps:g} | {r.lost:,} | {r.ingest_mb_s:,.0f} | "
                     f"{r.cpu_s_per_gb:.2f} |")
    lines += [
        "",
        f"- mcap's highest zero-loss camera rate (probed, then recorded for {duration:.0f} s): "
        f"{best.kfps:g} kfps ({best.ingest_mb_s:,.0f} MB/s)."
        if best else "- mcap held none of the rates tried.",
        f"- At {same:g} kfps weldctl {'holds' if w.held else 'loses ' + format(w.lost, ',')}; mcap "
        f"{'holds' if m.held else 'loses ' + format(m.lost, ',') + ' samples (recorded as gaps)'}.",
    ]
    return "\n".join(lines) + "\n"
