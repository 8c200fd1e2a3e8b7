"""Take docs/img/live-view.png, the README's picture of the live page: the page replaying a simulated run, in a
weld, as an operator's browser shows it.

Records the default sim rig (every kind of sensor) for 8 s into a temporary folder, serves `weldctl view RUN
--live` on 127.0.0.1 and photographs the page in the distribution's headless Chromium driven by Playwright
(`apt-get install chromium`; Playwright comes with `pip install -e '.[dev]'`). A replay of a run without losses:
a busy machine's writer-behind banners say nothing about the page, so the recorder gets more room to wait for the
disk than a rig's defaults give it, and a run that lost samples anyway fails. Every request that would leave
127.0.0.1 is refused, and fails the run.

Run `python scripts/live_view_screenshot.py` after changing what the page or the default rig shows.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

OUT = Path(__file__).resolve().parents[1] / "docs" / "img" / "live-view.png"
CHROMIUM = "/usr/bin/chromium"
WELDCTL = [sys.executable, "-m", "weldctl.cli"]
URL = re.compile(r"(http://127\.0\.0\.1:\d+/)")
VIEWPORT = {"width": 1200, "height": 860}  # every trace, the spectrometer's last
RECORD = ["--duration", "8", "--no-live"]
WELD = 5  # a weld in the second pass of the sim's sequence: the traces show two welds before it


def _serve(run: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [*WELDCTL, "view", str(run), "--live", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    said = []
    for line in proc.stdout:
        said.append(line)
        if m := URL.search(line):
            return proc, m.group(1)
    raise SystemExit(f"weldctl view --live printed no URL:\n{''.join(said)}")


def _shoot(url: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    outside: list[str] = []

    def route(r) -> None:  # type: ignore[no-untyped-def]
        if urlsplit(r.request.url).hostname == "127.0.0.1":
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport=VIEWPORT)
        page.route("**/*", route)
        page.goto(url)
        page.wait_for_selector("#replay:not([hidden])", timeout=30_000)
        for _ in range(WELD + 1):  # → steps weld by weld, as an operator does
            page.keyboard.press("ArrowRight")
        page.wait_for_function(f"document.getElementById('weld').textContent === 'in weld {WELD}'", timeout=30_000)
        for kind in ("camera", "ir"):
            page.wait_for_selector(f'figure[data-frame="{kind}"][data-t]', timeout=30_000)
        page.wait_for_selector('canvas[data-trace^="spectrometer"]', timeout=30_000)
        # A few more polls at the same cursor, so every frame and trace shows the weld, not the way to it.
        for _ in range(3):
            before = page.get_attribute("body", "data-updated")
            page.wait_for_function(f"document.body.dataset.updated !== '{before}'", timeout=30_000)
        page.screenshot(path=str(out))
        browser.close()
    if outside:
        raise SystemExit(f"the page asked for something outside 127.0.0.1: {outside}")


def main() -> None:
    from weldctl.schema import RunReader, default_sim_rig, dump_rig

    with tempfile.TemporaryDirectory(prefix="weldctl-shot-") as tmp:
        rig = default_sim_rig()
        rig.recorder = rig.recorder.model_copy(update={"queue_seconds": 10.0, "max_at_risk_s": 10.0})
        (Path(tmp) / "rig.yaml").write_text(dump_rig(rig))
        subprocess.run(
            [*WELDCTL, "record", "--run-id", "RV1", "--rig", f"{tmp}/rig.yaml", "--out", tmp, *RECORD],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        lost = int(RunReader(f"{tmp}/RV1.zarr").gaps()["count"].sum())
        if lost:
            raise SystemExit(f"the recording lost {lost:,} samples (a busy machine?): run this again later")
        proc, url = _serve(Path(tmp) / "RV1.zarr")
        try:
            _shoot(url, Path(tmp) / "shot.png")
        finally:
            proc.send_signal(signal.SIGINT)  # as Ctrl-C stops it
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        from PIL import Image

        Image.open(Path(tmp) / "shot.png").convert("RGB").save(OUT, optimize=True)
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
