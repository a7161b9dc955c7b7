"""Scenario discovery: which levers and uncertainties make an outcome happen (PRIM).

`discover` samples the inputs (a Latin hypercube or a scrambled Sobol' sequence,
drawn from the root seed), runs the design through the one path of every experiment
(`rout.experiments.plan`: any backend, streamed into the store and resumable), marks
each design point where the outcome expression is true, and hands points and marks to
the EMA Workbench's PRIM (Friedman and Fisher 1999, as used for scenario discovery by
Bryant and Lempert 2010). PRIM peels the input space down to boxes where the outcome
is dense; each box is reported at one step of its peeling trajectory with its
coverage (the share of all cases of interest inside it), density (the share of the
points inside it that are cases of interest), mass (the share of all points inside
it), the inputs it restricts with their ranges, and the quasi-p-value of each
restriction (a one-sided binomial test of whether lifting it would lower the density
by chance). Extra-trees feature scores rank the inputs as well.

The outcome language (`parse`), evaluated on each design point:

- `held:PLACE`: the place did not fall; `fall:PLACE`: it fell;
- `OUTCOME OP NUMBER`, OP one of `< <= > >= == !=`, OUTCOME a run's outcome
  (`fall:PLACE`, `left_share`, `deserted_share`, `final_power_share`,
  `quarter_power_day`) or a series at a day, `power_share@11` (also `left`, `on_duty`,
  `mean_effort`, `mean_credibility`); a day that never came (a place that held) counts
  as later than every day, and a run that ended before the day (the war decided)
  keeps its last values;
- `and`, `or`, `not` and parentheses.

Names may be written as the store writes them (`fall:Maarat al-Numan`) or as
identifiers (`fall_Maarat_al_Numan`). With several runs per point, each term takes
the point's median over its runs first (a day's median in the sense of
`rout.experiments.summary`: `held:PLACE` is then "fell in fewer than half the runs").

The EMA Workbench is imported only when the analysis runs (it is slow to import).
"""

from __future__ import annotations

import json
import math
import re
import warnings
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.stats import qmc

import rout
from rout.ema import LEVERS, Input, InputSpec, documented, inputs, number
from rout.experiments.backend import SCALARS, SERIES, Runner, ScenarioLike, identifier, run
from rout.experiments.plan import (
    BackendLike,
    Plan,
    Progress,
    design_rng,
    execute,
    root_entropy,
    scenario_label,
    split,
)
from rout.experiments.summary import is_day, quantiles
from rout.scenario.loader import load_scenario
from rout.scenario.schema import Scenario

if TYPE_CHECKING:
    from matplotlib.figure import Figure

METHODS = ("lhs", "sobol")
DENSITY = 0.8
"""The density a box should reach, by default: the chosen step of a peeling trajectory
is the one of highest coverage that reaches it."""
SIGNIFICANT = 0.05
"""A restriction whose quasi-p-value is below this is significant."""
FORMAT = 1


class OutcomeError(ValueError):
    """An outcome expression that cannot be read; the message says where and why."""


# ------------------------------------------------------------------- the outcome language
@dataclass(frozen=True)
class Term:
    """A number per run: an outcome (`fall:Hama`, `left_share`) or a series at a day."""

    outcome: str
    day: float | None = None

    def __str__(self) -> str:
        return self.outcome if self.day is None else f"{self.outcome}@{self.day:g}"

    @property
    def dated(self) -> bool:
        """A day something happened: NaN when it never did."""
        return self.day is None and is_day(self.outcome)


class Node:
    """A part of an outcome expression: true or false at each point."""

    def terms(self) -> set[Term]:
        raise NotImplementedError

    def __call__(self, values: dict[Term, np.ndarray]) -> np.ndarray:
        raise NotImplementedError


@dataclass(frozen=True)
class Happened(Node):
    term: Term

    def terms(self) -> set[Term]:
        return {self.term}

    def __call__(self, values: dict[Term, np.ndarray]) -> np.ndarray:
        return np.isfinite(values[self.term])

    def __str__(self) -> str:
        return str(self.term)


