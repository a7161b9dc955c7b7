"""Levers: the interventions an analyst pulls, each from a day of the run.

Each lever is a parameter of the mechanism it acts on (pay, enforcement,
officers' loyalty, the backers' commitment, checkpoints); its `_day`
parameter here says from when. Before that day the lever is at its neutral
value, so `pay_multiplier=1.5` with `pay_multiplier_day=7` is a raise on day 7,
not a better-paid army from the start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from rout.scenario.fields import NonNegative, Strict

if TYPE_CHECKING:
    from rout.model.world import World

SWITCHES: dict[str, str] = {}
NEUTRAL: dict[str, Any] = {"pay_multiplier": 1.0, "enforcement": 1.0, "officer_loyalty": 0.0,
                           "backer_commitment": 1.0, "checkpoint_density": 1.0}


class Params(Strict):
    pay_multiplier_day: NonNegative = Field(0.0, description="day from which pay_multiplier "
                                            "applies")
    enforcement_day: NonNegative = Field(0.0, description="day from which enforcement applies")
    officer_loyalty_day: NonNegative = Field(0.0, description="day from which officer_loyalty "
                                             "applies")
    backer_commitment_day: NonNegative = Field(0.0, description="day from which "
                                               "backer_commitment applies")
    checkpoint_density_day: NonNegative = Field(0.0, description="day from which "
                                                "checkpoint_density applies")


def value(w: World, name: str) -> Any:
    """A lever's value now: the parameter's from its day on, neutral before."""
    if w.t + 1e-9 >= getattr(w.p, f"{name}_day") * 24.0:
        return getattr(w.p, name)
    return NEUTRAL[name]


class Levers:
    """Step 0b: a lever whose day has come takes effect (and says so in the events)."""

    def __init__(self, w: World) -> None:
        self.pending = [n for n in NEUTRAL if getattr(w.p, n) != NEUTRAL[n]]

    def step(self, w: World) -> None:
        for name in [n for n in self.pending if value(w, n) != NEUTRAL[n]]:
            self.pending.remove(name)
            w.lever_changed.add(name)
            w.event("lever", None, f"{name} = {getattr(w.p, name):g} from day "
                                   f"{getattr(w.p, f'{name}_day'):g}")
