"""`weldctl devices`: what each registered driver's stack can see on this machine."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from typer.core import TyperCommand, TyperOption

from weldctl.daq import discover, get_driver
from weldctl.schema import driver_names, load_rig

from ._app import app, console, user_errors


def _drivers_help() -> tuple[str, str]:
    """The command's help (every registered driver) and the --stack help; a driver that fails to
    import must not take the whole CLI down, so it is named with its error instead."""
    lines, stacks = [], []
    for name in driver_names():
        try:
            driver = get_driver(name)
        except Exception as exc:  # a broken third-party package: report, keep going
            lines.append(f"{name}: cannot be loaded ({exc})")
            continue
        lines.append(f"{name}: {driver.summary}")
        if driver.probe is not None:
            stacks.append(driver.stack)
    return ("List what each registered driver's stack sees on this machine (cameras, sound cards, NI-DAQ "
            "devices, OCT endpoints), or what to install.\n\nRegistered drivers (`driver:` in a rig file):\n\n"
            + "\n\n".join(lines)), f"only these stacks: {', '.join(stacks)} (repeatable)"


class _DevicesCommand(TyperCommand):
    """Help made when asked for: loading every driver on each `weldctl` start would cost every command."""

    def get_help(self, ctx: Any) -> str:
        self.help, stack_help = _drivers_help()
        for param in self.params:
            if isinstance(param, TyperOption) and param.name == "stack":
                param.help = stack_help
        return str(super().get_help(ctx))


@app.command(cls=_DevicesCommand, short_help="List what each driver's stack sees on this machine, or what to install.")
@user_errors
def devices(
    rig: Path | None = typer.Option(None, "--rig", help="rig YAML: also check the endpoints it configures (OCT)"),
    stack: list[str] = typer.Option([], "--stack", "-s", help="only these stacks (repeatable)"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
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