@dataclass(frozen=True)
class Compare(Node):
    term: Term
    op: str
    value: float

    OPS = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
           "==": np.equal, "!=": np.not_equal}

    def terms(self) -> set[Term]:
        return {self.term}

    def __call__(self, values: dict[Term, np.ndarray]) -> np.ndarray:
        v = np.asarray(values[self.term], dtype=float)
        if self.term.dated:
            v = np.where(np.isnan(v), np.inf, v)  # never: later than every day
        return self.OPS[self.op](v, self.value)

    def __str__(self) -> str:
        return f"{self.term} {self.op} {self.value:g}"


@dataclass(frozen=True)
class Not(Node):
    inner: Node

    def terms(self) -> set[Term]:
        return self.inner.terms()

    def __call__(self, values: dict[Term, np.ndarray]) -> np.ndarray:
        return ~self.inner(values)

    def __str__(self) -> str:
        if isinstance(self.inner, Happened) and self.inner.term.outcome.startswith("fall:"):
            return f"held:{self.inner.term.outcome.removeprefix('fall:')}"
        return f"not {_wrap(self.inner)}"


@dataclass(frozen=True)
class Both(Node):
    op: str  # "and" or "or"
    parts: tuple[Node, ...]

    def terms(self) -> set[Term]:
        return set().union(*(p.terms() for p in self.parts))

    def __call__(self, values: dict[Term, np.ndarray]) -> np.ndarray:
        got = [p(values) for p in self.parts]
        return np.logical_and.reduce(got) if self.op == "and" else np.logical_or.reduce(got)

    def __str__(self) -> str:
        return f" {self.op} ".join(_wrap(p) for p in self.parts)


def _wrap(node: Node) -> str:
    return f"({node})" if isinstance(node, Both) else str(node)


@dataclass(frozen=True)
class Condition:
    """A parsed outcome expression: `text` as written, `node` its tree."""

    text: str
    node: Node

    def __str__(self) -> str:
        return str(self.node)

    def terms(self) -> list[Term]:
        return sorted(self.node.terms(), key=str)

    def phrases(self) -> tuple[str, str]:
        """The condition in words, as a statement and as `it ...`:
        (`Hama holds`, `it holds`)."""
        return phrases(str(self))


def phrases(text: str) -> tuple[str, str]:
    """(`Hama holds`, `it holds`) for `held:Hama`, (`Hama falls`, `it falls`) for
    `fall:Hama`, else (`"TEXT" is met`, `it is met`)."""
    for prefix, verb in (("held:", "holds"), ("fall:", "falls")):
        place = text.removeprefix(prefix)
        if text.startswith(prefix) and not re.search(r"\s(and|or|not)\s|[<>=!@()]", place):
            return f"{place} {verb}", f"it {verb}"
    return f"“{text}” is met", "it is met"


_TOKEN = re.compile(r"\s*(?:(?P<op><=|>=|==|!=|<|>|\(|\)|@)"
                    r"|(?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
                    r"|(?P<quote>\"[^\"]*\"|'[^']*')"
                    r"|(?P<word>[^\W\d]\w*))")


def parse(text: str, scenario: ScenarioLike) -> Condition:
    """An outcome expression read against a scenario (its places and horizon); an
    `OutcomeError` saying what is wrong, and where, otherwise."""
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    places = [p.name for p in sc.places if p.control == "government"]
    tokens = _tokens(text, places)
    parser = _Parser(text, tokens, sc)
    node = parser.expr()
    if parser.i < len(tokens):
        raise OutcomeError(f"--outcome {text!r}: unexpected {tokens[parser.i][1]!r}")
    return Condition(text, node)


def _tokens(text: str, places: list[str]) -> list[tuple[str, Any]]:
    """(kind, value) pairs: op, num, name (an outcome, place names resolved), word."""
    out: list[tuple[str, Any]] = []
    i = 0
    by_length = sorted(places, key=len, reverse=True)
    while i < len(text):
        if text[i:].strip() == "":
            break
        j = i + len(text[i:]) - len(text[i:].lstrip())
        head = re.match(r"(held|fall)[:_]", text[j:])
        if head:
            rest = text[j + len(head.group()):]
            for p in by_length:
                for spelling in (p, identifier(p)):
                    after = rest[len(spelling):]
                    if rest.startswith(spelling) and (not after or not re.match(r"\w", after)):
                        out.append(("name", f"{head.group(1)}:{p}"))
                        i = j + len(head.group()) + len(spelling)
                        break
                else:
                    continue
                break
            else:
                shown = ", ".join(places) or "none"
                raise OutcomeError(f"--outcome {text!r}: unknown place after "
                                   f"{head.group()!r} (the government's places: {shown})")
            continue
        m = _TOKEN.match(text, i)
        if not m or m.end() == i:
            raise OutcomeError(f"--outcome {text!r}: cannot read {text[j:]!r}")
        kind = m.lastgroup
        value = m.group(kind)  # type: ignore[arg-type]
        if kind == "quote":
            kind, value = "quoted", value[1:-1]
        elif kind == "num":
            value = float(value)
        out.append((kind, value))  # type: ignore[arg-type]
        i = m.end()
    return out


