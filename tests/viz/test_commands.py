"""`rout report` and `rout serve`: output files, and one readable line with exit 2 on bad input."""

from __future__ import annotations

import socket
import sys

import pytest
import typer
from typer.testing import CliRunner

from rout.viz.commands import register


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False)
    register(app)
    return app


def invoke(app: typer.Typer, *args: str):
    result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"rout {' '.join(args)} raised {result.exception!r}")
    return result


def test_report_writes_one_html_file_over_several_seeds(app, tmp_path):
    out = tmp_path / "r.html"
    result = invoke(app, "report", "garrison", "--runs", "2", "--seed", "3", "--days", "1",
                    "--set", "pay_multiplier=2", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert "2 runs, root seed 3" in result.stdout
    html = out.read_text()
    assert "Seeds: root seed 3, children 0..1." in html
    assert '<tr class=set><td>pay_multiplier</td><td class="n">2.0</td></tr>' in html


@pytest.mark.parametrize(("args", "message"), [
    (["nowhere"], "no such file or built-in scenario"),
    (["garrison", "--set", "pay_multiplier=-1"], "pay_multiplier"),
    (["garrison", "--set", "nonsense"], "expected KEY=VALUE"),
    (["garrison", "--set", "no_such_key=1"], "unknown key"),
    (["garrison", "--out", "report.pdf"], "use a name ending in .html"),
])
def test_report_refuses_bad_input_in_one_line(app, tmp_path, args, message):
    if "--out" not in args:
        args = [*args, "--out", str(tmp_path / "r.html")]
    result = invoke(app, "report", *args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.output


def test_report_refuses_a_folder_as_output(app, tmp_path):
    (tmp_path / "folder.html").mkdir()
    result = invoke(app, "report", "garrison", "--out", str(tmp_path / "folder.html"))
    assert result.exit_code == 2
    assert "is a folder" in result.stderr


@pytest.mark.parametrize("args", [["--runs", "0"], ["--seed", "-1"], ["--days", "0"]])
def test_report_option_bounds_exit_2(app, args):
    result = invoke(app, "report", "garrison", *args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_serve_refuses_a_busy_port(app):
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        result = invoke(app, "serve", "--port", str(port))
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_serve_says_which_extra_is_missing(app, monkeypatch):
    monkeypatch.setitem(sys.modules, "rout.web.app", None)
    result = invoke(app, "serve")
    assert result.exit_code == 2
    assert "pip install 'rout[web]'" in result.stderr


@pytest.mark.parametrize("port", ["0", "70000"])
def test_serve_port_bounds_exit_2(app, port):
    assert invoke(app, "serve", "--port", port).exit_code == 2


def test_report_explain_adds_the_figure_of_what_each_mechanism_did(app, tmp_path):
    out = tmp_path / "r.html"
    result = invoke(app, "report", "garrison", "--runs", "2", "--days", "1", "--explain",
                    "--out", str(out))
    assert result.exit_code == 0, result.stderr
    html = out.read_text()
    section = html[html.index('<h3 id="explain">'):html.index('<h2 id="events">')]
    assert "over the same 2 runs" in section and section.count("<img") == 1
    plain = invoke(app, "report", "garrison", "--runs", "1", "--days", "1", "--out",
                   str(tmp_path / "p.html"))
    assert plain.exit_code == 0 and 'id="explain"' not in (tmp_path / "p.html").read_text()
