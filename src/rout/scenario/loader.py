"""Finding, reading, overriding and validating scenarios, with readable errors.

Every input is bounded before it costs anything: a file's size before it is read, its
nesting and its number of values while it is parsed (YAML or JSON, duplicate keys
refused), every number by the format itself (`rout.scenario.fields`), and what a run
would need (steps, memory) by `limit_problems` once the scenario is whole. Legal input
that is almost surely a mistake (a road graph in pieces, an objective no road leads to,
an event after the end) passes with a warning: `scenario_warnings` lists them, and
`load_scenario` hands each to `warnings.warn` as a `ScenarioWarning`.
"""

from __future__ import annotations

import copy
import functools
import json
import math
import os
import re
import warnings
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import ValidationError

from rout.scenario.fields import number
from rout.scenario.schema import REST, Dist, Parameters, Scenario, event_kinds

DATA = resources.files("rout.scenario") / "data"

MAX_FILE_BYTES = 2 * 1024 * 1024
"""The largest scenario file read (2 MiB; the built-in ones are a few kB)."""
MAX_DEPTH = 32
"""The deepest nesting of mappings and lists in a scenario file."""
MAX_VALUES = 500_000
"""The most values (mappings, lists and scalars, a YAML alias counted at each use) a file
may hold."""
MAX_STEPS = 100_000
"""The most steps a run may take (days x 24 / step_hours): 11 years of hours."""
MAX_STEP_HOURS = 24.0
MAX_PLACES = 1000
MAX_POISSON_MEAN = 1e6
MAX_SIGMA = 10.0
"""The largest sigma of a lognormal draw (and army.savings_sigma): exp(10 x 6 sd) is finite
in single precision."""
MAX_CHECKPOINTS = 10_000
"""The most checkpoints expected on one soldier's road home (place's x checkpoint_density)."""
BYTES_PER_AGENT = 256
BYTES_PER_TIE = 64
"""Peak memory of an agent while the army is built: its arrays (`rout.model.state.Army`, the
world's per-soldier values) and, per friendship tie, the network's edge lists (measured:
about 212 + 57 per tie)."""


class ScenarioWarning(UserWarning):
    """Legal input that is almost surely a mistake (see `scenario_warnings`)."""


