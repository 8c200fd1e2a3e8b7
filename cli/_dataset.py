"""`weldctl dataset …`: the curation stages that turn runs + labels into versioned training splits."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from ._app import SCHEDULER, app, console, fail, user_errors

dataset_app = typer.Typer(
    help="Samples, grouped split, balance, augment, build, card, replay (DVC stages).", no_args_is_help=True
)
app.add_typer(dataset_app, name="dataset")

PARAMS = typer.Option(Path("params.yaml"), "--params", help="params.yaml of the dataset pipeline")
# Every other path of these commands is a local path or an fsspec URL (s3://bucket/prefix/...).


def _params(path: Path):  # type: ignore[no-untyped-def]
    from weldctl.curation import load_params

    return load_params(path)


@dataset_app.command("samples")
@user_errors
def samples(
    runs: str = typer.Argument("runs", help="folder (or URL prefix, e.g. s3://bucket/runs) of <run-id>.zarr"),
    segments: str = typer.Option("segments", "--segments", help="folder or URL of <run-id>.segments.parquet"),
    labels: str = typer.Option("labels.jsonl", "--labels", help="labels JSONL (path or URL)"),
    out: str = typer.Option("work/samples", "--out", "-o"),
    params: Path = PARAMS,
    scheduler: str | None = SCHEDULER,
) -> None:
    """Per-weld or windowed multimodal samples on one time axis, with their frames and labels."""
    from weldctl.curation import build_samples

    p = _params(params)
    res = build_samples(runs, segments, labels, p.samples, out, scheduler=scheduler)
    console.print(f"{res['samples']} samples -> {out} ({res['unlabelled_welds']} unlabelled welds skipped)")
    for name, have in res["dropped"].items():
        console.print(f"  left out {name}: only in {len(have)} of {res['runs']} runs ({', '.join(have[:3])}"
                      f"{' …' if len(have) > 3 else ''})", highlight=False)


@dataset_app.command("split")
@user_errors
def split(
    samples: str = typer.Option("work/samples", "--samples"),
    out: str = typer.Option("work/split.parquet", "--out", "-o"),
    params: Path = PARAMS,
) -> None:
    """Stratified and grouped split: no workpiece, run or day in two splits."""
    from weldctl.curation import run_split

    res = run_split(samples, _params(params), out)
    console.print("split: " + ", ".join(f"{k} {v}" for k, v in res["counts"].items()) + f" -> {out}")
    for g in res["not_separable"]:
        console.print(f"[yellow]note[/] every sample has the same {g}: no split can keep {g}s apart", highlight=False)
    for s, by_label in res["missing_classes"].items():
        for lab, classes in by_label.items():
            console.print(f"[yellow]warning[/] split {s} has no {lab} {', '.join(classes)}", highlight=False)


@dataset_app.command("balance")
@user_errors
def balance(
    samples: str = typer.Option("work/samples", "--samples"),
    split_file: str = typer.Option("work/split.parquet", "--split"),
    out: str = typer.Option("work/balance.parquet", "--out", "-o"),
    weights: str = typer.Option("work/class_weights.json", "--weights"),
    params: Path = PARAMS,
) -> None:
    """Over-/under-sample the train split to the targets in params; export class weights."""
    from weldctl.curation import run_balance

    rep = run_balance(samples, split_file, _params(params), out, weights)
    console.print(f"balance {rep['by']}: {rep['before']} -> {rep['after']}")


@dataset_app.command("augment")
@user_errors
def augment(
    samples: str = typer.Option("work/samples", "--samples"),
    balance_file: str = typer.Option("work/balance.parquet", "--balance"),
    out: str = typer.Option("work/augment", "--out", "-o"),
    params: Path = PARAMS,
) -> None:
    """Synthetic train samples with recorded parent, transform, parameters, seed and library versions."""
    from weldctl.curation import run_augment

    n = run_augment(samples, balance_file, _params(params), out)
    console.print(f"{n} synthetic samples -> {out}")


@dataset_app.command("channels")
@user_errors
def channels(
    samples: str = typer.Option("work/samples", "--samples"),
    split_file: str = typer.Option("work/split.parquet", "--split"),
    out: str = typer.Option("work/channels.json", "--out", "-o"),
    params: Path = PARAMS,
) -> None:
    """Channel selection: rank channels (spectral bands) by Pearson correlation with the label, train split only."""
    from weldctl.curation import run_channel_select

    res = run_channel_select(samples, split_file, _params(params).channels, out)
    if not res["selected"]:
        console.print(f"no channels selected ({res['note']}) -> {out}", highlight=False)
        return
    console.print(f"{len(res['selected'])} of {len(res['candidates'])} channels selected for {res['label']} -> "
                  f"{out}: " + ", ".join(c["channel"] for c in res["selected"]), highlight=False)


@dataset_app.command("build")
@user_errors
def build(
    samples: str = typer.Option("work/samples", "--samples"),
    split_file: str = typer.Option("work/split.parquet", "--split"),
    balance_file: str = typer.Option("work/balance.parquet", "--balance"),
    augmented: str = typer.Option("work/augment", "--augmented"),
    weights: str = typer.Option("work/class_weights.json", "--weights"),
    out: str = typer.Option("dataset", "--out", "-o"),
    metrics: str = typer.Option("metrics.json", "--metrics"),
    params: Path = PARAMS,
    scheduler: str | None = SCHEDULER,
) -> None:
    """Packed split stores, manifest and metrics; fails if the leak audit finds a leak."""
    from weldctl.curation import run_build

    m = run_build(samples, split_file, balance_file, augmented, weights, _params(params), out, metrics,
                  scheduler=scheduler)
    console.print(
        ", ".join(f"{s}: {v['samples']} samples in {v['files']} files" for s, v in m["splits"].items())
    )
    console.print(f"next: weldctl dataset card --dataset {out}   (DATASET.md: what the data is, its limits, plots)",
                  highlight=False, soft_wrap=True)


@dataset_app.command("card")
@user_errors
def card(
    dataset: str = typer.Option("dataset", "--dataset"),
    out: str = typer.Option("card", "--out", "-o"),
    params: Path = PARAMS,
    channels: str | None = typer.Option(None, "--channels", help="the channel selection to show (JSON)"),
) -> None:
    """DATASET.md: what the data is, use and limits, classes per split as shipped, plots, audit, loading, hashes."""
    from weldctl.curation import write_card

    path = write_card(dataset, out, params, channels=channels)
    console.print(f"card -> {path}")


@dataset_app.command("replay")
@user_errors
def replay(
    sample_id: str = typer.Argument(..., help="id of an augmented or over-sampled sample"),
    dataset: str = typer.Option("dataset", "--dataset"),
) -> None:
    """Rebuild a synthetic sample from its parent and check it is bit-identical to the stored one."""
    from weldctl.curation import replay as do_replay

    same, note = do_replay(dataset, sample_id)
    if not same:
        raise fail(
            f"replay differs: {note}", "library versions or the parent changed; rebuild the dataset", code=1
        )
    console.print(f"[green]identical[/] {escape(note)}")
