"""The docs list the drivers weldctl registers, and the architecture picture is there."""

from __future__ import annotations

from importlib.metadata import distribution
from pathlib import Path

from weldctl.daq import get_driver

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_architecture_doc_lists_every_shipped_driver_with_its_kinds() -> None:
    text = (DOCS / "architecture.md").read_text()
    shipped = [ep.name for ep in distribution("weldctl").entry_points if ep.group == "weldctl.drivers"]
    assert len(shipped) >= 6
    rows = {line.split("|")[1].strip(" `"): line for line in text.splitlines() if line.startswith("| `")}
    for name in shipped:
        assert name in rows, f"docs/architecture.md: no row for driver {name!r}"
        assert ", ".join(get_driver(name).kinds) in rows[name], rows[name]
    picture = DOCS / "img" / "architecture.png"
    assert "img/architecture.png" in text and 0 < picture.stat().st_size < 200_000
