"""The vocabulary of rout's experiments, and the EMA Workbench adapter.

Exploratory modelling (the EMA Workbench's XLRM frame) names a model's inputs
*levers*, what a decision maker pulls, and *uncertainties*, what nobody controls, and
its outputs *outcomes*. This module keeps, in one place, the range over which each
input is explored: the levers of every scenario (`LEVERS`) and a default set of
behavioural uncertainties (`UNCERTAINTIES`), each within the bounds its parameter
declares; any other parameter is explored over its own declared bounds (`ge`/`le`
of its pydantic field) when it has both. `rout discover`, `rout sweep --lhs KEY`,
`rout sensitivity --param KEY`, the dashboard's sliders and `model` below read the
same table.

Outcomes keep the store's names (`fall:Damascus`, `held:Damascus`, `left_share`);
where a name must be an identifier (EMA's), `rout.experiments.backend.identifier`
writes it with `_` for every other character (`fall_Damascus`), and
`rout.experiments.backend.outcome_key` reads either spelling.

`model(scenario)` wraps rout as an `ema_workbench.Model` whose runs go through rout's
own `rout.experiments.backend.run`, seeded like every rout experiment. The EMA
Workbench is imported only there (it is slow to import): `pip install
'rout[experiments]'`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from rout.experiments.backend import ScenarioLike, identifier
from rout.experiments.summary import quantiles

if TYPE_CHECKING:
    from ema_workbench import Model, ReplicatorModel


@dataclass(frozen=True)
class Input:
    """An input of experiments and the range it is explored over.

    `low`/`high` are None for a switch (explored as false and true); both integers
    give an integer input. `label`, `step` and `help` are for controls (the
    dashboard), `noun` and `unit` for sentences ("pay is at least 2x"), `yes`/`no`
    for a switch in words.
    """

    name: str
    low: float | None = None
    high: float | None = None
    label: str = ""
    help: str = ""
    step: float = 0.05
    noun: str = ""
    unit: str = ""
    yes: str = ""
    no: str = ""

    @property
    def switch(self) -> bool:
        """Whether it is on/off rather than a range."""
        return self.low is None

    @property
    def integer(self) -> bool:
        return not self.switch and all(isinstance(b, int) and not isinstance(b, bool)
                                       for b in (self.low, self.high))

    def bounds(self) -> tuple[float, float]:
        """(low, high), or a ValueError for a switch."""
        if self.switch:
            raise ValueError(f"{self.name} is a switch (false or true), not a range")
        return self.low, self.high  # type: ignore[return-value]

    def words(self, value: Any) -> str:
        """A value in words: `backup is real`, `pay 2x`."""
        if self.switch:
            return (self.yes or f"{self.name} is true") if value else \
                (self.no or f"{self.name} is false")
        return f"{self.noun or self.name} {number(value)}{self.unit}"


def number(value: float) -> str:
    """A value as a sentence shows it: `2`, `0.25`, `1.5e+04`."""
    return f"{value:.3g}" if isinstance(value, float) else str(value)


LEVERS: dict[str, Input] = {i.name: i for i in (
    Input("pay_multiplier", 0.25, 4.0, "Pay", "multiplies every rank's pay", noun="pay",
          unit="x"),
    Input("backer_commitment", 0.0, 3.0, "Backers' commitment",
          "scales allies' air support and reinforcements", noun="the backers' commitment",
          unit="x"),
    Input("backup_real", label="Backup is real",
          help="promised backup arrives (otherwise the scenario's promises decide)",
          yes="backup is real", no="backup is not real"),
    Input("enforcement", 0.0, 3.0, "Enforcement", "scales the risk of being caught leaving",
          noun="enforcement", unit="x"),
    Input("amnesty_on", label="Amnesties", help="amnesties take effect",
          yes="amnesties take effect", no="there are no amnesties"),
    Input("checkpoint_density", 0.0, 3.0, "Checkpoints", "checkpoints on the roads home",
          noun="the checkpoints", unit="x"),
    Input("officer_loyalty", -1.0, 1.0, "Officer loyalty",
          "added to officers' loyalty, which holds them back", noun="officers' loyalty"),
)}
"""The levers of every scenario and the ranges they are explored over (within their
parameters' declared bounds; the dashboard's sliders span the same ranges)."""

UNCERTAINTIES: dict[str, Input] = {i.name: i for i in (
    Input("w_danger", 0.05, 1.5, "Weight of danger", "weight of danger in W"),
    Input("w_collapse", 0.2, 2.0, "Weight of collapse", "weight of perceived collapse in W"),
    Input("w_grievance", 0.2, 1.5, "Weight of grievance", "weight of grievance in W"),
    Input("act_rate", 0.02, 0.4, "Rate of acting",
          "chance per hour that a soldier past threshold acts"),
    Input("friends_in_unit", 1, 8, "Friends in the unit", "ties named inside the unit",
          step=1),
)}
"""The default uncertainties of `model`: behavioural weights and rates whose values the
record does not pin down, with the ranges they are explored over (for the calibrated ones,
the joint calibration's bounds, `rout.experiments.joint.BOUNDS`)."""


def declared(name: str) -> tuple[float | None, float | None, type]:
    """A parameter's declared bounds (its pydantic field's ge/gt and le/lt, None where it
    has none) and its type; a KeyError for a name that is not a parameter."""
    from rout.model.parameters import Parameters

    field = Parameters.model_fields[name]
    low = high = None
    for m in field.metadata:
        low = getattr(m, "ge", getattr(m, "gt", low))
        high = getattr(m, "le", getattr(m, "lt", high))
    kind = field.annotation if isinstance(field.annotation, type) else object
    if kind is object and "bool" in str(field.annotation):
        kind = bool
    return low, high, kind


def documented(name: str) -> Input:
    """The input a key stands for with its documented range: the table's, else its
    parameter's declared bounds; a ValueError when it has neither."""
    for table in (LEVERS, UNCERTAINTIES):
        if name in table:
            return table[name]
    try:
        low, high, kind = declared(name)
    except KeyError:
        raise ValueError(f"{name}: no documented range (not a parameter); give one as "
                         f"{name}=LOW:HIGH") from None
    from rout.model.parameters import Parameters

    help_ = Parameters.model_fields[name].description or ""
    if kind is bool:
        return Input(name, help=help_)
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"{name}: its parameter declares no range to explore; give one as "
                         f"{name}=LOW:HIGH")
    if kind is int:
        return Input(name, int(low), int(high), help=help_, step=1)
    return Input(name, float(low), float(high), help=help_)


