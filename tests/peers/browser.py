"""A real browser for the tests: the distribution's headless Chromium, driven by Playwright, kept on loopback.

Playwright's own browser download is not used: the system Chromium (Debian package `chromium`) is launched
by path. Every request the page makes is routed through ``LoopbackGuard``: anything for a host other than
127.0.0.1/localhost is recorded and aborted, so a test can fail on it without a packet leaving the machine.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from tests.conftest import need, need_module

CHROMIUM = os.environ.get("WELDCTL_CHROMIUM", "/usr/bin/chromium")
SCREEN = {"width": 1366, "height": 768}  # the technician's laptop
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
# Label Studio's pages ask their server for "live tips", which the server fetches from GitHub on every page
# load until the browser has them cached (an hour); offline that answer is a 404 and a console error. The
# test browser starts with an empty tips cache, as a browser that has seen them recently would have.
TIPS_CACHED = """
localStorage.setItem("heidi_live_tips_collection", "{}");
localStorage.setItem("heidi_live_tips_collection_fetched_at", String(Date.now()));
"""


@dataclass
class LoopbackGuard:
    """Routes every request: loopback ones go on, any other is aborted and remembered."""

    outside: list[str] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)

    def __call__(self, route: Any) -> None:
        url = route.request.url
        self.seen.append(url)
        scheme, host = urlsplit(url).scheme, urlsplit(url).hostname or ""
        if scheme in ("data", "blob") or host in LOOPBACK:
            route.continue_()
        else:
            self.outside.append(url)
            route.abort("blockedbyclient")


@dataclass
class ConsoleLog:
    errors: list[str] = field(default_factory=list)

    def __call__(self, msg: Any) -> None:
        if msg.type == "error":
            where = (msg.location or {}).get("url", "")
            self.errors.append(f"{msg.text} ({where})" if where else msg.text)


def chromium_path() -> str:
    need(os.path.exists(CHROMIUM) or shutil.which("chromium") is not None,
         "headless Chromium: apt-get install -y chromium fonts-dejavu-core (scripts/system-deps.sh)")
    return CHROMIUM if os.path.exists(CHROMIUM) else str(shutil.which("chromium"))


@contextmanager
def chromium() -> Iterator[Any]:
    """The system Chromium, headless; host resolution outside loopback is disabled as a second fence."""
    need_module("playwright", "Playwright drives the browser: pip install -e '.[dev]'")
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=path, headless=True,
            args=["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"])
        try:
            yield browser
        finally:
            browser.close()


def log_in(page: Any, url: str, email: str, password: str) -> None:
    """Label Studio's own login form, as a technician uses it."""
    page.goto(f"{url}/user/login/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda u: "/user/login" not in u, timeout=60_000)
