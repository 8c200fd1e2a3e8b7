"""What a rig file may ask for: rates a device of its kind can have, and a data rate one recorder PC can write.

pydantic checks each field on its own; these checks look at the rig as a whole. Each problem names the device
(as the rig file does: ``devices[0](camera).fps``) and what would be feasible.
"""

from __future__ import annotations

from typing import Any

# Highest rate a device of each kind has (samples or frames per second): beyond it a rig file is a typo.
MAX_RATE_HZ = {"camera": 200_000.0, "ir": 10_000.0, "daq": 10_000_000.0, "audio": 768_000.0,
               "oct": 1_000_000.0, "spectrometer": 100_000.0}
# Estimated data rate one recorder PC can sustain to disk (raw sequential writes measured at 1.2-2.1 GB/s on the
# reference machine); a rig asking for more would lose most of its samples.
MAX_INGEST_BYTES_S = 4e9
MAX_LEAD_S = 3600.0
MAX_REPEAT = 1000


def _rate(dev: Any) -> tuple[str, float | None]:
    for field in ("fps", "rate_hz"):
        value = getattr(dev, field, None)
        if value is not None:
            return field, float(value)
    return "", None


def _sample_bytes(dev: Any) -> int:
    """Bytes per sample or frame, as stored (an upper bound where the driver decides)."""
    w, h = getattr(dev, "width", None), getattr(dev, "height", None)
    if w and h:
        deep = dev.kind == "ir" or getattr(dev, "pixel_format", "") == "Mono16"
        return int(w) * int(h) * (2 if deep else 1)
    channels = getattr(dev, "channels", 1)
    n = len(channels) if isinstance(channels, list) else int(channels or 1)
    return 8 * max(1, n)


def rig_problems(rig: Any) -> list[str]:
    """Everything infeasible in a validated rig, one line each (empty when it can be recorded)."""
    out: list[str] = []
    enabled = [(i, d) for i, d in enumerate(rig.devices) if d.enabled]
    if not enabled:
        out.append("devices: no enabled device: a rig records at least one (`weldctl rig show` lists the sim rig)")
    total = 0.0
    for i, dev in enabled:
        where = f"devices[{i}]({dev.name})"
        field, rate = _rate(dev)
        if rate is None:
            continue
        cap = MAX_RATE_HZ.get(dev.kind)
        if cap is not None and rate > cap:
            out.append(f"{where}.{field}: {rate:g} per second is beyond any {dev.kind} device (at most {cap:g})")
            continue
        total += rate * _sample_bytes(dev)
    if total > MAX_INGEST_BYTES_S:
        out.append(f"devices: together they produce ~{total / 1e9:,.1f} GB/s, more than one recorder PC writes "
                   f"(~{MAX_INGEST_BYTES_S / 1e9:g} GB/s at most): lower frame rates or frame sizes")
    sim = getattr(rig, "sim", None)
    if sim is not None and any(d.driver == "sim" for _, d in enabled):
        for field in ("lead_s", "gap_s"):
            if float(getattr(sim, field)) > MAX_LEAD_S:
                out.append(f"sim.{field}: {getattr(sim, field):g} s; at most {MAX_LEAD_S:g} s")
        if int(sim.repeat) > MAX_REPEAT:
            out.append(f"sim.repeat: {sim.repeat}; at most {MAX_REPEAT} passes of the weld sequence")
    return out
