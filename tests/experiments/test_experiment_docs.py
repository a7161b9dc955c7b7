"""The Python examples of docs/experiments.md run as written (SimPy's way: docs cannot drift)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).parents[2] / "docs" / "experiments.md"
BLOCK = re.compile(r"(<!-- not run[^>]*-->\n)?```python\n(.*?)```", re.S)


def examples() -> list[str]:
    return [code for skip, code in BLOCK.findall(DOC.read_text()) if not skip]


def test_the_docs_have_python_examples():
    assert len(examples()) >= 5


def test_the_python_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "docs_example"}
    for code in examples():
        try:
            exec(compile(code, str(DOC), "exec"), namespace)
        except Exception as exc:  # pragma: no cover - the failure message is the point
            pytest.fail(f"docs example failed: {exc!r}\n{code}")
    ix = namespace["sens"].indices.set_index("param")
    assert ix.loc["x2", "S1"] == pytest.approx(0.44, abs=0.05)  # the Ishigami example's claim
    assert len(namespace["ens"].runs) == 4
    assert namespace["b"].runs["left_share"].mean() > namespace["a"].runs["left_share"].mean()
