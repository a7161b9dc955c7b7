"""The dashboard and the report in a real headless Chromium (Debian's, driven by Playwright).

The server runs as `rout serve` would (its own process, a pool of 2 workers)
on a free localhost port. Without /usr/bin/chromium these tests fail: install
it with `apt-get install -y chromium` (see the Makefile).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright
from typer.testing import CliRunner

from rout.viz.commands import register
from rout.viz.map import ATTACKER

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "out" / "test-artifacts"
SERVE = ("import sys, typer; from rout.viz.commands import register; "
         "app = typer.Typer(); register(app); app(sys.argv[1:])")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", SERVE, "serve", "--port", str(port),
                             "--workers", "2"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"rout serve exited: {proc.stdout.read().decode()}")
            try:
                with urllib.request.urlopen(f"{url}/api/scenarios", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("rout serve did not answer within 90 s")
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium` "
                    "(make test does it)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def errors() -> list[str]:
    """Console errors and uncaught exceptions of the page, checked by the tests."""
    return []


@pytest.fixture
def page(browser, errors) -> Iterator[Page]:
    page = browser.new_page(viewport={"width": 1400, "height": 1100})

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            errors.append(msg.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    page.close()


def test_dashboard_runs_an_ensemble_with_a_lever_moved(server, page, errors):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.goto(server)
    page.wait_for_function("document.querySelectorAll('#scenario option').length >= 2")
    assert page.input_value("#scenario") == "syria-2024"
    assert page.input_value("#runs") == "10"
    assert page.locator("#timeline tbody").inner_text() == "no run yet"

    page.fill("#population", "20000")
    page.fill("#days", "3")
    page.fill("#runs", "3")
    enforcement = page.locator("#lever-enforcement")
    assert enforcement.input_value() == "1"
    enforcement.focus()
    for _ in range(10):
        page.keyboard.press("ArrowRight")  # 10 steps of 0.05, as a user would
    assert enforcement.input_value() == "1.5"
    assert "1.50" in page.locator("label", has=enforcement).inner_text()
    page.select_option("#lever-backup_real", "false")

    page.click("#run")
    page.wait_for_function("document.querySelector('#status').textContent.includes('answered')",
                           timeout=60_000)
    assert "3 seeds" in page.inner_text("#status")
    used = page.inner_text("#used")
    assert "enforcement=1.5" in used and "backup_real=false" in used
    assert "army.strength=20000" in used

    rows = page.locator("#timeline tbody tr")
    assert rows.count() == 5
    aleppo = rows.nth(0).locator("td").all_inner_texts()
    assert aleppo[0] == "Aleppo" and aleppo[1] == "day 2.5 (29 Nov)"
    assert aleppo[2].startswith("day ") and aleppo[4] == "100%"
    assert rows.nth(4).locator("td").all_inner_texts()[2] == "held"  # Damascus in 3 days

    assert page.locator("#map circle").count() == 16 + 2  # places + legend
    assert page.locator("#chart-strength polygon").count() > 0  # bands over 3 seeds
    last = page.locator("#frame").get_attribute("max")
    page.locator("#frame").fill(last)  # stops the animation at the end of the run
    assert page.locator("#map circle").nth(2).get_attribute("fill") == ATTACKER  # Aleppo
    assert page.inner_text("#frame-day").startswith("day 2.96 (29 Nov, 23:00): ")
    page.screenshot(path=ARTIFACTS / "dashboard.png", full_page=True)
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 10_000
    assert errors == []


def test_dashboard_shows_why_it_refuses_input(server, page, errors):
    page.goto(server)
    page.wait_for_function("document.querySelectorAll('#scenario option').length >= 2")
    page.fill("#runs", "500")
    page.click("#run")
    error = page.locator("#error")
    error.wait_for(state="visible")
    assert "Refused (422): runs: Input should be less than or equal to 20" in error.inner_text()
    assert page.inner_text("#status") == "Nothing was run."
    console = [e for e in errors if "422" not in e]  # the refused request itself
    assert console == []


def test_report_opens_offline_without_errors(page, errors):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    out = ARTIFACTS / "report.html"
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["report", "syria-2024", "--runs", "2", "--days", "3",
                                      "--set", "army.strength=20000", "--out", str(out)])
    assert result.exit_code == 0, result.output
    requests: list[str] = []
    page.on("request", lambda req: requests.append(req.url))
    page.goto(out.as_uri())
    page.wait_for_load_state("load")
    assert page.title() == "rout report: syria-2024"
    assert all(u.startswith(("file:", "data:")) for u in requests), requests
    widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
    assert len(widths) == 7 and min(widths) > 100
    page.screenshot(path=ARTIFACTS / "report.png")
    page.locator("details").first.click()
    assert page.locator("details pre").first.is_visible()
    assert errors == []
