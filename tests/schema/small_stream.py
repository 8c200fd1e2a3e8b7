"""A 16x16 camera stream of four-frame chunks: small enough that a test writes many shards in milliseconds."""

from weldctl.schema import ClockSource, StreamKind, StreamSpec

CAM = StreamSpec(
    name="cam",
    kind=StreamKind.camera,
    device="d",
    driver="sim",
    dtype="uint8",
    sample_shape=(16, 16),
    units="counts",
    nominal_rate_hz=100,
    clock=ClockSource.device,
    chunk=4,
)
