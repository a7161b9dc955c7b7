"""The experiment store: a manifest plus one Parquet file per finished run, read with DuckDB.

Each run file is written to a temporary name of its writer's own in the same folder,
flushed to disk (fsync) and renamed into place, and the folder is flushed too; so a
crash, a kill or a power cut leaves only whole runs behind, and a resumed experiment
computes exactly the runs whose files are missing. Every stored file is checked when it
is read (its Parquet footer, its run id): one found corrupt or cut short is moved to
`runs/bad/` by a resumed experiment and computed again, and left out, by name, by a
query. One writer at a time: a store is locked (`fcntl.flock` on `.lock`) while an
experiment writes into it. Queries are read-only, and read nothing but the store's runs.
"""

from __future__ import annotations

import json
import os
import secrets
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, NamedTuple

import numpy as np
import pandas as pd

from rout.experiments.backend import SERIES, Result

MANIFEST = "manifest.json"
RUNS = "runs"
BAD = "bad"
"""Where, inside `runs/`, a resumed experiment sets aside the run files it found corrupt."""
LOCK = ".lock"
SERIES_COLUMNS = ("step", "day", *SERIES)
META = ("run_id", "point", "replicate", "spawn_key", "root_entropy", "numpy_version")
RESERVED = frozenset((*META, *SERIES_COLUMNS))
IDENTITY = ("format", "kind", "scenario", "scenario_sha256", "overrides", "design", "points",
            "replicates", "root_entropy", "numpy_version", "runner")
"""Manifest fields that define an experiment: a resumed one must match them all."""
QUERIES = frozenset({"SELECT", "EXPLAIN"})
"""The kinds of SQL statement a query may be: nothing that writes, attaches, installs or sets."""


class StoreError(ValueError):
    """A store that cannot be used as asked; the message is one readable line."""


class StoreWarning(UserWarning):
    """A run file found corrupt: set aside to be computed again, or left out of a query."""


def check_run_file(path: Path) -> str | None:
    """Why a stored run file cannot be used (cut short, corrupt, not the run its name says),
    or None if it can: its Parquet footer and metadata are read, and its run ids."""
    import pyarrow.parquet as pq

    try:
        meta = pq.read_metadata(path)
        if meta.num_rows < 1:
            return "holds no rows"
        if "run_id" not in meta.schema.names:
            return "has no run_id column"
        ids = pq.read_table(path, columns=["run_id"]).column("run_id").unique().to_pylist()
    except Exception as exc:  # pyarrow's errors (ArrowInvalid, OSError) say what is wrong
        text = str(exc).strip().splitlines()
        return f"unreadable ({text[0][:160] if text else type(exc).__name__})"
    if ids != [path.stem]:
        held = ", ".join(str(i) for i in ids[:3]) + (" ..." if len(ids) > 3 else "")
        return f"holds the run {held}, not {path.stem}"
    return None


