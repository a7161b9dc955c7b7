"""The dashboard and the report in a real headless Chromium (Debian's, driven by Playwright).

The server runs as `rout serve` would (its own process, a pool of 2 workers)
on a free localhost port. Without /usr/bin/chromium these tests fail: install
it with `apt-get install -y chromium` (see the Makefile).
"""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright
from typer.testing import CliRunner

from rout.viz.commands import register
from rout.viz.map import ATTACKER, HELD_ALPHA
from rout.web.app import CASES

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


@dataclass
class Served:
    """A dashboard started as `rout serve`: its address, what it printed before announcing
    it, and whether it answered the first request made right after the announcement."""

    url: str
    before: list[str]
    answered_at_once: bool


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", SERVE, "serve", "--port", str(port),
                             "--workers", "2"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout],
                     daemon=True).start()
    url = f"http://127.0.0.1:{port}/"
    try:
        before = []
        deadline = time.monotonic() + 90
        while True:
            try:
                line = lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                pytest.fail(f"rout serve announced nothing within 90 s: {before}")
            if f"rout dashboard on {url}" in line:
                break
            if proc.poll() is not None and lines.empty():
                pytest.fail(f"rout serve exited: {before}")
            before.append(line.strip())
        try:  # once, at once: the address is announced only when it answers
            with urllib.request.urlopen(f"{url}api/scenarios", timeout=5):
                answered = True
        except OSError:
            answered = False
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:  # let the other tests go on
                try:
                    with urllib.request.urlopen(f"{url}api/scenarios", timeout=2):
                        break
                except OSError:
                    time.sleep(0.3)
        yield Served(url.rstrip("/"), before, answered)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def server(served) -> str:
    return served.url


def test_serve_announces_its_address_only_once_it_answers(served):
    assert served.answered_at_once
    assert served.before == ["starting the dashboard (2 workers)..."]


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
    assert "3 runs of root seed 1" in page.inner_text("#status")
    used = page.inner_text("#used")
    assert "enforcement=1.5" in used and "backup_real=false" in used
    assert "army.strength=20000" in used

    rows = page.locator("#timeline tbody tr")
    timeline = page.evaluate("result.timeline")
    assert rows.count() == len(timeline) > 0
    for i, row in enumerate(timeline):  # each row says of how many runs it speaks
        cells = rows.nth(i).locator("td").all_inner_texts()
        assert cells[0] == row["place"] and cells[4] == f"{row['fell_runs']} of 3"
        if row["held"]:
            assert cells[2:4] == [f"held (fell in {row['fell_runs']} of 3 runs)", "-"]
        else:
            assert cells[2].startswith("day ")

    places = page.evaluate("result.map.places.length")
    assert page.locator("#map-markers circle").count() == places
    assert page.locator("#map-legend circle:not(.size-key)").count() == 2
    sizes = page.locator("#map-legend circle.size-key")  # the marker-size key
    assert sizes.count() == 2 and "soldiers on duty" in page.text_content("#map-legend")
    assert page.locator("#map-ground path").count() == places  # the ground of each place
    assert page.locator("#chart-strength polygon").count() > 0  # bands over 3 seeds
    last = page.locator("#frame").get_attribute("max")
    page.locator("#frame").fill(last)  # stops the animation at the end of the run
    aleppo_dot = page.locator('#map-markers circle[data-place="Aleppo"]')
    assert aleppo_dot.get_attribute("fill") == ATTACKER
    aleppo_ground = page.locator('#map-ground path[data-place="Aleppo"]')  # its ground shaded
    assert aleppo_ground.get_attribute("fill") == ATTACKER
    assert float(aleppo_ground.get_attribute("fill-opacity")) == HELD_ALPHA
    assert aleppo_ground.get_attribute("d").count("M") > 10
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


SCREENSHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"

# each key of a map as the page lays it out: its kind, place and box in CSS pixels
KEYS = """(selector) => [...document.querySelectorAll(selector)].map((e) => {
  const r = e.getBoundingClientRect();
  return {kind: e.dataset.kind || e.tagName, place: e.dataset.place || "",
          panel: e.dataset.panel || "0", observed: e.dataset.observed === "true",
          x0: r.left, y0: r.top, x1: r.right, y1: r.bottom};
})"""


def _meet(a: dict, b: dict, slack: float = 0.5) -> bool:
    """Two boxes share more than a sliver (slack: CSS pixels of antialiasing)."""
    return (min(a["x1"], b["x1"]) - max(a["x0"], b["x0"]) > slack
            and min(a["y1"], b["y1"]) - max(a["y0"], b["y0"]) > slack)


def _meets_circle(box: dict, disc: dict, slack: float = 0.5) -> bool:
    """A box and the round marker inscribed in `disc`'s box meet."""
    cx, cy = (disc["x0"] + disc["x1"]) / 2, (disc["y0"] + disc["y1"]) / 2
    r = (disc["x1"] - disc["x0"]) / 2
    dx = max(box["x0"] - cx, 0, cx - box["x1"])
    dy = max(box["y0"] - cy, 0, cy - box["y1"])
    return r - (dx * dx + dy * dy) ** 0.5 > slack


def covered_labels(labels: list[dict], markers: list[dict], others: list[dict]) -> list:
    """The observed places whose name meets another name, any marker or any other box
    (a title, the legend), with what it meets."""
    hits = []
    for a in labels:
        if not a["observed"]:
            continue
        hits += [(a["place"], "name", b["place"]) for b in labels
                 if b is not a and _meet(a, b)]
        hits += [(a["place"], "marker", m["place"]) for m in markers if _meets_circle(a, m)]
        hits += [(a["place"], o["kind"]) for o in others if _meet(a, o)]
    return hits


