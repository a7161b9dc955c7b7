"""The schedule: one hour of the model as its submodels, in the order of ODD section 3.

This list is the registry of mechanisms: each module in it declares its
switches (`SWITCHES`: name -> what it does) and its parameters (`Params`), and
each submodel reads and writes the `World` in its `step`.
"""

from __future__ import annotations

from types import ModuleType

from rout.model import (
    backers,
    checkpoints,
    combat,
    command,
    credibility,
    danger,
    decision,
    economy,
    enforcement,
    events,
    grievance,
    information,
    leave,
    levers,
    movement,
    risings,
)

SCHEDULE = (
    events.Events,            # 0  dated events fire; promises due are settled
    levers.Levers,            # 0b levers whose day has come take effect
    economy.Economy,          # 1  hardship
    grievance.Grievance,      # 2  legitimacy and grievance
    command.Officers,         # 3a the officers' flight signal down the unit tree
    information.Information,  # 3  news of falls; the unit's share of perceived collapse
    credibility.Credibility,  # 3b promises in force: expected backup
    backers.Backers,          # 4a air support and reinforcements of the backers
    danger.Danger,            # 4  danger per place
    enforcement.Enforcement,  # 5  arrest probability, exposure, amnesty
    decision.Decision,        # 6  wish, effort, who acts
    leave.Leaving,            # 6b actors are seized, buy leave, flee or desert
    leave.Recall,             # 7  recalls answered; absentees fetched
    checkpoints.Checkpoints,  # 8  deserters meet checkpoints
    command.Command,          # 9  commanders under attack order withdrawals or take terms
    combat.Combat,            # 10 battles: fire, the attacker's advance through a place, falls
    movement.Movement,        # 11 forces rest, advance, attack
    risings.Risings,          # 12 local groups rise when the regime wobbles
)


def modules() -> tuple[ModuleType, ...]:
    """The mechanism modules of the schedule, each once, in order."""
    import sys

    return tuple(dict.fromkeys(sys.modules[cls.__module__] for cls in SCHEDULE))


def switches() -> dict[str, str]:
    """Every mechanism switch and what it does, in schedule order."""
    return {k: v for m in modules() for k, v in m.SWITCHES.items()}