class _Parser:
    """Recursive descent: or > and > not > comparison."""

    def __init__(self, text: str, tokens: list[tuple[str, Any]], sc: Scenario) -> None:
        self.text, self.tokens, self.sc, self.i = text, tokens, sc, 0

    def fail(self, why: str) -> OutcomeError:
        return OutcomeError(f"--outcome {self.text!r}: {why}")

    def peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, Any]:
        tok = self.peek()
        if tok is None:
            raise self.fail("ends too soon")
        self.i += 1
        return tok

    def expr(self) -> Node:
        parts = [self.conj()]
        while self.peek() == ("word", "or"):
            self.i += 1
            parts.append(self.conj())
        return parts[0] if len(parts) == 1 else Both("or", tuple(parts))

    def conj(self) -> Node:
        parts = [self.unary()]
        while self.peek() == ("word", "and"):
            self.i += 1
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else Both("and", tuple(parts))

    def unary(self) -> Node:
        tok = self.peek()
        if tok == ("word", "not"):
            self.i += 1
            return Not(self.unary())
        if tok == ("op", "("):
            self.i += 1
            inner = self.expr()
            if self.take() != ("op", ")"):
                raise self.fail("a '(' is not closed")
            return inner
        return self.atom()

    def atom(self) -> Node:
        kind, value = self.take()
        if kind not in ("name", "word", "quoted"):
            raise self.fail(f"expected an outcome, got {value!r}")
        term = self.term(str(value))
        if term.outcome.startswith("held:"):
            return Not(Happened(Term("fall:" + term.outcome.removeprefix("held:"))))
        tok = self.peek()
        if tok is not None and tok[0] == "op" and tok[1] in Compare.OPS:
            self.i += 1
            kind, bound = self.take()
            if kind != "num":
                raise self.fail(f"expected a number after {tok[1]!r}, got {bound!r}")
            return Compare(term, tok[1], float(bound))
        if term.dated:
            return Happened(term)
        raise self.fail(f"{term} is a number: compare it (e.g. {term} < 0.5)")

    def term(self, name: str) -> Term:
        if name in ("and", "or", "not"):
            raise self.fail(f"expected an outcome before {name!r}")
        if self.peek() == ("op", "@"):
            self.i += 1
            kind, day = self.take()
            if kind != "num":
                raise self.fail(f"expected a day after '{name}@', got {day!r}")
            if name not in SERIES:
                raise self.fail(f"{name!r} is not a series; series: {', '.join(SERIES)}")
            if not 0 <= day <= self.sc.days:
                raise self.fail(f"day {day:g} is outside the run (0 to {self.sc.days:g} days)")
            return Term(name, float(day))
        known = [f"fall:{p.name}" for p in self.sc.places if p.control == "government"]
        known += [f"held:{k.removeprefix('fall:')}" for k in known] + list(SCALARS)
        for k in known:
            if name in (k, identifier(k)):
                return Term(k)
        if name in SERIES:
            raise self.fail(f"{name} is a series: give a day, e.g. {name}@5")
        raise self.fail(f"unknown outcome {name!r}; outcomes: held:PLACE, fall:PLACE, "
                        f"{', '.join(SCALARS)}, or SERIES@DAY with a series of "
                        f"{', '.join(SERIES)}")


