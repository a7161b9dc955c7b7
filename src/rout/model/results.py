"""Running a scenario, and the results of a run as documented attributes and tidy frames.

Everything a caller needs from a run (the CLI, the plots, the report, the
dashboard, the experiments) is an attribute or a frame of `Run`; nothing
outside `rout.model` reads the engine's internals.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rout.model.engine import Engine
from rout.model.movement import STATUSES
from rout.model.record import TRACKED
from rout.model.registry import ACTION_NAMES, BASELINE, ON_LEAVE, STATE_NAMES, TERM_NAMES, TERMS
from rout.model.state import VISIBLE
from rout.scenario.loader import load_scenario
from rout.scenario.schema import Scenario, Track


def pick_tracked(engine: Engine, scenario: Scenario, rng: np.random.Generator) -> list[int]:
    """Soldiers to follow, drawn by the scenario's `track` selectors."""
    a = engine.world.army
    index = {p.name: i for i, p in enumerate(scenario.places)}
    groups = [g.name for g in scenario.army.groups]
    ids: list[int] = []
    for sel in scenario.track:
        mask = _select(a, sel, index, groups, list(scenario.army.ranks))
        pool = np.flatnonzero(mask)
        pool = pool[~np.isin(pool, ids)]
        ids += rng.choice(pool, size=min(sel.count, pool.size), replace=False).tolist()
    return ids


def _select(a, sel: Track, index: dict[str, int], groups: list[str], ranks: list[str]
            ) -> np.ndarray:
    mask = np.ones(a.n, dtype=bool)
    if sel.rank is not None:
        mask &= a.rank == ranks.index(sel.rank)
    if sel.group is not None:
        mask &= a.group == groups.index(sel.group)
    if sel.place is not None:
        mask &= a.unit_place[a.unit] == index[sel.place]
    if sel.on_leave is not None:
        mask &= (a.state == ON_LEAVE) == sel.on_leave
    return mask


RNGLike = int | np.random.SeedSequence | np.random.Generator | None


def seed_sequence(rng: RNGLike) -> np.random.SeedSequence:
    """The SeedSequence a run draws from (SPEC 7): an int seeds it, a SeedSequence is used as
    given, a Generator gives a child spawned from it (so the run is reproducible from the
    recorded sequence and the caller's generator moves on), None draws fresh entropy."""
    if isinstance(rng, np.random.SeedSequence):
        return rng
    if isinstance(rng, np.random.Generator):
        return rng.spawn(1)[0].bit_generator.seed_seq
    if rng is None:
        return np.random.SeedSequence()
    if isinstance(rng, bool) or not isinstance(rng, int | np.integer):
        raise TypeError(f"rng must be an int, a SeedSequence, a Generator or None, "
                        f"got {type(rng).__name__}")
    if rng < 0:
        raise ValueError(f"rng: a seed must be a non-negative integer, got {rng}")
    return np.random.SeedSequence(int(rng))


