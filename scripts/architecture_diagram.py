"""Draw docs/img/architecture.png: the layers and the data path from a driver to a DVC split.

Run `python scripts/architecture_diagram.py` after changing what the picture shows.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

OUT = Path(__file__).resolve().parents[1] / "docs" / "img" / "architecture.png"
LAYER = {"cli": "#e8eef7", "daq": "#e6f2e6", "curation": "#f7efe2", "schema": "#eeeeee", "plug": "#fbe9ef"}


def box(ax, x, y, w, h, text, color, size=8.5, weight="normal"):  # type: ignore[no-untyped-def]
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.08", fc=color,
                                ec="#555555", lw=0.8))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=size, weight=weight, wrap=True)


def arrow(ax, a, b, text="", style="-|>", color="#333333"):  # type: ignore[no-untyped-def]
    ax.add_patch(FancyArrowPatch(a, b, arrowstyle=style, mutation_scale=10, lw=1.0, color=color))
    if text:
        ax.text((a[0] + b[0]) / 2, (a[1] + b[1]) / 2 + 0.12, text, ha="center", va="bottom", fontsize=7,
                color="#333333")


def main() -> None:
    fig = Figure(figsize=(11, 6.2), dpi=90)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 22)
    ax.set_ylim(0, 12.4)
    ax.axis("off")

    # Layers (import direction: down only).
    box(ax, 0.3, 10.4, 21.4, 1.6, "", LAYER["cli"])
    ax.text(0.6, 11.6, "cli  (weldctl …: thin typer commands)", fontsize=9, weight="bold", va="center")
    for i, cmd in enumerate(["record", "devices", "rig", "verify / recover", "import / export", "segment",
                             "label push / pull", "dataset …"]):
        box(ax, 0.6 + i * 2.63, 10.6, 2.4, 0.6, cmd, "white", size=7.5)

    box(ax, 0.3, 4.6, 10.4, 5.4, "", LAYER["daq"])
    ax.text(0.6, 9.65, "daq", fontsize=9, weight="bold", va="center")
    box(ax, 11.3, 4.6, 10.4, 5.4, "", LAYER["curation"])
    ax.text(11.6, 9.65, "curation", fontsize=9, weight="bold", va="center")
    ax.text(12.9, 9.65, "dataset · labelstudio · formats  →  view  →  labels · segment · features  →  core",
            fontsize=7, va="center", color="#555555")
    box(ax, 0.3, 0.3, 21.4, 3.6, "", LAYER["schema"])
    ax.text(0.6, 3.55, "schema  (pydantic models at the edges; the only code that knows the run-store layout)",
            fontsize=9, weight="bold", va="center")

    # daq: drivers -> recorder.
    box(ax, 0.6, 7.5, 3.3, 1.8, "driver module\n(weldctl.drivers entry point)\nconfig · Device · probe", LAYER["plug"],
        size=7.5)
    box(ax, 0.6, 4.9, 3.3, 1.9, "vendor adapter\n(AravisApi, NidaqmxApi,\nPortAudioApi, TcpLink,\nCaptureApi)",
        "white", size=7)
    arrow(ax, (2.25, 7.5), (2.25, 6.8))
    box(ax, 4.4, 7.5, 2.5, 1.8, "per-kind ABC\nCamera · IRCamera\nDaqDevice · Audio\nOct · Spectrometer", "white",
        size=7)
    arrow(ax, (3.9, 8.4), (4.4, 8.4))
    box(ax, 7.7, 7.5, 2.7, 1.8, "recorder\npipes: seq → gaps\nclock fits · finalize", "white", size=7.5)
    arrow(ax, (6.9, 8.4), (7.7, 8.4), "Block")
    box(ax, 4.4, 4.9, 2.8, 1.9, "weldctl.daq.testing\ndevice contract suite\n+ per-kind mixins, for\n"
        "every driver's tests\n(and a lab's)", "white", size=7)
    # What the operator sees: the recorder offers blocks to a tap that drops previews, never samples.
    box(ax, 7.45, 4.9, 2.45, 1.9, "daq.view\nlive page · replay\nin the browser\nterminal table",
        "white", size=7)
    arrow(ax, (8.7, 7.5), (8.7, 6.8))
    ax.text(8.55, 7.15, "tap (lossy)", fontsize=7, ha="right", va="center")

    # curation: stages, then DVC.
    stages = ["segment", "label push/pull\n(Label Studio)", "samples", "split\n(leak audit)", "balance · augment",
              "build\n(split stores)", "card"]
    x0, step, w = 12.1, 2.4, 2.1
    for i, s in enumerate(stages[:4]):
        box(ax, x0 + i * step, 7.5, w, 1.8, s, "white", size=7.5)
        if i:
            arrow(ax, (x0 + i * step - 0.3, 8.4), (x0 + i * step, 8.4))
    for i, s in enumerate(stages[4:]):
        box(ax, x0 + i * step, 4.9, w, 1.8, s, "white", size=7.5)
        if i:
            arrow(ax, (x0 + i * step - 0.3, 5.8), (x0 + i * step, 5.8))
    arrow(ax, (x0 + 3 * step + w / 2, 7.5), (x0 + w / 2, 6.8))
    box(ax, x0 + 3 * step, 4.9, w, 1.8, "DVC\ndvc.yaml stages,\nsplits on a remote", LAYER["plug"], size=7)
    arrow(ax, (x0 + 3 * step - 0.3, 5.8), (x0 + 3 * step, 5.8))

    # schema.
    box(ax, 0.6, 0.6, 4.5, 2.5, "rig file\nDeviceBase + driver/kind here;\nthe rest by the driver's\nconfig model",
        "white", size=7.5)
    box(ax, 5.5, 0.6, 6.6, 2.5, "run store (Zarr v3)  R0042.zarr\nstreams/<name>/data · t_ns · seq\n"
        "events · clock · truth · checksums", "white", size=7.5)
    box(ax, 12.5, 0.6, 4.3, 2.5, "manifest · stream spec\nlabels · taxonomy\nimport mapping", "white", size=7.5)
    box(ax, 17.2, 0.6, 4.2, 2.5, "tables · shard writer\nlocations (path / URL)", "white", size=7.5)

    arrow(ax, (10.15, 7.5), (10.15, 3.1))
    ax.text(10.0, 4.25, "append, finalize", fontsize=7, ha="right", va="center")
    arrow(ax, (11.4, 3.1), (x0, 8.4))
    ax.text(11.55, 4.25, "read (plain zarr)", fontsize=7, va="center")
    fig.savefig(OUT, dpi=90, metadata={"Software": None})
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
