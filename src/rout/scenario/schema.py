"""The scenario format: pydantic models for every part of a scenario file.

A scenario is data, not code: places and roads, the army, the attacking
forces, the backers, dated events, the mechanisms' parameters and an optional
block of observed outcomes to score against.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from rout.model.parameters import Parameters
from rout.model.schedule import switches
from rout.scenario.fields import NonNegative, Positive, Share, Strict

MECHANISMS = tuple(switches())
REST = "rest"
"""The off-map place where the part of the army no listed place garrisons serves."""


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
    depth_km: Positive | None = Field(
        None, description="defended depth an attacker must cross to take it, km (default: the "
        "parameter depth_km)")


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
    headquarters: bool = Field(False, description="sits in its place's headquarters unit "
                               "(generals); its flight is the headquarters fleeing")
    savings: Positive | None = Field(None, description="median savings in the army's "
                                     "currency (default: savings_months of the rank's pay)")
    credibility: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.4


class Group(Strict):
    name: str = Field(min_length=1)
    share: Share
    affinity: Share = Field(description="affinity to the regime: legitimacy as the group sees "
                            "it, and loyalty")
    fear: Share = Field(0.0, description="fear of the attacker: raises the danger felt and "
                        "lowers the hope of mercy")
    sympathy: Share = Field(0.0, description="sympathy for the attacker: the chance that one "
                            "of the group who leaves in contact with it goes over to it")


class Reserve(Strict):
    """Soldiers held back (a militia, volunteers, reservists) until a mobilisation calls them
    up at their place; then they decide like every soldier, with their own rank and group."""

    name: str = Field(min_length=1)
    place: str
    soldiers: Annotated[int, Field(ge=1)]
    rank: str
    group: str


class Army(Strict):
    strength: Annotated[int, Field(ge=1, le=10_000_000)] = Field(
        description="soldiers actually present (on duty or on leave) at the start")
    paper_strength: Annotated[int, Field(ge=1)] | None = Field(
        None, description="strength on the rolls, ghost soldiers included (reported only)")
    currency: str = Field("USD", description="currency (and year) of every money figure: pay, "
                          "need, savings, bribes")
    unit_size: Annotated[int, Field(ge=2)] = 100
    ranks: dict[str, Rank]
    groups: list[Group] = Field(min_length=1)
    need_base: NonNegative = Field(60.0, description="monthly cost of living of a single "
                                   "soldier, in the army's currency")
    need_per_dependent: NonNegative = Field(25.0, description="added cost of living per "
                                            "dependent, per month")
    arrears: Share = Field(0.0, description="share of soldiers whose pay is in arrears (they "
                           "are paid nothing now)")
    bribe_price: NonNegative | None = Field(
        None, description="price of leave bought from a commander (default: bribe_months of "
        "the lowest rank's pay)")
    dependents: Dist = Dist(kind="poisson", mean=2.0)
    savings_sigma: NonNegative = 1.0
    risk_aversion: Dist = Dist(kind="uniform", low=0.0, high=1.0)
    threshold: Dist = Dist(kind="normal", mean=0.534, sd=0.12)
    credibility_concentration: Positive = 6.0
    corruptibility: Dist = Dist(kind="beta", mean=0.3, concentration=4.0)
    non_military_id: Share = 0.3
    on_leave: Share = Field(0.05, description="share on leave at the start")
    peacetime_desertion: Share = Field(
        0.0, description="share of the army that leaves per month in peacetime (with a source)")
    homes: Literal["elsewhere", "garrison"] = Field(
        "elsewhere", description="where the soldiers' families live: elsewhere (far from the "
        "front), or at the place they garrison (territorial forces)")
    reserves: list[Reserve] = Field(default_factory=list)

    @model_validator(mode="after")
    def _shares(self) -> Army:
        problems = []
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
    materiel: NonNegative = Field(0.0, description="arms and ammunition sent: at full "
                                  "commitment, the defenders' power is multiplied by 1 + this")
    commitment: list[CommitmentPoint] = Field(min_length=1)


class Halt(Strict):
    """An operational pause of the record: once `after` is out of the government's hands,
    the force waits until `until_day` (to resupply and regroup) before it goes on."""

    after: str
    until_day: NonNegative
    note: str = ""


class Force(Strict):
    """An offensive: a force that starts on a given day (a fact of the record)."""

    name: str
    start: str
    strength: Positive
    quality: Positive = 1.0
    speed_km_day: Positive = Field(description="unopposed speed, km a day (with a source)")
    objectives: list[str] = Field(min_length=1)
    start_day: NonNegative = 0.0
    mercy: Share = Field(0.5, description="how far those who lay down their arms before it "
                         "expect to be spared: at 0.5 or more a garrison may take its terms")
    supply_km: Positive | None = Field(
        None, description="road distance from its start beyond which it cannot be resupplied "
        "(it recovers no readiness there); none: no limit")
    halts: list[Halt] = Field(default_factory=list, description="dated operational pauses of "
                              "the record (each with a source)")


class Rising(Strict):
    """A local armed group that rises, and then attacks, when the regime visibly wobbles."""

    name: str
    place: str
    strength: Positive
    quality: Positive = 1.0
    speed_km_day: Positive = Field(description="unopposed speed, km a day (with a source)")
    objectives: list[str] = Field(min_length=1)
    mercy: Share = 0.5
    supply_km: Positive | None = None
    threshold: Share | None = Field(None, description="the regime's visible losses at which it "
                                    "rises (default: the parameter rise_threshold)")


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
    """A change of pay: +50 is a raise of half, -100 stops pay altogether."""

    kind: Literal["pay_raise"]
    percent: Annotated[float, Field(ge=-100.0)]
    ranks: list[str] | None = Field(None, description="ranks it applies to (default: all)")


class Recall(_Event):
    kind: Literal["recall"]


class Amnesty(_Event):
    kind: Literal["amnesty"]
    level: Share = 1.0
    ranks: list[str] | None = Field(None, description="ranks it applies to (default: all)")


class Reinforcement(_Event):
    kind: Literal["reinforcement"]
    place: str
    soldiers: Annotated[int, Field(ge=1)]
    arrives: bool = True


class Mobilisation(_Event):
    """The named reserves are called up at their places (e.g. volunteers after an appeal)."""

    kind: Literal["mobilisation"]
    reserves: list[str] = Field(min_length=1)


class Withdrawal(_Event):
    """An order from the top to abandon places: their garrisons withdraw to `to` (or to the
    nearest place behind)."""

    kind: Literal["withdrawal"]
    to: str | None = None


class Atrocity(_Event):
    """An attacker's atrocity becomes known: every group's fear of it rises and no one expects
    its mercy."""

    kind: Literal["atrocity"]
    force: str
    fear: Share = 0.5


class Shock(_Event):
    """A shock to the regime or its command: the leader's flight, a coup, harsher penalties.
    Each given value replaces the regime's legitimacy or the severity of punishment."""

    kind: Literal["shock"]
    legitimacy: Share | None = None
    severity: NonNegative | None = None


