"""Units per channel: a stream's channels may differ (OCT depth in um, its quality a 0..1 figure)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from weldctl.schema import Calibration, StreamKind, StreamSpec


def _spec(**kw: object) -> StreamSpec:
    base: dict[str, object] = {"name": "oct", "kind": StreamKind.oct, "device": "d", "driver": "sim",
                               "dtype": "float32", "sample_shape": (2,), "channels": ["keyhole_depth", "quality"],
                               "units": "um", "nominal_rate_hz": 1000.0}
    return StreamSpec.model_validate({**base, **kw})


def test_units_of_a_channel_come_from_calibration_then_channel_units_then_the_stream() -> None:
    spec = _spec(channel_units={"quality": "1"}, calibration={"keyhole_depth": Calibration(scale=1e-3, units="mm")})
    assert spec.units_of("quality") == "1"
    assert spec.units_of("keyhole_depth") == "mm"
    assert spec.units_of("keyhole_depth", calibrated=False) == "um"
    assert _spec().units_of("quality") == "um"  # stores written before channel_units: the stream's units


def test_channel_units_must_name_channels_of_the_stream() -> None:
    with pytest.raises(ValidationError, match="channel_units names channels the stream does not have: depth"):
        _spec(channel_units={"depth": "mm"})


def test_sim_oct_stream_says_its_quality_has_no_unit(sim_run_3s: str) -> None:
    import zarr

    from weldctl.schema import RunReader

    spec = RunReader(sim_run_3s).specs["oct"]
    assert spec.units_of("keyhole_depth") == "um" and spec.units_of("quality") == "1"
    # Streams whose channels share one unit keep the attrs older readers know.
    attrs = zarr.open_group(sim_run_3s, mode="r")["streams/daq"].attrs["stream_spec"]
    assert "channel_units" not in attrs
