"""Talking to Label Studio: settings from the environment, one-line errors, and a key that never leaks."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from weldctl.schema import WeldctlError

if TYPE_CHECKING:
    from label_studio_sdk import LabelStudio

PING_TIMEOUT_S = 5.0
START_HINT = "start it (`make labelstudio`) or point LABEL_STUDIO_URL at a running server"


class LabelStudioError(WeldctlError):
    """Label Studio is down, refused the key, or answered something unexpected."""


@dataclass(frozen=True)
class LabelStudioSettings:
    url: str
    api_key: str = field(repr=False)  # legacy token or personal access token; never printed

    @classmethod
    def from_env(cls, url: str | None = None) -> LabelStudioSettings:
        url = url or os.environ.get("LABEL_STUDIO_URL") or "http://localhost:8080"
        key = os.environ.get("LABEL_STUDIO_API_KEY", "")
        if not key:
            raise LabelStudioError("LABEL_STUDIO_API_KEY is not set",
                                   "in Label Studio: avatar → Account & Settings → Personal Access Token → "
                                   "Create New Token (see docs/labelling.md)")
        return cls(url=url.rstrip("/"), api_key=key)

    def redact(self, text: str) -> str:
        text = text.replace(self.api_key, "***") if self.api_key else text
        password = urlsplit(self.url).password
        return text.replace(password, "***") if password else text

    @property
    def shown(self) -> str:
        """The URL for messages: a password inside it (http://user:secret@host) is never echoed."""
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        netloc = f"{parts.username or ''}:***@{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))


def _unreachable_reason(exc: BaseException) -> str:
    """What a failed connection means: a name that does not resolve is not a refused connection."""
    text = str(exc).lower()
    if any(s in text for s in ("name or service not known", "nodename nor servname", "name resolution",
                               "no address associated", "getaddrinfo")):
        return "host name not found"
    if "refused" in text:
        return "connection refused"
    if "timed out" in text or "timeout" in type(exc).__name__.lower():
        return "no answer in time"
    return type(exc).__name__


def _sdk() -> Any:
    try:
        import label_studio_sdk
    except ModuleNotFoundError:
        raise WeldctlError("missing Python package 'label_studio_sdk'",
                           "pip install 'weldctl[labelstudio]'") from None
    return label_studio_sdk


@contextmanager
def ls_errors(settings: LabelStudioSettings) -> Iterator[None]:
    """Any failure talking to the server becomes one line naming the server, with the key redacted."""
    import httpx

    errors = _sdk().core.api_error.ApiError
    try:
        yield
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError, httpx.ReadError) as exc:
        raise LabelStudioError(f"Label Studio at {settings.shown} is not reachable "
                               f"({_unreachable_reason(exc)})", START_HINT) from None
    except httpx.TimeoutException:
        raise LabelStudioError(f"Label Studio at {settings.shown} did not answer in time", START_HINT) from None
    except errors as exc:
        status = getattr(exc, "status_code", None)
        if status in (401, 403):
            raise LabelStudioError(f"Label Studio at {settings.shown} refused the API key (HTTP {status})",
                                   "check LABEL_STUDIO_API_KEY (legacy or personal access token)") from None
        body = settings.redact(str(getattr(exc, "body", exc)))[:300]
        raise LabelStudioError(f"Label Studio at {settings.shown} answered HTTP {status}: {body}") from None


def connect(settings: LabelStudioSettings) -> LabelStudio:
    """A client for a server that is up and accepts the key; checked before anything is changed."""
    import httpx

    try:
        r = httpx.get(f"{settings.shown}/health", timeout=PING_TIMEOUT_S)
    except httpx.HTTPError as exc:
        raise LabelStudioError(f"Label Studio at {settings.shown} is not reachable ({_unreachable_reason(exc)})",
                               START_HINT) from None
    if r.status_code != 200:
        raise LabelStudioError(f"Label Studio at {settings.shown} is not healthy (HTTP {r.status_code})",
                               START_HINT)
    client = _sdk().LabelStudio(base_url=settings.url, api_key=settings.api_key, timeout=60.0)
    with ls_errors(settings):
        client.users.whoami()
    return client
