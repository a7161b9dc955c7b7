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
recorded. The hour's pass, `decide_units`, is `decide` with quiet units skipped:
a unit none of whose soldiers can change what he does this hour is not passed
over (ODD 7.7); `tests/model/test_quiet.py` checks that it changes no result.
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
from rout.model.state import EFFORT, FRIENDS, INPUTS
from rout.scenario.fields import Share, Strict

if TYPE_CHECKING:
    from rout.model.world import World

SWITCHES: dict[str, str] = {}


class Params(Strict):
    """Weights of the wish to leave, the effort ramp and the pace of acting."""

    w_grievance: float = Field(0.587, description="weight of grievance in W")
    w_danger: float = Field(0.337, description="weight of danger in W")
    w_collapse: float = Field(1.98, description="weight of perceived collapse in W")
    w_loyalty: float = Field(1.0, description="weight of loyalty in W")
    w_family: float = Field(0.442, description="weight in W of danger to a soldier's family "
                            "where it lives near the front (`army.homes: garrison`)")
    effort_band: float = Field(0.25, gt=0.0, description="width of the effort ramp below "
                               "threshold")
    effort_min: Share = Field(0.05, description="effort of a soldier who stays only for fear")
    act_rate: Share = Field(0.0787, description="chance per hour that a soldier past "
                            "threshold acts")


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


class Quiet(NamedTuple):
    """Per unit, what the decision saw when it last passed over it, and how far its soldiers
    on duty then were from doing anything else (ODD 7.7, quiet units)."""

    collapse: np.ndarray  # float64 C_u then
    pressure: np.ndarray  # float64 D_u x calm then
    home: np.ndarray  # float64 danger at the unit's home place then
    arrest: np.ndarray  # float64 P_u then
    level: np.ndarray  # float32 promise in force then (a new one: decide again)
    reach: np.ndarray  # float64 max |danger weight x (1 - b B)|: how far D_u x calm moves D
    exposure: np.ndarray  # float64 max exposure x (1 - amnesty): how far P_u moves N
    rise: np.ndarray  # float64 how far W (and -N) may rise with nobody changing what he does
    fall: np.ndarray  # float64 how far W may fall
    present: np.ndarray  # bool: anyone on duty then
    threshold: np.ndarray  # float32 per soldier: T then (an intervention may set it)


def quiet_state(n: int, n_units: int) -> Quiet:
    """Bookkeeping that has seen nothing yet: every unit is decided at its first pass."""
    def nan() -> np.ndarray:
        return np.full(n_units, np.nan)
    return Quiet(collapse=nan(), pressure=nan(), home=nan(), arrest=nan(),
                 level=np.full(n_units, np.nan, dtype=np.float32), reach=nan(),
                 exposure=nan(), rise=np.full(n_units, -1.0), fall=np.full(n_units, -1.0),
                 present=np.ones(n_units, dtype=bool), threshold=np.zeros(n, dtype=np.float32))


# relative slack for float32 rounding in the bounds of quiet units (about 170 units in the
# last place of the largest quantity a soldier's decision adds up)
TOLERANCE = 1e-5
# the skip of quiet units (off only to test that it changes nothing)
SKIP_QUIET = True
NO_HOME = np.zeros(0, dtype=np.float32)  # decide_units reads home danger from Homes


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
def same(x, y):
    """x and y hold the same values (two slices of equal length); no early exit, so the
    compiler vectorizes it."""
    differ = 0
    for j in range(x.size):
        differ += np.int32(x[j] != y[j])
    return differ == 0


@njit(cache=True, fastmath={"nnan", "nsz"})
def unit_bounds(rise, fall, size, reach, exposure):
    """The least of each soldier's rise and fall and the largest of his |T|, reach and
    exposure (see `decide_units`): minima and maxima are exact in any order, which these
    flags let the compiler use."""
    r = f = np.float32(np.inf)
    m = x = y = np.float32(0.0)
    for j in range(rise.size):
        r = min(r, rise[j])
        f = min(f, fall[j])
        m = max(m, size[j])
        x = max(x, reach[j])
        y = max(y, exposure[j])
    return r, f, m, x, y