InputSpec = Iterable[str] | Mapping[str, tuple[float, float] | None] | None


def inputs(spec: InputSpec, default: Mapping[str, Input] | None = None) -> dict[str, Input]:
    """Inputs from names (their documented ranges) or a mapping of names to (low, high)
    (None: the documented range); None gives `default`.

    A range given for a parameter must lie within the bounds it declares.
    """
    if spec is None:
        return dict(default or {})
    items = spec.items() if isinstance(spec, Mapping) else ((name, None) for name in spec)
    out: dict[str, Input] = {}
    for name, rng in items:
        if rng is None:
            out[name] = documented(name)
            continue
        low, high = rng
        if not low < high:
            raise ValueError(f"{name}: low must be below high, got {low}:{high}")
        try:
            lo, hi, _ = declared(name)
        except KeyError:
            lo = hi = None
        if (lo is not None and low < lo) or (hi is not None and high > hi):
            raise ValueError(f"{name}: {low}:{high} is outside its declared bounds "
                             f"{'-inf' if lo is None else lo}:{'inf' if hi is None else hi}")
        known = LEVERS.get(name) or UNCERTAINTIES.get(name)
        base = known if known is not None and not known.switch else Input(name)
        out[name] = Input(name, low, high, base.label, base.help, base.step, base.noun,
                          base.unit)
    return out


def bounds(names: Iterable[str]) -> dict[str, tuple[float, float]]:
    """The documented (low, high) of each name, for `sweep(lhs_bounds=...)` and
    `sensitivity(bounds=...)`."""
    return {name: documented(name).bounds() for name in names}


