"""The labelling page in a real browser: what a technician sees on a 1366x768 laptop, and a pore labelled by hand.

Headless Chromium (the distribution's package) driven by Playwright logs into the real Label Studio the tests
start, opens a pushed weld, checks the first screen, labels a pore with the mouse, submits, and `label pull`
must return that pore on the run time base. No request may leave 127.0.0.1 and the console stays clean.
Set WELDCTL_DOC_SHOTS=1 to refresh the screenshots in docs/img/ from this test.
"""

from __future__ import annotations

import csv
import io
import os
import re
import time
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import numpy as np
import pytest
from typer.testing import CliRunner

from tests.peers.browser import SCREEN, TIPS_CACHED, ConsoleLog, LoopbackGuard, chromium, log_in
from tests.peers.label_studio import LabelStudioServer
from weldctl.cli import app
from weldctl.schema import RunReader, read_labels

pytestmark = pytest.mark.integration
PROJECT = "weldctl-browser-welds"
DOC_IMG = Path(__file__).resolve().parents[3] / "docs" / "img"
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP = 50, 20, 20  # Label Studio's margins around each plot (px)


class Bench:
    def __init__(self, root: Path, run: str, server: LabelStudioServer) -> None:
        self.root, self.run, self.server = root, run, server
        self.segments, self.labels = root / "segments", root / "labels.jsonl"

    def cli(self, *args: str) -> Any:
        env = {"LABEL_STUDIO_URL": self.server.url, "LABEL_STUDIO_API_KEY": self.server.token,
               "LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT": str(self.server.document_root)}
        with mock.patch.dict(os.environ, env):
            return CliRunner().invoke(app, list(args))

    def api(self, path: str) -> Any:
        r = httpx.get(self.server.url + path, headers={"Authorization": f"Token {self.server.token}"}, timeout=30)
        r.raise_for_status()
        return r

    def project_id(self) -> int:
        (pid,) = [p["id"] for p in self.api("/api/projects?page_size=100").json()["results"]
                  if p["title"] == PROJECT]
        return int(pid)

    def task(self, weld_id: int) -> dict[str, Any]:
        tasks = self.api(f"/api/tasks?project={self.project_id()}&fields=all&page_size=100").json()["tasks"]
        (task,) = [t for t in tasks if t["data"]["weld_id"] == weld_id]
        return dict(task)


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory, sim_welds_run: str, sim_welds_segments: Path,
          label_studio: LabelStudioServer) -> Bench:
    b = Bench(tmp_path_factory.mktemp("label_browser"), sim_welds_run, label_studio)
    b.segments = sim_welds_segments
    res = b.cli("label", "push", sim_welds_run, "--segments", str(b.segments), "--project", PROJECT)
    assert res.exit_code == 0, res.output
    return b


def _shot(page: Any, name: str, tmp: Path) -> Path:
    """A screenshot as a small palette PNG; into docs/img/ when WELDCTL_DOC_SHOTS=1."""
    from PIL import Image

    raw = tmp / f"{name}.raw.png"
    page.screenshot(path=str(raw))
    out = (DOC_IMG if os.environ.get("WELDCTL_DOC_SHOTS") == "1" else tmp) / f"{name}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.open(raw).convert("RGB").quantize(colors=128).save(out, optimize=True)
    return out


def _open_first_task(page: Any, bench: Bench, n_plots: int) -> float:
    """The project's labelling stream ("Label All Tasks"), as a technician starts it; seconds until drawn."""
    t0 = time.monotonic()
    page.goto(f"{bench.server.url}/projects/{bench.project_id()}/data?labeling=1")
    page.wait_for_function(f"document.querySelectorAll('.htx-timeseries-channel svg').length >= {n_plots}",
                           timeout=120_000)
    page.wait_for_load_state("networkidle")
    return time.monotonic() - t0


def _legends(page: Any) -> list[str]:
    """The channel names drawn inside the plots (Label Studio writes each as a faint text)."""
    return list(page.eval_on_selector_all(
        ".htx-timeseries-channel svg > g > text[font-weight=bold]", "els => els.map(e => e.textContent)"))


