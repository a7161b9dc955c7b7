"""The engine: one run of a scenario, stepped hour by hour through every mechanism in order.

Mesa's vocabulary: the engine owns its `rng`, advances with `step()`,
`run_for(n)` and `run_until(t)`. Every per-soldier operation is a NumPy
array operation; Python loops run only over places, units' tree levels,
forces and events.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

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
    grievance,
    information,
    leave,
    movement,
)
from rout.model.decision import WEIGHTS
from rout.model.record import Recorder
from rout.model.state import (
    ABSENT,
    CAPTURED,
    DESERTED,
    DESERTING,
    FLED,
    JAILED,
    KILLED,
    ON_DUTY,
    ON_LEAVE,
    STATES,
    build_army,
    rank_table,
)
from rout.model.transitions import move, tally
from rout.scenario.schema import (
    MECHANISMS,
    RANKS,
    Amnesty,
    PayRaise,
    Promise,
    Recall,
    Reinforcement,
    Scenario,
)

# what a soldier did when he left, in the departures log
ACTIONS = ("deserted", "fled", "bought_leave", "caught_leaving", "ignored_recall")
DESERT, FLEE, BRIBE, CAUGHT, IGNORED = range(5)
_NEW_STATE = np.array([DESERTING, FLED, ON_LEAVE, JAILED, ABSENT], dtype=np.int8)
# the terms of the decision, in the departures log and in run.drivers()
TERMS = ("grievance", "danger", "collapse", "enforcement", "loyalty")


class Engine:
    """One run of a scenario with one random generator."""

    def __init__(
        self, scenario: Scenario, rng: np.random.Generator, track: list[int] | None = None
    ) -> None:
        self.scenario = scenario
        self.p = p = scenario.parameters
        self.rng = rng
        self.dt = scenario.step_hours
        self.t = 0.0
        self.steps = 0
        self.n_steps = math.ceil(scenario.days * 24.0 / self.dt)
        self.on = {m: scenario.enabled(m) for m in MECHANISMS}
        if not p.amnesty_on:
            self.on["amnesty"] = False

        self.army = a = build_army(scenario, rng)
        places = scenario.places
        self.place_names = [pl.name for pl in places]
        self.n_places = len(places)
        self.fortification = np.array([pl.fortification for pl in places])
        self.government = np.array([pl.control == "government" for pl in places])
        self.checkpoints_at = np.array([pl.checkpoints for pl in places], dtype=np.float64)
        self.scripted = np.zeros(self.n_places)
        self.extra_power = np.zeros(self.n_places)
        self.fall_hour = np.full(self.n_places, np.nan)
        self.roads = movement.road_graph(scenario)
        index = {name: i for i, name in enumerate(self.place_names)}
        self.index = index
        self.forces = [
            movement.Force(
                name=f.name,
                node=index[f.start],
                strength=f.strength,
                strength0=f.strength,
                quality=f.quality,
                speed=f.speed,
                objectives=[index[o] for o in f.objectives],
                start_hour=f.start_day * 24.0,
            )
            for f in scenario.forces
        ]

        groups = scenario.army.groups
        self.shape = (len(RANKS), len(groups), self.n_places)
        self.rank_pay = rank_table(scenario, "pay")
        self.rank_cv = rank_table(scenario, "combat_value")
        self.enforcer = rank_table(scenario, "enforcer").astype(bool)
        officer = np.zeros(len(RANKS), dtype=np.float32)
        officer[[RANKS.index("officer"), RANKS.index("general")]] = 1.0
        affinity = np.array([g.affinity for g in groups], dtype=np.float32)
        self.affinity = affinity
        self.loyalty = (
            affinity[a.group]
            + (rank_table(scenario, "loyalty") + np.float32(p.officer_loyalty) * officer)[a.rank]
        )
        self.exposure = (
            a.risk * np.float32(p.severity) * rank_table(scenario, "punishment_exposure")[a.rank]
        )
        self.danger_weight = rank_table(scenario, "danger_weight")[a.rank]
        self.cv = self.rank_cv[a.rank]
        self.inv_degree = (1.0 / np.maximum(a.degree, 1.0)).astype(np.float32)
        self.is_enforcer = self.enforcer[a.rank].astype(np.float32)
        self.commander = a.unit_start.astype(np.int64)
        self.pay_mult = np.full(len(RANKS), p.pay_multiplier, dtype=np.float32)
        self.amnesty = np.zeros((self.n_places, len(RANKS)), dtype=np.float32)
        self.promises: list[credibility.ActivePromise] = []
        self.events = sorted(scenario.events, key=lambda e: e.day)
        self._next_event = 0
        self._recall: np.ndarray | None = None
        self._econ_day = -1
        self.fall_hours: list[float] = []
        self._mass_reported = np.zeros(self.n_places, dtype=bool)
        self._officers_reported = np.zeros(self.n_places, dtype=bool)
        self._gone_before: dict[int, float] = {}
        self._amnesty_soldier: np.ndarray | None = None
        self.last_recall: tuple[np.ndarray, np.ndarray] | None = None
        self._absent = np.empty(0, dtype=np.int64)
        self._lag_order = np.argsort(a.news_lag, kind="stable")
        self._lag_sorted = a.news_lag[self._lag_order]
        self.news = np.zeros(a.n, dtype=np.float32)
        self._known = np.zeros(a.n, dtype=np.float32)
        self.counts = tally(a, self.shape)
        informed = self.on["information"]
        self._weights = np.array(
            [p.w_danger, p.w_collapse, p.collapse_friends * informed, p.collapse_news * informed,
             p.backup_discount, 1.0, (1.0 - p.effort_min) / p.effort_band, 1.0 - p.effort_min,
             p.effort_min],
            dtype=np.float32,
        )
        self._acts = np.zeros(a.n, dtype=bool)
        self._friends_seen = np.zeros(a.n, dtype=np.float32)
        self.log: list[dict] = []
        self.departures: list[dict[str, np.ndarray]] = []
        a.effort = (a.state == ON_DUTY).astype(np.float32)
        self.place_power = self._defender_power(self._unit_power())
        self.mean_credibility = float(a.credibility.mean())
        self.track = np.asarray(track if track is not None else [], dtype=np.int64)
        self.recorder = Recorder(self)

    # ------------------------------------------------------------------ helpers
    def _move(self, idx: np.ndarray, new: int | np.ndarray) -> None:
        move(self.army, self.counts, self.shape, self.enforcer, idx, new, self.t)

    def _event(self, kind: str, place: int | None = None, detail: str = "", **extra) -> None:
        self.log.append(
            {
                "t_hours": self.t,
                "day": self.t / 24.0,
                "kind": kind,
                "place": self.place_names[place] if place is not None and place >= 0 else None,
                "detail": detail,
                **extra,
            }
        )

    def _places_mask(self, names: list[str]) -> np.ndarray:
        if not names:
            return np.ones(self.n_places, dtype=bool)
        mask = np.zeros(self.n_places, dtype=bool)
        mask[[self.index[n] for n in names]] = True
        return mask

    def members(self, units: np.ndarray) -> np.ndarray:
        """Soldier indices of the given units, concatenated."""
        a = self.army
        starts, ends = a.unit_start[units], a.unit_end[units]
        lens = ends - starts
        total = int(lens.sum())
        if total == 0:
            return np.empty(0, dtype=np.int64)
        return np.arange(total) + np.repeat(starts - np.cumsum(lens) + lens, lens)

    def _per_place(self, per_unit: np.ndarray) -> np.ndarray:
        """A per-unit quantity summed over the units at each place."""
        return np.bincount(self.army.unit_place, weights=per_unit, minlength=self.n_places)

    def in_state(self, state: int) -> int:
        """How many soldiers are in a state now, from the running tally."""
        return int(self.counts.reshape(len(STATES), -1)[state].sum())

    def _unit_power(self) -> np.ndarray:
        a = self.army
        return np.add.reduceat(a.effort * self.cv, a.unit_start)

    def _defender_power(self, unit_power: np.ndarray) -> np.ndarray:
        return combat.defender_power(
            unit_power, self.army.unit_place, self.fortification, self.extra_power
        ) * self.government

    # ------------------------------------------------------------------ events
    def _fire_events(self) -> None:
        end = (self.t + self.dt) / 24.0
        while self._next_event < len(self.events) and self.events[self._next_event].day < end:
            e = self.events[self._next_event]
            self._next_event += 1
            mask = self._places_mask(e.places)
            if isinstance(e, Promise):
                if self.on["credibility"]:
                    real = e.real if self.p.backup_real is None else self.p.backup_real
                    self.promises.append(
                        credibility.ActivePromise(
                            e.level, mask, e.deadline_day * 24.0, real, e.backer, e.note
                        )
                    )
                    self._event("promise", detail=e.note or "backup is on the way")
            elif isinstance(e, PayRaise):
                if self.on["economy"]:
                    self.pay_mult[[RANKS.index(r) for r in e.ranks]] *= 1.0 + e.percent / 100.0
                    self._econ_day = -1
                    self._event("pay_raise", detail=f"{e.percent:+g}% for {', '.join(e.ranks)}")
            elif isinstance(e, Recall):
                if self.on["recall"]:
                    self._recall = mask
                    self._event("recall", detail=e.note or "soldiers on leave recalled")
            elif isinstance(e, Amnesty):
                if self.on["amnesty"]:
                    cols = [RANKS.index(r) for r in e.ranks]
                    sub = self.amnesty[np.ix_(mask, cols)]
                    self.amnesty[np.ix_(mask, cols)] = np.maximum(sub, e.level)
                    self._amnesty_soldier = None
                    self._event("amnesty", detail=e.note or f"for {', '.join(e.ranks)}")
            elif isinstance(e, Reinforcement):
                p = self.index[e.place]
                if e.arrives and self.government[p]:
                    self.extra_power[p] += e.soldiers * self.p.reinforcement_effort
                    self._event("reinforcement", p, f"{e.soldiers} arrive")
                elif not e.arrives:
                    self._settle_at(self._places_mask([e.place]), kept=False)
                    self._event("reinforcement_failed", p, f"{e.soldiers} promised, none came")
            else:  # Threat
                self.scripted[mask] = e.level
                self._event("threat", detail=f"level {e.level:g}")
        due = [pr for pr in self.promises if pr.deadline_hour < self.t + self.dt]
        for pr in due:
            self.promises.remove(pr)
            if pr.real and self.on["backers"]:
                day = self.t / 24.0
                sent = backers.reinforcement(
                    self.scenario.backers, day, self.p.backer_commitment, pr.backer
                )
                self.extra_power[pr.places & self.government] += pr.level * sent
            self._settle_at(pr.places, kept=pr.real)
            self._event("promise_kept" if pr.real else "promise_broken",
                        detail=pr.note or "backup")

    def _settle_at(self, places: np.ndarray, kept: bool) -> None:
        if not self.on["credibility"]:
            return
        a = self.army
        informed = places[a.unit_place[a.unit]]
        credibility.settle(a.credibility, informed, kept, self.p.credibility_gain,
                           self.p.credibility_loss)
        self.mean_credibility = float(a.credibility.mean())

    # ------------------------------------------------------------------ the step
    def step(self) -> None:
        """Advance one step through every mechanism, in the documented order."""
        a, p, rng, t = self.army, self.p, self.rng, self.t
        self._fire_events()

        # 1-2 economy, legitimacy and grievance (daily, or when pay changes)
        day = int(t // 24)
        if day != self._econ_day:
            self._econ_day = day
            price_t = t if self.on["economy"] else 0.0
            price = economy.price_level(
                self.scenario.regime.price_level, self.scenario.regime.inflation, price_t
            )
            pay = (self.rank_pay * self.pay_mult)[a.rank]
            self.hardship = economy.hardship(pay, a.need, price)
            legit = grievance.legitimacy(self.scenario.regime.legitimacy, self.affinity, a.group)
            g = grievance.grievance(self.hardship, legit)
            self.grievance = g if self.on["grievance"] else np.zeros_like(g)
            self.static_wish = (
                np.float32(p.w_grievance) * self.grievance - np.float32(p.w_loyalty) * self.loyalty
            )

        # 3 information: perceived collapse; promises and expected backup
        officer = (
            command.officer_signal(a.unit_fled, a.unit_enforcers0, a.unit_parent,
                                   p.officer_signal_decay)
            if self.on["officers"]
            else np.zeros(a.n_units)
        )
        if self.on["information"]:
            self._hear_news(t)
            unit_share = a.unit_gone / np.maximum(a.unit_size0, 1)
            unit_collapse = information.unit_collapse(unit_share, officer, p.collapse_unit,
                                                      p.collapse_officers)
        else:
            unit_collapse = np.zeros(a.n_units, dtype=np.float32)
        level = credibility.promise_level(self.promises, self.n_places)

        # 4 danger
        air = (
            backers.air_support(self.scenario.backers, t / 24.0, p.backer_commitment)
            if self.on["backers"]
            else 0.0
        )
        if self.on["danger"]:
            active = [f for f in self.forces if f.active(t)]
            dist = np.array([movement.distances(f, self.roads) for f in active]).reshape(
                len(active), self.n_places
            )
            threat = np.array([f.threat() for f in active])
            place_d = danger.place_danger(dist, threat, self.place_power, p.danger_km,
                                          self.scripted)
            place_d[~self.government] = 0.0
        else:
            place_d = np.zeros(self.n_places, dtype=np.float32)
        self.place_danger = place_d
        self.officer_signal = officer

        # 5 enforcement
        if self.on["enforcement"]:
            e_unit = enforcement.unit_enforcers(a.effort, self.is_enforcer, a.unit_start)
            p_unit = enforcement.arrest_probability(
                p.enforcement * e_unit, 1.0 + a.unit_gone, p.arrest_k, p.arrest_floor
            )
        else:
            p_unit = np.zeros(a.n_units)

        # 6 decision
        self._weights[WEIGHTS.index("calm")] = danger.air_calm(air, p.air_calm)
        self._unit_values = (unit_collapse, place_d[a.unit_place], level[a.unit_place],
                             p_unit.astype(np.float32))
        np.copyto(self._friends_seen, a.friend_gone)  # moves later this step change the original
        decision.decide(a.unit_start, a.unit_end, *self._unit_values, *self._soldier_values(),
                        a.state, self._weights, a.effort, self._acts)
        if self.steps == 0:
            self.terms0 = self._terms(np.arange(a.n))
        candidates = np.flatnonzero(self._acts)
        if not self.on["officers"]:
            candidates = candidates[~self.enforcer[a.rank[candidates]]]
        actors = decision.acting(candidates, p.act_rate, rng)
        if actors.size:
            self._leave(actors, p_unit, self._terms(actors))

        # 7 recall of soldiers on leave; absentees fetched
        if self._recall is not None:
            away = np.flatnonzero((a.state == ON_LEAVE) & self._recall[a.unit_place[a.unit]])
            self._recall = None
            net_wish = self.soldier_terms(away)[:, 4]
            self.last_recall = (away, net_wish)
            back = leave.answers_recall(net_wish)
            self._move(away[back], ON_DUTY)
            refused = away[~back]
            self._move(refused, ABSENT)
            self._log_departures(refused, IGNORED, self._terms(refused))
        if self.on["enforcement"] and p.fetch_rate > 0 and self.in_state(ABSENT):
            if self._absent.size != self.in_state(ABSENT):
                self._absent = np.flatnonzero(a.state == ABSENT)
            absent = self._absent
            fetched = absent[rng.random(absent.size) < p.fetch_rate * p_unit[a.unit[absent]]]
            self._move(fetched, JAILED)

        # 8 checkpoints on the road home
        self._checkpoints()

        # 10 combat, 11 movement
        unit_power = self._unit_power()
        self.place_power = self._defender_power(unit_power)
        self._war(air)

        # 12 record
        self._report_collapse()
        self.recorder.record(self, unit_power)
        self.t += self.dt
        self.steps += 1

    def _hear_news(self, t: float) -> None:
        """Soldiers whom news of a fall reaches this step learn it (7.4)."""
        lag_max = float(self._lag_sorted[-1])
        for tf in self.fall_hours:
            if t - self.dt - tf > lag_max:
                continue  # everyone has heard of this fall already
            hi = np.searchsorted(self._lag_sorted, np.float32(t - tf), side="right")
            lo = (np.searchsorted(self._lag_sorted, np.float32(t - self.dt - tf), side="right")
                  if t - self.dt >= tf else 0)
            if hi > lo:
                who = self._lag_order[lo:hi]
                self._known[who] += 1.0
                self.news[who] = np.minimum(1.0, self._known[who] / self.p.news_saturation)

    def _soldier_values(self) -> tuple[np.ndarray, ...]:
        """The per-soldier inputs of the decision, in the order `decision.decide` takes them."""
        a = self.army
        if self._amnesty_soldier is None:
            self._amnesty_soldier = (
                np.float32(self.p.amnesty_effect) * self.amnesty[a.unit_place][a.unit, a.rank]
                if self.amnesty.any()
                else np.zeros(a.n, dtype=np.float32)
            )
        return (self._friends_seen, self.inv_degree, self.news, a.credibility, self.danger_weight,
                self.exposure, self._amnesty_soldier, self.static_wish, a.threshold)

    def soldier_terms(self, idx: np.ndarray) -> np.ndarray:
        """Columns C, D, N, W and W - N - T of soldiers idx, as this step's decision saw them."""
        return decision.terms(np.asarray(idx, dtype=np.int64), self.army.unit, *self._unit_values,
                              *self._soldier_values(), self._weights)

    def _terms(self, idx: np.ndarray) -> np.ndarray:
        """The signed terms of W - N for soldiers idx: one column per name in TERMS."""
        p = self.p
        c, d, n = self.soldier_terms(idx)[:, :3].T
        return np.column_stack(
            [
                p.w_grievance * self.grievance[idx],
                p.w_danger * d,
                p.w_collapse * c,
                -n,
                -p.w_loyalty * self.loyalty[idx],
            ]
        ).astype(np.float32)

    def _log_departures(self, idx: np.ndarray, action: int | np.ndarray, terms) -> None:
        if idx.size == 0:
            return
        a = self.army
        self.departures.append(
            {
                "t_hours": np.full(idx.size, self.t),
                "soldier": idx,
                "action": np.broadcast_to(np.asarray(action, dtype=np.int8), idx.shape).copy(),
                "rank": a.rank[idx],
                "group": a.group[idx],
                "place": a.unit_place[a.unit[idx]],
                "threshold": a.threshold[idx],
                "terms": terms,
            }
        )

    def _leave(self, actors: np.ndarray, p_unit: np.ndarray, terms: np.ndarray) -> None:
        """Soldiers who act: caught on the spot, buy leave, flee (officers) or desert."""
        a, p, rng = self.army, self.p, self.rng
        unit = a.unit[actors]
        action = np.full(actors.size, DESERT, dtype=np.int8)
        if self.on["enforcement"]:
            caught = rng.random(actors.size) < p.caught_leaving * p_unit[unit]
            action[caught] = CAUGHT
        if self.on["leave"]:
            cmd = self.commander[unit]
            cmd_present = (a.state[cmd] == ON_DUTY) & (cmd != actors)
            buys = leave.buys_leave(a.savings[actors], p.bribe_price,
                                    a.unit_corruptibility[unit], cmd_present, rng)
            action[buys & (action == DESERT)] = BRIBE
        action[(action == DESERT) & self.enforcer[a.rank[actors]]] = FLEE
        self._log_departures(actors, action, terms)
        a.savings[actors[action == BRIBE]] -= np.float32(p.bribe_price)
        deserters = actors[action == DESERT]
        self._route(deserters)
        self._move(actors, _NEW_STATE[action])
        fled = actors[action == FLEE]
        if fled.size:
            self._report_flight(fled)

    def _report_flight(self, fled: np.ndarray) -> None:
        """Events: generals who flee, and the hour a quarter of a place's officers have fled."""
        a = self.army
        where = a.unit_place[a.unit[fled]]
        general = a.rank[fled] == RANKS.index("general")
        for place in np.unique(where[general]) if general.any() else ():
            k = int((where[general] == place).sum())
            self._event("generals_fled", int(place), f"{k} general{'s' * (k > 1)} fled", count=k)
        total, gone = self._per_place(a.unit_enforcers0), self._per_place(a.unit_fled)
        new = (gone >= 0.25 * total) & (total > 0) & ~self._officers_reported
        for place in np.flatnonzero(new):
            self._officers_reported[place] = True
            self._event("officers_fled", int(place), "a quarter of the officers have fled")

    def _route(self, idx: np.ndarray) -> None:
        """Checkpoints ahead of new deserters on their road home."""
        a = self.army
        if self.on["checkpoints"]:
            where = a.unit_place[a.unit[idx]]
            a.checkpoints_left[idx] = checkpoints.route(
                self.checkpoints_at[where], self.p.checkpoint_density, self.rng
            )
        else:
            a.checkpoints_left[idx] = 0

    def _checkpoints(self) -> None:
        a, p, rng = self.army, self.p, self.rng
        if not self.in_state(DESERTING):
            return
        on_road = np.flatnonzero(a.state == DESERTING)
        home = on_road[a.checkpoints_left[on_road] <= 0]
        meet = on_road[a.checkpoints_left[on_road] > 0]
        if meet.size == 0:
            self._move(home, DESERTED)
            return
        size, gone = self._per_place(a.unit_size0), self._per_place(a.unit_gone)
        staff_gone = np.clip(gone / np.maximum(size, 1.0), 0.0, 1.0)
        place = a.unit_place[a.unit[meet]]
        stop = checkpoints.stop_probability(
            p.checkpoint_stop, staff_gone[place], a.civ_id[meet], p.checkpoint_id_pass
        )
        stopped = rng.random(meet.size) < stop
        a.checkpoints_left[meet[~stopped]] -= 1
        caught = meet[stopped]
        jailed = rng.random(caught.size) < p.checkpoint_jail
        self._move(np.concatenate([home, caught]),
                   np.concatenate([np.full(home.size, DESERTED),
                                   np.where(jailed, JAILED, ON_DUTY)]).astype(np.int8))

    def _war(self, air: float) -> None:
        """Combat at every engaged place, then movement of every force."""
        a, p, rng, t = self.army, self.p, self.rng, self.t
        dt_days = self.dt / 24.0
        backing = (
            p.reinforcement_effort
            * backers.reinforcement(self.scenario.backers, t / 24.0, p.backer_commitment, None)
            if self.on["backers"]
            else 0.0
        )
        for f in self.forces:
            if not f.active(t):
                continue
            if self.on["combat"] and f.engaged >= 0 and self.government[f.engaged]:
                place = f.engaged
                fort = self.fortification[place]
                support = p.air_power * air + backing
                power = self.place_power[place] + support
                alpha = p.attacker_kill_rate * f.quality * f.momentum
                killed, lost = combat.exchange(f.strength, power, alpha, p.defender_kill_rate,
                                               fort, self.dt, rng)
                if killed:
                    here = self.members(np.flatnonzero(a.unit_place == place))
                    here = here[a.state[here] == ON_DUTY]
                    self._move(rng.choice(here, size=min(killed, here.size), replace=False),
                               KILLED)
                lost += f.strength * p.air_attrition * air * dt_days
                f.strength -= lost
                size = a.unit_size0[a.unit_place == place].sum()
                gone = a.unit_gone[a.unit_place == place].sum() / max(size, 1)
                step_gone = gone - self._gone_before.get(place, gone)
                self._gone_before[place] = gone
                won = combat.breaks(power, f.threat(), p.breakpoint)
                if won:
                    self._fall(place, f)
                movement.update_momentum(f, won, max(step_gone, 0.0), lost, air, dt_days, p)
            elif self.on["movement"] and t >= f.hold_until:
                f.engaged = -1
                movement.advance(f, self.roads, self.government, f.speed * f.momentum * self.dt)
                if f.engaged >= 0:
                    self._event("assault", f.engaged, f"{f.name} attacks", force=f.name)

    def _fall(self, place: int, force: movement.Force) -> None:
        a, p = self.army, self.p
        self.government[place] = False
        self.fall_hour[place] = self.t
        self.fall_hours.append(self.t)
        self.extra_power[place] = 0.0
        force.engaged = -1
        force.hold_until = self.t + p.consolidation_hours
        if force.objectives and force.objectives[0] == place:
            force.objectives.pop(0)
        units = np.flatnonzero(a.unit_place == place)
        here = self.members(units)
        here = here[a.state[here] == ON_DUTY]
        fate = combat.fates(here.size, p.capture_share, p.scatter_share, self.rng)
        enemy = movement.distances(force, self.roads)
        dest = combat.retreat_place(place, self.government, self.roads.dist, enemy)
        if dest < 0:
            fate[fate == 2] = 0
        self._route(here[fate == 1])
        self._move(here, np.array([CAPTURED, DESERTING, ON_DUTY])[fate])
        self._event("fall", place, f"taken by {force.name}", force=force.name,
                    captured=int((fate == 0).sum()), scattered=int((fate == 1).sum()),
                    retreated=int((fate == 2).sum()))
        if dest >= 0 and units.size:
            a.unit_place[units] = dest
            self.counts = tally(a, self.shape)
            self._amnesty_soldier = None
            self._event("retreat", place, f"to {self.place_names[dest]}")

    def _report_collapse(self) -> None:
        """A mass-desertion event the first time half a place's garrison has gone."""
        a = self.army
        size, gone = self._per_place(a.unit_size0), self._per_place(a.unit_gone)
        new = (gone >= 0.5 * size) & (size > 0) & ~self._mass_reported
        for place in np.flatnonzero(new):
            self._mass_reported[place] = True
            self._event("mass_desertion", int(place), "half the garrison has gone")

    # ------------------------------------------------------------------ running
    def run_for(self, n: int, progress: Callable[[int], None] | None = None) -> None:
        """Advance n steps (a callback, if given, hears each step)."""
        for _ in range(n):
            self.step()
            if progress is not None:
                progress(1)

    def run_until(self, hours: float, progress: Callable[[int], None] | None = None) -> None:
        """Advance until the clock reaches the given hour."""
        while self.t < hours - 1e-9:
            self.step()
            if progress is not None:
                progress(1)

    def run(self, progress: Callable[[int], None] | None = None) -> None:
        """Advance to the scenario's horizon."""
        self.run_for(self.n_steps - self.steps, progress)


