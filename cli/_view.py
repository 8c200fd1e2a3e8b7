"""`weldctl view` and `weldctl features`: look at a run, and derive the literature's features from it."""

from __future__ import annotations

import threading
from pathlib import Path

import typer

from weldctl.daq import ReplayView, ViewServer
from weldctl.schema import RunReader

from ._app import app, console, user_errors


@app.command()
@user_errors
def view(
    run: str = typer.Argument(..., help="run store path/URL, or a run id under --runs"),
    weld: int | None = typer.Option(
        None, "--weld", help="show one weld (with a margin) instead of the whole run"
    ),
    out: Path | None = typer.Option(
        None, "--out", help="PNG to write (default <run-id>[.weld<W>].quicklook.png)"
    ),
    segments: str | None = typer.Option(
        None, "--segments", help="segments folder (segments/) or the run's .segments.parquet (path or URL)"
    ),
    labels: str | None = typer.Option(None, "--labels", help="labels JSONL (path or URL) to annotate welds with"),
    width: int = typer.Option(1400, "--width", help="figure width, px"),
    height: int = typer.Option(1800, "--height", help="figure height, px"),
    runs: str = typer.Option("runs", "--runs", help="folder holding <run-id>.zarr"),
    live: bool = typer.Option(
        False, "--live", help="serve the live page over this run instead (scrub through its welds in a browser)"
    ),
    port: int = typer.Option(0, "--port", min=0, max=65535, help="with --live: port (0 picks a free one)"),
    host: str = typer.Option("127.0.0.1", "--host", help="with --live: address to serve on (the page has no login)"),
    window: float = typer.Option(2.0, "--window", min=0.01, help="with --live: seconds of signal on the page"),
) -> None:
    """One time-aligned quicklook figure: signals, spectrogram, morphology, segments, gaps, keyframes."""
    from weldctl.curation import laser_segments, load_segments, quicklook, read_labels_jsonl, segments_path

    r = RunReader(run, runs)
    if segments and not segments.endswith(".parquet"):  # the folder `weldctl segment` writes
        segments = str(segments_path(segments, r.run_id))
    segs = load_segments(segments, r.run_id) if segments else laser_segments(r)
    if live:
        _serve_replay(r, [(s.weld_id, s.t_start_ns, s.t_end_ns) for s in segs], host, port, window)
        return
    recs = read_labels_jsonl(labels) if labels else None
    path = out or Path(f"{r.run_id}{'' if weld is None else f'.weld{weld}'}.quicklook.png")
    res = quicklook(r, path, weld=weld, segments=segs, labels=recs, size_px=(width, height))
    console.print(
        f"wrote {res.path} ({res.size_px[0]}x{res.size_px[1]} px): panels {', '.join(res.panels)}; "
        f"keyframes {', '.join(f'{k}={v}' for k, v in res.keyframes.items()) or 'none'}"
    )


@app.command()
@user_errors
def features(
    run: str = typer.Argument(..., help="run store path/URL, or a run id under --runs"),
    out: Path = typer.Option(Path("features"), "--out", help="folder for <run-id>.features.zarr"),
    threshold: int = typer.Option(150, "--threshold", help="keyhole/melt-pool threshold (counts)"),
    roi: str | None = typer.Option(None, "--roi", help="x,y,width,height of the morphology ROI"),
    window_ms: float = typer.Option(10.0, "--window-ms", help="sliding-window length"),
    step_ms: float = typer.Option(2.0, "--step-ms", help="sliding-window step"),
    eemd: bool = typer.Option(
        False, "--eemd", help="also decompose the OCT depth by EEMD (slow; needs EMD-signal)"
    ),
    eemd_samples: int = typer.Option(10000, "--eemd-samples", help="OCT samples decomposed by EEMD"),
    runs: str = typer.Option("runs", "--runs", help="folder holding <run-id>.zarr"),
) -> None:
    """Derived features (morphology, sliding mean/STD, Mel, band energies, EEMD) beside the run."""
    from weldctl.curation import FeatureParams, write_features

    r = RunReader(run, runs)
    params = FeatureParams.model_validate(
        {
            "morphology": {"threshold": threshold, "roi": [int(v) for v in roi.split(",")] if roi else None},
            "window": {"window_s": window_ms / 1e3, "step_s": step_ms / 1e3},
            "eemd": eemd,
            "eemd_max_samples": eemd_samples,
        }
    )
    path = write_features(r, out, params)
    console.print(f"wrote {path}: a feature store of run {r.run_id} (not a run store), one group per feature "
                  f"table on the run time base", highlight=False, soft_wrap=True)
    console.print(f"next: weldctl inspect {path}   (its tables), or xarray.open_datatree({str(path)!r}, engine='zarr')",
                  highlight=False, soft_wrap=True)


def _serve_replay(r: RunReader, welds: list[tuple[int, int, int]], host: str, port: int, window_s: float) -> None:
    console.print(f"reading {r.run_id} …")
    server = ViewServer(ReplayView(r, welds, window_s=window_s), host, port).start()
    console.print(f"replay of {r.run_id} ({len(welds)} welds): [bold]{server.url}[/]  (Ctrl-C stops)")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
