"""The model's lists, each defined once: soldier states, actions, logged events and terms.

Everything that names a state, an action, an event kind or a term of the
decision (the engine, the frames of a run, the CLI tables, the plots, the
report and the dashboard) reads it from here. The module is plain data, cheap
to import. The mechanisms and their switches are listed by the schedule
(`rout.model.schedule`), which is the model's table of contents.
"""

from __future__ import annotations

from typing import NamedTuple


class State(NamedTuple):
    """A soldier state: its name, how it reads, its colour, and what others see of it."""

    name: str
    label: str
    colour: str
    visible: bool  # a public departure: feeds the perceived collapse of others
    description: str


# Colours: a colour-blind-safe set with one hue family per state (Paul Tol's "muted"
# scheme, a dark grey and two of his "vibrant" colours), so no two states read alike.
STATES: tuple[State, ...] = (
    State("on_duty", "on duty", "#332288", False, "present at his post"),
    State("on_leave", "on leave", "#88CCEE", False, "on leave, bought or granted"),
    State("absent", "absent", "#AA3377", True, "ignored a recall and stays away"),
    State("deserting", "deserting", "#EE3377", True, "on the road home, past checkpoints"),
    State("deserted", "deserted", "#EE8866", True, "home, out of the army"),
    State("fled", "fled", "#CC3311", True, "an officer or general who abandoned his post"),
    State("captured", "captured", "#44AA99", False, "taken prisoner when his place fell"),
    State("killed", "killed", "#444444", False, "killed in the fighting"),
    State("jailed", "jailed", "#AAAA00", False, "seized leaving, stopped at a checkpoint or "
          "fetched from home"),
    State("surrendered", "surrendered", "#EEDD88", True, "laid down his arms to the attacker, "
          "alone or with his garrison on terms"),
    State("defected", "defected", "#0077BB", True, "went over to the attacker and fights for it"),
    State("reserve", "in reserve", "#DDDDDD", False, "not yet called up (a militia, volunteers, "
          "reservists)"),
)
STATE_NAMES = tuple(s.name for s in STATES)
(ON_DUTY, ON_LEAVE, ABSENT, DESERTING, DESERTED, FLED, CAPTURED, KILLED, JAILED, SURRENDERED,
 DEFECTED, RESERVE) = range(len(STATES))
VISIBLE = tuple(i for i, s in enumerate(STATES) if s.visible)


class Action(NamedTuple):
    """What a soldier did when he left duty (or stayed away), and the state it puts him in."""

    name: str
    label: str
    state: int


ACTIONS: tuple[Action, ...] = (
    Action("deserted", "deserted", DESERTING),
    Action("fled", "fled", FLED),
    Action("bought_leave", "bought leave", ON_LEAVE),
    Action("caught_leaving", "caught leaving", JAILED),
    Action("ignored_recall", "ignored recall", ABSENT),
    Action("surrendered", "surrendered", SURRENDERED),
    Action("defected", "defected", DEFECTED),
)
ACTION_NAMES = tuple(a.name for a in ACTIONS)
DESERT, FLEE, BRIBE, CAUGHT, IGNORED, SURRENDER, DEFECT = range(len(ACTIONS))


class EventKind(NamedTuple):
    """A kind of logged event: its name and how it reads in tables and on the map."""

    name: str
    label: str


EVENTS: tuple[EventKind, ...] = (
    EventKind("promise", "a promise of backup is made"),
    EventKind("promise_kept", "a promise of backup is kept"),
    EventKind("promise_broken", "a promise of backup is broken"),
    EventKind("pay_raise", "pay is raised"),
    EventKind("recall", "soldiers on leave are recalled"),
    EventKind("amnesty", "an amnesty is offered"),
    EventKind("reinforcement", "reinforcements arrive"),
    EventKind("reinforcement_failed", "promised reinforcements do not come"),
    EventKind("threat", "a scripted threat"),
    EventKind("lever", "a lever takes effect"),
    EventKind("mobilisation", "reserves are called up"),
    EventKind("atrocity", "an attacker's atrocity becomes known"),
    EventKind("shock", "a shock to the regime or its command"),
    EventKind("generals_fled", "a place's headquarters (its generals) flee"),
    EventKind("officers_fled", "a quarter of a place's officers have fled"),
    EventKind("mass_desertion", "half a place's garrison has gone"),
    EventKind("assault", "a force attacks a place"),
    EventKind("attack_broken_off", "a force breaks off an attack that costs it too much"),
    EventKind("exhausted", "a force has lost so much it stops"),
    EventKind("halt", "a force pauses, as in the record, to resupply and regroup"),
    EventKind("withdrawal", "a commander orders his garrison out"),
    EventKind("surrender", "a garrison lays down its arms on terms"),
    EventKind("defection", "soldiers go over to the attacker"),
    EventKind("rising", "a local armed group rises against the regime"),
    EventKind("fall", "a place falls"),
    EventKind("retreat", "the survivors of a fallen place retreat"),
    EventKind("end", "the run ends: why"),
)
EVENT_NAMES = tuple(e.name for e in EVENTS)


class Term(NamedTuple):
    """A signed term of W - N: pressures push a soldier out, restraints hold him."""

    name: str
    label: str
    colour: str
    pressure: bool


TERMS: tuple[Term, ...] = (
    Term("grievance", "grievance", "#CC6677", True),
    Term("danger", "danger", "#DDCC77", True),
    Term("collapse", "perceived collapse", "#882255", True),
    Term("enforcement", "enforcement weakened", "#332288", False),
    Term("loyalty", "loyalty weakened", "#117733", False),
    Term("family", "danger to his family", "#AA4499", True),
)
TERM_NAMES = tuple(t.name for t in TERMS)
BASELINE = Term("baseline", "no push (baseline)", "#BBBBBB", False)


def state_code(name: str) -> int:
    """The code of a state by name (a clear error for an unknown one)."""
    try:
        return STATE_NAMES.index(name)
    except ValueError:
        raise KeyError(f"unknown state {name!r}; states are {', '.join(STATE_NAMES)}") from None
