"""Fixtures the CLI tests share with the curation tests."""

from tests.curation.conftest import sim_welds_run  # noqa: F401
