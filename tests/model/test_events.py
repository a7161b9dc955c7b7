"""Dated events (ODD 7.1): the handlers' registry names the scenario format's event kinds, and
an event fires in the step whose hours [t, t + dt) hold its day."""

from __future__ import annotations

from typing import get_args

import numpy as np
from worlds import TOWN, engine, part

from rout.model.events import HANDLERS, Events
from rout.model.registry import EVENT_NAMES
from rout.scenario.schema import Event, event_kinds


def test_handlers_name_exactly_the_kinds_of_the_formats_event_union():
    members = get_args(get_args(Event)[0])
    kinds = {get_args(m.model_fields["kind"].annotation)[0] for m in members}
    assert kinds == set(HANDLERS) == set(event_kinds())
    assert len(HANDLERS) == len(members)
    assert set(HANDLERS) <= set(EVENT_NAMES)  # each is also a kind of logged event


def _threats(events: list[dict], hours: int):
    eng = engine({"events": [{"kind": "threat", **e} for e in events]})
    w, ev = eng.world, part(eng, Events)
    levels = []
    for k in range(hours):
        w.t = float(k)
        ev.step(w)
        levels.append(w.scripted.copy())
    return w, np.array(levels)


def test_an_event_fires_in_the_step_that_holds_its_hour():
    # day 0.5 = hour 12 exactly; day 0.6 = hour 14.4
    w, levels = _threats([{"day": 0.6, "places": ["Town"], "level": 0.2},
                          {"day": 0.5, "places": ["Town"], "level": 0.9}], 16)
    town = levels[:, TOWN]
    np.testing.assert_array_equal(town[:12], 0.0)
    np.testing.assert_array_equal(town[12:14], 0.9)  # in date order, not file order
    np.testing.assert_array_equal(town[14:], 0.2)
    assert [e["t_hours"] for e in w.log] == [12.0, 14.0]


def test_an_event_without_places_applies_everywhere():
    w, levels = _threats([{"day": 0.0, "level": 0.4}], 1)
    np.testing.assert_array_equal(levels[0], [0.4, 0.4])


def test_each_event_fires_once():
    eng = engine({"events": [{"day": 0.1, "kind": "pay_raise", "percent": 100.0,
                              "ranks": ["general"]}]})
    w, ev = eng.world, part(eng, Events)
    for k in range(10):
        w.t = float(k)
        ev.step(w)
    assert w.pay_mult.tolist() == [1.0, 1.0, 1.0, 2.0]
    assert [e["kind"] for e in w.log] == ["pay_raise"]
