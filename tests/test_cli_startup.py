"""`rout --help` and `import rout` start at once: NumPy, pandas, matplotlib, SciPy, Numba,
pydantic and DuckDB are imported only by the commands (and the API calls) that need them.

Each check runs in a fresh interpreter, so what an earlier test imported does not count.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("numpy", "pandas", "matplotlib", "scipy", "numba", "pydantic", "duckdb")


def python(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300)


def heavy_after(code: str) -> list[str]:
    """The heavy modules loaded once `code` has run in a fresh interpreter."""
    probe = (f"{code}\nimport json, sys\n"
             f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    res = python("-c", probe)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", ["rout", "rout.cli"])
def test_importing_loads_no_heavy_module(module: str) -> None:
    assert heavy_after(f"import {module}") == []


@pytest.mark.parametrize("args", [["--help"], ["sweep", "--help"],
                                  ["classic", "epstein", "--help"]])
def test_help_loads_no_heavy_module(args: list[str]) -> None:
    run_app = ("from rout.cli import app\n"
               "try:\n"
               f"    app({args!r}, prog_name='rout')\n"
               "except SystemExit as exit:\n"
               "    assert exit.code == 0, exit.code")
    assert heavy_after(run_app) == []


def test_the_rout_command_answers_help() -> None:
    rout = Path(sys.executable).with_name("rout")
    if not rout.exists():
        pytest.skip("the rout console script is not installed next to this Python")
    res = subprocess.run([str(rout), "--help"], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "Usage: rout" in res.stdout
    for command in ("run", "validate", "scenarios", "ensemble", "sweep", "classic"):
        assert f"  {command} " in res.stdout


def test_python_dash_m_rout_is_the_rout_command() -> None:
    res = python("-m", "rout", "--help")
    assert res.returncode == 0, res.stderr
    assert "Usage:" in res.stdout and "sweep" in res.stdout and "classic" in res.stdout
    res = python("-m", "rout", "validate", "garrison")
    assert res.returncode == 0, res.stderr
    assert "garrison: valid" in res.stdout
