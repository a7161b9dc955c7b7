"""Decision: thresholds (Granovetter) over a wish to leave kept private (Kuran).

W = grievance + danger + collapse + loyalty, each a signed, weighted term
(loyalty is negative: it holds a soldier back); with the enforcement term
-N, a soldier leaves when W - N > T. Presence is the public act; effort is
private motivation: coercion buys presence, not effort, so a soldier whose
wish exceeds his threshold but who stays for fear fights at minimum effort.

The records below are the decision's registry: what it reads per unit and per
soldier, its weights (by name), and the terms it returns. `evaluate` is the
one compiled function that computes every term; `decide` applies it to the
whole army, unit by unit, and `terms_of` to the few soldiers whose reasons are
recorded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit
from pydantic import Field

from rout.model.credibility import expected_backup
from rout.model.danger import soldier_danger
from rout.model.enforcement import net_risk
from rout.model.information import collapse as perceived_collapse
from rout.model.registry import ON_DUTY
from rout.scenario.fields import Share, Strict

if TYPE_CHECKING:
    from rout.model.world import World

SWITCHES: dict[str, str] = {}


class Params(Strict):
    """Weights of the wish to leave, the effort ramp and the pace of acting."""

    w_grievance: float = Field(1.0, description="weight of grievance in W")
    w_danger: float = Field(0.8, description="weight of danger in W")
    w_collapse: float = Field(1.0, description="weight of perceived collapse in W")
    w_loyalty: float = Field(1.0, description="weight of loyalty in W")
    w_family: float = Field(0.5, description="weight in W of danger to a soldier's family "
                            "where it lives near the front (`army.homes: garrison`)")
    effort_band: float = Field(0.25, gt=0.0, description="width of the effort ramp below "
                               "threshold")
    effort_min: Share = Field(0.05, description="effort of a soldier who stays only for fear")
    act_rate: Share = Field(0.3, description="chance per hour that a soldier past threshold acts")


class UnitInputs(NamedTuple):
    """Per unit: the shared part of C, the place's danger, the promise in force, arrest P."""

    collapse: np.ndarray
    danger: np.ndarray
    level: np.ndarray
    arrest: np.ndarray


class SoldierInputs(NamedTuple):
    """Per soldier: what only he sees or is."""

    friend_gone: np.ndarray
    inv_degree: np.ndarray
    news: np.ndarray
    credibility: np.ndarray
    danger_weight: np.ndarray
    exposure: np.ndarray
    amnesty: np.ndarray
    grievance: np.ndarray
    loyalty: np.ndarray
    home_danger: np.ndarray
    threshold: np.ndarray


class Weights(NamedTuple):
    """The float32 weights of the decision, by name."""

    w_grievance: np.float32
    w_danger: np.float32
    w_collapse: np.float32
    w_loyalty: np.float32
    w_family: np.float32
    collapse_friends: np.float32
    collapse_news: np.float32
    backup_discount: np.float32
    calm: np.float32
    effort_slope: np.float32
    effort_room: np.float32
    effort_min: np.float32


class Levels(NamedTuple):
    """Each mechanism's level for one soldier, before weighting: G, D, C, N, loyalty and the
    danger to his family."""

    grievance: np.float32
    danger: np.float32
    collapse: np.float32
    risk: np.float32
    loyalty: np.float32
    family: np.float32


class Terms(NamedTuple):
    """The signed terms of W - N for one soldier (names as in registry.TERMS)."""

    grievance: np.float32
    danger: np.float32
    collapse: np.float32
    enforcement: np.float32
    loyalty: np.float32
    family: np.float32


# columns of `terms_of`: the levels, the terms, then W and W - N - T
COLUMNS = (*(f"level_{k}" for k in Levels._fields), *Terms._fields, "wish", "net_wish")


