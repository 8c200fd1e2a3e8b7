"""What the benchmarks ran on: cores, RAM, CPU, the disk under the bench folder, versions."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _filesystem(path: str) -> str:
    """Filesystem type and device of the mount holding ``path`` (tmpfs would flatter every writer)."""
    path = os.path.realpath(path)
    best = ("?", "?", "")
    try:
        with open("/proc/mounts") as f:
            for line in f:
                dev, mnt, fstype = line.split()[:3]
                if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(best[2]):
                    best = (dev, fstype, mnt)
    except OSError:
        pass
    return f"{best[1]} on {os.path.basename(best[0])}"


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def describe(bench_dir: str) -> str:
    import psutil

    ram = psutil.virtual_memory().total / 2**30
    libs = ", ".join(f"{d} {_version(d)}" for d in ("numpy", "zarr", "numcodecs", "tensorstore", "h5py",
                                                      "hdf5plugin", "mcap", "weldctl"))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return "\n".join([
        f"- CPU: {_cpu_model()}, {os.cpu_count()} cores; RAM {ram:.0f} GiB",
        f"- disk under the bench folder: {_filesystem(bench_dir)}",
        f"- Python {sys.version.split()[0]} on {platform.system()} {platform.release()}",
        f"- libraries: {libs}",
        f"- load average at start: {load:.1f} (other processes share the cores; baselines are measured in "
        "the same run so the ratios stay fair)",
    ])
