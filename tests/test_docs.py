"""The model document stays true to the code."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from rout.model.schedule import SCHEDULE
from rout.scenario.schema import MECHANISMS, Parameters

DOCS = Path(__file__).parents[1] / "docs"
ODD = (DOCS / "ODD.md").read_text()


def _doc_default(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def test_every_parameter_is_documented_with_its_default():
    table = ODD[ODD.index("### 7.19"):ODD.index("Rank attributes")]
    rows = dict(re.findall(r"^\| `(\w+)` \| ([^|]+) \|", table, flags=re.M))
    assert set(rows) == set(Parameters.model_fields)
    for name, field in Parameters.model_fields.items():
        assert rows[name].strip() == _doc_default(field.default), name


def test_the_parameter_and_switch_tables_are_the_codes():
    spec = importlib.util.spec_from_file_location("make_parameters",
                                                  DOCS / "make_parameters.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.page(ODD) == ODD, "docs/ODD.md is stale: run docs/make_parameters.py"


def test_every_mechanism_switch_is_documented():
    table = ODD[ODD.index("Mechanism switches (`mechanisms.NAME: false`)"):ODD.index("## Refer")]
    rows = re.findall(r"^\| `(\w+)` \| (.+) \|$", table, flags=re.M)
    assert [name for name, _ in rows] == list(MECHANISMS)
    assert all("off" in what for _, what in rows)


def test_the_schedule_is_documented_in_order():
    section = ODD[ODD.index("## 3. Process overview"):ODD.index("## 4. Design concepts")]
    listed = re.findall(r"^\| \w+ \| `(\w+\.\w+)` \|", section, flags=re.M)
    assert listed == [f"{c.__module__.rsplit('.', 1)[1]}.{c.__name__}" for c in SCHEDULE]


def test_odd_has_the_protocol_headings():
    for heading in ("Purpose and patterns", "Entities, state variables and scales",
                    "Process overview and scheduling", "Design concepts", "Initialization",
                    "Input data", "Submodels"):
        assert re.search(rf"^## \d\. {heading}", ODD, flags=re.M), heading


def test_stories_page_matches_the_code():
    spec = importlib.util.spec_from_file_location("make_stories", DOCS / "make_stories.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    page = (DOCS / "stories.md").read_text()
    assert page == module.stories(), "docs/stories.md is stale: run docs/make_stories.py"
    for title, *_ in module.ARCHETYPES:
        assert f"## {title}" in page