class Threat(_Event):
    """A scripted danger level at places, for scenarios without attacking forces."""

    kind: Literal["threat"]
    level: Share


Event = Annotated[
    Promise | PayRaise | Recall | Amnesty | Reinforcement | Mobilisation | Withdrawal | Atrocity
    | Shock | Threat,
    Field(discriminator="kind"),
]


def event_kinds() -> tuple[str, ...]:
    """The kinds of dated event a scenario may hold, read from the union above."""
    from typing import get_args

    members = get_args(get_args(Event)[0])
    return tuple(get_args(m.model_fields["kind"].annotation)[0] for m in members)


class Regime(Strict):
    legitimacy: Share = 0.5
    price_level: Positive = 1.0
    inflation: NonNegative = Field(0.0, description="price growth per month, as a fraction")


FIGURES = ("captured", "surrendered", "deserted", "defected", "killed", "gone_share")


class Observed(Strict):
    """A dated outcome of the record: a place that fell, a place that held to the day the
    record ends, or a figure (soldiers in a state, or the share of the army gone) on a day."""

    event: Literal["fall", "hold", "figure"] = "fall"
    place: str | None = None
    day: NonNegative
    figure: Literal[FIGURES] | None = None
    value: NonNegative | None = None
    note: str = ""

    @model_validator(mode="after")
    def _complete(self) -> Observed:
        if self.event in ("fall", "hold") and self.place is None:
            raise ValueError(f"a {self.event} needs a place")
        if self.event == "figure" and (self.figure is None or self.value is None):
            raise ValueError(f"a figure needs figure (one of {', '.join(FIGURES)}) and value")
        return self


class Track(Strict):
    """Soldiers to follow hour by hour, picked by attributes."""

    rank: str | None = None
    group: str | None = None
    place: str | None = None
    on_leave: bool | None = None
    count: Annotated[int, Field(ge=1, le=1000)] = 1


