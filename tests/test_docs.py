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
    table = ODD[ODD.index("### 7.20"):ODD.index("Rank attributes")]
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


def test_the_outcome_words_are_defined_in_the_readme_glossary_and_the_odd():
    from rout.outcomes import GLOSSARY

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    glossary = readme[readme.index("## Glossary"):readme.index("## Layout")]
    observation = " ".join(ODD[ODD.index("**Observation.**"):
                               ODD.index("**Attribution of departures**")].split())
    for word in (*GLOSSARY, "held"):
        assert f"| **{word}** |" in glossary, word
        assert f"**{word}**" in observation, word
    for word, meaning in GLOSSARY.items():
        gist = meaning.split(";")[0].split(":")[0]  # e.g. "visibly out of the army at that moment"
        assert gist in glossary and gist in observation, word
