"""Camera frame ids → sequence numbers: GigE Vision 1.x ids are 16-bit and skip 0 when they wrap."""

from __future__ import annotations

from weldctl.daq.drivers.aravis import _FrameIds


def test_16_bit_ids_wrap_past_65535_to_1() -> None:
    ids = _FrameIds()
    assert [ids.unwrap(r) for r in (65533, 65534, 65535, 1, 2)] == [65533, 65534, 65535, 65536, 65537]


def test_a_jump_over_the_wrap_keeps_its_length() -> None:
    ids = _FrameIds()
    assert [ids.unwrap(r) for r in (65530, 3)] == [65530, 65538]  # 65531..65535, 1, 2 lost: 7 frames


def test_a_late_report_steps_back_without_a_false_wrap() -> None:
    ids = _FrameIds()
    ids.unwrap(100)
    assert ids.peek(98) == 98
    assert ids.unwrap(101) == 101


def test_64_bit_ids_are_taken_as_they_are() -> None:
    ids = _FrameIds()
    assert [ids.unwrap(r) for r in (70_000, 70_001, 70_005)] == [70_000, 70_001, 70_005]