class _Loader(yaml.SafeLoader):
    """YAML without implicit dates (the schema parses them, so a bad date gets its path),
    without duplicate keys, and no deeper than MAX_DEPTH."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {MAX_DEPTH} levels deep",
                    self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, Any] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.setdefault(key, key_node.start_mark)
                except TypeError:  # an unhashable key: the base class says so
                    continue
                if first is not key_node.start_mark:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {_excerpt(key)} (first at line "
                        f"{first.line + 1})", key_node.start_mark)
        return super().construct_mapping(node, deep)


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


def _excerpt(value: Any, limit: int = 40) -> str:
    """A value as messages quote it: its repr, cut to `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit - 3]}..."


def builtin_scenarios() -> dict[str, str]:
    """Names of the built-in scenarios and their one-line descriptions."""
    out: dict[str, str] = {}
    for f in sorted(DATA.iterdir(), key=lambda f: f.name):
        if f.name.endswith(".yaml"):
            raw = yaml.safe_load(f.read_text()) or {}
            out[f.name.removesuffix(".yaml")] = str(raw.get("description", "")).strip()
    return out


class _DuplicateKey(ValueError):
    pass


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(f"duplicate key {_excerpt(key)}")
        out[key] = value
    return out


def _read_text(path: Path, label: str) -> str:
    """A file's text, refused unread if it is larger than MAX_FILE_BYTES."""
    limit = f"a scenario file may be at most {MAX_FILE_BYTES // 2**20} MiB"
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError([f"the file is {size:,} bytes; {limit}"], source=label)
        with path.open("rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ScenarioError([f"cannot read it: {exc.strerror or exc}"], source=label) from None
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError([f"the file is over {MAX_FILE_BYTES:,} bytes; {limit}"],
                            source=label)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(["not a text file (not UTF-8)"], source=label) from None


def _shape_problem(raw: Any) -> str | None:
    """Whether parsed data nests deeper than MAX_DEPTH, holds more than MAX_VALUES values
    (a shared YAML alias counted at each use) or refers to itself; None if not."""
    sizes: dict[int, tuple[int, int]] = {}  # id -> (values, depth) of a finished container
    open_: set[int] = set()
    stack: list[tuple[Any, bool]] = [(raw, False)]
    while stack:
        node, children_done = stack.pop()
        if not isinstance(node, dict | list):
            continue
        key = id(node)
        items = list(node.values()) if isinstance(node, dict) else node
        if children_done:
            open_.discard(key)
            values, depth = 1, 1
            for item in items:
                if isinstance(item, dict | list):
                    v, d = sizes[id(item)]
                    values, depth = values + v, max(depth, d + 1)
                else:
                    values += 1
            if depth > MAX_DEPTH:
                return f"nested more than {MAX_DEPTH} levels deep"
            if values > MAX_VALUES:
                return f"holds more than {MAX_VALUES:,} values (aliases counted at each use)"
            sizes[key] = (values, depth)
            continue
        if key in sizes:
            continue
        if key in open_:
            return "a YAML alias refers to the mapping or list that holds it"
        open_.add(key)
        stack.append((node, True))
        stack.extend((item, False) for item in items
                     if isinstance(item, dict | list) and id(item) not in sizes)
        if len(open_) > MAX_DEPTH:
            return f"nested more than {MAX_DEPTH} levels deep"
    return None


@functools.lru_cache(maxsize=16)
def _parsed(text: str) -> Any:
    return yaml.load(text, _Loader)


def path_like(name: str) -> bool:
    return name.endswith((".yaml", ".yml", ".json"))


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
        text, label = _read_text(path, name), name
    try:
        if name.endswith(".json"):
            raw = json.loads(text, object_pairs_hook=_json_object)
        elif label == name and builtin.is_file() and not path_like(name):
            raw = copy.deepcopy(_parsed(text))  # a built-in, read at every run: parsed once
        else:
            raw = yaml.load(text, _Loader)
    except yaml.MarkedYAMLError as exc:
        where = exc.problem_mark
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        problem = exc.problem or exc.context or "unreadable"
        raise ScenarioError([f"not valid YAML: {problem}{at}"], source=label) from None
    except _DuplicateKey as exc:
        raise ScenarioError([f"not valid JSON: {exc}"], source=label) from None
    except json.JSONDecodeError as exc:
        raise ScenarioError([f"not valid JSON: {exc}"], source=label) from None
    except RecursionError:
        raise ScenarioError([f"nested more than {MAX_DEPTH} levels deep"],
                            source=label) from None
    except (yaml.YAMLError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise ScenarioError([f"not valid YAML: {first}"], source=label) from None
    if not isinstance(raw, dict):
        raise ScenarioError(["the file must hold a mapping of keys to values"], source=label)
    problem = _shape_problem(raw)
    if problem:
        raise ScenarioError([problem], source=label)
    return raw, label


_TAGS = set(event_kinds())
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
        elif kind == "finite_number":
            msg = f"must be a finite number, got {err.get('input')}"
        elif kind == "int_parsing_size":
            msg = "must be at most 1e9 in size"
        elif kind == "union_tag_invalid":
            loc = f"{loc}.kind"
            msg = (f"unknown event kind {_excerpt(err['ctx']['tag'])}; "
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


def steps_of(scenario: Scenario) -> int:
    """The steps a run of the scenario takes at most: days x 24 / step_hours, rounded up."""
    return math.ceil(scenario.days * 24.0 / scenario.step_hours - 1e-9)


def agents_of(scenario: Scenario) -> int:
    """The agents a run holds: soldiers (reserves too) over the scale."""
    army = scenario.army
    soldiers = army.strength + sum(r.soldiers for r in getattr(army, "reserves", ()))
    return max(1, round(soldiers / scenario.scale))


def memory_needed(scenario: Scenario) -> int:
    """Bytes a run of the scenario needs at its peak, estimated: per agent (its arrays and
    friendship ties, see BYTES_PER_AGENT) and per step (what the recorder keeps, and the
    frames made of it)."""
    from rout.model.registry import STATES

    p = scenario.parameters
    ties = getattr(p, "friends_in_unit", 4) + getattr(p, "friends_outside", 2)
    per_agent = BYTES_PER_AGENT + BYTES_PER_TIE * ties
    places, forces = len(scenario.places), len(scenario.forces) + len(scenario.risings)
    cells = len(STATES) * len(scenario.army.ranks) * len(scenario.army.groups) * places
    tracked = sum(t.count for t in scenario.track)
    per_step = 24 * cells + 100 * (places + forces) + 64 * tracked + 256
    return agents_of(scenario) * per_agent + steps_of(scenario) * per_step


def available_memory() -> int | None:
    """Bytes of memory this process may still use (what the system has available, within
    its control group's limit), or None where that cannot be read."""
    found: list[int] = []
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    found.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = Path("/sys/fs/cgroup/memory.current").read_text().strip()
        if limit != "max":
            found.append(int(limit) - int(used))
    except (OSError, ValueError):
        pass
    if not found:
        try:
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (OSError, ValueError, AttributeError):
            return None
    return max(0, min(found))


def _gb(n: float) -> str:
    return f"{n / 1e9:.1f} GB"


def limit_problems(s: Scenario) -> list[str]:
    """What a run of the scenario would need beyond the limits (docs/ODD.md, section 6):
    steps, places, distributions, checkpoints, and memory this machine does not have."""
    problems: list[str] = []
    steps = steps_of(s)
    if s.step_hours > MAX_STEP_HOURS:
        problems.append(f"step_hours: must be at most {MAX_STEP_HOURS:g} (a day), "
                        f"got {number(s.step_hours)}")
    if steps > MAX_STEPS:
        problems.append(f"days: {number(s.days)} days of {number(s.step_hours)} h steps are "
                        f"{steps:,} steps; at most {MAX_STEPS:,} are allowed (shorten days or "
                        "lengthen step_hours)")
    if len(s.places) > MAX_PLACES:
        problems.append(f"places: at most {MAX_PLACES:,} places, got {len(s.places):,}")
    for name in type(s.army).model_fields:
        dist = getattr(s.army, name)
        if not isinstance(dist, Dist):
            continue
        if dist.kind == "poisson" and dist.mean > MAX_POISSON_MEAN:
            problems.append(f"army.{name}.mean: a poisson mean must be at most "
                            f"{number(MAX_POISSON_MEAN)}, got {number(dist.mean)}")
        if dist.kind == "lognormal" and dist.sigma > MAX_SIGMA:
            problems.append(f"army.{name}.sigma: must be at most {MAX_SIGMA:g}, "
                            f"got {number(dist.sigma)}")
    if s.army.savings_sigma > MAX_SIGMA:
        problems.append(f"army.savings_sigma: must be at most {MAX_SIGMA:g}, "
                        f"got {number(s.army.savings_sigma)}")
    density = getattr(s.parameters, "checkpoint_density", 1.0)
    for i, place in enumerate(s.places):
        if place.checkpoints * density > MAX_CHECKPOINTS:
            problems.append(f"places.{i}.checkpoints: {place.checkpoints:,} checkpoints x "
                            f"checkpoint_density {number(density)} must be at most "
                            f"{MAX_CHECKPOINTS:,}")
    if not problems:
        need, have = memory_needed(s), available_memory()
        if have is not None and need > have:
            problems.append(
                f"army.strength: {agents_of(s):,} agents (soldiers at scale {s.scale}) over "
                f"{steps:,} steps need about {_gb(need)} of memory, and this machine has "
                f"{_gb(have)} available; lower army.strength, raise scale or shorten days")
    return problems


def _reachable(s: Scenario, start: str) -> set[str]:
    """Places reachable by road from a place."""
    links: dict[str, set[str]] = {}
    for r in s.roads:
        links.setdefault(r.a, set()).add(r.b)
        links.setdefault(r.b, set()).add(r.a)
    seen, todo = {start}, [start]
    while todo:
        for nxt in links.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _names(names: list[str], most: int = 4) -> str:
    shown = ", ".join(_excerpt(n) for n in names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def content_share(s: Scenario, draws: int = 4096) -> float:
    """The share of the army whose pay covers its family's need at the start (hardship 0,
    so no grievance), from fixed draws of the dependents (the run's own stream is not
    touched)."""
    from rout.model.state import sample

    a = s.army
    dependents = sample(a.dependents, draws, np.random.default_rng(0))
    need = a.need_base + a.need_per_dependent * np.maximum(dependents, 0.0)
    covered = sum(r.share * float(np.mean(r.pay >= need)) for r in a.ranks.values())
    return (1.0 - a.arrears) * covered


def scenario_warnings(s: Scenario, horizon: bool = True) -> list[str]:
    """Legal input that is almost surely a mistake, one line each, path first: a road graph
    in pieces, objectives no road leads to, pay that switches grievance off in effect and
    (with `horizon`) events and offensives after the end."""
    out: list[str] = []
    content = content_share(s)
    if content >= 0.95:
        out.append(f"army: pay covers need for {content:.0%} of the soldiers at the start, so "
                   f"grievance is 0 for them: is need_base ({number(s.army.need_base)}) in the "
                   f"army's currency ({s.army.currency}) like the pay?")
    names = [p.name for p in s.places if p.name != REST]  # the off-map rest has no roads
    if s.roads and len(names) > 1:
        reached = _reachable(s, names[0])
        cut_off = [n for n in names if n not in reached]
        if cut_off:
            out.append(f"roads: the road graph is in pieces: no road leads from "
                       f"{_excerpt(names[0])} to {_names(cut_off)}")
    for what, movers, origin in (("forces", s.forces, "start"), ("risings", s.risings,
                                                                  "place")):
        for i, mover in enumerate(movers):
            start = getattr(mover, origin)
            reached = _reachable(s, start)
            for j, objective in enumerate(mover.objectives):
                if objective not in reached:
                    out.append(f"{what}.{i}.objectives.{j}: no road leads to "
                               f"{_excerpt(objective)} from {_excerpt(start)}, where "
                               f"{_excerpt(mover.name)} starts")
    end = f"after the end of the run (day {number(s.days)}): it never happens"
    for i, force in enumerate(s.forces if horizon else ()):
        if force.start_day >= s.days:
            out.append(f"forces.{i}.start_day: day {number(force.start_day)} is {end}")
    for i, event in enumerate(s.events if horizon else ()):
        if event.day >= s.days:
            out.append(f"events.{i}.day: day {number(event.day)} is {end}")
    return out


def validate(raw: dict[str, Any], label: str = "scenario", limits: bool = True) -> Scenario:
    """Validate a raw mapping, turning pydantic's errors into one line per problem; with
    `limits`, refuse too what a run could not afford (`limit_problems`)."""
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(_format(exc), source=label) from None
    except RecursionError:
        raise ScenarioError([f"nested more than {MAX_DEPTH} levels deep"],
                            source=label) from None
    problems = limit_problems(scenario) if limits else []
    if problems:
        raise ScenarioError(problems, source=label)
    return scenario


def parse_value(text: str) -> Any:
    """A --set value as YAML reads it: numbers, booleans, lists, or a plain string."""
    try:
        return yaml.load(text, _Loader)
    except (yaml.YAMLError, RecursionError):
        return text


def apply_overrides(raw: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Set dotted keys in a full scenario mapping; a bare key names a parameter.

    List items are addressed by index (0 to N-1) or by their `name`
    (`places.Hama.fortification`). Only keys the schema knows can be set;
    `mechanisms.NAME` switches one on or off.
    """
    out = copy.deepcopy(raw)
    problems = []
    for key, value in overrides.items():
        parts = key.split(".")
        if len(parts) == 1 and parts[0] in Parameters.model_fields:
            parts = ["parameters", parts[0]]
        node: Any = out
        for i, part in enumerate(parts[:-1]):
            bad = _bad_index(node, part)
            node = None if bad else _child(node, part)
            if node is None:
                where = ".".join(parts[: i + 1])
                problems.append(f"--set {key}: {bad or 'unknown key'} {_excerpt(where)}")
                break
        else:
            last = parts[-1]
            bad = _bad_index(node, last)
            if bad:
                problems.append(f"--set {key}: {bad} {_excerpt(key)}")
            elif isinstance(node, list) and (idx := _index(node, last)) is not None:
                node[idx] = value
            elif isinstance(node, dict) and (last in node or parts[:-1] == ["mechanisms"]):
                node[last] = value
            else:
                problems.append(f"--set {key}: unknown key {_excerpt(key)}")
    if problems:
        raise ScenarioError(problems, source="overrides")
    return out


def _bad_index(node: Any, part: str) -> str | None:
    """Why a path part cannot index a list (a negative or too large number), else None."""
    if not isinstance(node, list) or not re.fullmatch(r"-?\d+", part):
        return None
    if 0 <= int(part) < len(node):
        return None
    return f"list index must be 0 to {len(node) - 1}, not {int(part)}, in"


def _index(node: list, part: str) -> int | None:
    if part.isdigit():
        i = int(part)
        return i if i < len(node) else None
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
    """A validated scenario from a built-in name, a file path or a Scenario, plus overrides.

    Each of `scenario_warnings` is given to `warnings.warn` as a `ScenarioWarning`, except
    for a Scenario passed without overrides (it was loaded, and warned about, already);
    when the overrides set `days`, a shorter horizon is meant, and what falls after it is
    not warned about.
    """
    if isinstance(source, Scenario):
        raw, label = source.model_dump(mode="json"), source.name
    else:
        raw, label = read_raw(source)
    scenario = validate(raw, label, limits=not overrides)
    if overrides:
        full = apply_overrides(scenario.model_dump(mode="json"), overrides)
        label = f"{label} with overrides"
        scenario = validate(full, label)
    if overrides or not isinstance(source, Scenario):
        for line in scenario_warnings(scenario, horizon="days" not in (overrides or {})):
            warnings.warn(f"{label}: {line}", ScenarioWarning, stacklevel=2)
    return scenario