def _fsync_folder(folder: Path) -> None:
    """Flush a folder's entries (a rename into it) to disk, where the system allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def durable_write(final: Path, tmp: Path, write: Callable[[IO[bytes]], Any]) -> Path:
    """Write a file all or nothing, and durably: to `tmp`, flushed to disk, renamed into
    place, and the rename flushed too (the folder)."""
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(final.parent)
    return final


def _lock(folder: Path) -> IO[str] | None:
    """Hold the store's lock (released when the returned file is closed), or raise a
    StoreError naming the process that holds it. None where there is no `fcntl`."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        return None
    f = open(folder / LOCK, "a+")  # noqa: SIM115 - held open as long as the store is
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.seek(0)
        holder = f.read().strip() or "?"
        f.close()
        raise StoreError(f"{folder} is in use: another experiment (process {holder}) is "
                         "writing into it; wait for it to finish, or choose another "
                         "folder") from None
    f.seek(0)
    f.truncate()
    f.write(f"{os.getpid()}\n")
    f.flush()
    return f


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
    """Writes an experiment: its manifest once, then each finished run atomically and
    durably; it holds the store's lock until `close` (or the end of a `with` block)."""

    def __init__(self, path: str | Path, manifest: dict[str, Any], resume: bool = False) -> None:
        self.path = Path(path)
        self.runs = self.path / RUNS
        self.set_aside: list[tuple[str, Path, str]] = []  # (run id, where it went, why)
        self._token = f"{os.getpid()}-{secrets.token_hex(4)}"  # this writer's temp names
        self._lock: IO[str] | None = None
        file = self.path / MANIFEST
        if file.is_file():
            if not resume:
                raise StoreError(f"{self.path} already holds an experiment: resume it "
                                 "(resume=True; on the command line --resume) or choose another "
                                 "folder")
            self._lock = _lock(self.path)
            try:
                old = json.loads(file.read_text())
            except (OSError, ValueError) as exc:
                self.close()
                raise StoreError(f"{self.path}: its {MANIFEST} is unreadable "
                                 f"({str(exc)[:80]})") from None
            for key in IDENTITY:
                if not _same(old.get(key), manifest.get(key)):
                    self.close()
                    raise StoreError(f"{self.path} holds a different experiment ({key} "
                                     "differs): resume with the arguments it was started "
                                     "with, or choose another folder")
            self.manifest = old
        else:
            if self.path.exists() and (not self.path.is_dir() or any(
                    p.name != LOCK for p in self.path.iterdir())):
                raise StoreError(f"{self.path} exists and is not an experiment store")
            self.path.mkdir(parents=True, exist_ok=True)
            self._lock = _lock(self.path)
            self._atomic(file, json.dumps(manifest, indent=2).encode())
            self.manifest = manifest
        self.runs.mkdir(exist_ok=True)
        # half-written by a killed writer: no other writer can be running, as we hold the lock
        for folder in (self.path, self.runs):
            for stale in folder.glob(".*.tmp"):
                stale.unlink(missing_ok=True)

    def close(self) -> None:
        """Release the store's lock (another experiment may then write into it)."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def done(self) -> set[str]:
        """Ids of the runs already stored, each file checked (`check_run_file`); a corrupt
        one is set aside in `runs/bad/` (with a StoreWarning), to be computed again."""
        ids = set()
        for file in sorted(self.runs.glob("*.parquet")):
            problem = check_run_file(file)
            if problem is None:
                ids.add(file.stem)
            else:
                self._set_aside(file, problem)
        return ids

    def _set_aside(self, file: Path, problem: str) -> None:
        bad = self.runs / BAD
        bad.mkdir(exist_ok=True)
        dest, n = bad / file.name, 1
        while dest.exists():
            dest, n = bad / f"{file.stem}.{n}{file.suffix}", n + 1
        os.replace(file, dest)
        _fsync_folder(self.runs)
        _fsync_folder(bad)
        self.set_aside.append((file.stem, dest, problem))
        warnings.warn(f"{file}: {problem}; set aside as {dest.relative_to(self.path)} and "
                      "computed again", StoreWarning, stacklevel=3)

    def write(self, frame: pd.DataFrame) -> Path:
        """Store one run under its id, all or nothing."""
        rid = str(frame["run_id"].iloc[0])
        final = self.runs / f"{rid}.parquet"
        tmp = self.runs / f".{rid}.{self._token}.tmp"
        return durable_write(final, tmp, lambda f: frame.to_parquet(f, index=False))

    def _atomic(self, final: Path, data: bytes) -> None:
        durable_write(final, final.with_name(f".{final.name}.{self._token}.tmp"),
                      lambda f: f.write(data))


class Experiment:
    """A stored experiment, queried with SQL through DuckDB.

    Views: `runs` (one row per run: ids, seed, design point, outcomes), `series`
    (one row per run and step) and `falls` (one row per run and place, `day` NaN
    if the place held). New runs show up in the views as they are stored (unless a
    corrupt file was left out: then the views hold the files found whole at opening).
    Every file is checked first (`check_run_file`); `problems` lists, one line each, those
    left out and those set aside and not computed again yet (each also a StoreWarning).
    Queries are read-only (`sql`) and DuckDB reads nothing outside the store's `runs/`.
    """

    def __init__(self, path: str | Path) -> None:
        import duckdb

        self.path = Path(path)
        file = self.path / MANIFEST
        if not file.is_file():
            raise StoreError(f"{self.path}: not an experiment store (no {MANIFEST})")
        try:
            self.manifest: dict[str, Any] = json.loads(file.read_text())
        except (OSError, ValueError) as exc:
            raise StoreError(f"{self.path}: its {MANIFEST} is unreadable "
                             f"({str(exc)[:80]})") from None
        runs = (self.path / RUNS).resolve()
        good: list[Path] = []
        self.problems: list[str] = []
        for run_file in sorted(runs.glob("*.parquet")):
            problem = check_run_file(run_file)
            if problem is None:
                good.append(run_file)
            else:
                self.problems.append(f"{run_file}: {problem}; left out of the queries "
                                     "(resume the experiment to compute it again)")
        whole = {f.stem for f in good}
        waiting = sorted({f.name.split(".")[0] for f in (runs / BAD).glob("*.parquet")}
                         - whole)
        if waiting:
            shown = ", ".join(waiting[:3]) + (f" and {len(waiting) - 3} more"
                                              if len(waiting) > 3 else "")
            self.problems.append(f"{runs / BAD}: {len(waiting)} run(s) set aside as corrupt "
                                 f"and not computed again yet ({shown}): resume the "
                                 "experiment to compute them")
        for line in self.problems:
            warnings.warn(line, StoreWarning, stacklevel=2)
        if not good:
            raise StoreError(f"{self.path}: no finished runs yet" if not self.problems else
                             f"{self.path}: no readable runs ({len(self.problems)} "
                             "problem(s): see the warnings)")
        self.con = duckdb.connect(config={"autoinstall_known_extensions": False,
                                          "autoload_known_extensions": False,
                                          "allow_community_extensions": False})

        def literal(text: str) -> str:
            return "'" + text.replace("'", "''") + "'"

        if len(good) == len(list(runs.glob("*.parquet"))):
            files = literal(str(runs / "*.parquet"))
        else:
            files = "[" + ", ".join(literal(str(f)) for f in good) + "]"
        source = f"read_parquet({files}, union_by_name = true, file_row_number = true)"
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
        # from here on DuckDB reads the runs and nothing else, and no query can change that
        self.con.execute(f"SET allowed_directories = [{literal(str(runs) + os.sep)}]")
        self.con.execute("SET enable_external_access = false")
        self.con.execute("SET lock_configuration = true")

    def __repr__(self) -> str:
        m = self.manifest
        return f"<Experiment {m.get('kind')} of {m.get('scenario')!r} at {self.path}>"

    def _repr_html_(self) -> str:
        """In a notebook: what was run, where it is stored, and each design point's
        medians over its runs."""
        from html import escape

        from rout.experiments import display
        from rout.experiments.sweep import point_summary

        m = self.manifest
        params = sorted({k for point in m.get("points") or [] for k in point})
        runs = self.runs
        return ("<div>" + display.header(m, str(m.get("kind")))
                + f"{len(runs):,} runs stored in <code>{escape(str(self.path))}</code>; "
                  "per design point, the median of each outcome over its runs (a place that "
                  "fell in fewer than half of them held: -)"
                + display.table(point_summary(runs, params)) + "</div>")

    def sql(self, query: str) -> pd.DataFrame:
        """The result of a DuckDB query over the views, as a pandas frame: one SELECT (or
        EXPLAIN) statement, else a StoreError (nothing that writes, attaches or sets)."""
        import duckdb

        kinds = [st.type.name for st in duckdb.extract_statements(query)]
        if len(kinds) != 1 or kinds[0] not in QUERIES:
            raise StoreError("query: a query must be one SELECT statement, not "
                             f"{' + '.join(kinds) or 'none'}; the store is read-only")
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

