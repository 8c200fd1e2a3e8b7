"""Run arguments as a user types them: run ids, run stores, folders of runs, or globs (also on object storage,
where the shell cannot expand them)."""

from __future__ import annotations

from weldctl.schema import StoreError, glob_uri, is_url, join_uri, resolve_run, uri_exists

_GLOB = set("*?[")


def expand_runs(args: list[str], runs_dir: str) -> list[str]:
    """Each argument as run store URIs, in the order given: ``R0042`` (under ``runs_dir``), ``x/R0042.zarr``,
    a folder or URL prefix of runs (``s3://bucket/runs``), or a glob (``s3://bucket/runs/R00*.zarr``)."""
    out: list[str] = []
    for arg in args:
        stripped = arg.rstrip("/")
        if _GLOB & set(stripped):
            parent, _, pattern = stripped.rpartition("/")
            names = glob_uri(parent or ".", pattern)
            found = [join_uri(parent, n) if parent else n for n in names if n.endswith(".zarr")]
            if not found:
                raise StoreError(f"no run stores (*.zarr) match {arg}", "check the pattern; `ls` the folder")
            out += found
        elif (
            not stripped.endswith(".zarr")
            and (is_url(stripped) or uri_exists(stripped))
            and not uri_exists(join_uri(stripped, "zarr.json"))
        ):
            names = glob_uri(stripped, "*.zarr")
            if not names:
                raise StoreError(f"no run stores (*.zarr) in {arg}", "record some (`weldctl record`) or import them")
            out += [join_uri(stripped, n) for n in names]
        else:
            out.append(resolve_run(arg, runs_dir))
    return out
