"""A spectrometer stream: the spectrum spec validates its axis and spectra, and the store opens in xarray
with ``time`` and ``wavelength`` dimensions, the wavelength axis as its coordinate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from tests.conftest import need_module
from weldctl.schema import RunManifest, RunWriter, SpectrumSpec, StreamSpec

WL = np.linspace(400.0, 800.0, 64)


def _spec(**spectrum: object) -> StreamSpec:
    sp = SpectrumSpec(wavelengths_nm=list(WL), integration_time_us=5000.0, **spectrum)  # type: ignore[arg-type]
    return StreamSpec(
        name="spec",
        kind="spectrometer",
        device="test",
        driver="test",
        dtype="uint16",
        sample_shape=(len(WL),),
        units="counts",
        nominal_rate_hz=200.0,
        spectrum=sp,
    )


def test_spectrum_spec_refuses_what_does_not_fit() -> None:
    with pytest.raises(ValidationError, match="ascending"):
        SpectrumSpec(wavelengths_nm=[500.0, 400.0], integration_time_us=1.0)
    with pytest.raises(ValidationError, match="dark_counts has 2 values for 64"):
        _spec(dark_counts=[0.0, 1.0])
    with pytest.raises(ValidationError, match="needs its spectrum"):
        StreamSpec(
            name="spec",
            kind="spectrometer",
            device="t",
            driver="t",
            dtype="uint16",
            sample_shape=(4,),
            units="counts",
            nominal_rate_hz=1.0,
        )
    with pytest.raises(ValidationError, match="64 wavelengths need sample_shape"):
        StreamSpec.model_validate(_spec().model_dump() | {"sample_shape": (3,)})


def test_dark_reference_and_irradiance() -> None:
    dark, ref = np.full(len(WL), 100.0), np.full(len(WL), 1100.0)
    sp = _spec(
        dark_counts=list(dark),
        reference_counts=list(ref),
        irradiance_uj_per_count=[2e-6] * len(WL),
        collection_area_cm2=0.5,
    ).spectrum
    assert sp is not None
    counts = np.full(len(WL), 600.0)
    np.testing.assert_allclose(sp.relative(counts), 0.5)
    # (600 − 100) counts · 2e-6 µJ/count / (5 ms · 0.5 cm² · 6.349 nm) = µW/cm²/nm
    expected = 500 * 2e-6 / (5e-3 * 0.5 * (WL[1] - WL[0]))
    np.testing.assert_allclose(sp.irradiance(counts), expected, rtol=1e-9)


def test_xarray_opens_a_spectrometer_stream_with_its_wavelength_axis(tmp_path: Path) -> None:
    xr = need_module("xarray", "xarray reads the run store: pip install -e '.[dev]'")
    spec = _spec(dark_counts=[90.0] * len(WL))
    w = RunWriter.create(tmp_path, RunManifest(run_id="RS", operator="t", rig="t", material="t", host="t"), [spec])
    data = np.random.default_rng(1).integers(0, 4000, (300, len(WL)), dtype=np.uint16)
    idx = np.arange(300, dtype=np.int64)
    w.streams["spec"].append(data, idx * 5_000_000 + 2_500_000, idx)
    w.finalize()
    ds = xr.open_zarr(w.uri, group="streams/spec", consolidated=False, zarr_format=3)
    assert ds["data"].dims == ("time", "wavelength")
    assert "wavelength" in ds.coords and {"t_ns", "seq"} <= set(ds.coords)
    np.testing.assert_allclose(ds["wavelength"].values, WL)
    np.testing.assert_array_equal(ds["data"].values, data)
    np.testing.assert_allclose(ds["dark"].values, 90.0)
    # selecting by wavelength works as a spectroscopist expects: the pixel nearest 656.3 nm
    assert float(ds["data"].sel(wavelength=656.3, method="nearest")["wavelength"]) == pytest.approx(
        WL[np.argmin(abs(WL - 656.3))]
    )
