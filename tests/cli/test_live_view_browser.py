"""The live page as an operator sees it: headless Chromium (Debian's) driven by Playwright, during a sim
recording and over a finished run. Every request that would leave 127.0.0.1 is blocked and fails the test."""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import psutil
import pytest
from PIL import Image

from tests.conftest import need, need_module
from tests.daq.view.view_rig import view_rig
from weldctl.schema import RunReader, dump_rig, verify_checksums

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"
WELDCTL = [sys.executable, "-m", "weldctl.cli"]
URL = re.compile(r"(http://127\.0\.0\.1:\d+/)")


@pytest.fixture(scope="module")
def playwright():  # type: ignore[no-untyped-def]
    need(os.path.exists(CHROMIUM), "Debian's chromium is needed: apt-get install -y chromium fonts-dejavu-core")
    sync_api = need_module("playwright.sync_api", "playwright is needed: pip install -e '.[dev]'")
    with sync_api.sync_playwright() as pw:
        yield pw


class Browser:
    """One Chromium with every request outside 127.0.0.1 blocked and remembered; its processes' ids, so the
    test can kill exactly this browser."""

    def __init__(self, pw, outside: list[str]) -> None:  # type: ignore[no-untyped-def]
        before = self._chromium_pids()
        self.browser = pw.chromium.launch(executable_path=CHROMIUM)
        self.pids = self._chromium_pids() - before
        self.outside = outside

    @staticmethod
    def _chromium_pids() -> set[int]:
        out = set()
        for p in psutil.Process().children(recursive=True):
            try:
                if "chrom" in " ".join(p.cmdline()[:1]):
                    out.add(p.pid)
            except psutil.Error:
                pass
        return out

    def _route(self, route) -> None:  # type: ignore[no-untyped-def]
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def page(self, url: str):  # type: ignore[no-untyped-def]
        page = self.browser.new_page(viewport={"width": 1280, "height": 860})
        page.route("**/*", self._route)
        page.goto(url)
        return page

    def kill(self) -> None:
        for pid in self.pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _frame_t(page, name: str = "camera") -> float:  # type: ignore[no-untyped-def]
    page.wait_for_selector(f'figure[data-frame="{name}"][data-t]', timeout=20_000)
    return float(page.get_attribute(f'figure[data-frame="{name}"]', "data-t"))


def _advances(page, t: float, name: str = "camera") -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(
        f'Number(document.querySelector(\'figure[data-frame="{name}"]\').dataset.t) > {t + 0.3}', timeout=20_000)


def _repainted(page, before: bytes, within_s: float = 20.0) -> float:  # type: ignore[no-untyped-def]
    """Share of pixels that differ from ``before`` once the page has painted what it received: on a loaded
    machine headless Chromium may paint a few hundred ms after the DOM changed (seen: a screenshot taken right
    after the frame's time advanced still showed the old picture)."""
    end = time.monotonic() + within_s
    while True:
        changed = float((np.abs(_pixels(before) - _pixels(page.screenshot())).max(axis=2) > 0).mean())
        if changed > 0.01 or time.monotonic() > end:
            return changed
        page.wait_for_timeout(500)


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def _read_url(proc: subprocess.Popen, out: list[str]) -> str:
    """The URL the command prints (its output is collected on in a thread, so the pipe never fills)."""
    found = threading.Event()

    def pump() -> None:
        for line in proc.stdout:  # type: ignore[union-attr]
            out.append(line)
            if URL.search(line):
                found.set()

    threading.Thread(target=pump, daemon=True).start()
    assert found.wait(60), f"no URL printed: {''.join(out)}"
    return URL.search("".join(out)).group(1)  # type: ignore[union-attr]


def test_live_page_updates_and_a_killed_browser_leaves_the_recording_untouched(playwright, tmp_path: Path) -> None:
    rig = tmp_path / "rig.yaml"
    rig.write_text(dump_rig(view_rig(16.0)))  # the rig file's view: section turns the page on
    proc = subprocess.Popen([*WELDCTL, "record", "--run-id", "RLIVE", "--rig", str(rig), "--out", str(tmp_path),
                             "--duration", "16", "--no-live"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    out: list[str] = []
    outside: list[str] = []
    try:
        url = _read_url(proc, out)
        doomed, kept = Browser(playwright, outside), Browser(playwright, outside)
        page = doomed.page(url)
        t1 = _frame_t(page)
        for trace in ("daq.photodiode", "daq.laser_on", "oct.keyhole_depth", "audio.mic"):
            page.wait_for_selector(f'canvas[data-trace="{trace}"]', timeout=10_000)
        page.wait_for_selector('figure[data-frame="ir"] .bar .hi', timeout=10_000)
        assert "°C" in page.inner_text('figure[data-frame="ir"] .bar')
        shot1 = page.screenshot()
        _advances(page, t1)
        assert _repainted(page, shot1) > 0.01  # frames and traces moved, not a blinking cursor
        second = kept.page(url)  # a second viewer at the same time
        t2 = _frame_t(second)
        assert doomed.pids
        doomed.kill()  # the operator's browser crashes mid-recording
        _advances(second, t2)
        again = kept.page(url)  # and someone reconnects
        _advances(again, _frame_t(again))
        kept.browser.close()
        proc.wait(timeout=90)
        stderr = proc.stderr.read()  # type: ignore[union-attr]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert not outside, f"the page asked for something outside 127.0.0.1: {outside}"
    r = RunReader(tmp_path / "RLIVE.zarr")
    assert r.manifest.status == "finalized" and verify_checksums(r.uri).ok
    assert len(r.gaps()["t_ns"]) == 0, "the recording lost samples while browsers watched"
    for name, spec in r.specs.items():
        assert r.length(name) >= 0.95 * 16 * spec.nominal_rate_hz, name


def test_replay_page_scrubs_through_welds(playwright, sim_run_3s: str) -> None:
    proc = subprocess.Popen([*WELDCTL, "view", sim_run_3s, "--live", "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    outside: list[str] = []
    try:
        url = _read_url(proc, [])
        b = Browser(playwright, outside)
        page = b.page(url)
        page.wait_for_selector("#replay:not([hidden])", timeout=20_000)
        t0 = _frame_t(page)
        page.wait_for_function("document.getElementById('weld').textContent === 'between welds'", timeout=20_000)
        page.keyboard.press("ArrowRight")  # next weld
        page.wait_for_function("document.getElementById('weld').textContent === 'in weld 0'", timeout=20_000)
        page.wait_for_selector("#laser.on", timeout=10_000)
        _advances(page, t0)
        page.keyboard.press("ArrowRight")
        page.wait_for_function("document.getElementById('weld').textContent === 'in weld 1'", timeout=20_000)
        b.browser.close()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    assert not outside, f"the page asked for something outside 127.0.0.1: {outside}"