@njit(cache=True)
def evaluate(c_unit, d_unit, level, arrest, friend_gone, inv_degree, news, credibility,
             danger_weight, exposure, amnesty, grievance, loyalty, home_danger, w):
    """Every term of one soldier's decision: (levels, signed terms, W, W - N - T is left to
    `net_wish`). Unit values first, then the soldier's, then the Weights."""
    c = perceived_collapse(c_unit, friend_gone, inv_degree, news, w.collapse_friends,
                           w.collapse_news)
    d = soldier_danger(d_unit, danger_weight, expected_backup(credibility, level),
                       w.backup_discount, w.calm)
    n = net_risk(exposure, arrest, amnesty)
    lv = Levels(grievance=grievance, danger=d, collapse=c, risk=n, loyalty=loyalty,
                family=home_danger)
    t = Terms(grievance=w.w_grievance * grievance, danger=w.w_danger * d,
              collapse=w.w_collapse * c, enforcement=-n, loyalty=-(w.w_loyalty * loyalty),
              family=w.w_family * home_danger)
    return lv, t


@njit(cache=True)
def wish(t):
    """W = grievance + loyalty + danger + collapse + family (summed in this order)."""
    return (((t.grievance + t.loyalty) + t.danger) + t.collapse) + t.family


@njit(cache=True)
def net_wish(t, threshold):
    """W - T - N: above zero, the soldier is past his threshold."""
    return (wish(t) - threshold) + t.enforcement


@njit(cache=True)
def effort(wish_: np.float32, threshold: np.float32, slope: np.float32, room: np.float32,
           minimum: np.float32) -> np.float32:
    """e = e_min + (1 - e_min) clip((T - W) / band, 0, 1), with slope = (1 - e_min) / band."""
    e = (threshold - wish_) * slope
    return min(max(e, np.float32(0.0)), room) + minimum


@njit(cache=True)
def decide(unit_start, unit_end, U, S, w, state, out_effort, out_acts):
    """Effort of every soldier, and whether he is on duty with W - N > T (into out_*)."""
    zero = np.float32(0.0)
    for u in range(unit_start.size):
        c_unit, d_unit, level, arrest = U.collapse[u], U.danger[u], U.level[u], U.arrest[u]
        s, e = unit_start[u], unit_end[u]
        # slices indexed from 0, so the compiler knows no index is negative and vectorizes
        fg, inv, nw, cr = S.friend_gone[s:e], S.inv_degree[s:e], S.news[s:e], S.credibility[s:e]
        dw, ex, am, gr = S.danger_weight[s:e], S.exposure[s:e], S.amnesty[s:e], S.grievance[s:e]
        lo, hd, th = S.loyalty[s:e], S.home_danger[s:e], S.threshold[s:e]
        st, o_e, o_a = state[s:e], out_effort[s:e], out_acts[s:e]
        for j in range(e - s):
            _, t = evaluate(c_unit, d_unit, level, arrest, fg[j], inv[j], nw[j], cr[j], dw[j],
                            ex[j], am[j], gr[j], lo[j], hd[j], w)
            on_duty = st[j] == ON_DUTY
            o_e[j] = effort(wish(t), th[j], w.effort_slope, w.effort_room,
                            w.effort_min) * np.float32(on_duty)
            o_a[j] = on_duty & (net_wish(t, th[j]) > zero)


@njit(cache=True)
def terms_of(idx, unit, U, S, w):
    """One row per soldier idx: his levels, his terms, W and W - N - T (see COLUMNS)."""
    out = np.empty((idx.size, len(COLUMNS)), dtype=np.float32)
    for k in range(idx.size):
        i = idx[k]
        u = unit[i]
        lv, t = evaluate(U.collapse[u], U.danger[u], U.level[u], U.arrest[u], S.friend_gone[i],
                         S.inv_degree[i], S.news[i], S.credibility[i], S.danger_weight[i],
                         S.exposure[i], S.amnesty[i], S.grievance[i], S.loyalty[i],
                         S.home_danger[i], w)
        row = out[k]
        n = len(lv)
        for j in range(n):
            row[j] = lv[j]
            row[n + j] = t[j]
        row[2 * n] = wish(t)
        row[2 * n + 1] = net_wish(t, S.threshold[i])
    return out


def weights(w: World) -> Weights:
    """The decision's weights this hour, by name, from the parameters and the switches."""
    p = w.p
    informed = w.on["information"]
    return Weights(
        w_grievance=np.float32(p.w_grievance), w_danger=np.float32(p.w_danger),
        w_collapse=np.float32(p.w_collapse), w_loyalty=np.float32(p.w_loyalty),
        w_family=np.float32(p.w_family),
        collapse_friends=np.float32(p.collapse_friends * informed),
        collapse_news=np.float32(p.collapse_news * informed),
        backup_discount=np.float32(p.backup_discount), calm=w.calm,
        effort_slope=np.float32((1.0 - p.effort_min) / p.effort_band),
        effort_room=np.float32(1.0 - p.effort_min), effort_min=np.float32(p.effort_min),
    )


