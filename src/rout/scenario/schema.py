"""The scenario format: pydantic models for every part of a scenario file.

A scenario is data, not code: places and roads, the army, the attacking
forces, the backers, dated events, the mechanisms' parameters and an optional
block of observed outcomes to score against.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

RANKS = ("conscript", "nco", "officer", "general")
MECHANISMS = (
    "economy",
    "grievance",
    "information",
    "credibility",
    "danger",
    "enforcement",
    "leave",
    "recall",
    "checkpoints",
    "officers",
    "combat",
    "movement",
    "backers",
    "amnesty",
)

Share = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]
NonNegative = Annotated[float, Field(ge=0.0)]


class Strict(BaseModel):
    """Base: unknown keys are errors, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Dist(Strict):
    """A distribution of a soldier attribute.

    normal(mean, sd), lognormal(median, sigma), uniform(low, high),
    beta(mean, concentration), poisson(mean), constant(value).
    """

    kind: Literal["normal", "lognormal", "uniform", "beta", "poisson", "constant"]
    mean: float | None = None
    sd: NonNegative | None = None
    median: Positive | None = None
    sigma: NonNegative | None = None
    low: float | None = None
    high: float | None = None
    concentration: Positive | None = None
    value: float | None = None

    @model_validator(mode="after")
    def _needs(self) -> Dist:
        need = {
            "normal": ("mean", "sd"),
            "lognormal": ("median", "sigma"),
            "uniform": ("low", "high"),
            "beta": ("mean", "concentration"),
            "poisson": ("mean",),
            "constant": ("value",),
        }[self.kind]
        missing = [k for k in need if getattr(self, k) is None]
        if missing:
            raise ValueError(f"{self.kind} distribution needs {', '.join(missing)}")
        if self.kind == "uniform" and self.low > self.high:
            raise ValueError(f"uniform low must not exceed high, got {self.low} > {self.high}")
        if self.kind == "beta" and not 0.0 < self.mean < 1.0:
            raise ValueError(f"beta mean must be in (0, 1), got {self.mean}")
        if self.kind == "poisson" and self.mean < 0:
            raise ValueError(f"poisson mean must be >= 0, got {self.mean}")
        return self


class Place(Strict):
    name: str = Field(min_length=1)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    fortification: Positive = 1.0
    control: Literal["government", "attacker"] = "government"
    checkpoints: Annotated[int, Field(ge=0)] = 0
    garrison: Share = 0.0


class Road(Strict):
    a: str
    b: str
    km: Positive


class Rank(Strict):
    """What differs by rank: numbers, pay, and how the decision rule weighs things."""

    share: Share
    pay: NonNegative = Field(description="monthly pay in USD")
    combat_value: NonNegative = 1.0
    enforcer: bool = Field(False, description="counts as a loyal enforcer in its unit")
    loyalty: float = Field(0.0, description="subtracted from the wish to leave")
    danger_weight: NonNegative = 1.0
    punishment_exposure: NonNegative = 1.0
    threshold_shift: float = Field(
        0.0, description="added to the private threshold: exit options (money, cars, contacts) "
        "lower it"
    )
    savings: Positive = Field(50.0, description="median savings in USD")
    credibility: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.4


class Group(Strict):
    name: str = Field(min_length=1)
    share: Share
    affinity: Share


class Army(Strict):
    strength: Annotated[int, Field(ge=1)]
    unit_size: Annotated[int, Field(ge=2)] = 100
    ranks: dict[str, Rank]
    groups: list[Group] = Field(min_length=1)
    need_base: NonNegative = Field(60.0, description="monthly USD a single soldier needs")
    need_per_dependent: NonNegative = 25.0
    dependents: Dist = Dist(kind="poisson", mean=2.0)
    savings_sigma: NonNegative = 1.0
    risk_aversion: Dist = Dist(kind="uniform", low=0.0, high=1.0)
    threshold: Dist = Dist(kind="normal", mean=0.35, sd=0.12)
    credibility_concentration: Positive = 6.0
    corruptibility: Dist = Dist(kind="beta", mean=0.3, concentration=4.0)
    non_military_id: Share = 0.3
    on_leave: Share = Field(0.05, description="share on leave at the start")

    @model_validator(mode="after")
    def _shares(self) -> Army:
        problems = [
            f"ranks.{r}: unknown rank; ranks are {', '.join(RANKS)}"
            for r in self.ranks
            if r not in RANKS
        ]
        if not self.ranks:
            problems.append("ranks: at least one rank is needed")
        total = sum(r.share for r in self.ranks.values())
        if self.ranks and abs(total - 1.0) > 1e-6:
            problems.append(f"ranks: shares must sum to 1, got {total:g}")
        total = sum(g.share for g in self.groups)
        if abs(total - 1.0) > 1e-6:
            problems.append(f"groups: shares must sum to 1, got {total:g}")
        names = [g.name for g in self.groups]
        if len(set(names)) != len(names):
            problems.append("groups: names must be unique")
        if problems:
            raise ValueError("\n".join(problems))
        return self


