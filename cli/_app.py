"""The `weldctl` typer app and the one place errors become exit codes."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from weldctl.schema import WeldctlError

app = typer.Typer(
    name="weldctl",
    help="Record weld-monitoring rigs into time-aligned Zarr stores and curate them into datasets.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
# Piped output (CI logs, files) gets a width that fits the tables instead of rich's 80 columns.
_PIPED_WIDTH = int(os.environ.get("COLUMNS", "160"))
console = Console() if Console().is_terminal else Console(width=_PIPED_WIDTH)
err_console = Console(stderr=True) if Console(stderr=True).is_terminal else Console(stderr=True, width=_PIPED_WIDTH)

F = TypeVar("F", bound=Callable[..., Any])


def _version(value: bool) -> None:
    if value:
        from weldctl.schema import SCHEMA_VERSION, weldctl_version

        console.print(f"weldctl {weldctl_version()} (run-store schema {SCHEMA_VERSION})")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="print the version"),
) -> None:
    """Record weld-monitoring rigs into time-aligned Zarr stores and curate them into datasets."""


def _interrupted_while_starting(keep_noting: bool = False) -> bool:
    """True when Ctrl-C came during the imports or the argument parsing, which only note it (see _startup)."""
    from ._startup import interrupted_early

    if not interrupted_early(keep_noting):
        return False
    err_console.print("interrupted (Ctrl-C) while starting: nothing was done, no store was written")
    return True


SCHEDULER = typer.Option(
    None, "--scheduler", envvar="DASK_SCHEDULER_ADDRESS",
    help="Dask scheduler address: run the per-run (build: per-split) work as tasks there (default: in-process)",
)


def fail(message: str, hint: str | None = None, code: int = 2) -> typer.Exit:
    # User text (run ids, paths, patterns, hints such as 'weldctl[curation]') is never rich markup.
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    if hint:
        err_console.print(f"  [dim]→[/] {escape(hint)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def user_errors(func: F) -> F:
    """Turn WeldctlError (and a missing optional dependency) into one clear message and exit 2."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _interrupted_while_starting(keep_noting=getattr(func, "notes_ctrl_c", False)):
            raise typer.Exit(130)
        try:
            return func(*args, **kwargs)
        except WeldctlError as exc:
            raise fail(exc.message, exc.hint) from None
        except ModuleNotFoundError as exc:
            raise fail(f"missing Python package {exc.name!r}",
                       "install the matching extra, e.g. pip install 'weldctl[curation]'") from None
        except Exception as exc:
            if not _raised_reading_zarr(exc):
                raise
            first = (str(exc).splitlines() or [""])[0][:200]
            raise fail(f"a run store could not be read ({type(exc).__name__}: {first})",
                       "the store is damaged: `weldctl verify RUN` lists what changed; restore it from a copy",
                       ) from None

    return wrapper  # type: ignore[return-value]


def _raised_reading_zarr(exc: BaseException) -> bool:
    """Raised inside zarr or its codecs: a chunk that does not decode (truncated, corrupted)."""
    tb = exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename.replace("\\", "/")
        if "/zarr/" in name or "/numcodecs/" in name:
            return True
        tb = tb.tb_next
    return False


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:  # outside typer's own handling: before or after the command
        err_console.print("interrupted (Ctrl-C)")
        sys.exit(130)
    except SystemExit as exc:
        # typer turns a Ctrl-C that a command did not handle into a silent exit 130: say so.
        if isinstance(exc.__context__, typer.Exit) and isinstance(exc.__context__.__cause__, KeyboardInterrupt):
            err_console.print(f"interrupted (Ctrl-C): {_command()} stopped")
        raise


def _command() -> str:
    return " ".join(["weldctl", *[a for a in sys.argv[1:] if not a.startswith("-")][:1]])