def simulate(
    scenario: str | Path | Scenario = "syria-2024",
    rng: RNGLike = None,
    overrides: dict[str, Any] | None = None,
    days: float | None = None,
    track: list[int] | None = None,
    progress: Callable[[int], None] | None = None,
    *,
    seed: RNGLike = None,
) -> Run:
    """Run a scenario once: a pure function of (scenario, overrides, seed).

    Parameters
    ----------
    scenario
        A built-in scenario's name (`rout scenarios` lists them), a YAML file, or a
        `Scenario` already loaded.
    rng
        Where the run's randomness comes from: an int seed, a `numpy.random.SeedSequence`
        (as an ensemble spawns), a `numpy.random.Generator` (the run draws from a child
        spawned from it), or None for fresh entropy, recorded in `Run.seed` and the
        summary so the run can be redone.
    overrides
        Values that replace the scenario's, by dotted path (`{"w_danger": 0.5,
        "forces.0.strength": 8000}`), as `--set` does on the command line.
    days
        The horizon in days (short for `overrides={"days": ...}`).
    track
        Ids of extra soldiers to follow hour by hour (`Run.tracked`), besides those the
        scenario's `track` block draws.
    progress
        Called with the number of steps done after each step (for a progress bar).
    seed
        Another name for `rng` (give one of the two).

    Returns
    -------
    Run
        The run's attributes and frames.

    Raises
    ------
    rout.scenario.loader.ScenarioError
        The scenario or an override is invalid (one line per problem).
    ValueError
        A tracked id is out of range, or a seed is negative.
    """
    if seed is not None and rng is not None:
        raise TypeError("simulate: give rng or seed, not both")
    over = dict(overrides or {})
    if days is not None:
        over["days"] = days
    sc = load_scenario(scenario, over)
    ss = seed_sequence(rng if rng is not None else seed)
    rng_ = np.random.default_rng(ss)
    # the first child of the sequence, made without spawning: redoing a run from the same
    # SeedSequence object picks the same soldiers
    picker = np.random.default_rng(np.random.SeedSequence(
        ss.entropy, spawn_key=(*ss.spawn_key, 0), pool_size=ss.pool_size))
    start = time.perf_counter()
    eng = Engine(sc, rng_)
    n = eng.world.army.n
    ids = list(track or []) + pick_tracked(eng, sc, picker)
    bad = [i for i in ids if not 0 <= i < n]
    if bad:
        raise ValueError(f"track: soldier id {bad[0]} out of range 0..{n - 1}")
    if ids:
        eng.track(ids)
    eng.run(progress)
    wall = time.perf_counter() - start
    return Run(sc, eng, ss, wall)