@njit(cache=True)
def decide_units(unit_start, unit_end, U, S, homes, w, state, out_effort, out_acts, seen,
                 friend_gone, changed, q, skip, candidates, largest):
    """`decide` over the units that may change this hour; the candidates (on duty, past
    threshold) into `candidates`, in order, and their number returned.

    S.home_danger is not read: a soldier's is homes.danger[u] x homes.family[j]. A unit is
    passed over again when `changed` flags it (a state, friends or inputs changed), when a
    new promise is in force, when a soldier's threshold was set, or when its unit-level
    inputs (D_u x calm, C_u, home danger, P_u) have moved since its last pass by more than
    its soldiers' distance from the effort ramp and from acting (the Quiet bounds, which it
    refreshes). Friends' departures are copied into `seen` for the units it passes over.
    `largest` bounds |w_g G| + |w_l Loy| over the army (for the rounding slack).

    Each soldier on duty at full effort may see W rise by T - W - band before his effort
    falls, and anyone on duty by -(W - N - T) before he acts; one at minimum effort (W >= T)
    may see W fall by W - T before his effort rises. A soldier on the ramp or acting gives a
    negative bound, so his unit is decided again the next hour.
    """
    zero, one, big = np.float32(0.0), np.float32(1.0), np.float32(np.inf)
    calm = np.float64(w.calm)
    band = w.effort_room / w.effort_slope
    w_d, w_c, w_f = abs(np.float64(w.w_danger)), abs(np.float64(w.w_collapse)), \
        abs(np.float64(w.w_family))
    collapse_most = abs(np.float64(w.collapse_friends)) + abs(np.float64(w.collapse_news))
    size = 0
    for u in range(unit_start.size):
        size = max(size, unit_end[u] - unit_start[u])
    scratch = np.empty((5, size), dtype=np.float32)
    k = 0
    for u in range(unit_start.size):
        s, e = unit_start[u], unit_end[u]
        c_unit, d_unit, level, arrest = U.collapse[u], U.danger[u], U.level[u], U.arrest[u]
        h_unit = homes.danger[u]
        pressure = np.float64(d_unit) * calm  # exact: a product of two float32
        flags = changed[u]
        if skip and not flags & INPUTS and level == q.level[u]:
            moved = (w_d * q.reach[u] * abs(pressure - q.pressure[u])
                     + w_c * abs(c_unit - q.collapse[u]) + w_f * abs(h_unit - q.home[u]))
            moved_n = q.exposure[u] * abs(arrest - q.arrest[u])
            if (moved + moved_n <= q.rise[u] and moved <= q.fall[u]
                    and (not q.present[u] or same(S.threshold[s:e], q.threshold[s:e]))):
                continue
        if flags & FRIENDS:
            seen[s:e] = friend_gone[s:e]
        changed[u] = (flags & ~(INPUTS | FRIENDS)) | EFFORT
        # slices indexed from 0, so the compiler knows no index is negative and vectorizes
        fg, inv, nw, cr = seen[s:e], S.inv_degree[s:e], S.news[s:e], S.credibility[s:e]
        dw, ex, am, gr = S.danger_weight[s:e], S.exposure[s:e], S.amnesty[s:e], S.grievance[s:e]
        lo, fa, th = S.loyalty[s:e], homes.family[s:e], S.threshold[s:e]
        st, o_e, o_a = state[s:e], out_effort[s:e], out_acts[s:e]
        n = e - s
        b_rise, b_fall, b_size = scratch[0, :n], scratch[1, :n], scratch[2, :n]
        b_reach, b_exposure = scratch[3, :n], scratch[4, :n]
        for j in range(n):
            _, t = evaluate(c_unit, d_unit, level, arrest, fg[j], inv[j], nw[j], cr[j], dw[j],
                            ex[j], am[j], gr[j], lo[j], h_unit * fa[j], w)
            on_duty = st[j] == ON_DUTY
            wish_ = wish(t)
            net = net_wish(t, th[j])
            o_e[j] = effort(wish_, th[j], w.effort_slope, w.effort_room,
                            w.effort_min) * np.float32(on_duty)
            o_a[j] = on_duty & (net > zero)
            gap = th[j] - wish_
            full = gap * w.effort_slope >= w.effort_room
            b_rise[j] = min(gap - band if full else big, -net) if on_duty else big
            b_fall[j] = -gap if on_duty and not full else big
            b_size[j] = (abs(th[j]) + abs(t.danger) + abs(t.family) + abs(t.enforcement)
                         if on_duty else zero)
            b_reach[j] = abs(dw[j] * (one - w.backup_discount * (cr[j] * level))) \
                if on_duty else zero
            b_exposure[j] = abs(ex[j] * (one - am[j])) if on_duty else zero
        present = 0
        for j in range(n):
            present += st[j] == ON_DUTY
            if o_a[j]:
                candidates[k] = s + j
                k += 1
        rise, fall, big_t, reach, exposure = unit_bounds(b_rise, b_fall, b_size, b_reach,
                                                         b_exposure)
        if present and rise >= zero and fall >= zero:  # nobody acts or is on the ramp
            # the largest sum of magnitudes a soldier's terms add up to bounds the rounding
            slack = TOLERANCE * (1.0 + band + big_t + largest + w_c * (abs(c_unit)
                                                                     + collapse_most))
            q.rise[u], q.fall[u] = rise - slack, fall - slack
            q.threshold[s:e] = th
        else:
            q.rise[u], q.fall[u] = (np.inf, np.inf) if not present else (-1.0, -1.0)
        q.collapse[u], q.pressure[u], q.home[u], q.arrest[u] = c_unit, pressure, h_unit, arrest
        q.level[u], q.present[u] = level, present > 0
        q.reach[u], q.exposure[u] = reach * (1.0 + TOLERANCE), exposure * (1.0 + TOLERANCE)
    return k


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
    """The decision's weights this hour, by name, from the parameters and the switches
    (built again only when the parameters or the information switch change; the calm of
    air support is the hour's)."""
    p = w.p
    informed = w.on["information"]
    seen = w.weights_seen
    if seen is not None and seen[0] is p and seen[1] == informed:
        return seen[2]._replace(calm=w.calm) if seen[2].calm != w.calm else seen[2]
    out = Weights(
        w_grievance=np.float32(p.w_grievance), w_danger=np.float32(p.w_danger),
        w_collapse=np.float32(p.w_collapse), w_loyalty=np.float32(p.w_loyalty),
        w_family=np.float32(p.w_family),
        collapse_friends=np.float32(p.collapse_friends * informed),
        collapse_news=np.float32(p.collapse_news * informed),
        backup_discount=np.float32(p.backup_discount), calm=w.calm,
        effort_slope=np.float32((1.0 - p.effort_min) / p.effort_band),
        effort_room=np.float32(1.0 - p.effort_min), effort_min=np.float32(p.effort_min),
    )
    w.weights_seen = (p, informed, out)
    return out