# ----------------------------------------------------------------------- designs
def sample(items: dict[str, Input], points: int, method: str,
           rng: np.random.Generator) -> list[dict[str, Any]]:
    """Design points over the inputs: a Latin hypercube or a scrambled Sobol' sequence
    (SciPy's qmc) in the unit cube, scaled to each range; an integer input takes whole
    values, a switch is true in the upper half of its unit interval."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if not items:
        raise ValueError("discovery needs at least one lever or uncertainty to vary")
    d = len(items)
    if method == "lhs":
        unit = qmc.LatinHypercube(d=d, rng=rng).random(points)
    else:
        m = int(round(math.log2(points))) if points > 0 else -1
        if 2**m != points:
            raise ValueError(f"Sobol' points must be a power of 2, got {points}")
        unit = qmc.Sobol(d=d, scramble=True, rng=rng).random_base2(m)
    out = []
    for row in unit:
        point: dict[str, Any] = {}
        for (name, item), u in zip(items.items(), row, strict=True):
            if item.switch:
                point[name] = bool(u >= 0.5)
            elif item.integer:
                lo, hi = int(item.low), int(item.high)  # type: ignore[arg-type]
                point[name] = min(hi, lo + int(math.floor(u * (hi - lo + 1))))
            else:
                lo, hi = item.bounds()
                point[name] = float(lo + u * (hi - lo))
        out.append(point)
    return out


def _spec(items: dict[str, Input], roles: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The inputs as the manifest and the JSON keep them."""
    return {name: {"role": roles[name], "switch": True} if i.switch else
            {"role": roles[name], "low": i.low, "high": i.high} for name, i in items.items()}


# ------------------------------------------------------------------- results
@dataclass
class Restriction:
    """An input a box restricts: its range in the box (or the values it keeps, for a
    switch), the range explored, and the quasi-p-value of each restricted side (None
    where the side is not restricted)."""

    input: str
    low: float | None
    high: float | None
    values: list[bool] | None
    full_low: float | None
    full_high: float | None
    qp_low: float | None
    qp_high: float | None

    @property
    def qp(self) -> float:
        """The largest quasi-p-value of its restricted sides."""
        return max(q for q in (self.qp_low, self.qp_high, 0.0) if q is not None)

    @property
    def significant(self) -> bool:
        return self.qp < SIGNIFICANT

    def words(self) -> str:
        """`backup is real`, `pay is at least 2x`, `pay is between 1.5x and 3x`."""
        try:
            item = documented(self.input)
        except ValueError:
            item = Input(self.input)
        if self.values is not None:
            if len(self.values) == 1:
                return item.words(self.values[0]) if item.switch else \
                    f"{self.input} is {self.values[0]}"
            return f"{self.input} is any of {', '.join(map(str, self.values))}"
        noun, unit = item.noun or self.input, item.unit
        lower, upper = self.qp_low is not None, self.qp_high is not None
        lo = f"{number(self.low)}{unit}" if self.low is not None else ""
        hi = f"{number(self.high)}{unit}" if self.high is not None else ""
        if lower and upper:
            return f"{noun} is between {lo} and {hi}"
        return f"{noun} is at least {lo}" if lower else f"{noun} is at most {hi}"

    def range_text(self) -> str:
        """The range in the box: `true`, `>= 2.18`, `<= 0.5`, `1.5 to 3`."""
        if self.values is not None:
            return ", ".join(str(v).lower() for v in self.values)
        lower, upper = self.qp_low is not None, self.qp_high is not None
        if lower and not upper:
            return f">= {number(self.low)}"
        if upper and not lower:
            return f"<= {number(self.high)}"
        return f"{number(self.low)} to {number(self.high)}"

    def span(self) -> tuple[float, float]:
        """The box's share of the explored range, (from, to) within 0 to 1; a side that is
        not restricted reaches the end of the range."""
        if self.values is not None:
            return (0.5 if self.values == [True] else 0.0, 0.5 if self.values == [False]
                    else 1.0)
        lo, hi = float(self.full_low), float(self.full_high)  # type: ignore[arg-type]
        width = (hi - lo) or 1.0
        a = (self.low - lo) / width if self.qp_low is not None else 0.0  # type: ignore[operator]
        b = (self.high - lo) / width if self.qp_high is not None else 1.0  # type: ignore[operator]
        return float(np.clip(a, 0, 1)), float(np.clip(b, 0, 1))


@dataclass
class Step:
    """One box of a peeling trajectory."""

    coverage: float
    density: float
    mass: float
    res_dim: int
    n: int
    k: int


@dataclass
class Box:
    """A box PRIM found, at its chosen step of the peeling trajectory.

    `number` counts the boxes found one after another (the second explains the cases the
    first left out); `step` is the chosen index in `trajectory`; `meets` says whether
    the chosen box reaches the density asked for.
    """

    number: int
    step: int
    coverage: float
    density: float
    mass: float
    n: int
    k: int
    meets: bool
    restrictions: list[Restriction]
    trajectory: list[Step]

    @property
    def res_dim(self) -> int:
        return len(self.restrictions)