class CommitmentPoint(Strict):
    day: NonNegative
    value: Share


class Backer(Strict):
    """An outside ally: air support and reinforcements scaled by its commitment."""

    name: str
    air_support: NonNegative = Field(0.0, description="defender power added at a contested place")
    reinforcement: NonNegative = Field(
        0.0, description="soldier-equivalents sent at full commitment"
    )
    commitment: list[CommitmentPoint] = Field(min_length=1)


class Force(Strict):
    name: str
    start: str
    strength: Positive
    quality: Positive = 1.0
    speed: Positive = Field(2.0, description="km per hour at momentum 1")
    objectives: list[str] = Field(min_length=1)
    start_day: NonNegative = 0.0


class _Event(Strict):
    day: NonNegative
    places: list[str] = Field(default_factory=list, description="empty means everywhere")
    note: str = ""


class Promise(_Event):
    kind: Literal["promise"]
    level: Share = 1.0
    deadline_day: NonNegative
    real: bool = False
    backer: str | None = None

    @model_validator(mode="after")
    def _after(self) -> Promise:
        if self.deadline_day < self.day:
            raise ValueError(
                f"deadline_day must not precede day, got {self.deadline_day} < {self.day}"
            )
        return self


class PayRaise(_Event):
    kind: Literal["pay_raise"]
    percent: Annotated[float, Field(gt=-100.0)]
    ranks: list[str] = Field(default_factory=lambda: list(RANKS))


class Recall(_Event):
    kind: Literal["recall"]


class Amnesty(_Event):
    kind: Literal["amnesty"]
    level: Share = 1.0
    ranks: list[str] = Field(default_factory=lambda: list(RANKS))


class Reinforcement(_Event):
    kind: Literal["reinforcement"]
    place: str
    soldiers: Annotated[int, Field(ge=1)]
    arrives: bool = True


class Threat(_Event):
    """A scripted danger level at places, for scenarios without attacking forces."""

    kind: Literal["threat"]
    level: Share


Event = Annotated[
    Promise | PayRaise | Recall | Amnesty | Reinforcement | Threat,
    Field(discriminator="kind"),
]


class Regime(Strict):
    legitimacy: Share = 0.5
    price_level: Positive = 1.0
    inflation: NonNegative = Field(0.0, description="price growth per month, as a fraction")


class Observed(Strict):
    event: Literal["fall"] = "fall"
    place: str
    day: NonNegative
    note: str = ""


class Track(Strict):
    """Soldiers to follow hour by hour, picked by attributes."""

    rank: str | None = None
    group: str | None = None
    place: str | None = None
    on_leave: bool | None = None
    count: Annotated[int, Field(ge=1, le=1000)] = 1


class Parameters(Strict):
    """Every weight and rate of the mechanisms, with its default (see docs/ODD.md)."""

    w_grievance: float = 1.0
    w_danger: float = 0.8
    w_collapse: float = 1.0
    w_loyalty: float = 1.0
    collapse_unit: NonNegative = 0.5
    collapse_friends: NonNegative = 0.3
    collapse_news: NonNegative = 0.2
    collapse_officers: NonNegative = 0.4
    news_hours: Positive = 8.0
    news_saturation: Positive = 4.0
    officer_signal_decay: Share = 0.5
    backup_discount: Share = 0.6
    credibility_loss: Share = 0.5
    credibility_gain: Share = 0.3
    danger_km: Positive = 40.0
    air_calm: NonNegative = 0.5
    arrest_k: NonNegative = 2.3
    arrest_floor: bool = False
    severity: NonNegative = 1.0
    amnesty_effect: Share = 0.6
    effort_band: Positive = 0.25
    effort_min: Share = 0.05
    act_rate: Share = Field(0.3, description="chance per hour that a soldier past threshold acts")
    caught_leaving: Share = Field(0.1, description="chance x P that a leaver is seized on the spot")
    bribe_price: NonNegative = 100.0
    fetch_rate: Share = 0.01
    checkpoint_density: NonNegative = 1.0
    checkpoint_stop: Share = 0.3
    checkpoint_id_pass: Share = 0.7
    checkpoint_jail: Share = 0.5
    friends_in_unit: Annotated[int, Field(ge=0, le=50)] = 4
    friends_outside: Annotated[int, Field(ge=0, le=50)] = 2
    pay_multiplier: Positive = 1.0
    backer_commitment: Annotated[float, Field(ge=0.0, le=10.0)] = 1.0
    backup_real: bool | None = None
    enforcement: Annotated[float, Field(ge=0.0, le=10.0)] = 1.0
    amnesty_on: bool = True
    officer_loyalty: float = 0.0
    attacker_kill_rate: NonNegative = 0.002
    defender_kill_rate: NonNegative = 0.002
    air_power: NonNegative = Field(2000.0, description="defender power per unit of air support")
    air_attrition: NonNegative = Field(
        0.05, description="share of an engaged attacker's strength lost per day per unit of air"
    )
    reinforcement_effort: Share = 0.8
    breakpoint: Share = 0.5
    capture_share: Share = 0.4
    scatter_share: Share = 0.4
    momentum_win: NonNegative = 0.2
    momentum_collapse: NonNegative = 0.5
    momentum_loss: NonNegative = 1.0
    momentum_air: NonNegative = 0.1
    momentum_min: Positive = 0.2
    momentum_max: Positive = 3.0
    consolidation_hours: NonNegative = Field(
        24.0, description="hours a force holds a place it has just taken before moving on"
    )


