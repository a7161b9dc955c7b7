"""Economy: real pay against need gives each soldier's hardship."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from rout.scenario.fields import Strict

if TYPE_CHECKING:
    from rout.model.world import World
    from rout.scenario.schema import PayRaise

SWITCHES = {"economy": "prices rise and pay changes (off: pay and prices as at the start)"}


class Params(Strict):
    pay_multiplier: float = Field(1.0, gt=0.0, description="lever: multiplies all pay")


def price_level(p0: float, inflation_per_month: float, t_hours: float) -> float:
    """Prices compound monthly inflation continuously over the run."""
    return p0 * (1.0 + inflation_per_month) ** (t_hours / (24.0 * 30.0))


def hardship(pay: np.ndarray, need: np.ndarray, price: float) -> np.ndarray:
    """H = clip(1 - real pay / need, 0, 1): the share of need that pay leaves uncovered."""
    return np.clip(1.0 - (pay / np.float32(price)) / np.maximum(need, 1.0), 0.0, 1.0)


def pay_raise(w: World, e: PayRaise) -> None:
    """Event: the pay of the listed ranks is multiplied by 1 + percent / 100."""
    if not w.on["economy"]:
        return
    ranks = e.ranks or w.ranks
    w.pay_mult[[w.ranks.index(r) for r in ranks]] *= 1.0 + e.percent / 100.0
    w.pay_changed = True
    w.event("pay_raise", detail=f"{e.percent:+g}% for {', '.join(ranks)}")


class Economy:
    """Step 1 (daily, and after a pay raise): hardship H of every soldier."""

    def __init__(self, w: World) -> None:
        w.pay_mult = np.ones(len(w.ranks), dtype=np.float32)
        w.pay_changed = True
        self.day = -1

    def step(self, w: World) -> None:
        if "pay_multiplier" in w.lever_changed:
            w.lever_changed.discard("pay_multiplier")
            w.pay_mult *= np.float32(w.p.pay_multiplier)
            w.pay_changed = True
        day = int(w.t // 24)
        if day == self.day and not w.pay_changed:
            return
        self.day, w.pay_changed = day, False
        regime = w.scenario.regime
        price = price_level(regime.price_level, regime.inflation,
                            w.t if w.on["economy"] else 0.0)
        pay = (w.rank_pay * w.pay_mult)[w.army.rank]
        pay[w.army.unpaid] = 0.0  # pay in arrears: nothing comes now
        w.hardship = hardship(pay, w.army.need, price)
        w.hardship_changed = True
