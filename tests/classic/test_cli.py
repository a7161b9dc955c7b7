"""`rout classic ...`: each model prints its table, plots on request, and refuses bad input."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from rout.classic.cli import app

runner = CliRunner()


@pytest.mark.parametrize(("args", "expect"), [
    (["granovetter", "--sd-min", "11", "--sd-max", "14", "--sd-step", "0.5"], "jumps from"),
    (["kuran", "--shift-step", "0.05"], "revolution"),
    (["epstein", "--steps", "15", "--width", "20", "--height", "20"], "outbursts"),
    (["lanchester", "--a0", "100", "--b0", "80"], "A wins with 60.000 left"),
    (["lanchester", "--law", "linear", "--alpha", "0.001", "--beta", "0.001"], "left with"),
])
def test_each_command_prints_its_result(args, expect):
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert expect in res.output


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_plot_writes_a_figure(tmp_path, suffix):
    target = tmp_path / f"fig{suffix}"
    res = runner.invoke(app, ["kuran", "--shift-step", "0.1", "--plot", str(target)])
    assert res.exit_code == 0, res.output
    assert target.stat().st_size > 1000


@pytest.mark.parametrize("args", [
    ["epstein", "--cop-density", "0.5"],
    ["epstein", "--citizen-vision", "30"],
    ["epstein", "--ratio-rounding", "ceil"],
    ["lanchester", "--law", "cubic"],
    ["lanchester", "--alpha", "0"],
    ["granovetter", "--plot", "out.pdf"],
    ["granovetter", "--sd-min", "5", "--sd-max", "1"],
    ["kuran", "--cost", "0"],
    ["lanchester", "--plot", "/nonexistent-dir/fig.png"],
])
def test_bad_input_is_one_line_and_exit_status_2(args):
    res = runner.invoke(app, args)
    assert res.exit_code == 2
    assert "Traceback" not in res.output
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), res.output


@pytest.mark.parametrize("args", [
    ["granovetter", "--seed", "-1"],
    ["kuran", "--seed", "-1"],
    ["epstein", "--seed", "-1"],
    ["epstein", "--steps", "0"],
    ["epstein", "--every", "-1"],
])
def test_out_of_range_options_are_usage_errors_with_status_2(args):
    res = runner.invoke(app, args)
    assert res.exit_code == 2
    assert "Traceback" not in res.output and "Invalid value" in res.output
