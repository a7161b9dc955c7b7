"""Dated events of the scenario: each kind's effect lives with the mechanism it touches.

`HANDLERS` is the registry of the scenario's event kinds: the format's union
of event types (`rout.scenario.schema.Event`) and this table name the same
kinds, which a test checks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rout.model import combat, command, credibility, danger, economy, enforcement, grievance, leave
from rout.scenario.fields import Strict

if TYPE_CHECKING:
    from rout.model.world import World

SWITCHES: dict[str, str] = {}

HANDLERS: dict[str, Callable[[World, Any], None]] = {
    "promise": credibility.promise,
    "pay_raise": economy.pay_raise,
    "recall": leave.recall,
    "amnesty": enforcement.amnesty,
    "reinforcement": combat.reinforcement,
    "mobilisation": command.mobilise,
    "withdrawal": command.ordered_withdrawal,
    "atrocity": danger.atrocity,
    "shock": grievance.shock,
    "threat": danger.threat,
}


class Params(Strict):
    """Events have no parameters of their own."""


class Events:
    """Step 0: events dated within the step fire; promises due within it are settled."""

    def __init__(self, w: World) -> None:
        self.queue = sorted(w.scenario.events, key=lambda e: e.day)
        self.next = 0

    def step(self, w: World) -> None:
        end = (w.t + w.dt) / 24.0
        while self.next < len(self.queue) and self.queue[self.next].day < end:
            e = self.queue[self.next]
            self.next += 1
            HANDLERS[e.kind](w, e)
        credibility.settle_due(w)
