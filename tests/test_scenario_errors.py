"""Bad scenarios give readable errors: one line per problem, each led by its dotted path.

Every bad scenario is the small built-in `garrison` with one thing broken, checked
both through the Python API (`rout.ScenarioError.problems`) and through
`rout validate FILE` (one line per problem on stderr, exit status 2, no traceback).
"""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

import rout
from rout.cli import app
from rout.scenario.loader import DATA

GARRISON: dict[str, Any] = yaml.safe_load((DATA / "garrison.yaml").read_text())

Mutation = Callable[[dict[str, Any]], None]


# ------------------------------------------------------------------ helpers
def setter(path: str, value: Any) -> Mutation:
    """A mutation that sets a dotted path (list items by index) to a value."""

    def mutate(raw: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = raw
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return mutate


def deleter(path: str) -> Mutation:
    """A mutation that removes the key at a dotted path."""

    def mutate(raw: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = raw
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        del node[last]

    return mutate


def write_scenario(tmp_path: Path, mutate: Mutation, name: str = "bad.yaml") -> Path:
    raw = copy.deepcopy(GARRISON)
    mutate(raw)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def problems_of(source: str | Path, overrides: dict[str, Any] | None = None) -> list[str]:
    """The problems rout.load_scenario reports as a ScenarioError; anything else fails."""
    try:
        rout.load_scenario(source, overrides)
    except rout.ScenarioError as exc:
        problems = exc.problems
    except Exception as exc:
        raise AssertionError(
            f"load_scenario({str(source)!r}) raised {exc!r} instead of a ScenarioError"
        ) from exc
    else:
        raise AssertionError(f"load_scenario({str(source)!r}) found no problem")
    assert isinstance(problems, list) and problems, "ScenarioError without problems"
    assert all(isinstance(p, str) and "\n" not in p for p in problems), problems
    return problems


def validate_cli(*args: str) -> tuple[int, str, str]:
    """`rout validate ARGS` in-process: exit code, stdout and stderr.

    An exception other than the clean exit (a would-be traceback) fails the test.
    """
    result = CliRunner().invoke(app, ["validate", *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(
            f"rout validate {' '.join(args)} raised {result.exception!r} instead of "
            "printing a readable error and exiting with status 2"
        )
    return result.exit_code, result.stdout, result.stderr


def rout_subprocess(*args: str) -> subprocess.CompletedProcess[str]:
    """The real `rout` entry point (its main()), run as a separate process."""
    exe = Path(sys.executable).with_name("rout")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "rout.cli"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=120)


def assert_problems(problems: list[str], expected: list[tuple[str, str]]) -> None:
    """Each expected (dotted path, gist regex) matches one problem line, and nothing more."""
    assert len(problems) == len(expected), f"expected {len(expected)} problems, got {problems}"
    for path, gist in expected:
        hits = [p for p in problems if p.startswith(f"{path}: ") and re.search(gist, p)]
        assert hits, f"no problem '{path}: ...{gist}...' among {problems}"


def assert_cli_lines(stderr: str, label: str, problems: list[str]) -> None:
    """stderr holds exactly one line per problem, naming the file and the problem."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == len(problems), stderr
    for line, problem in zip(lines, problems, strict=True):
        assert label in line, line
        assert line.endswith(problem), f"{line!r} does not end with {problem!r}"
    assert "Traceback" not in stderr


# ------------------------------------------------------------------ bad scenario files
def _rename_rank(raw: dict[str, Any]) -> None:
    ranks = raw["army"]["ranks"]
    ranks["private"] = ranks.pop("conscript")


def _duplicate_place(raw: dict[str, Any]) -> None:
    raw["places"].append({"name": "Town", "lat": 35.2, "lon": 36.1})


def _force(raw: dict[str, Any]) -> None:
    raw["forces"] = [
        {"name": "Raiders", "start": "Rear", "strength": 500, "speed_km_day": 30,
         "objectives": ["Town", "Nowhere"]}
    ]


def _pay_raise(raw: dict[str, Any]) -> None:
    raw["events"].append({"day": 1.0, "kind": "pay_raise", "percent": 20, "ranks": ["private"]})


def _three_at_once(raw: dict[str, Any]) -> None:
    raw["dayz"] = 3
    del raw["army"]["strength"]
    raw["places"][0]["lat"] = 200


CASES: dict[str, tuple[Mutation, list[tuple[str, str]]]] = {
    "rank shares do not sum to 1": (
        setter("army.ranks.conscript.share", 0.8),
        [("army.ranks", r"shares must sum to 1, got 1\.2$")],
    ),
    "group shares do not sum to 1": (
        setter("army.groups.0.share", 0.5),
        [("army.groups", r"shares must sum to 1, got 1\.2$")],
    ),
    "rank renamed but still tracked by its old name": (
        _rename_rank,
        [("track.0.rank", r"unknown rank 'conscript'")],
    ),
    "unknown key at top level": (setter("dayz", 3), [("dayz", r"unknown key")]),
    "unknown key in army": (setter("army.strenght", 3000), [("army.strenght", r"unknown key")]),
    "unknown key in a rank": (
        setter("army.ranks.nco.payy", 60),
        [("army.ranks.nco.payy", r"unknown key")],
    ),
    "unknown key in an event": (setter("events.0.levle", 0.5), [("events.0.levle", "unknown key")]),
    "unknown key in parameters": (
        setter("parameters", {"act_rat": 0.2}),
        [("parameters.act_rat", r"unknown key")],
    ),
    "missing army.strength": (
        deleter("army.strength"),
        [("army.strength", r"required key is missing")],
    ),
    "missing place name": (deleter("places.1.name"), [("places.1.name", r"required key")]),
    "strength is not a number": (
        setter("army.strength", "many"),
        [("army.strength", r"valid integer")],
    ),
    "strength is fractional": (
        setter("army.strength", 3000.5),
        [("army.strength", r"valid integer.*fractional")],
    ),
    "strength is negative": (
        setter("army.strength", -5),
        [("army.strength", r"greater than or equal to 1")],
    ),
    "latitude out of range": (
        setter("places.0.lat", 200),
        [("places.0.lat", r"less than or equal to 90")],
    ),
    "share above 1": (
        setter("army.ranks.conscript.share", 1.5),
        [("army.ranks.conscript.share", r"less than or equal to 1")],
    ),
    "negative road length": (setter("roads.0.km", -3), [("roads.0.km", r"greater than 0")]),
    "days not positive": (setter("days", 0), [("days", r"greater than 0")]),
    "parameter out of range": (
        setter("parameters", {"act_rate": 2}),
        [("parameters.act_rate", r"less than or equal to 1")],
    ),
    "unknown place in a road": (
        setter("roads.0.b", "Nowhere"),
        [("roads.0.b", r"unknown place 'Nowhere'")],
    ),
    "road joining a place to itself": (
        setter("roads.0.b", "Town"),
        [("roads.0", r"two different places.*'Town'")],
    ),
    "unknown place as a force objective": (
        _force,
        [("forces.0.objectives.1", r"unknown place 'Nowhere'")],
    ),
    "unknown place in an event": (
        setter("events.0.places.0", "Nowhere"),
        [("events.0.places.0", r"unknown place 'Nowhere'")],
    ),
    "unknown place observed": (
        setter("observed", [{"place": "Nowhere", "day": 2.0}]),
        [("observed.0.place", r"unknown place 'Nowhere'")],
    ),
    "duplicate place names": (_duplicate_place, [("places", r"duplicate name 'Town'")]),
    "garrison shares above 1": (
        setter("places.0.garrison", 0.9),
        [("places", r"garrison shares must sum to at most 1 \(the rest is at an off-map "
                    r"place `rest`\), got 1\.1$")],
    ),
    "promise deadline before its day": (
        setter("events.1.deadline_day", 0.2),
        [("events.1", r"deadline_day must not precede day, got 0\.2 < 0\.5")],
    ),
    "promise from an unknown backer": (
        setter("events.1.backer", "Mars"),
        [("events.1.backer", r"unknown backer 'Mars'")],
    ),
    "unknown event kind": (
        setter("events.2.kind", "parade"),
        [("events.2.kind", r"unknown event kind 'parade'; kinds are .*promise.*threat")],
    ),
    "unknown rank in a pay raise": (
        _pay_raise,
        [("events.5.ranks", r"unknown rank 'private'")],
    ),
    "normal distribution without sd": (
        setter("army.threshold", {"kind": "normal", "mean": 0.3}),
        [("army.threshold", r"normal distribution needs sd$")],
    ),
    "uniform distribution with low above high": (
        setter("army.risk_aversion", {"kind": "uniform", "low": 1.0, "high": 0.0}),
        [("army.risk_aversion", r"low must not exceed high")],
    ),
    "unknown distribution kind": (
        setter("army.threshold", {"kind": "gauss", "mean": 0.3, "sd": 0.1}),
        [("army.threshold.kind", r"'normal'.*'constant'")],
    ),
    "unknown mechanism": (
        setter("mechanisms", {"telepathy": False}),
        [("mechanisms", r"unknown mechanism 'telepathy'; known: economy, .*amnesty")],
    ),
    "mechanism switch not a boolean": (
        setter("mechanisms", {"economy": "maybe"}),
        [("mechanisms.economy", r"valid boolean")],
    ),
    "unknown rank tracked": (
        setter("track.0.rank", "private"),
        [("track.0.rank", r"unknown rank 'private'")],
    ),
    "three problems at once": (
        _three_at_once,
        [
            ("dayz", r"unknown key"),
            ("army.strength", r"required key is missing"),
            ("places.0.lat", r"less than or equal to 90"),
        ],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_scenario_through_the_api(tmp_path: Path, case: str) -> None:
    mutate, expected = CASES[case]
    path = write_scenario(tmp_path, mutate)
    with pytest.raises(rout.ScenarioError) as info:
        rout.load_scenario(str(path))
    assert info.value.source == str(path)
    assert_problems(info.value.problems, expected)
    # the exception's text names the file on every line
    assert all(line.startswith(f"{path}: ") for line in str(info.value).splitlines())


@pytest.mark.parametrize("case", list(CASES))
def test_bad_scenario_through_the_cli(tmp_path: Path, case: str) -> None:
    mutate, expected = CASES[case]
    path = write_scenario(tmp_path, mutate)
    code, stdout, stderr = validate_cli(str(path))
    assert code == 2, (stdout, stderr)
    assert stdout == ""
    problems = problems_of(path)
    assert_cli_lines(stderr, str(path), problems)


def test_the_unbroken_garrison_is_valid(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, lambda raw: None)
    assert rout.load_scenario(path).army.strength == GARRISON["army"]["strength"]
    code, stdout, stderr = validate_cli(str(path))
    assert code == 0, stderr
    assert "valid" in stdout and "3,000 soldiers" in stdout


# -------------------------------------------------- paths that collide with event kinds
@pytest.mark.parametrize("mechanism", ["recall", "amnesty"])
def test_bad_switch_of_a_mechanism_named_like_an_event_kind(tmp_path: Path, mechanism: str) -> None:
    path = write_scenario(tmp_path, setter("mechanisms", {mechanism: "maybe"}))
    problems = problems_of(path)
    assert problems[0].startswith(f"mechanisms.{mechanism}: "), (
        f"expected the path mechanisms.{mechanism}, got {problems}"
    )


# ------------------------------------------------------------------ files that are not scenarios
@pytest.mark.parametrize(
    ("text", "gist"),
    [
        ("name: x\nplaces: [1, 2\n", r"^not valid YAML: .* at line \d+, column \d+"),
        ("name: x\n\tarmy: {}\n", r"^not valid YAML: .* at line \d+, column \d+"),
        ("- one\n- two\n", r"^the file must hold a mapping of keys to values$"),
        ("just a sentence\n", r"^the file must hold a mapping of keys to values$"),
        ("", r"^the file must hold a mapping of keys to values$"),
    ],
    ids=["unclosed-list", "tab-indent", "a-list", "a-string", "empty"],
)
def test_file_that_is_not_a_yaml_mapping(tmp_path: Path, text: str, gist: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    problems = problems_of(path)
    assert len(problems) == 1 and re.search(gist, problems[0]), problems
    code, stdout, stderr = validate_cli(str(path))
    assert code == 2 and stdout == ""
    assert_cli_lines(stderr, str(path), problems)


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"name": "x",}')
    problems = problems_of(path)
    assert len(problems) == 1
    assert re.match(r"not valid JSON: .*line 1 column 14", problems[0]), problems


def test_binary_file_is_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "picture.yaml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    problems = problems_of(path)
    assert len(problems) == 1, problems
    code, _, stderr = validate_cli(str(path))
    assert code == 2
    assert_cli_lines(stderr, str(path), problems)


def test_impossible_date_is_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "date.yaml"
    text = (DATA / "garrison.yaml").read_text()
    path.write_text(text.replace("days: 6", "start_date: 2024-13-01\ndays: 6"))
    problems = problems_of(path)
    assert len(problems) == 1 and problems[0].startswith("start_date"), problems


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    problems = problems_of(path)
    assert problems == ["no such file or built-in scenario (built-in: garrison, kyiv-2022, "
                        "mosul-2014, south-vietnam-1975, syria-2024)"]
    code, stdout, stderr = validate_cli(str(path))
    assert code == 2 and stdout == ""
    assert_cli_lines(stderr, str(path), problems)


def test_unknown_builtin_name() -> None:
    problems = problems_of("syria-2025")
    assert len(problems) == 1 and "garrison, kyiv-2022" in problems[0]


# ------------------------------------------------------------------ overrides
def test_override_errors_through_the_api() -> None:
    assert problems_of("garrison", {"army.strenght": 5}) == [
        "--set army.strenght: unknown key 'army.strenght'"
    ]
    assert problems_of("garrison", {"places.Nowhere.lat": 1}) == [
        "--set places.Nowhere.lat: unknown key 'places.Nowhere'"
    ]
    assert_problems(problems_of("garrison", {"army.strength": "many"}),
                    [("army.strength", "valid integer")])
    assert_problems(problems_of("garrison", {"act_rate": 2.0}),
                    [("parameters.act_rate", "less than or equal to 1")])
    assert_problems(problems_of("garrison", {"mechanisms.telepathy": False}),
                    [("mechanisms", "unknown mechanism 'telepathy'")])


def test_overrides_that_work() -> None:
    sc = rout.load_scenario("garrison", {"army.strength": 500, "act_rate": 0.1,
                                         "places.Town.fortification": 2.0,
                                         "mechanisms.economy": False})
    assert sc.army.strength == 500 and sc.parameters.act_rate == 0.1
    assert sc.places[0].fortification == 2.0 and not sc.enabled("economy")


@pytest.mark.parametrize(
    ("setting", "pattern"),
    [
        ("army.strenght=5",
         r"^error: overrides: --set army\.strenght: unknown key 'army\.strenght'$"),
        ("nosuch=1", r"^error: overrides: --set nosuch: unknown key 'nosuch'$"),
        ("army.strength=many", r"^error: garrison with overrides: army\.strength: .*valid integer"),
        ("act_rate=lots", r"^error: garrison with overrides: parameters\.act_rate: .*valid number"),
        ("army.strength", r"^error: --set 'army\.strength': expected KEY=VALUE$"),
        ("=5", r"^error: --set '=5': expected KEY=VALUE$"),
    ],
    ids=["unknown-key", "unknown-bare-key", "bad-int", "bad-float", "missing-eq", "missing-key"],
)
def test_set_errors_through_the_cli(setting: str, pattern: str) -> None:
    proc = rout_subprocess("validate", "garrison", "--set", setting)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and re.search(pattern, lines[0]), proc.stderr


def test_set_error_in_run_exits_2_before_running() -> None:
    code_run = CliRunner().invoke(app, ["run", "garrison", "--set", "army.strenght=5"])
    assert code_run.exit_code == 2
    assert code_run.stdout == ""
    assert code_run.stderr.strip() == (
        "error: overrides: --set army.strenght: unknown key 'army.strenght'"
    )


def test_user_text_with_brackets_is_printed_verbatim() -> None:
    proc = rout_subprocess("validate", "garrison", "--set", "[/x]")
    assert "Traceback" not in proc.stderr, proc.stderr.strip().splitlines()[-1]
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: --set '[/x]': expected KEY=VALUE"
    code, _, stderr = validate_cli("[draft].yaml")
    assert code == 2
    assert "[draft].yaml" in stderr, stderr
