import pytest

from weldctl.schema import MAX_RUN_ID, RunIdError, validate_run_id


@pytest.mark.parametrize("good", ["R0042", "run_1.a-b", "7", "A" * MAX_RUN_ID])
def test_accepts_safe_ids(good: str) -> None:
    assert validate_run_id(good) == good


@pytest.mark.parametrize(
    "bad", ["", "a/b", "../R1", "R..1", "R 42", "A" * (MAX_RUN_ID + 1), ".hidden", "-x", "R42\n", "R/../x"]
)
def test_refuses_unsafe_ids(bad: str) -> None:
    with pytest.raises(RunIdError) as exc:
        validate_run_id(bad)
    assert exc.value.hint and "R0042" in exc.value.hint