@dataclass
class Discovery:
    """What `discover` found: the boxes and feature scores of one outcome over a design.

    `points` design points, `runs` runs in all (`runs_per_point` each); `cases` is the
    number of points where the outcome is true. Written and read as JSON (`write`,
    `read`); `sentences()` tells the boxes in words and `figure()` draws them.
    """

    scenario: str
    outcome: str
    method: str
    points: int
    runs_per_point: int
    runs: int
    cases: int
    density: float
    root_entropy: str
    inputs: dict[str, dict[str, Any]]
    boxes: list[Box]
    features: list[dict[str, Any]]
    store: str | None = None
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def share(self) -> float:
        """The share of points where the outcome is true."""
        return self.cases / self.points if self.points else float("nan")

    @property
    def unit(self) -> str:
        return "runs" if self.runs_per_point == 1 else "design points"

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "kind": "discovery", **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Discovery:
        if data.get("kind") != "discovery":
            raise ValueError("not a rout discovery (no \"kind\": \"discovery\")")
        if data.get("format") != FORMAT:
            raise ValueError(f"a discovery of format {data.get('format')}; this rout reads "
                             f"format {FORMAT}")
        d = {k: v for k, v in data.items() if k not in ("format", "kind")}
        d["boxes"] = [Box(**{**b, "restrictions": [Restriction(**r) for r in b["restrictions"]],
                             "trajectory": [Step(**s) for s in b["trajectory"]]})
                      for b in d["boxes"]]
        return cls(**d)

    def write(self, path: str | Path) -> Path:
        """Write the discovery as JSON; a folder gets `discovery.json` inside it."""
        path = Path(path)
        if path.is_dir():
            path = path / "discovery.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n")
        return path

    @classmethod
    def read(cls, path: str | Path) -> Discovery:
        """A discovery written by `write` (a file, or a folder holding `discovery.json`)."""
        path = Path(path)
        if path.is_dir():
            path = path / "discovery.json"
        if not path.is_file():
            raise ValueError(f"{path}: no such discovery (run rout discover with --out)")
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not JSON ({exc})") from None
        try:
            return cls.from_dict(data)
        except (KeyError, TypeError) as exc:
            raise ValueError(f"{path}: not a rout discovery ({exc})") from None
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None

    def sentences(self) -> list[str]:
        """Each box in words: `Hama holds in 83% of runs when backup is real and pay is at
        least 2x, which covers 61% of all runs where it holds.`"""
        said, it = phrases(self.outcome)
        if self.cases == 0:
            return [f"{said} in none of the {self.points} {self.unit} within these ranges: "
                    "no box to find (widen the ranges, or vary other inputs)."]
        if self.cases == self.points:
            return [f"{said} in all {self.points} {self.unit} within these ranges: "
                    "nothing to explain (narrow the ranges, or vary other inputs)."]
        out = []
        for box in self.boxes:
            when = " and ".join(r.words() for r in box.restrictions) or "anywhere"
            text = (f"{said} in {box.density:.0%} of {self.unit} when {when}, which covers "
                    f"{box.coverage:.0%} of all {self.unit} where {it}")
            if box.number > 1:  # among the points the earlier boxes leave out
                text = f"Also, {text}"
            if not box.meets:
                text += f" (the densest box found; short of the {self.density:.0%} asked)"
            out.append(text + ".")
        return out

    def figure(self) -> Figure:
        """The peeling trajectories (coverage against density) and each chosen box's
        restrictions within the ranges explored."""
        return figure(self)


