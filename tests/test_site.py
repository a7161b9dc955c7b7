"""The documentation site builds with `mkdocs build --strict`: no broken link, no page left out."""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
API = ROOT / "docs" / "api.md"
NEEDED = ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers")
MISSING = [name for name in NEEDED if importlib.util.find_spec(name) is None]

pytestmark = pytest.mark.skipif(
    bool(MISSING), reason=f"the docs extra is not installed (no {', '.join(MISSING)}): "
    "pip install -e '.[docs]'")

# `::: where.it.is.defined` with an optional `heading: public.name` under its options
ENTRY = re.compile(r"^::: (\S+)\n(?:    options:\n(?:      .*\n)*?      heading: (\S+)\n)?", re.M)


def resolve(dotted: str):
    """The object a dotted name stands for: an attribute of the longest importable module."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(dotted)


def api_entries() -> list[tuple[str, str]]:
    return [(path, public or path) for path, public in ENTRY.findall(API.read_text())]


def test_every_public_name_on_the_api_page_is_the_object_documented():
    entries = api_entries()
    assert len(entries) >= 10
    for path, public in entries:
        assert resolve(public) is resolve(path), f"{public} is not {path}"


def test_the_site_builds_strictly(tmp_path):
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
         str(ROOT / "mkdocs.yml"), "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    warnings = [line for line in log.splitlines() if line.startswith(("WARNING", "ERROR"))]
    assert not warnings, "\n".join(warnings)
    site = tmp_path / "site"
    for page in ("index.html", "ODD/index.html", "api/index.html", "classic/epstein/index.html"):
        assert (site / page).is_file(), page
    api = (site / "api" / "index.html").read_text()
    headings = re.findall(r'class="doc doc-heading">\s*(?:<[^>]+>\s*)*([^<\s]+)', api)
    for name in ("rout.simulate", "rout.Run", "rout.load_scenario", "rout.Engine",
                 "rout.experiments.ensemble", "rout.experiments.sweep"):
        assert name in headings, name