def test_a_technician_labels_a_pore_through_the_page(bench: Bench, tmp_path: Path) -> None:
    csv_head = None
    with chromium() as browser:
        ctx = browser.new_context(viewport=SCREEN)
        ctx.add_init_script(TIPS_CACHED)
        guard, console = LoopbackGuard(), ConsoleLog()
        ctx.route("**/*", guard)
        page = ctx.new_page()
        page.on("console", console)
        page.on("pageerror", lambda exc: console.errors.append(f"page error: {exc}"))
        log_in(page, bench.server.url, bench.server.username, bench.server.password)

        task = bench.task(0)
        data = task["data"]
        csv_text = bench.api(data["csv"]).text
        csv_head = next(csv.reader(io.StringIO(csv_text)))
        opened_s = _open_first_task(page, bench, len(csv_head) - 1)
        title = page.get_by_text(re.compile(r"^Run \S+ · weld \d+ · ")).first.text_content() or ""
        assert f"weld {data['weld_id']} ·" in title and "laser_on" not in title, title

        # First screen at 1366x768: every channel and every choice above the bottom bar, none cut off.
        bar_top = page.get_by_test_id("bottombar-submit-button").bounding_box()["y"]
        plots = page.locator(".htx-timeseries-channel")
        boxes = [plots.nth(i).bounding_box() for i in range(plots.count())]
        legends = _legends(page)
        assert legends[0] == "weld" and len(legends) == len(csv_head) - 1, legends
        assert "oct/quality" in legends and "oct/keyhole_depth [um]" in legends, legends
        assert "daq/photodiode [V]" in legends, legends
        for box, name in zip(boxes, legends, strict=False):
            plot_bottom = box["y"] + box["height"] - 30  # the axis labels below may be overlapped
            assert box["y"] >= 0 and plot_bottom <= bar_top and box["x"] + box["width"] <= SCREEN["width"], name
        radios = page.locator("label.ant-radio-wrapper")
        assert radios.count() == 3 + 2 + 7
        for i in range(radios.count()):
            b = radios.nth(i).bounding_box()
            assert b is not None and b["y"] + b["height"] <= bar_top and b["x"] + b["width"] <= SCREEN["width"]
        # The first task of a new project shows the pre-annotation: the manifest's intended condition.
        condition = RunReader(bench.run).manifest.welds[data["weld_id"]].condition
        assert page.locator(f"input[name={condition}]").is_checked()
        print(f"\ntask drawn in {opened_s:.1f} s; plots at y={[round(b['y']) for b in boxes]}, "
              f"choices down to y={round(b['y'] + b['height'])}, bottom bar at y={round(bar_top)}")
        _shot(page, "labelling-first-screen", tmp_path)

        # Label: penetration, porosity present, then the pore label appears; drag across the photodiode plot.
        page.locator("label:has(input[name=full])").click()
        page.locator("label:has(input[name=present])").click()
        page.locator(".lsf-label", has_text="pore").first.click()
        plot = boxes[legends.index("daq/photodiode [V]")]
        width = plot["width"] - PLOT_LEFT - PLOT_RIGHT
        times = np.array([float(r[0]) for r in list(csv.reader(io.StringIO(csv_text)))[1:]])
        x_of = lambda t: plot["x"] + PLOT_LEFT + (t - times[0]) / (times[-1] - times[0]) * width  # noqa: E731
        drag_ms = (120.0, 135.0)  # on the task's axis: ms from the weld start
        y = plot["y"] + PLOT_TOP + 20
        page.mouse.move(x_of(drag_ms[0]), y)
        page.mouse.down()
        page.mouse.move(x_of(drag_ms[1]), y, steps=8)
        page.mouse.up()
        page.wait_for_timeout(500)
        _shot(page, "labelling-pore-marked", tmp_path)
        page.locator(".weld-frames").first.scroll_into_view_if_needed()
        captions = page.get_by_text(re.compile(r"^(camera|ir) keyframes at ")).all_text_contents()
        assert len(captions) == 2 and all(c.endswith(" ms") for c in captions), captions
        _shot(page, "labelling-keyframes", tmp_path)
        with page.expect_response(lambda r: "/annotations" in r.url and r.request.method == "POST") as posted:
            page.get_by_test_id("bottombar-submit-button").click()
        assert posted.value.ok, posted.value.text()
        page.wait_for_load_state("networkidle")
        assert guard.outside == [], f"requests left 127.0.0.1: {guard.outside}"
        assert console.errors == [], console.errors
        assert guard.seen, "the guard saw the page's requests"
        assert bench.server.sink.calls == [], f"the server tried to reach: {bench.server.sink.calls}"
        ctx.close()

    # What the browser stored is what pull returns, on the run time base, to the nanosecond.
    (ann,) = bench.task(0)["annotations"]
    (region,) = [r["value"] for r in ann["result"] if r["from_name"] == "pore"]
    res = bench.cli("label", "pull", "--project", PROJECT, "--out", str(bench.labels))
    assert res.exit_code == 0, res.output
    assert "contradict" not in res.output
    pid = bench.project_id()
    (rec,) = [r for r in read_labels(bench.labels)
              if r.weld_id == data["weld_id"] and r.ls is not None and r.ls.project_id == pid]
    assert rec.annotator == bench.server.username and rec.problems is None
    assert rec.labels == {"penetration": "full", "porosity": "present", "condition": condition}
    (pore,) = rec.pore_regions
    assert data["t0_ns"] == data["t_start_ns"] and data["time_unit_ns"] == 1_000_000
    assert pore.t_start_ns == data["t_start_ns"] + round(region["start"] * 1e6)
    assert pore.t_end_ns == data["t_start_ns"] + round(region["end"] * 1e6)
    # ... and where the mouse went: within a pixel's worth of time plus one decimated sample.
    px_ns = (times[-1] - times[0]) / width * 1e6
    for got, want_ms in zip((pore.t_start_ns, pore.t_end_ns), drag_ms, strict=True):
        assert abs(got - (data["t_start_ns"] + want_ms * 1e6)) <= 1.5 * px_ns + data["sample_ns"]


def test_a_task_open_downloads_its_signals_once(bench: Bench) -> None:
    """Label Studio asks for the CSV several times per open; with its ETag the browser transfers it once."""
    with chromium() as browser:  # no routing here (it would switch the cache off); the resolver fence holds
        ctx = browser.new_context(viewport=SCREEN)
        ctx.add_init_script(TIPS_CACHED)
        page = ctx.new_page()
        outside: list[str] = []
        bodies: list[int] = []
        page.on("request", lambda r: outside.append(r.url) if not re.match(
            r"^(data:|blob:|https?://(127\.0\.0\.1|localhost)[:/])", r.url) else None)
        page.on("requestfinished", lambda r: bodies.append(r.sizes()["responseBodySize"])
                if ".csv" in r.url else None)
        log_in(page, bench.server.url, bench.server.username, bench.server.password)
        _open_first_task(page, bench, 2)
        page.wait_for_timeout(1000)
        ctx.close()
    assert outside == []
    assert len(bodies) >= 1 and sum(1 for b in bodies if b > 0) == 1, bodies
    print(f"\nCSV requested {len(bodies)} times per open, body transferred {sum(b > 0 for b in bodies)} time(s)")
