"""`weldctl devices`: what each driver stack can see on this machine."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import typer
from rich.markup import escape

from weldctl.daq import discover
from weldctl.schema import load_rig

from ._app import app, console, user_errors


@app.command()
@user_errors
def devices(
    rig: Path | None = typer.Option(None, "--rig", help="rig YAML: also check the OCT endpoints it configures"),
    stack: list[str] = typer.Option([], "--stack", "-s", help="only these stacks: aravis, portaudio, nidaqmx, "
                                    "oct_tcp (repeatable)"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """List the cameras, sound cards, NI-DAQ devices and OCT endpoints each driver stack sees."""
    try:
        reports = discover(load_rig(rig) if rig else None, stack or None)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--stack") from None
    if as_json:
        typer.echo(json.dumps([asdict(r) for r in reports], indent=2))
        return
    def say(text: str) -> None:  # one unwrapped line each, so it can be grepped; device names are not markup
        console.print(text, highlight=False, soft_wrap=True)

    for r in reports:
        head = f"[bold]{r.stack}[/]: "
        if r.problem:
            say(head + f"[yellow]{escape(r.problem)}[/]" + (f" — {escape(r.install)}" if r.install else ""))
        elif not r.devices:
            say(head + escape(r.note or "no devices found"))
        else:
            say(head + f"{len(r.devices)} device(s)")
            for d in r.devices:
                say("  " + escape("  ".join(f"{k}={v}" for k, v in d.items() if v)))