def inputs(w: World, idx: np.ndarray | None = None
           ) -> tuple[UnitInputs, SoldierInputs, Weights]:
    """The decision's inputs as the submodels left them this hour: per soldier, of soldiers
    idx only (in that order) when given, else of the whole army (None)."""
    a = w.army
    soldier = {k: w.soldier_inputs[k] for k in SoldierInputs._fields if k != "home_danger"}
    unit = a.unit
    if idx is not None:
        soldier = {k: v[idx] for k, v in soldier.items()}
        unit = unit[idx]
    home = w.homes.danger[unit] * (w.homes.family if idx is None else w.homes.family[idx])
    return (UnitInputs(**{k: w.unit_inputs[k] for k in UnitInputs._fields}),
            SoldierInputs(home_danger=home, **soldier), weights(w))


def evaluate_soldiers(w: World, idx: np.ndarray | None) -> np.ndarray:
    """Rows of COLUMNS for soldiers idx (None: every soldier), as this hour's decision saw
    them."""
    a = w.army
    if idx is None:
        return terms_of(np.arange(a.n), a.unit, *inputs(w))
    idx = np.asarray(idx, dtype=np.int64)
    return terms_of(np.arange(idx.size), a.unit[idx], *inputs(w, idx))


def signed_terms(rows: np.ndarray) -> np.ndarray:
    """The signed terms (one column per name in registry.TERMS) of rows of COLUMNS."""
    n = len(Levels._fields)
    return np.ascontiguousarray(rows[:, n:2 * n])


