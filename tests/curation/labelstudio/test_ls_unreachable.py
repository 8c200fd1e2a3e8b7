"""Issue: a password inside LABEL_STUDIO_URL was echoed in errors, and a host name that does not resolve was
reported as "connection refused"."""

from __future__ import annotations

import socket

import pytest

from tests.conftest import need_module

need_module("httpx", "httpx comes with the labelstudio extra: pip install -e '.[labelstudio]'")
need_module("label_studio_sdk", "pip install -e '.[labelstudio]'")

from weldctl.curation import LabelStudioError, LabelStudioSettings, connect  # noqa: E402


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(("host", "reason"), [("no-such-host.invalid", "host name not found"),
                                              (f"127.0.0.1:{_closed_port()}", "connection refused")])
def test_unreachable_server_names_the_reason_and_hides_the_password(monkeypatch, host: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "k" * 40)
    with pytest.raises(LabelStudioError) as err:
        connect(LabelStudioSettings.from_env(f"http://admin:s3cret-pw@{host}"))
    assert reason in err.value.message and "s3cret-pw" not in str(err.value) and "admin:***@" in err.value.message