# --------------------------------------------------------------------- the adapter
def workbench() -> Any:
    """The `ema_workbench` module, imported quietly (it warns about optional parts it
    lacks, such as ipyparallel)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import ema_workbench
    return ema_workbench


def _median_day(values: list[float]) -> float:
    """A day outcome over replications: its median, NaN if it happened in fewer than half."""
    return float(quantiles(np.asarray(values, dtype=float), [0.5])[0])


def _held(values: list[float]) -> float:
    """Held over replications (1.0/0.0): it fell in fewer than half of them."""
    return float(np.mean(np.asarray(values, dtype=float) == 0.0) < 0.5)


def _median(values: list[float]) -> float:
    return float(np.median(np.asarray(values, dtype=float)))


def _median_curve(values: list[np.ndarray]) -> np.ndarray:
    return np.median(np.stack(values), axis=0)


def _first(values: list[np.ndarray]) -> np.ndarray:
    return np.asarray(values[0])


def parameter(item: Input) -> Any:
    """An input as an EMA parameter (`army.strength` named `army__strength`)."""
    ema = workbench()
    name = item.name.replace(".", "__")
    if item.switch:
        return ema.BooleanParameter(name)
    if item.integer:
        return ema.IntegerParameter(name, int(item.low), int(item.high))  # type: ignore[arg-type]
    return ema.RealParameter(name, float(item.low), float(item.high))  # type: ignore[arg-type]


def outcomes(scenario: ScenarioLike, replications: int = 1,
             overrides: dict[str, Any] | None = None) -> list[Any]:
    """The EMA outcomes of a scenario: each government place's fall day (NaN: held) and
    held flag (1/0, to maximise), the shares gone (to minimise), the final power (to
    maximise), the day power drops below a quarter, and the power curve with its `TIME`.

    With several replications a fall day is their median (NaN if it happened in fewer
    than half), held is 1 if the place fell in fewer than half, the rest their median.
    """
    from rout.experiments.backend import outcome_names
    from rout.experiments.summary import is_day
    from rout.scenario.loader import load_scenario

    ema = workbench()
    so, ts = ema.ScalarOutcome, ema.TimeSeriesOutcome
    many = replications > 1
    kinds = {"left_share": so.MINIMIZE, "deserted_share": so.MINIMIZE,
             "final_power_share": so.MAXIMIZE}
    out = []
    for name in outcome_names(load_scenario(scenario, overrides), held=True):
        kind = so.MAXIMIZE if name.startswith("held:") else kinds.get(name, so.INFO)
        fn = (_held if name.startswith("held:") else _median_day if is_day(name)
              else _median) if many else None
        out.append(so(identifier(name), kind=kind, function=fn))
    out.append(ts("power_share", function=_median_curve if many else None))
    out.append(ts("TIME", function=_first if many else None))
    return out


def model(scenario: ScenarioLike = "syria-2024", levers: InputSpec = None,
          uncertainties: InputSpec = None, *, overrides: dict[str, Any] | None = None,
          seed: int = 1, replications: int = 1, name: str = "rout") -> Model | ReplicatorModel:
    """rout as an `ema_workbench.Model` of a scenario.

    Levers default to every lever of `LEVERS`, uncertainties to `UNCERTAINTIES` (names
    take their documented ranges; give a mapping name -> (low, high) for others, and
    `()` for none). `overrides` are held fixed (constants). Each experiment runs
    `rout.experiments.backend.model` with the root seed `seed` and a replication
    number: with one replication (a `Model`) every experiment runs the root's child 0;
    with `replications` R (a `ReplicatorModel`) experiment e's replication r runs the
    root's child r, as replicate r of any rout experiment does, and each outcome is
    reduced over the R runs (see `outcomes`).
    """
    from rout.experiments.backend import model as function
    from rout.experiments.plan import root_entropy

    if replications < 1:
        raise ValueError(f"replications must be at least 1, got {replications}")
    ema = workbench()
    lev = inputs(levers, LEVERS)
    unc = {k: v for k, v in inputs(uncertainties, UNCERTAINTIES).items() if k not in lev}
    m = (ema.ReplicatorModel if replications > 1 else ema.Model)(name, function=function)
    m.levers = [parameter(i) for i in lev.values()]
    m.uncertainties = [parameter(i) for i in unc.values()]
    varied = {n.replace(".", "__") for n in (*lev, *unc)}
    fixed = {k.replace(".", "__"): v for k, v in (overrides or {}).items()}
    constants = [ema.Constant("scenario", scenario), ema.Constant("seed", root_entropy(seed)),
                 *[ema.Constant(k, v) for k, v in fixed.items() if k not in varied]]
    if replications > 1:
        m.replications = [{"replication": r} for r in range(replications)]
    else:
        constants.append(ema.Constant("replication", 0))
    m.constants = constants
    m.outcomes = outcomes(scenario, replications, overrides)
    return m