class Decision:
    """Step 6: effort of every soldier, and who acts among those past threshold (w.actors).

    Units none of whose soldiers can change what they do this hour are skipped (ODD 7.7);
    `seen` is the count of friends gone as the hour's decision saw it (moves later in the
    hour change `Army.friend_gone`), and `inputs_seen` the per-soldier arrays it last read:
    a submodel that replaces one has every unit decided again.
    """

    def __init__(self, w: World) -> None:
        a = w.army
        self.acts = np.zeros(a.n, dtype=bool)
        self.friends_seen = np.zeros(a.n, dtype=np.float32)
        self.candidates = np.empty(a.n, dtype=np.int64)
        self.quiet = quiet_state(a.n, a.n_units)
        self.inputs_seen: tuple[np.ndarray, ...] = ()
        self.weights_read: Weights | None = None
        self.largest = 0.0  # bounds |w_g G| + |w_l Loy| over the army
        w.soldier_inputs["friend_gone"] = self.friends_seen
        w.soldier_inputs["inv_degree"] = w.inv_degree
        w.soldier_inputs["credibility"] = a.credibility
        w.soldier_inputs["threshold"] = a.threshold

    def step(self, w: World) -> None:
        a, p = w.army, w.p
        if w.steps == 0:
            np.copyto(self.friends_seen, a.friend_gone)  # moves later this hour change it
            settle(w, None)
        U = UnitInputs(**{k: w.unit_inputs[k] for k in UnitInputs._fields})
        S = SoldierInputs(home_danger=NO_HOME,
                          **{k: w.soldier_inputs[k] for k in SoldierInputs._fields
                             if k != "home_danger"})
        wt = weights(w)
        if (len(self.inputs_seen) != len(S) or any(x is not y for x, y in zip(
                S, self.inputs_seen, strict=True))
                or wt._replace(calm=np.float32(0)) != self.weights_read):
            w.touch(None)  # a submodel replaced a soldier's input: decide every unit
            self.largest = (abs(float(wt.w_grievance)) * float(np.abs(S.grievance).max(initial=0))
                            + abs(float(wt.w_loyalty)) * float(np.abs(S.loyalty).max(initial=0)))
        self.inputs_seen, self.weights_read = tuple(S), wt._replace(calm=np.float32(0))
        k = decide_units(a.unit_start, a.unit_end, U, S, w.homes, wt, a.state, a.effort,
                         self.acts, self.friends_seen, a.friend_gone, a.unit_changed,
                         self.quiet, SKIP_QUIET, self.candidates, self.largest)
        if w.steps == 0:
            w.terms0 = signed_terms(evaluate_soldiers(w, None))
        candidates = self.candidates[:k]
        actors = union_sorted(candidates[w.rng.random(candidates.size) < p.act_rate],
                              peacetime_leavers(w))
        if not w.on["officers"]:
            actors = actors[~w.enforcer[a.rank[actors]]]
        w.actors = actors


def settle(w: World, soldiers: np.ndarray | None) -> None:
    """The army at the start (None: all of it) or reserves when called up is the one that has
    not left: a soldier who would be past his threshold without the danger of the offensive
    draws his threshold again, conditioned on exceeding his net wish then (section 5)."""
    a = w.army
    idx = np.arange(a.n) if soldiers is None else np.asarray(soldiers, dtype=np.int64)
    U, S, wt = inputs(w, None if soldiers is None else idx)
    calm = U._replace(danger=np.zeros_like(U.danger))
    rows = terms_of(np.arange(idx.size), a.unit[idx], calm, S, wt)
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
    w.touch(a.unit[past])


def peacetime_leavers(w: World) -> np.ndarray:
    """Soldiers on duty who leave this hour at the army's peacetime rate, whatever the war
    (a Poisson thinning of the whole army, kept to those on duty)."""
    rate = w.scenario.army.peacetime_desertion / (30.0 * 24.0) * w.dt
    if rate <= 0:
        return np.empty(0, dtype=np.int64)
    a = w.army
    k = w.rng.poisson(rate * a.n)
    picked = union_sorted(np.sort(w.rng.integers(0, a.n, k)), NONE)
    return picked[a.state[picked] == ON_DUTY]


NONE = np.empty(0, dtype=np.int64)


@njit(cache=True)
def union_sorted(x, y):
    """The distinct values of two sorted arrays, sorted (np.union1d, without its sort)."""
    out = np.empty(x.size + y.size, dtype=np.int64)
    i = j = n = 0
    while i < x.size or j < y.size:
        if j == y.size or (i < x.size and x[i] <= y[j]):
            v = x[i]
            i += 1
        else:
            v = y[j]
            j += 1
        if n == 0 or out[n - 1] != v:
            out[n] = v
            n += 1
    return out[:n]