def inputs(w: World) -> tuple[UnitInputs, SoldierInputs, Weights]:
    """The decision's inputs as the submodels left them this hour."""
    return (UnitInputs(**{k: w.unit_inputs[k] for k in UnitInputs._fields}),
            SoldierInputs(**{k: w.soldier_inputs[k] for k in SoldierInputs._fields}),
            weights(w))


def evaluate_soldiers(w: World, idx: np.ndarray) -> np.ndarray:
    """Rows of COLUMNS for soldiers idx, as this hour's decision saw them."""
    return terms_of(np.asarray(idx, dtype=np.int64), w.army.unit, *inputs(w))


def signed_terms(rows: np.ndarray) -> np.ndarray:
    """The signed terms (one column per name in registry.TERMS) of rows of COLUMNS."""
    n = len(Levels._fields)
    return np.ascontiguousarray(rows[:, n:2 * n])


class Decision:
    """Step 6: effort of every soldier, and who acts among those past threshold (w.actors)."""

    def __init__(self, w: World) -> None:
        a = w.army
        self.acts = np.zeros(a.n, dtype=bool)
        self.friends_seen = np.zeros(a.n, dtype=np.float32)
        w.soldier_inputs["friend_gone"] = self.friends_seen
        w.soldier_inputs["inv_degree"] = w.inv_degree
        w.soldier_inputs["credibility"] = a.credibility
        w.soldier_inputs["threshold"] = a.threshold

    def step(self, w: World) -> None:
        a, p = w.army, w.p
        np.copyto(self.friends_seen, a.friend_gone)  # moves later this hour change the original
        if w.steps == 0:
            settle(w, np.arange(a.n))
        U, S, wt = inputs(w)
        decide(a.unit_start, a.unit_end, U, S, wt, a.state, a.effort, self.acts)
        if w.steps == 0:
            w.terms0 = signed_terms(evaluate_soldiers(w, np.arange(a.n)))
        candidates = np.flatnonzero(self.acts)
        actors = candidates[w.rng.random(candidates.size) < p.act_rate]
        actors = np.union1d(actors, peacetime_leavers(w))
        if not w.on["officers"]:
            actors = actors[~w.enforcer[a.rank[actors]]]
        w.actors = actors


def settle(w: World, soldiers: np.ndarray) -> None:
    """The army at the start (or reserves when called up) is the one that has not left: a
    soldier who would be past his threshold without the danger of the offensive draws his
    threshold again, conditioned on exceeding his net wish then (section 5)."""
    a = w.army
    U, S, wt = inputs(w)
    calm = U._replace(danger=np.zeros_like(U.danger))
    idx = np.asarray(soldiers, dtype=np.int64)
    rows = terms_of(idx, a.unit, calm, S, wt)
    net = rows[:, COLUMNS.index("net_wish")]
    past = idx[net >= 0.0]
    net = net[net >= 0.0]
    if past.size == 0:
        return
    from rout.model.state import rank_table, sample_above

    shift = rank_table(w.scenario, "threshold_shift")[a.rank[past]]
    bound = a.threshold[past] + net  # the peacetime W - N, which T must exceed
    a.threshold[past] = np.maximum(
        sample_above(w.scenario.army.threshold, bound - shift, w.rng) + shift, bound + 1e-6)


def peacetime_leavers(w: World) -> np.ndarray:
    """Soldiers on duty who leave this hour at the army's peacetime rate, whatever the war
    (a Poisson thinning of the whole army, kept to those on duty)."""
    rate = w.scenario.army.peacetime_desertion / (30.0 * 24.0) * w.dt
    if rate <= 0:
        return np.empty(0, dtype=np.int64)
    a = w.army
    k = w.rng.poisson(rate * a.n)
    picked = np.unique(w.rng.integers(0, a.n, k))
    return picked[a.state[picked] == ON_DUTY]