class Run:
    """The results of one run: documented attributes, and tidy frames built on first use.

    Attributes: `scenario`, `seed` (its SeedSequence), `wall_seconds`, `n_soldiers`,
    `scale` (soldiers each agent stands for: counts are of soldiers, while each row of
    `departures` and `tracked` is an agent), `steps`, `place_names`, `group_names`,
    `rank_names` (the ranks the army has), `tracked_ids`, `bribe_price` (the price of
    leave, in the army's currency), `fall_days` (day each place fell, NaN if it held),
    `end_reason` (why the run ended) and `engine` (the engine that ran it).
    """

    def __init__(self, scenario: Scenario, engine: Engine, seed: np.random.SeedSequence,
                 wall_seconds: float) -> None:
        w = engine.world
        self.scenario = scenario
        self.engine = engine
        self.seed = seed
        self.wall_seconds = wall_seconds
        self.place_names: list[str] = list(w.place_names)
        self.group_names: list[str] = [g.name for g in scenario.army.groups]
        self.rank_names: list[str] = list(scenario.army.ranks)
        self.scale: int = w.k
        self.n_soldiers: int = int(w.army.n) * w.k
        self.tracked_ids: list[int] = [int(i) for i in w.track]
        self.bribe_price: float = float(w.bribe_price)

    @property
    def _w(self):
        return self.engine.world

    @property
    def end_reason(self) -> str:
        """Why the run ended: the war decided (and how), or the horizon."""
        return self._w.end_reason

    @property
    def steps(self) -> int:
        """Steps recorded."""
        return self._w.steps

    @property
    def fall_days(self) -> pd.Series:
        """Day each place fell (NaN for a place still held), indexed by place."""
        return pd.Series(self._w.fall_hour / 24.0, index=self.place_names, name="fall_day")

    def day_power_below(self, share: float = 0.25) -> float:
        """The first day the army's effective power is below this share of its start
        (NaN: never within the run)."""
        s = self.series
        below = s.loc[s["power_share"] < share, "day"]
        return float(below.iloc[0]) if len(below) else float("nan")

    def sizes(self, dim: str) -> dict[str, int]:
        """Soldiers of each rank or group at the start: the denominator of a share gone."""
        a = self._w.army
        if dim == "rank":
            labels, codes = self.rank_names, a.rank
        elif dim == "group":
            labels, codes = self.group_names, a.group
        else:
            raise ValueError(f"sizes: dim must be rank or group, got {dim!r}")
        counts = np.bincount(codes, minlength=len(labels)) * self.scale
        return {label: int(counts[i]) for i, label in enumerate(labels) if counts[i] > 0}

    def __repr__(self) -> str:
        return (f"<Run {self.scenario.name!r} seed={self.seed.entropy} steps={self.steps} "
                f"soldiers={self.n_soldiers}>")

    def _repr_html_(self) -> str:
        """In a notebook: the scenario, seed and size, the record against the run, and the
        final counts."""
        from html import escape

        counts = self.final_counts()
        tl = self.timeline()
        rows = "".join(
            f"<tr><td>{escape(str(r.place))}</td><td>{escape(str(r.event))}</td>"
            f"<td>{r.observed:g}</td><td>{_day(r.simulated)}</td></tr>"
            for r in tl.itertuples())
        record = (f"<table><tr><th>place</th><th>record</th><th>day</th><th>this run</th></tr>"
                  f"{rows}</table>" if len(tl) else "")
        final = "".join(f"<tr><td>{escape(k)}</td><td>{v:,}</td></tr>"
                        for k, v in counts.items() if v)
        return (f"<div><b>{escape(self.scenario.name)}</b>: seed {self.seed.entropy}, "
                f"{self.n_soldiers:,} soldiers, {self.steps} steps of "
                f"{self.scenario.step_hours:g} h, {escape(self.end_reason)}"
                f"{record}<table><tr><th>state at the end</th><th>soldiers</th></tr>{final}"
                f"</table></div>")

    # --------------------------------------------------------------- frames
    def _time(self) -> pd.DataFrame:
        rec = self.engine.recorder
        t = rec.t[: self.steps]
        out = pd.DataFrame({"step": np.arange(t.size), "t_hours": t, "day": t / 24.0})
        if self.scenario.start_date is not None:
            start = pd.Timestamp(self.scenario.start_date)
            out["time"] = start + pd.to_timedelta(t, unit="h")
        return out

    def _cube(self) -> np.ndarray:
        """Counts of soldiers as an array of shape (step, state, rank, group, place)."""
        n = self.steps
        cube = self.engine.recorder.counts[:n].reshape(n, len(STATE_NAMES), *self._w.shape)
        return cube * self.scale if self.scale > 1 else cube

    @cached_property
    def series(self) -> pd.DataFrame:
        """Per step: counts by state; present and left by rank, group and place; effort,
        credibility and effective power.

        The columns by rank, group and place are named `DIM.NAME.on_duty` and
        `DIM.NAME.left`, the name with its spaces as underscores
        (`place.Maarat_al-Numan.on_duty`): `series_column` spells them."""
        rec, n = self.engine.recorder, self.steps
        cube = self._cube()
        out = self._time()
        for s, name in enumerate(STATE_NAMES):
            out[name] = cube[:, s].sum(axis=(1, 2, 3))
        left = cube[:, VISIBLE.astype(bool)].sum(axis=1)
        out["left"] = left.sum(axis=(1, 2, 3))
        out["mean_effort"] = rec.mean_effort[:n]
        out["mean_credibility"] = rec.mean_credibility[:n]
        out["effective_power"] = rec.power[:n]
        out["power_share"] = rec.power[:n] / rec.power[0] if n and rec.power[0] else np.nan
        labels = {"rank": self.rank_names, "group": self.group_names, "place": self.place_names}
        for axis, dim in enumerate(("rank", "group", "place")):
            other = tuple(i for i in range(3) if i != axis)
            duty = cube[:, 0].sum(axis=tuple(o + 1 for o in other))
            gone = left.sum(axis=tuple(o + 1 for o in other))
            for j, label in enumerate(labels[dim]):
                out[series_column(dim, label, "on_duty")] = duty[:, j]
                out[series_column(dim, label, "left")] = gone[:, j]
        return out

    @cached_property
    def counts(self) -> pd.DataFrame:
        """Tidy counts: one row per (step, state, rank, group, place) with soldiers in it."""
        cube = self._cube()
        idx = np.nonzero(cube)
        out = pd.DataFrame(
            {
                "step": idx[0],
                "state": pd.Categorical.from_codes(idx[1], STATE_NAMES),
                "rank": pd.Categorical.from_codes(idx[2], self.rank_names),
                "group": pd.Categorical.from_codes(idx[3], self.group_names),
                "place": pd.Categorical.from_codes(idx[4], self.place_names),
                "count": cube[idx],
            }
        )
        out.insert(1, "day", self.engine.recorder.t[out["step"].to_numpy()] / 24.0)
        return out

    @cached_property
    def places(self) -> pd.DataFrame:
        """Per step and place: who holds it, the defenders' power and the danger felt."""
        rec, n, k = self.engine.recorder, self.steps, len(self.place_names)
        time_ = self._time()
        return pd.DataFrame(
            {
                "step": np.repeat(time_["step"].to_numpy(), k),
                "day": np.repeat(time_["day"].to_numpy(), k),
                "place": pd.Categorical(np.tile(self.place_names, n),
                                        categories=self.place_names),
                "government": rec.government[:n].ravel(),
                "progress": rec.place_progress[:n].ravel(),
                "defender_power": rec.place_power[:n].ravel(),
                "danger": rec.place_danger[:n].ravel(),
            }
        )

    @cached_property
    def forces(self) -> pd.DataFrame:
        """Per step and attacking force: status, strength, readiness and position."""
        w, rec, n = self._w, self.engine.recorder, self.steps
        names = [f.name for f in w.forces]
        lat = np.array([p.lat for p in self.scenario.places])
        lon = np.array([p.lon for p in self.scenario.places])
        node, nxt, along = rec.force_node[:n], rec.force_next[:n], rec.force_along[:n]
        edge = w.roads.km[node, np.where(nxt >= 0, nxt, node)]
        frac = np.where(nxt >= 0, along / np.where(edge > 0, edge, 1.0), 0.0)
        to = np.where(nxt >= 0, nxt, node)
        k = len(names)
        return pd.DataFrame(
            {
                "step": np.repeat(np.arange(n), k),
                "day": np.repeat(rec.t[:n] / 24.0, k),
                "force": np.tile(names, n),
                "strength": rec.force_strength[:n].ravel(),
                "status": pd.Categorical.from_codes(rec.force_status[:n].ravel(), STATUSES),
                "readiness": rec.force_readiness[:n].ravel(),
                "lat": (lat[node] + frac * (lat[to] - lat[node])).ravel(),
                "lon": (lon[node] + frac * (lon[to] - lon[node])).ravel(),
            }
        )

    @cached_property
    def events(self) -> pd.DataFrame:
        """What happened, when and where: one row per event.

        Besides `t_hours`, `day`, `kind`, `place` and `detail`, some kinds say how many
        soldiers (`count`; at a fall `captured`, `scattered`, `retreated`; at a withdrawal
        `scattered`, `withdrew`) or which `force`: counts are integers (pandas' Int64),
        <NA> on the rows of the other kinds."""
        cols = ["t_hours", "day", "kind", "place", "detail"]
        df = pd.DataFrame(self._w.log)
        if not len(df):
            return pd.DataFrame(columns=cols)
        for col in df.columns[len(cols):]:
            if pd.api.types.is_numeric_dtype(df[col]):
                df[col] = df[col].astype("Int64")
        return df

    @cached_property
    def departures(self) -> pd.DataFrame:
        """Every decision to leave: who, when, how, the terms of W - N at that moment, and
        `baseline`: no term pushed him out (the peacetime rate; drivers() counts these)."""
        logs = self._w.departures
        if logs:
            cat = {k: np.concatenate([d[k] for d in logs]) for k in logs[0]}
        else:  # nobody left: the same columns and types, no rows
            cat = {"t_hours": np.zeros(0), "soldier": np.zeros(0, dtype=np.int64),
                   "threshold": np.zeros(0, dtype=np.float32),
                   "terms": np.zeros((0, len(TERM_NAMES)), dtype=np.float32),
                   **{k: np.zeros(0, dtype=np.int8) for k in ("action", "rank", "group",
                                                              "place")}}
        out = pd.DataFrame(
            {
                "t_hours": cat["t_hours"],
                "day": cat["t_hours"] / 24.0,
                "soldier": cat["soldier"],
                "action": pd.Categorical.from_codes(cat["action"], ACTION_NAMES),
                "rank": pd.Categorical.from_codes(cat["rank"], self.rank_names),
                "group": pd.Categorical.from_codes(cat["group"], self.group_names),
                "place": pd.Categorical.from_codes(cat["place"], self.place_names),
                "threshold": cat["threshold"],
            }
        )
        for j, name in enumerate(TERM_NAMES):
            out[name] = cat["terms"][:, j]
        out[BASELINE.name] = self._push(out).sum(axis=1) <= 0  # what drivers() counts so
        return out

    def _push(self, d: pd.DataFrame) -> np.ndarray:
        """How far each term pushed each departure out: a pressure by its level, a
        restraint by how much it weakened since the start of the run (never below 0)."""
        terms = d[list(TERM_NAMES)].to_numpy()
        start = self._w.terms0[d["soldier"].to_numpy()]
        pressure = np.array([t.pressure for t in TERMS])
        return np.where(pressure, terms, terms - start).clip(0.0, None)

    @cached_property
    def tracked(self) -> pd.DataFrame:
        """Hour by hour, the state and inner numbers of each tracked soldier."""
        w, n = self._w, self.steps
        ids = w.track
        k = ids.size
        rec = self.engine.recorder
        out = pd.DataFrame(
            {"step": np.repeat(np.arange(n), k), "day": np.repeat(rec.t[:n] / 24.0, k),
             "soldier": np.tile(ids, n)}
        )
        for name in TRACKED:
            out[name] = rec.tracked[name][:n].ravel()
        out["state"] = pd.Categorical.from_codes(out["state"].astype(int), STATE_NAMES)
        out["place"] = pd.Categorical.from_codes(out["place"].astype(int), self.place_names)
        out["rank"] = pd.Categorical.from_codes(np.tile(w.army.rank[ids], n), self.rank_names)
        return out

    @cached_property
    def _attribution(self) -> pd.DataFrame:
        """Each departure split over what pushed the soldier out: the standing pressures
        (grievance, danger, collapse, each at its level) and the restraints that weakened
        (enforcement, loyalty, each by how much it fell since the start of the run)."""
        d = self.departures
        push = self._push(d)
        total = push.sum(axis=1, keepdims=True)
        share = np.divide(push, total, out=np.zeros_like(push), where=total > 0)
        out = pd.DataFrame(share, columns=list(TERM_NAMES), index=d.index)
        out[BASELINE.name] = (total[:, 0] <= 0).astype(float)
        return out

    def drivers(self, by: str | list[str] | None = None) -> pd.DataFrame:
        """Departures attributed to each mechanism, overall or by rank, group, place or day.

        Each decision to leave is split over the terms of W - N in proportion to
        their push: grievance, danger and perceived collapse by their level,
        enforcement and loyalty by how much the restraint weakened since the start
        of the run; a decision with no push at all is counted as `baseline`. The
        `departures` column sums to the number of decisions to leave; `share` sums
        to 1 within each group.
        """
        keys = [by] if isinstance(by, str) else list(by or [])
        d = self.departures.assign(day=np.floor(self.departures["day"]).astype(int))
        bad = [k for k in keys if k not in ("rank", "group", "place", "day", "action")]
        if bad:
            raise ValueError(f"drivers: cannot group by {bad[0]!r}; "
                             "use rank, group, place, day or action")
        att = self._attribution
        frame = pd.concat([d[keys], att], axis=1)
        mechanisms = [*TERM_NAMES, BASELINE.name]
        if keys:
            wide = frame.groupby(keys, observed=True)[mechanisms].sum() * self.scale
            long = wide.stack().rename("departures").reset_index()
            long = long.rename(columns={long.columns[len(keys)]: "mechanism"})
            long["share"] = long["departures"] / long.groupby(keys, observed=True)[
                "departures"].transform("sum")
            return long
        totals = frame[mechanisms].sum() * self.scale
        return pd.DataFrame({"mechanism": mechanisms, "departures": totals.to_numpy(),
                             "share": (totals / max(len(d) * self.scale, 1)).to_numpy()})

    def story(self, soldier: int) -> str:
        """A tracked soldier's path through the run, in plain words."""
        from rout.narrative import tell

        return tell(self.tracked, soldier, self.scenario, self.bribe_price)

    def timeline(self) -> pd.DataFrame:
        """The record's falls and holds against the run: the simulated fall day (NaN: held)
        and the error in days (for a hold: NaN while it held through the day the record
        ends, else how many days before that day it fell, negative)."""
        falls = self.fall_days
        rows = []
        for o in self.scenario.observed:
            if o.event == "figure":
                continue
            sim = float(falls[o.place])
            if o.event == "hold":
                err = sim - o.day if np.isfinite(sim) and sim <= o.day else np.nan
            else:
                err = sim - o.day
            rows.append({"place": o.place, "event": o.event, "observed": o.day,
                         "simulated": sim, "error_days": err})
        return pd.DataFrame(rows, columns=["place", "event", "observed", "simulated",
                                           "error_days"])

    # --------------------------------------------------------------- summaries
    def final_counts(self) -> dict[str, int]:
        """Soldiers in each state at the end."""
        last = self.series.iloc[-1]
        return {s: int(last[s]) for s in STATE_NAMES}

    def summary(self) -> dict[str, Any]:
        """The run in one JSON-ready mapping."""
        s = self.series
        tl = self.timeline()
        ev = self.events
        return {
            "scenario": self.scenario.name,
            "seed": self.seed.entropy,
            "spawn_key": list(self.seed.spawn_key),
            "numpy_version": np.__version__,
            "soldiers": self.n_soldiers,
            "steps": int(self.steps),
            "step_hours": self.scenario.step_hours,
            "wall_seconds": round(self.wall_seconds, 4),
            "final_counts": self.final_counts(),
            "left_share": float(s["left"].iloc[-1] / self.n_soldiers),
            "final_power_share": float(s["power_share"].iloc[-1]),
            "events": json.loads(ev.to_json(orient="records")) if len(ev) else [],
            "timeline": json.loads(tl.to_json(orient="records")),
        }

    def save(self, out: str | Path) -> Path:
        """Write every frame as Parquet and the summary as JSON into a folder."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        frames = {"series": self.series, "counts": self.counts, "places": self.places,
                  "forces": self.forces, "events": self.events, "departures": self.departures,
                  "tracked": self.tracked, "timeline": self.timeline()}
        for name, df in frames.items():
            df.to_parquet(out / f"{name}.parquet", index=False)
        (out / "summary.json").write_text(json.dumps(self.summary(), indent=2, default=str))
        return out


def series_column(dim: str, name: str, what: str) -> str:
    """The `Run.series` column of soldiers on duty (`what="on_duty"`) or gone (`"left"`) of
    one rank, group or place: `place.Maarat_al-Numan.on_duty`, a plain name with no space,
    so the frame reads well in SQL, R and a spreadsheet."""
    return f"{dim}.{'_'.join(name.split())}.{what}"


def _day(value: float) -> str:
    return f"{value:.1f}" if np.isfinite(value) else "held"


def date_of(scenario: Scenario, day: float) -> dt.date | None:
    """The calendar date of a scenario day, if the scenario has a start date."""
    if scenario.start_date is None or not np.isfinite(day):
        return None
    return scenario.start_date + dt.timedelta(days=float(day))