class Scenario(Strict):
    name: str
    description: str = ""
    start_date: dt.date | None = None
    days: Positive = Field(12.0, description="the longest the run may last, days; it ends "
                           "sooner once the war is decided")
    step_hours: Positive = 1.0
    scale: int = Field(1, ge=1, le=1000, description="soldiers each agent stands for "
                       "(super-individuals, for exploration and calibration; 1 = one agent "
                       "per soldier)")
    places: list[Place] = Field(min_length=1)
    roads: list[Road] = Field(default_factory=list)
    army: Army
    regime: Regime = Regime()
    forces: list[Force] = Field(default_factory=list)
    risings: list[Rising] = Field(default_factory=list)
    backers: list[Backer] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)
    parameters: Parameters = Parameters()
    mechanisms: dict[str, bool] = Field(default_factory=dict)
    observed: list[Observed] = Field(default_factory=list)
    track: list[Track] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _rest(cls, raw: Any) -> Any:
        """Garrison shares that sum to less than 1 leave the rest of the army at an off-map
        place, `rest`: never attacked, but its soldiers hear the news and may leave."""
        if not isinstance(raw, dict) or not isinstance(raw.get("places"), list):
            return raw
        places = [p for p in raw["places"] if not (isinstance(p, dict) and p.get("name") == REST)]
        try:
            total = sum(float(p.get("garrison", 0.0)) for p in places if isinstance(p, dict))
        except (TypeError, ValueError):
            return raw
        if total < 1.0 - 1e-6:
            coords = [(p.get("lat"), p.get("lon")) for p in places if isinstance(p, dict)]
            lats = [c[0] for c in coords if isinstance(c[0], int | float)]
            lons = [c[1] for c in coords if isinstance(c[1], int | float)]
            places.append({"name": REST, "garrison": round(1.0 - total, 12),
                           "lat": sum(lats) / len(lats) if lats else 0.0,
                           "lon": sum(lons) / len(lons) if lons else 0.0})
        return {**raw, "places": places}

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
    if total > 1.0 + 1e-6:
        problems.append(f"places: garrison shares must sum to at most 1 (the rest is at an "
                        f"off-map place `{REST}`), got {total:g}")
    for i, f in enumerate(s.forces):
        check(f.start, f"forces.{i}.start")
        for j, o in enumerate(f.objectives):
            check(o, f"forces.{i}.objectives.{j}")
        for j, h in enumerate(f.halts):
            check(h.after, f"forces.{i}.halts.{j}.after")
    for i, g in enumerate(s.risings):
        check(g.place, f"risings.{i}.place")
        for j, o in enumerate(g.objectives):
            check(o, f"risings.{i}.objectives.{j}")
    backers = {b.name for b in s.backers}
    forces = {f.name for f in (*s.forces, *s.risings)}
    reserves = {r.name for r in s.army.reserves}
    groups = {g.name for g in s.army.groups}
    for i, r in enumerate(s.army.reserves):
        check(r.place, f"army.reserves.{i}.place")
        if r.rank not in s.army.ranks:
            problems.append(f"army.reserves.{i}.rank: unknown rank {r.rank!r}")
        if r.group not in groups:
            problems.append(f"army.reserves.{i}.group: unknown group {r.group!r}")
    for i, e in enumerate(s.events):
        for j, p in enumerate(e.places):
            check(p, f"events.{i}.places.{j}")
        if isinstance(e, Reinforcement):
            check(e.place, f"events.{i}.place")
        if isinstance(e, PayRaise | Amnesty):
            problems += [f"events.{i}.ranks: unknown rank {r!r}" for r in e.ranks or ()
                         if r not in s.army.ranks]
        if isinstance(e, Promise) and e.backer is not None and e.backer not in backers:
            problems.append(f"events.{i}.backer: unknown backer {e.backer!r}")
        if isinstance(e, Mobilisation):
            problems += [f"events.{i}.reserves: unknown reserve {r!r}" for r in e.reserves
                         if r not in reserves]
        if isinstance(e, Withdrawal) and e.to is not None:
            check(e.to, f"events.{i}.to")
        if isinstance(e, Atrocity) and e.force not in forces:
            problems.append(f"events.{i}.force: unknown force {e.force!r}")
    for i, o in enumerate(s.observed):
        if o.place is not None:
            check(o.place, f"observed.{i}.place")
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
    if (s.forces or s.risings) and not s.roads:
        problems.append("roads: attacking forces need roads to move along")
    return problems