# --------------------------------------------------------------------- analysis
def point_values(terms: Sequence[Term], runs: pd.DataFrame, series: pd.DataFrame,
                 points: int) -> dict[Term, np.ndarray]:
    """Each term at each design point: the median over the point's runs (a day's in the
    sense of `summary.quantiles`, NaN if it happened in fewer than half)."""
    order = runs.sort_values(["point", "replicate"], kind="stable")
    out: dict[Term, np.ndarray] = {}
    for term in terms:
        if term.day is None:
            if term.outcome not in order:
                raise OutcomeError(f"{term} is not an outcome of these runs")
            per_run = order[term.outcome].to_numpy(dtype=float)
        else:
            s = series.sort_values(["run_id", "step"], kind="stable")
            col = s[["run_id", term.outcome]]
            at = col[s["day"] <= term.day + 1e-9].groupby("run_id", sort=False).last()
            first = col.groupby("run_id", sort=False).first()
            per_run = at[term.outcome].reindex(order["run_id"]).fillna(
                first[term.outcome].reindex(order["run_id"])).to_numpy(dtype=float)
        values = np.full(points, np.nan)
        for p, idx in pd.Series(np.arange(len(order))).groupby(
                order["point"].to_numpy()).groups.items():
            v = per_run[np.asarray(idx)]
            values[int(p)] = float(quantiles(v, [0.5])[0]) if term.dated \
                else float(np.median(v))
        out[term] = values
    return out


def _quiet_ema():
    """The EMA Workbench's PRIM and feature scoring, imported without its warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import ema_workbench
        from ema_workbench.analysis import feature_scoring, prim
    return ema_workbench, prim, feature_scoring


def _qp(value: float) -> float | None:
    return None if value is None or value < 0 or not np.isfinite(value) else float(value)


def _box(prim_box: Any, number_: int, density: float, choose: int | None,
         items: dict[str, Input], x: pd.DataFrame) -> Box:
    """A PRIM box at its chosen step: the given one, else the one of highest coverage
    whose density reaches `density`, else the densest."""
    traj = prim_box.peeling_trajectory.reset_index(drop=True)
    steps = [Step(float(r.coverage), float(r.density), float(r.mass), int(r.res_dim), int(r.n),
                  int(r.k)) for r in traj.itertuples()]
    dens = traj["density"].to_numpy(dtype=float)
    if choose is not None:
        if not -len(steps) <= choose < len(steps):
            raise ValueError(f"the trajectory has steps 0 to {len(steps) - 1}, not {choose}")
        i = choose % len(steps)
    elif (dens >= density - 1e-12).any():
        ok = np.flatnonzero(dens >= density - 1e-12)
        i = int(ok[np.argmax(traj["coverage"].to_numpy()[ok])])
    else:
        i = int(np.argmax(dens))
    lims = prim_box.box_lims[i]
    qp = prim_box.qp[i]
    restrictions = []
    for name in [c for c in x.columns if c in qp]:
        item = items[name]
        lo_qp, hi_qp = (_qp(v) for v in qp[name])
        if item.switch:
            values = sorted(bool(v) for v in lims.loc[0, name])
            restrictions.append(Restriction(name, None, None, values, None, None, lo_qp, None))
        else:
            low, high = (float(v) for v in (lims.loc[0, name], lims.loc[1, name]))
            if item.integer:
                low, high = int(round(low)), int(round(high))
            restrictions.append(Restriction(name, low, high, None, item.low, item.high, lo_qp,
                                            hi_qp))
    s = steps[i]
    return Box(number_, i, s.coverage, s.density, s.mass, s.n, s.k, s.density >= density - 1e-12,
               restrictions, steps)


def analyse(x: pd.DataFrame, y: np.ndarray, items: dict[str, Input], *,
            density: float = DENSITY, boxes: int = 1, choose: int | None = None,
            peel_alpha: float = 0.05, paste_alpha: float = 0.05, mass_min: float = 0.05,
            features: bool = True, random_state: int = 0) -> tuple[list[Box], list[dict]]:
    """PRIM boxes and extra-trees feature scores of a binary outcome over design points
    (x: one column per input, y: true where the outcome is)."""
    y = np.asarray(y, dtype=int)
    if y.min() == y.max():
        return [], []
    with warnings.catch_warnings():  # the EMA Workbench's own use of deprecated pandas
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        return _analyse(x, y, items, density, boxes, choose, peel_alpha, paste_alpha,
                        mass_min, features, random_state)


def _analyse(x: pd.DataFrame, y: np.ndarray, items: dict[str, Input], density: float,
             boxes: int, choose: int | None, peel_alpha: float, paste_alpha: float,
             mass_min: float, features: bool, random_state: int
             ) -> tuple[list[Box], list[dict]]:
    _, prim, feature_scoring = _quiet_ema()
    # PRIM keeps a box only if its density reaches `threshold`, else returns the initial
    # box; the threshold is set low so that every box comes back, and the step is chosen
    # on the trajectory (`_box`) against the density asked for
    finder = prim.Prim(x, y, threshold=1e-9, peel_alpha=peel_alpha, paste_alpha=paste_alpha,
                       mass_min=mass_min)
    found: list[Box] = []
    taken: list[np.ndarray] = []
    for k in range(boxes):
        left = np.setdiff1d(finder.yi, np.concatenate(taken)) if taken else finder.yi
        if y[left].sum() == 0:
            break
        b = finder.find_box()
        if b is None or b.peeling_trajectory.shape[0] < 2:
            break
        box = _box(b, k + 1, density, choose if k == 0 else None, items, x)
        b.select(box.step)  # the next box explains what this one, at this step, leaves out
        taken.append(np.asarray(b.yi))
        found.append(box)
        if not box.meets:
            break
    scores: list[dict] = []
    if features:
        from ema_workbench.analysis.scenario_discovery_util import RuleInductionType

        d = x.shape[1]
        fs, _ = feature_scoring.get_ex_feature_scores(
            x, y, mode=RuleInductionType.CLASSIFICATION, max_features=max(1, round(d / 3)),
            random_state=random_state)
        scores = [{"input": str(name), "score": float(v)} for name, v in fs.iloc[:, 0].items()]
    return found, scores


def frame(points: list[dict[str, Any]], items: dict[str, Input]) -> pd.DataFrame:
    """The design points as PRIM's x: one column per input (switches as bool)."""
    x = pd.DataFrame(points, columns=list(items))
    for name, item in items.items():
        x[name] = x[name].astype(bool if item.switch else int if item.integer else float)
    return x


