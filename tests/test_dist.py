"""What says what rout is agrees with the package: version, licence, citation, changelog."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from typer.testing import CliRunner

import rout
from rout.cli import app

ROOT = Path(__file__).resolve().parents[1]


def test_rout_version_prints_the_package_version():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"rout {rout.__version__}\n"


def test_the_version_has_one_source():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    attr = project["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "rout.__version__"
    assert re.fullmatch(r"\d+\.\d+\.\d+((a|b|rc)\d+)?(\.dev\d+)?", rout.__version__)


def test_the_citation_matches_the_package():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0"
    assert str(cff["version"]) == rout.__version__
    assert cff["license"] == "MIT"
    for key in ("title", "authors", "abstract", "keywords", "message"):
        assert cff[key], key


def test_the_changelog_has_the_current_version():
    log = (ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in log
    assert re.search(rf"^## \[{re.escape(rout.__version__)}\] - \d{{4}}-\d\d-\d\d$", log,
                     flags=re.M)


def test_the_licence_is_mit_and_ships_with_the_package():
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"
    assert "LICENSE" in project["license-files"]
    assert (Path(rout.__file__).parent / "py.typed").is_file()
