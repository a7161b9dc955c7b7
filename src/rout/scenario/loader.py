"""Finding, reading, overriding and validating scenarios, with readable errors."""

from __future__ import annotations

import copy
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from rout.scenario.schema import Parameters, Scenario

DATA = resources.files("rout.scenario") / "data"


class _Loader(yaml.SafeLoader):
    """YAML without implicit dates: the schema parses them, so a bad date gets its path."""


_Loader.yaml_implicit_resolvers = {
    key: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class ScenarioError(ValueError):
    """A scenario that cannot be used; `problems` holds one readable line each."""

    def __init__(self, problems: list[str], source: str = "scenario") -> None:
        self.problems = problems
        self.source = source
        super().__init__("\n".join(f"{source}: {p}" for p in problems))

    def __reduce__(self):
        """Pickle by its parts, so an error raised in a worker process arrives intact."""
        return (ScenarioError, (self.problems, self.source))


def builtin_scenarios() -> dict[str, str]:
    """Names of the built-in scenarios and their one-line descriptions."""
    out: dict[str, str] = {}
    for f in sorted(DATA.iterdir(), key=lambda f: f.name):
        if f.name.endswith(".yaml"):
            raw = yaml.safe_load(f.read_text()) or {}
            out[f.name.removesuffix(".yaml")] = str(raw.get("description", "")).strip()
    return out


def read_raw(source: str | Path) -> tuple[dict[str, Any], str]:
    """The scenario's raw mapping and a label for messages: a built-in name or a path."""
    name = str(source)
    builtin = DATA / f"{name}.yaml"
    if not name.endswith((".yaml", ".yml", ".json")) and builtin.is_file():
        text, label = builtin.read_text(), name
    else:
        path = Path(name)
        if path.is_dir():
            raise ScenarioError(["is a folder, not a scenario file"], source=name)
        if not path.is_file():
            known = ", ".join(builtin_scenarios())
            raise ScenarioError(
                [f"no such file or built-in scenario (built-in: {known})"], source=name
            )
        try:
            text, label = path.read_text(encoding="utf-8"), name
        except UnicodeDecodeError:
            raise ScenarioError(["not a text file (not UTF-8)"], source=name) from None
    try:
        raw = json.loads(text) if name.endswith(".json") else yaml.load(text, _Loader)
    except yaml.MarkedYAMLError as exc:
        where = exc.problem_mark
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        problem = exc.problem or exc.context or "unreadable"
        raise ScenarioError([f"not valid YAML: {problem}{at}"], source=label) from None
    except json.JSONDecodeError as exc:
        raise ScenarioError([f"not valid JSON: {exc}"], source=label) from None
    except (yaml.YAMLError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise ScenarioError([f"not valid YAML: {first}"], source=label) from None
    if not isinstance(raw, dict):
        raise ScenarioError(["the file must hold a mapping of keys to values"], source=label)
    return raw, label


_TAGS = {"promise", "pay_raise", "recall", "amnesty", "reinforcement", "threat"}
_PATHED = re.compile(r"^[\w.\-]+: ")


def _format(exc: ValidationError) -> list[str]:
    """One line per problem, each starting with its dotted path in the file."""
    lines = []
    for err in exc.errors():
        raw = [str(p) for p in err["loc"]]
        # a discriminated union adds the event kind to the path: drop it
        parts = [p for i, p in enumerate(raw)
                 if not (p in _TAGS and i >= 2 and raw[i - 2] == "events")]
        loc = ".".join(parts)
        msg = err["msg"].removeprefix("Value error, ")
        kind = err["type"]
        if kind == "extra_forbidden":
            msg = "unknown key"
        elif kind == "missing":
            msg = "required key is missing"
        elif kind == "union_tag_invalid":
            loc = f"{loc}.kind"
            msg = (f"unknown event kind {err['ctx']['tag']!r}; "
                   f"kinds are {', '.join(sorted(_TAGS))}")
        elif kind == "union_tag_not_found":
            loc, msg = f"{loc}.kind", "required key is missing"
        for line in msg.splitlines():
            if not loc:
                lines.append(line)
            elif _PATHED.match(line):
                lines.append(f"{loc}.{line}")
            else:
                lines.append(f"{loc}: {line}")
    return lines


def validate(raw: dict[str, Any], label: str = "scenario") -> Scenario:
    """Validate a raw mapping, turning pydantic's errors into one line per problem."""
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(_format(exc), source=label) from None


def parse_value(text: str) -> Any:
    """A --set value as YAML reads it: numbers, booleans, lists, or a plain string."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def apply_overrides(raw: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Set dotted keys in a full scenario mapping; a bare key names a parameter.

    List items are addressed by index or by their `name` (`places.Hama.fortification`).
    Only keys the schema knows can be set; `mechanisms.NAME` switches one on or off.
    """
    out = copy.deepcopy(raw)
    problems = []
    for key, value in overrides.items():
        parts = key.split(".")
        if len(parts) == 1 and parts[0] in Parameters.model_fields:
            parts = ["parameters", parts[0]]
        node: Any = out
        for i, part in enumerate(parts[:-1]):
            node = _child(node, part)
            if node is None:
                problems.append(f"--set {key}: unknown key {'.'.join(parts[: i + 1])!r}")
                break
        else:
            last = parts[-1]
            if isinstance(node, list) and (idx := _index(node, last)) is not None:
                node[idx] = value
            elif isinstance(node, dict) and (last in node or parts[:-1] == ["mechanisms"]):
                node[last] = value
            else:
                problems.append(f"--set {key}: unknown key {key!r}")
    if problems:
        raise ScenarioError(problems, source="overrides")
    return out


def _index(node: list, part: str) -> int | None:
    if part.lstrip("-").isdigit():
        i = int(part)
        return i if -len(node) <= i < len(node) else None
    for i, item in enumerate(node):
        if isinstance(item, dict) and item.get("name") == part:
            return i
    return None


def _child(node: Any, part: str) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list):
        idx = _index(node, part)
        return None if idx is None else node[idx]
    return None


def load_scenario(
    source: str | Path | Scenario = "syria-2024", overrides: dict[str, Any] | None = None
) -> Scenario:
    """A validated scenario from a built-in name, a file path or a Scenario, plus overrides."""
    if isinstance(source, Scenario):
        raw, label = source.model_dump(mode="json"), source.name
    else:
        raw, label = read_raw(source)
    scenario = validate(raw, label)
    if not overrides:
        return scenario
    full = apply_overrides(scenario.model_dump(mode="json"), overrides)
    return validate(full, f"{label} with overrides")
