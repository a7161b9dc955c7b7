"""The tutorial notebooks of docs/tutorials run from top to bottom (nbclient), so they cannot
drift from the code."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

TUTORIALS = Path(__file__).parents[1] / "docs" / "tutorials"


def execute(name: str, where: Path):
    """The notebook after running every cell in a fresh kernel (this Python's), with its
    working folder `where/cwd` and its temporary files in `where/tmp`."""
    nb = nbformat.read(TUTORIALS / name, as_version=4)
    for sub in ("cwd", "tmp"):
        (where / sub).mkdir()
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(where / "cwd")}})
    client.execute(env={**os.environ, "TMPDIR": str(where / "tmp")})
    return nb


def text(nb) -> str:
    """Everything the cells showed, as text."""
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def test_the_tutorials_are_the_ones_the_docs_list():
    nav = (Path(__file__).parents[1] / "mkdocs.yml").read_text()
    names = sorted(p.name for p in TUTORIALS.glob("*.ipynb"))
    assert names == ["first-run.ipynb", "why-and-what-if.ipynb"]
    for name in names:
        assert f"tutorials/{name}" in nav, name


def test_the_tutorials_are_stored_without_outputs():
    for path in TUTORIALS.glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), path.name


def test_first_run_reads_every_frame(tmp_path):
    nb = execute("first-run.ipynb", tmp_path)
    shown = text(nb)
    for what in ("power_share", "departures", "simulated", "observed"):
        assert what in shown or what in "".join(c.source for c in nb.cells), what
    assert "Damascus" in shown  # syria-2024's timeline
    assert any(o.get("data", {}).get("image/png") for c in nb.cells
               for o in c.get("outputs", [])), "the strength plot was not drawn"


def test_why_and_what_if_explains_sweeps_and_discovers(tmp_path):
    nb = execute("why-and-what-if.ipynb", tmp_path)
    shown = text(nb)
    assert "shift" in "".join(c.source for c in nb.cells) and "credibility" in shown
    assert "pay_multiplier" in shown and "damascus_falls" in shown
    assert "Damascus holds past day 5 in" in shown
    assert list((tmp_path / "cwd").iterdir()) == [], "the runs belong in a temporary folder"
    (work,) = (tmp_path / "tmp").glob("rout-tutorial-*")
    assert (work / "discover" / "discovery.json").is_file()
    assert len(list((work / "pay" / "runs").glob("*.parquet"))) == 6


def test_a_fresh_kernel_shows_a_figure_as_png_and_a_run_as_html(tmp_path):
    """No `%matplotlib inline`: rout's figures and results show themselves."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code) for code in (
        "import rout\nfrom rout import viz\nrun = rout.simulate('garrison', rng=1, days=0.5)\n"
        "run",
        "viz.strength(run)",
        "viz.draw_map(run)",
        "rout.experiments.ensemble('garrison', 2, rng=1, overrides={'days': 0.5})",
    )]
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    data = [c.outputs[0]["data"] for c in nb.cells]
    assert "<b>garrison</b>: seed 1" in data[0]["text/html"]
    for figure in data[1:3]:
        assert figure["image/png"]  # base64 PNG
        assert base64.b64decode(figure["image/png"])[:8] == b"\x89PNG\r\n\x1a\n"
    assert "ensemble of 2 runs, root seed 1" in data[3]["text/html"]
