"""`weldctl rig validate|show` and `weldctl schema export`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from weldctl.schema import (
    ImportMapping,
    Rig,
    RunManifest,
    StreamSpec,
    default_sim_rig,
    dump_rig,
    example_rig_text,
    load_rig,
)

from ._app import app, console, user_errors

rig_app = typer.Typer(help="Rig files: validate one, or print the default simulated rig.", no_args_is_help=True)
schema_app = typer.Typer(help="JSON Schema of weldctl's data models.", no_args_is_help=True)
app.add_typer(rig_app, name="rig")
app.add_typer(schema_app, name="schema")


@rig_app.command("validate")
@user_errors
def rig_validate(path: Path = typer.Argument(..., help="rig YAML")) -> None:
    """Check a rig file; errors name the file, the field and what is allowed."""
    rig = load_rig(path)
    kinds = ", ".join(f"{d.name} ({d.driver}.{d.kind})" for d in rig.enabled_devices)
    console.print(f"[green]ok[/] {path}: rig {rig.name!r} with {len(rig.enabled_devices)} devices: {kinds}")


@rig_app.command("show")
@user_errors
def rig_show(
    example: str | None = typer.Option(None, "--example", help="a commented real-rig example instead, e.g. 'lab'"),
) -> None:
    """Print the default simulated rig (or a commented real-rig example) as YAML: a starting point for your own."""
    if example:
        typer.echo(example_rig_text(example), nl=False)
    else:
        typer.echo(dump_rig(default_sim_rig(), comments=True), nl=False)


@schema_app.command("export")
@user_errors
def schema_export(
    out: Path = typer.Option(Path("schema-json"), "--out", "-o", help="folder for *.schema.json"),
) -> None:
    """Write JSON Schema for the rig file, the run manifest, the stream spec and the import mapping."""
    out.mkdir(parents=True, exist_ok=True)
    for name, model in (
        ("rig", Rig),
        ("run_manifest", RunManifest),
        ("stream_spec", StreamSpec),
        ("import_mapping", ImportMapping),
    ):
        path = out / f"{name}.schema.json"
        path.write_text(json.dumps(model.model_json_schema(), indent=2) + "\n")
        console.print(f"wrote {path}")
