"""The experiment store: a manifest plus one Parquet file per finished run, read with DuckDB.

Each run file is written to a temporary name in the same folder and renamed into
place, so a crash or a kill leaves only whole runs behind, and a resumed experiment
computes exactly the runs whose files are missing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from rout.experiments.backend import SERIES, Result

MANIFEST = "manifest.json"
RUNS = "runs"
SERIES_COLUMNS = ("step", "day", *SERIES)
META = ("run_id", "point", "replicate", "spawn_key", "root_entropy", "numpy_version")
RESERVED = frozenset((*META, *SERIES_COLUMNS))
IDENTITY = ("format", "kind", "scenario", "scenario_sha256", "overrides", "design", "points",
            "replicates", "root_entropy", "numpy_version", "runner")
"""Manifest fields that define an experiment: a resumed one must match them all."""


class StoreError(ValueError):
    """A store that cannot be used as asked; the message is one readable line."""


def run_id(point: int, replicate: int) -> str:
    """The deterministic id of a run: its design point and replicate."""
    return f"p{point:06d}-r{replicate:05d}"


class Record(NamedTuple):
    """A finished run with what identifies it in its experiment."""

    run_id: str
    point: int
    replicate: int
    params: dict[str, Any]
    spawn_key: tuple[int, ...]
    result: Result


def rows_of(records: list[Record], root_entropy: int) -> pd.DataFrame:
    """Runs as rows, one per run and step: each run's ids, seed, design point and outcomes
    repeated on its rows (Parquet stores the repeats for almost nothing), then its series."""
    scalars = pd.DataFrame([
        {"run_id": rec.run_id, "point": rec.point, "replicate": rec.replicate,
         "spawn_key": json.dumps(list(rec.spawn_key)), "root_entropy": str(root_entropy),
         "numpy_version": np.__version__, **rec.params, **rec.result.outcomes}
        for rec in records])
    scalars = scalars.astype({"point": "int32", "replicate": "int32"})
    if not any(len(rec.result.series) for rec in records):
        return scalars
    series = [rec.result.series if len(rec.result.series) else pd.DataFrame(index=[0])
              for rec in records]
    lengths = [len(s) for s in series]
    repeated = scalars.loc[scalars.index.repeat(lengths)].reset_index(drop=True)
    return pd.concat([repeated, pd.concat(series, ignore_index=True)], axis=1)


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True,
                                                                     default=str)


class Store:
    """Writes an experiment: its manifest once, then each finished run atomically."""

    def __init__(self, path: str | Path, manifest: dict[str, Any], resume: bool = False) -> None:
        self.path = Path(path)
        self.runs = self.path / RUNS
        file = self.path / MANIFEST
        if file.is_file():
            old = json.loads(file.read_text())
            if not resume:
                raise StoreError(f"{self.path} already holds an experiment: resume it "
                                 "(--resume) or choose another folder")
            for key in IDENTITY:
                if not _same(old.get(key), manifest.get(key)):
                    raise StoreError(f"{self.path} holds a different experiment ({key} "
                                     "differs): resume with the arguments it was started "
                                     "with, or choose another folder")
            self.manifest = old
        else:
            if self.path.exists() and (not self.path.is_dir() or any(self.path.iterdir())):
                raise StoreError(f"{self.path} exists and is not an experiment store")
            self.path.mkdir(parents=True, exist_ok=True)
            self._atomic(file, json.dumps(manifest, indent=2).encode())
            self.manifest = manifest
        self.runs.mkdir(exist_ok=True)
        for stale in self.runs.glob(".*.tmp"):  # half-written by a killed experiment
            stale.unlink()

    def done(self) -> set[str]:
        """Ids of the runs already stored."""
        return {p.stem for p in self.runs.glob("*.parquet")}

    def write(self, frame: pd.DataFrame) -> Path:
        """Store one run under its id, all or nothing."""
        rid = str(frame["run_id"].iloc[0])
        final = self.runs / f"{rid}.parquet"
        tmp = self.runs / f".{rid}.{os.getpid()}.tmp"
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, final)
        return final

    def _atomic(self, final: Path, data: bytes) -> None:
        tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, final)


class Experiment:
    """A stored experiment, queried with SQL through DuckDB.

    Views: `runs` (one row per run: ids, seed, design point, outcomes), `series`
    (one row per run and step) and `falls` (one row per run and place, `day` NaN
    if the place held). New runs show up in the views as they are stored.
    """

    def __init__(self, path: str | Path) -> None:
        import duckdb

        self.path = Path(path)
        file = self.path / MANIFEST
        if not file.is_file():
            raise StoreError(f"{self.path}: not an experiment store (no {MANIFEST})")
        self.manifest: dict[str, Any] = json.loads(file.read_text())
        if not any((self.path / RUNS).glob("*.parquet")):
            raise StoreError(f"{self.path}: no finished runs yet")
        self.con = duckdb.connect()
        glob = str(self.path / RUNS / "*.parquet").replace("'", "''")
        source = f"read_parquet('{glob}', union_by_name = true, file_row_number = true)"
        names = self.con.execute(f"DESCRIBE SELECT * FROM {source}").df()["column_name"]
        cols = [c for c in names if c != "file_row_number"]
        quoted = {c: '"' + c.replace('"', '""') + '"' for c in cols}
        scalar = ", ".join(quoted[c] for c in cols if c not in SERIES_COLUMNS)
        self.con.execute(f"CREATE VIEW runs AS SELECT {scalar} FROM {source} "
                         "WHERE file_row_number = 0 ORDER BY point, replicate")
        if "step" in cols:
            series = ", ".join(quoted[c] for c in cols if c in SERIES_COLUMNS)
            self.con.execute(f"CREATE VIEW series AS SELECT run_id, point, replicate, {series} "
                             f"FROM {source} ORDER BY point, replicate, step")
        falls = [c for c in cols if c.startswith("fall:")]
        if falls:
            self.con.execute(
                "CREATE VIEW falls AS SELECT run_id, point, replicate, substr(place, 6) AS place, "
                "day FROM runs UNPIVOT INCLUDE NULLS (day FOR place IN "
                f"({', '.join(quoted[c] for c in falls)})) ORDER BY point, replicate")

    def __repr__(self) -> str:
        m = self.manifest
        return f"<Experiment {m.get('kind')} of {m.get('scenario')!r} at {self.path}>"

    def sql(self, query: str) -> pd.DataFrame:
        """The result of a DuckDB query over the views, as a pandas frame."""
        return self.con.execute(query).df()

    @property
    def runs(self) -> pd.DataFrame:
        """One row per stored run."""
        return self.sql("SELECT * FROM runs")

    @property
    def series(self) -> pd.DataFrame:
        """One row per stored run and step."""
        return self.sql("SELECT * FROM series")

    def close(self) -> None:
        self.con.close()


def open_experiment(path: str | Path) -> Experiment:
    """Open a stored experiment for queries (`rout.experiments.open`)."""
    return Experiment(path)
