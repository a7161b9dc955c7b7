"""The `rout` command: listing, schema, runs as JSON, tables and Parquet output."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import typer.main
import yaml
from typer.testing import CliRunner

from rout.cli import app
from rout.model.registry import ACTIONS
from rout.model.registry import STATE_NAMES as STATES

GARRISON_STRENGTH = 3000
GARRISON_STEPS = 6 * 24


def invoke(*args: str) -> tuple[int, str, str]:
    """Run `rout ARGS` in-process; an uncaught exception fails the test."""
    result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"rout {' '.join(args)} raised {result.exception!r}")
    return result.exit_code, result.stdout, result.stderr


def run_json(*args: str) -> dict[str, Any]:
    code, stdout, stderr = invoke("run", *args, "--format", "json")
    assert code == 0, stderr
    lines = stdout.strip().splitlines()
    assert len(lines) == 1, f"expected one JSON line, got {len(lines)}"
    summary = json.loads(lines[0])
    assert isinstance(summary, dict)
    return summary


@pytest.fixture(scope="module")
def garrison_seed_2() -> dict[str, Any]:
    return run_json("garrison", "--seed", "2")


def test_scenarios_lists_the_builtins() -> None:
    code, stdout, _ = invoke("scenarios")
    assert code == 0
    assert "syria-2024" in stdout and "garrison" in stdout
    assert "Syrian Arab Army" in stdout


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_schema_is_a_json_schema_of_the_scenario() -> None:
    code, stdout, _ = invoke("schema")
    assert code == 0
    schema = json.loads(stdout)
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert {"name", "places", "army"} <= set(schema["required"])
    army = schema["properties"]["army"]
    assert army == {"$ref": "#/$defs/Army"}
    assert {"strength", "ranks", "groups"} <= set(schema["$defs"]["Army"]["properties"])
    refs = _refs(schema)
    assert refs, "no $ref at all"
    for ref in refs:
        assert ref.startswith("#/$defs/") and ref.removeprefix("#/$defs/") in schema["$defs"], ref


def test_run_json_summary(garrison_seed_2: dict[str, Any]) -> None:
    s = garrison_seed_2
    assert s["scenario"] == "garrison"
    assert s["seed"] == 2
    assert s["steps"] == GARRISON_STEPS
    assert s["soldiers"] == GARRISON_STRENGTH
    assert isinstance(s["wall_seconds"], float) and s["wall_seconds"] > 0
    counts = s["final_counts"]
    assert set(counts) == set(STATES)
    assert all(isinstance(k, int) and k >= 0 for k in counts.values())
    assert sum(counts.values()) == GARRISON_STRENGTH
    assert isinstance(s["events"], list) and s["events"]
    assert {"day", "kind"} <= set(s["events"][0])
    assert any(e["kind"] == "promise_broken" for e in s["events"])
    assert isinstance(s["timeline"], list)
    assert 0.0 <= s["left_share"] <= 1.0


def test_same_seed_same_result(garrison_seed_2: dict[str, Any]) -> None:
    again = run_json("garrison", "--seed", "2")
    assert again["final_counts"] == garrison_seed_2["final_counts"]
    assert again["events"] == garrison_seed_2["events"]


def test_days_shortens_the_run() -> None:
    s = run_json("garrison", "--days", "1", "--seed", "2")
    assert s["steps"] == 24
    assert sum(s["final_counts"].values()) == GARRISON_STRENGTH


def test_set_changes_the_run() -> None:
    s = run_json("garrison", "--days", "1", "--set", "army.strength=1000")
    assert s["soldiers"] == 1000
    assert sum(s["final_counts"].values()) == 1000


def test_run_writes_parquet_and_summary(tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    code, stdout, stderr = invoke("run", "garrison", "--seed", "3", "--out", str(out_dir))
    assert code == 0, stderr
    assert str(out_dir) in stdout
    frames = {
        name: pd.read_parquet(out_dir / f"{name}.parquet")
        for name in ("series", "counts", "events", "departures", "tracked")
    }
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["scenario"] == "garrison" and summary["seed"] == 3
    steps = summary["steps"]
    assert steps == GARRISON_STEPS

    series = frames["series"]
    assert len(series) == steps
    assert (series[list(STATES)].sum(axis=1) == GARRISON_STRENGTH).all()
    assert {s: int(series[s].iloc[-1]) for s in STATES} == summary["final_counts"]

    counts = frames["counts"]
    assert {"step", "day", "state", "rank", "group", "place", "count"} <= set(counts.columns)
    per_step = counts.groupby("step")["count"].sum()
    assert len(per_step) == steps and (per_step == GARRISON_STRENGTH).all()

    events = frames["events"]
    assert len(events) == len(summary["events"])
    assert {"day", "kind", "place", "detail"} <= set(events.columns)

    departures = frames["departures"]
    assert {"day", "soldier", "action", "rank", "group", "place"} <= set(departures.columns)
    assert len(departures) > 0
    assert departures["soldier"].between(0, GARRISON_STRENGTH - 1).all()

    tracked = frames["tracked"]
    assert {"step", "soldier", "state", "place", "rank"} <= set(tracked.columns)
    assert tracked["soldier"].nunique() == 15  # the scenario tracks 3 x 5 soldiers
    assert len(tracked) == 15 * steps


def test_table_output() -> None:
    code, stdout, stderr = invoke("run", "garrison", "--days", "3")
    assert code == 0, stderr
    assert "Where the soldiers ended" in stdout
    assert "garrison: 3,000 soldiers, 72 steps" in stdout
    for state in ("on_duty", "deserted", "jailed"):
        assert state in stdout


def test_bad_format_is_an_error() -> None:
    code, stdout, stderr = invoke("run", "garrison", "--format", "xml")
    assert code == 2
    assert stdout == ""
    assert stderr.strip() == "error: --format must be table or json, got 'xml'"


def test_syria_half_day() -> None:
    s = run_json("syria-2024", "--days", "0.5", "--seed", "1")
    assert s["scenario"] == "syria-2024"
    assert s["steps"] == 12
    assert sum(s["final_counts"].values()) == s["soldiers"] == 130_000
    assert {row["place"] for row in s["timeline"]} >= {"Aleppo", "Damascus"}


def test_scenarios_show_prints_yaml_that_validates(tmp_path: Path) -> None:
    code, stdout, stderr = invoke("scenarios", "--show", "garrison")
    assert code == 0, stderr
    raw = yaml.safe_load(stdout)
    assert raw["name"] == "garrison" and raw["army"]["strength"] == GARRISON_STRENGTH
    mine = tmp_path / "mine.yaml"
    mine.write_text(stdout)
    code, stdout, stderr = invoke("validate", str(mine))
    assert code == 0, stderr
    assert f"{mine}: valid (3,000 soldiers, 2 places" in " ".join(stdout.split())


def test_scenarios_show_refuses_an_unknown_name_in_one_line() -> None:
    code, stdout, stderr = invoke("scenarios", "--show", "atlantis")
    assert code == 2 and stdout == ""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "no such built-in scenario" in lines[0] and "garrison" in lines[0]


def test_validate_counts_one_event_in_the_singular(tmp_path: Path) -> None:
    raw = yaml.safe_load(invoke("scenarios", "--show", "garrison")[1])
    raw["events"] = raw["events"][:1]
    one = tmp_path / "one.yaml"
    one.write_text(yaml.safe_dump(raw))
    code, stdout, stderr = invoke("validate", str(one))
    assert code == 0, stderr
    assert " 1 event)" in " ".join(stdout.split())


def _commands(group: Any, path: tuple[str, ...] = ()):
    """(path, command) of every command below a group of the Typer app, as Click sees it."""
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


def test_flags_show_as_flags_in_sweep_help() -> None:
    code, stdout, _ = invoke("sweep", "--help")
    assert code == 0
    assert re.search(r"^\s*--resume\s{2,}Finish an interrupted", stdout, re.MULTILINE), stdout
    assert "<bool>" not in stdout


def test_every_option_of_every_command_has_a_description() -> None:
    commands = dict(_commands(typer.main.get_command(app)))
    assert ("classic", "epstein") in commands and ("sweep",) in commands
    for path, command in commands.items():
        for param in command.params:
            if param.param_type_name == "option":
                assert param.help, f"rout {' '.join(path)} {param.opts[0]} has no description"
        code, stdout, _ = invoke(*path, "--help")
        assert code == 0 and "<bool>" not in stdout, (path, stdout)


def test_no_option_says_seeds() -> None:
    for path, command in _commands(typer.main.get_command(app)):
        names = [opt for param in command.params for opt in param.opts]
        assert "--seeds" not in names, path


@pytest.mark.parametrize("scale", [1, 10])
def test_the_who_left_table_sums_to_the_soldiers_it_describes(scale: int) -> None:
    s = run_json("syria-2024", "--days", "1.5", "--set", "army.strength=20000",
                 "--set", f"scale={scale}")
    ways = [a.label for a in ACTIONS]
    rows = s["who_left"]
    assert {r["by"] for r in rows} == {"rank", "group"}
    for row in rows:
        assert row["ever left"] == sum(row[w] for w in ways)
        assert row["never left"] + row["ever left"] == row["soldiers"]
        assert row["share ever left"] == pytest.approx(row["ever left"] / row["soldiers"])
    for dim in ("rank", "group"):
        mine = [r for r in rows if r["by"] == dim]
        assert sum(r["soldiers"] for r in mine) == s["soldiers"]
        assert sum(r["ever left"] for r in mine) == s["ever_left"]
    assert 0 < s["ever_left"] <= s["soldiers"]
    code, stdout, _ = invoke("run", "syria-2024", "--days", "1.5", "--set",
                             "army.strength=20000", "--set", f"scale={scale}")
    conscripts = next(r for r in rows if r["who"] == "conscript")
    line = next(line for line in stdout.splitlines() if line.startswith("conscript "))
    assert line.split()[1:4] == [f"{conscripts[k]:,}" for k in ("soldiers", "never left",
                                                                  "ever left")]