@pytest.fixture(scope="module")
def report_page(browser) -> Iterator[Page]:
    out = ARTIFACTS / "report-map.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["report", "syria-2024", "--runs", "2", "--days", "4",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(out.as_uri())
    page.wait_for_load_state("load")
    yield page
    page.close()


def test_report_map_leaves_every_observed_name_uncovered_and_the_legend_off_the_places(
        report_page):
    keys = report_page.evaluate(KEYS, "figure.map .key")
    panels = sorted({k["panel"] for k in keys if k["kind"] != "legend"})
    assert panels == ["0", "1", "2"]
    (legend,) = [k for k in keys if k["kind"] == "legend"]
    for panel in panels:
        mine = [k for k in keys if k.get("panel") == panel]
        labels = [k for k in mine if k["kind"] == "label"]
        markers = [k for k in mine if k["kind"] == "marker"]
        titles = [k for k in keys if k["kind"] == "title"]
        assert len(labels) == len(markers) > 0 and any(k["observed"] for k in labels)
        assert covered_labels(labels, markers, [*titles, legend]) == [], panel
        assert [m["place"] for m in markers if _meets_circle(legend, m)] == []
    # hovering a place names it
    tip = report_page.get_attribute('figure.map .marker[data-place="Damascus"]', "title")
    assert tip.startswith("Damascus: ")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    report_page.locator("figure.map").screenshot(path=SCREENSHOTS / "report-map.png")
    assert (SCREENSHOTS / "report-map.png").stat().st_size > 50_000


def test_dashboard_map_leaves_every_observed_name_uncovered_and_the_legend_off_the_places(
        server, page, errors):
    page.goto(server)
    page.wait_for_function("document.querySelectorAll('#scenario option').length >= 2")
    page.fill("#population", "20000")
    page.fill("#days", "4")
    page.fill("#runs", "2")
    page.click("#run")
    page.wait_for_function("document.querySelector('#status').textContent.includes('answered')",
                           timeout=60_000)
    assert page.locator("#map path").count() >= 5  # land, rivers, lakes, coast, borders
    last = page.locator("#frame").get_attribute("max")
    for frame in ("0", last):
        page.locator("#frame").fill(frame)
        labels = page.evaluate(KEYS, "#map-labels text")
        markers = page.evaluate(KEYS, "#map-markers circle")
        (legend,) = page.evaluate(KEYS, "#map-legend")
        assert any(k["observed"] for k in labels) and len(labels) == len(markers)
        assert covered_labels(labels, markers, [legend]) == [], frame
        assert [m["place"] for m in markers if _meets_circle(legend, m)] == []
        assert min(k["y1"] - k["y0"] for k in labels) >= 11  # legible: 11 px or more
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#map-box").screenshot(path=SCREENSHOTS / "dashboard-map.png")
    page.screenshot(path=SCREENSHOTS / "dashboard.png", full_page=True)
    assert (SCREENSHOTS / "dashboard.png").stat().st_size > 50_000
    assert errors == []


def test_dashboard_writes_a_place_that_held_in_most_runs_as_held(server, page, errors):
    page.goto(server)
    page.wait_for_function("document.querySelectorAll('#scenario option').length >= 2")
    page.fill("#population", "5000")
    page.fill("#days", "1")
    page.fill("#runs", "2")
    page.click("#run")
    page.wait_for_function("document.querySelector('#status').textContent.includes('answered')",
                           timeout=60_000)
    page.evaluate("""() => {
      const data = JSON.parse(JSON.stringify(result));  // drawMap redraws what it added
      Object.assign(data.timeline[0], {held: true, median: null, lo: null, hi: null,
                                       fell_runs: 1, runs: 4});
      render(data);
    }""")
    cells = page.locator("#timeline tbody tr").nth(0).locator("td").all_inner_texts()
    assert cells[2:] == ["held (fell in 1 of 4 runs)", "-", "1 of 4"]
    assert errors == []


def test_dashboard_explains_what_moved_each_fall_on_request(server, page, errors):
    page.goto(server)
    page.wait_for_function("document.querySelectorAll('#scenario option').length >= 2")
    assert f"about {CASES}x the work of a Run" in page.inner_text("#explain-cost")
    assert page.locator("#explain-box").is_hidden()  # opt-in: nothing runs until asked
    page.select_option("#scenario", "garrison")
    page.fill("#days", "3")  # past the garrison's crisis: power falls below a quarter
    page.fill("#explain-runs", "2")
    page.get_by_role("button", name="Explain: what moved each fall").click()
    page.wait_for_function(
        "document.querySelector('#explain-status').textContent.includes('answered')",
        timeout=60_000)
    assert f"{CASES} cases x 2 runs" in page.inner_text("#explain-status")
    panel = page.locator("#chart-explain .explain-panel")
    assert panel.count() == 1 and "power < 25% (all on: day" in panel.text_content()
    moved = page.locator("#chart-explain circle.moved, #chart-explain text.held")
    assert moved.count() == CASES - 1  # a dot (or "held") per mechanism switched off
    assert "5-95% of its 2 runs" in page.text_content("#chart-explain")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#explain-box").screenshot(path=SCREENSHOTS / "dashboard-explain.png")
    assert errors == []
