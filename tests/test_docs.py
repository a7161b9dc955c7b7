"""The model document stays true to the code."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

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
    table = ODD[ODD.index("### 7.13"):ODD.index("Rank attributes")]
    rows = dict(re.findall(r"^\| `(\w+)` \| ([^|]+) \|", table, flags=re.M))
    assert set(rows) == set(Parameters.model_fields)
    for name, field in Parameters.model_fields.items():
        assert rows[name].strip() == _doc_default(field.default), name


def test_every_mechanism_switch_is_documented():
    for mech in MECHANISMS:
        assert f"`{mech}` off" in ODD or f"{mech}," in ODD or f"{mech}." in ODD, mech


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