class Scenario(Strict):
    name: str
    description: str = ""
    start_date: dt.date | None = None
    days: Positive = 12.0
    step_hours: Positive = 1.0
    places: list[Place] = Field(min_length=1)
    roads: list[Road] = Field(default_factory=list)
    army: Army
    regime: Regime = Regime()
    forces: list[Force] = Field(default_factory=list)
    backers: list[Backer] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)
    parameters: Parameters = Parameters()
    mechanisms: dict[str, bool] = Field(default_factory=dict)
    observed: list[Observed] = Field(default_factory=list)
    track: list[Track] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        problems = _reference_problems(self)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def enabled(self, mechanism: str) -> bool:
        """Whether a mechanism is switched on (all are, unless the scenario says otherwise)."""
        return self.mechanisms.get(mechanism, True)


def _reference_problems(s: Scenario) -> list[str]:
    """Every cross-reference problem of a scenario, one line each, path first."""
    problems: list[str] = []
    names = [p.name for p in s.places]
    dupes = sorted({n for n in names if names.count(n) > 1})
    problems += [f"places: duplicate name {n!r}" for n in dupes]
    known = set(names)

    def check(name: str, where: str) -> None:
        if name not in known:
            problems.append(f"{where}: unknown place {name!r}")

    for i, r in enumerate(s.roads):
        check(r.a, f"roads.{i}.a")
        check(r.b, f"roads.{i}.b")
        if r.a == r.b:
            problems.append(f"roads.{i}: a road must join two different places, got {r.a!r} twice")
    total = sum(p.garrison for p in s.places)
    if abs(total - 1.0) > 1e-6:
        problems.append(f"places: garrison shares must sum to 1, got {total:g}")
    for i, f in enumerate(s.forces):
        check(f.start, f"forces.{i}.start")
        for j, o in enumerate(f.objectives):
            check(o, f"forces.{i}.objectives.{j}")
    backers = {b.name for b in s.backers}
    for i, e in enumerate(s.events):
        for j, p in enumerate(e.places):
            check(p, f"events.{i}.places.{j}")
        if isinstance(e, Reinforcement):
            check(e.place, f"events.{i}.place")
        if isinstance(e, PayRaise | Amnesty):
            problems += [f"events.{i}.ranks: unknown rank {r!r}" for r in e.ranks if r not in RANKS]
        if isinstance(e, Promise) and e.backer is not None and e.backer not in backers:
            problems.append(f"events.{i}.backer: unknown backer {e.backer!r}")
    for i, o in enumerate(s.observed):
        check(o.place, f"observed.{i}.place")
    groups = {g.name for g in s.army.groups}
    for i, t in enumerate(s.track):
        if t.place is not None:
            check(t.place, f"track.{i}.place")
        if t.rank is not None and t.rank not in s.army.ranks:
            problems.append(f"track.{i}.rank: unknown rank {t.rank!r}")
        if t.group is not None and t.group not in groups:
            problems.append(f"track.{i}.group: unknown group {t.group!r}")
    problems += [
        f"mechanisms: unknown mechanism {k!r}; known: {', '.join(MECHANISMS)}"
        for k in s.mechanisms
        if k not in MECHANISMS
    ]
    if s.forces and not s.roads:
        problems.append("roads: attacking forces need roads to move along")
    return problems