def discover(scenario: ScenarioLike, outcome: str, out: str | Path | None = None, *,
             levers: InputSpec = None, uncertainties: InputSpec = (),
             method: str = "lhs", points: int = 200, runs_per_point: int = 1,
             seed: int | None = 1, overrides: dict[str, Any] | None = None,
             resume: bool = False, backend: BackendLike = "sequential",
             workers: int | None = None, scheduler: str | None = None,
             executor: Executor | None = None, runner: Runner = run,
             progress: Progress | None = None, density: float = DENSITY, boxes: int = 1,
             choose: int | None = None, peel_alpha: float = 0.05, mass_min: float = 0.05,
             features: bool = True, save: str | Path | None = None) -> Discovery:
    """Scenario discovery for an outcome expression over levers and uncertainties.

    `levers` default to every lever (`rout.ema.LEVERS`), `uncertainties` to none: names
    take their documented ranges, a mapping name -> (low, high) gives others. The design
    (`method` "lhs" or "sobol", `points` points, a power of 2 for Sobol') is drawn from
    the root seed; each point runs `runs_per_point` replicates. With `out` the runs
    stream into that store (and `resume` finishes it, or re-reads it to analyse another
    outcome without running anything), and the discovery is written as JSON to `save`,
    or else to `out/discovery.json`.

    The chosen step of each box is `choose` (for the first box), else the one of highest
    coverage whose density reaches `density`, else the densest; `boxes` boxes are looked
    for one after another while each reaches the density.
    """
    sc = load_scenario(scenario, overrides)
    condition = parse(outcome, sc)
    lev = inputs(levers, LEVERS)
    unc = {k: v for k, v in inputs(uncertainties, {}).items() if k not in lev}
    items = {**lev, **unc}
    roles = {**{k: "lever" for k in lev}, **{k: "uncertainty" for k in unc}}
    entropy = root_entropy(seed)
    pts = sample(items, points, method, design_rng(entropy))
    design = {"method": method, "points": points, "inputs": _spec(items, roles)}
    plan = Plan(scenario, pts, runs_per_point, entropy, "discover", design,
                dict(overrides or {}), runner)
    rows = execute(plan, out=out, resume=resume, backend=backend, workers=workers,
                   scheduler=scheduler, executor=executor, progress=progress)
    runs_, series = split(rows)
    values = point_values(condition.terms(), runs_, series, len(pts))
    y = condition.node(values)
    found, scores = analyse(frame(pts, items), y, items, density=density, boxes=boxes,
                            choose=choose, peel_alpha=peel_alpha, mass_min=mass_min,
                            features=features, random_state=entropy % 2**32)
    ema_workbench, _, _ = _quiet_ema()
    result = Discovery(
        scenario=scenario_label(scenario), outcome=str(condition), method=method,
        points=len(pts), runs_per_point=runs_per_point, runs=plan.size, cases=int(y.sum()),
        density=density, root_entropy=str(entropy), inputs=design["inputs"], boxes=found,
        features=scores, store=str(out) if out is not None else None,
        versions={"rout": rout.__version__, "ema_workbench": ema_workbench.__version__})
    target = save if save is not None else (Path(out) / "discovery.json" if out else None)
    if target is not None:
        result.write(target)
    return result


