"""The HTML report is one self-contained file with every part of the run, escaped."""

from __future__ import annotations

import base64
import re

import pytest

import rout
from rout.viz import report

OVERRIDES = {"enforcement": 2.0}


@pytest.fixture(scope="module")
def runs() -> list[rout.Run]:
    return report.simulate_runs("garrison", runs=2, seed=4, overrides=OVERRIDES, days=2)


@pytest.fixture(scope="module")
def html(runs) -> str:
    return report.render(runs, OVERRIDES)


def test_the_report_runs_the_root_seeds_children_with_the_overrides(runs):
    assert [(r.seed.entropy, r.seed.spawn_key) for r in runs] == [(4, (0,)), (4, (1,))]
    assert all(r.scenario.parameters.enforcement == 2.0 for r in runs)
    assert all(r.scenario.days == 2 for r in runs)


def test_report_is_self_contained(html):
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html, flags=re.I)
    assert "<script" not in html.lower()
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert len(images) == 6  # 5 plots and the map (garrison records no falls to plot)
    for data in images:
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_has_every_section(html, runs):
    for anchor in ("outcome", "timeline", "plots", "map", "drivers", "events", "stories",
                   "parameters"):
        assert f'id="{anchor}"' in html
    assert "rout report: garrison" in html
    assert "This scenario records no outcomes" in html
    assert "Seeds: root seed 4, children 0..1." in html
    for soldier in runs[0].tracked_ids:
        assert f"soldier {soldier} (" in html
    assert '<tr class=set><td>enforcement</td><td class="n">2.0</td></tr>' in html


def test_report_compares_falls_with_the_record(tmp_path):
    run = rout.simulate("syria-2024", seed=1, days=3, overrides={"army.strength": 20000})
    path = report.write(run, tmp_path / "deep" / "r.html")
    text = path.read_text()
    assert "<td>Aleppo</td><td>day 2.5 (29 Nov)</td>" in text
    assert "held" in text
    assert text.count("data:image/png;base64,") == 7


def test_scenario_text_is_escaped():
    sc = rout.load_scenario("garrison", {"name": "<script>alert(1)</script>",
                                         "description": "a & b"})
    run = rout.simulate(sc, seed=1, days=0.5)
    html = report.render(run)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "a &amp; b" in html