# ------------------------------------------------------------------------ figure
def figure(d: Discovery) -> Figure:
    """Left, each box's peeling trajectory (coverage against density, coloured by the
    number of restricted inputs, the chosen step ringed); right, the first box's
    restrictions as bars within the ranges explored, with their quasi-p-values."""
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.4), layout="constrained")
    ax, bx = fig.subplots(1, 2, width_ratios=[1, 1.15])
    said, _ = phrases(d.outcome)
    fig.suptitle(f"{d.scenario}: where {said.lower() if said.startswith('“') else said} "
                 f"({d.cases} of {d.points} {d.unit})", fontsize=11)
    if not d.boxes:
        for a in (ax, bx):
            a.axis("off")
        ax.text(0.0, 0.5, d.sentences()[0], wrap=True, fontsize=10, va="center")
        return fig
    top = max(s.res_dim for b in d.boxes for s in b.trajectory) or 1
    cmap = colormaps["viridis"].resampled(top + 1)
    markers = "os^Dv"
    for b in d.boxes:
        cov = [s.coverage for s in b.trajectory]
        den = [s.density for s in b.trajectory]
        ax.plot(cov, den, color="#a0aec0", lw=0.8, zorder=1)
        sc_ = ax.scatter(cov, den, c=[s.res_dim for s in b.trajectory], cmap=cmap,
                         vmin=-0.5, vmax=top + 0.5, s=22, zorder=2, label=f"box {b.number}",
                         marker=markers[(b.number - 1) % len(markers)])
        ax.scatter([b.coverage], [b.density], s=140, facecolors="none", edgecolors="#c53030",
                   lw=1.6, zorder=3)
        ax.annotate(f"box {b.number}, step {b.step}", (b.coverage, b.density),
                    textcoords="offset points", xytext=(6, -12), fontsize=8, color="#c53030")
    ax.axhline(d.density, color="#718096", ls="--", lw=0.8)
    ax.set_xlabel("coverage")
    ax.set_ylabel("density")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_title("Peeling trajectory", fontsize=10)
    fig.colorbar(sc_, ax=ax, label="restricted inputs", shrink=0.8, ticks=range(top + 1))
    first = d.boxes[0]
    rs = first.restrictions
    bx.set_title(f"Box 1: coverage {first.coverage:.0%}, density {first.density:.0%}, "
                 f"mass {first.mass:.0%}", fontsize=10)
    for j, r in enumerate(rs):
        yj = len(rs) - 1 - j
        bx.barh(yj, 1.0, color="#edf2f7", height=0.6)
        lo, hi = r.span()
        bx.barh(yj, hi - lo, left=lo, color="#3182ce" if r.significant else "#90cdf4",
                height=0.6)
        bx.text(1.02, yj, f"{r.range_text()}  (qp {r.qp:.2g})", va="center", fontsize=8)
    bx.set_yticks(range(len(rs)), [r.input for r in reversed(rs)], fontsize=9)
    bx.set_xlim(0, 1.45)
    bx.set_xticks([0, 1], ["low end", "high end"])
    bx.spines[["top", "right"]].set_visible(False)
    if not rs:
        bx.text(0.5, 0.5, "no input restricted", ha="center")
    return fig


def describe_box(box: Box) -> pd.DataFrame:
    """A box's restrictions as a table: input, range in the box, range explored, qp."""
    return pd.DataFrame({
        "input": [r.input for r in box.restrictions],
        "box": [r.range_text() for r in box.restrictions],
        "explored": ["false, true" if r.values is not None else
                     f"{number(r.full_low)} to {number(r.full_high)}"
                     for r in box.restrictions],
        "quasi-p": [r.qp for r in box.restrictions],
        "significant": ["yes" if r.significant else "no" for r in box.restrictions],
    })


def trajectory(box: Box) -> pd.DataFrame:
    """A box's peeling trajectory as a table, one row per step."""
    return pd.DataFrame([{"step": i, **asdict(s)} for i, s in enumerate(box.trajectory)])

