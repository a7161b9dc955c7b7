"""The store loses nothing finished (issue 14): a corrupt run file is found, named, set aside
and computed again; one writer at a time; every write flushed; queries read-only and
confined to the store's runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from rout.cli import app
from rout.experiments import store as store_module
from rout.experiments import sweep
from rout.experiments.store import (
    BAD,
    LOCK,
    MANIFEST,
    RUNS,
    Experiment,
    Store,
    StoreError,
    StoreWarning,
    check_run_file,
)

GRID = {"act_rate": [0.1, 0.3, 0.5]}
REPLICATES = 4
EXPECTED = {f"p{p:06d}-r{r:05d}" for p in range(3) for r in range(REPLICATES)}
SWEEP = dict(grid_values=GRID, runs_per_point=REPLICATES, overrides={"days": 2}, seed=5)
CODE = ("from rout.experiments import sweep\n"
        "sweep('garrison', {out!r}, grid_values={{'act_rate': [0.1, 0.3, 0.5]}}, "
        "runs_per_point=4, overrides={{'days': 2}}, seed=5)\n")


def invoke(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"rout {args} raised {result.exception!r}")
    return result.exit_code, result.stdout, result.stderr


def stored(out: Path) -> list[str]:
    return sorted(p.stem for p in (out / RUNS).glob("*.parquet"))


def table(out: Path) -> pd.DataFrame:
    """Every stored row, in a fixed order, for comparing two stores value for value."""
    frames = [pd.read_parquet(f) for f in sorted((out / RUNS).glob("*.parquet"))]
    rows = pd.concat(frames, ignore_index=True)
    return rows.sort_values(["run_id", "step"], ignore_index=True)


def truncate(file: Path) -> None:
    with file.open("r+b") as f:
        f.truncate(file.stat().st_size // 2)


@pytest.fixture(scope="module")
def whole(tmp_path_factory) -> Path:
    """The sweep run once, uninterrupted."""
    out = tmp_path_factory.mktemp("whole") / "sweep"
    sweep("garrison", out, **SWEEP)
    return out


def test_a_killed_sweep_with_a_corrupt_file_resumes_to_the_uninterrupted_store(
        tmp_path, whole):
    out = tmp_path / "sweep"
    proc = subprocess.Popen([sys.executable, "-c", CODE.format(out=str(out))])
    try:
        deadline = time.monotonic() + 120
        while len(stored(out)) < 4:
            assert proc.poll() is None, "the sweep ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    before = stored(out)
    assert 4 <= len(before) < len(EXPECTED)
    victim = out / RUNS / f"{before[1]}.parquet"
    truncate(victim)

    computed: list[int] = []
    with pytest.warns(StoreWarning, match=f"{before[1]}.parquet: unreadable"):
        exp = sweep("garrison", out, resume=True, progress=computed.append, **SWEEP)
    assert computed[0] == len(before) - 1  # the corrupt one is computed again
    assert sum(computed) == len(EXPECTED)
    assert set(stored(out)) == EXPECTED
    assert [p.name for p in (out / RUNS / BAD).iterdir()] == [victim.name]  # kept, aside
    assert exp.problems == []
    pd.testing.assert_frame_equal(table(out), table(whole), check_exact=True)
    assert len(exp.runs) == len(EXPECTED)


def test_a_query_names_a_corrupt_file_and_leaves_it_out(tmp_path, whole):
    out = tmp_path / "copy"
    sweep("garrison", out, **SWEEP)
    victim = out / RUNS / "p000001-r00002.parquet"
    truncate(victim)
    assert check_run_file(victim).startswith("unreadable (")
    with pytest.warns(StoreWarning) as caught:
        exp = Experiment(out)
    assert [str(w.message) for w in caught] == exp.problems
    (problem,) = exp.problems
    assert problem.startswith(f"{victim.resolve()}: unreadable")
    assert "left out of the queries" in problem
    ids = exp.sql("SELECT run_id FROM runs")["run_id"]
    assert set(ids) == EXPECTED - {"p000001-r00002"}
    code, stdout, stderr = invoke("query", out, "SELECT count(*) AS n FROM runs",
                                  "--format", "json")
    assert code == 0 and stdout.strip() == '[{"n": 11}]'
    assert stderr.startswith(f"warning: {victim.resolve()}: unreadable")

    # resumed, it is set aside and computed again; until then, a query says so
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StoreWarning)
        Store(out, Experiment(out).manifest, resume=True).done()
    with pytest.warns(StoreWarning, match="1 run\\(s\\) set aside as corrupt and not "
                                          "computed again yet \\(p000001-r00002\\)"):
        Experiment(out)
    sweep("garrison", out, resume=True, **SWEEP)
    assert Experiment(out).problems == []
    pd.testing.assert_frame_equal(table(out), table(whole), check_exact=True)


def test_a_run_file_of_another_run_or_of_no_rows_is_refused(tmp_path):
    a, b = tmp_path / "p000000-r00000.parquet", tmp_path / "p000000-r00001.parquet"
    pd.DataFrame({"run_id": ["p000000-r00000"], "x": [1.0]}).to_parquet(a)
    os.link(a, b)
    assert check_run_file(a) is None
    assert check_run_file(b) == "holds the run p000000-r00000, not p000000-r00001"
    pd.DataFrame({"run_id": pd.Series([], dtype=str)}).to_parquet(a)
    assert check_run_file(a) == "holds no rows"


def test_one_writer_at_a_time_and_none_deletes_another_s_files(tmp_path):
    out = tmp_path / "sweep"
    manifest = {"format": 1, "kind": "sweep"}
    first = Store(out, manifest)
    in_flight = out / RUNS / f".p000000-r00000.{first._token}.tmp"
    in_flight.write_bytes(b"being written")
    with pytest.raises(StoreError, match=r"is in use: another experiment \(process "
                                         f"{os.getpid()}\\) is writing into it"):
        Store(out, manifest, resume=True)
    assert in_flight.exists()  # the second writer never got as far as cleaning up
    code, _, stderr = invoke("sweep", "garrison", "--grid", "act_rate=0.2", "--days", "0.2",
                             "--out", out, "--resume")
    assert code == 2 and "is in use" in stderr
    first.close()
    with Store(out, manifest, resume=True) as second:  # the lock is free again
        assert not in_flight.exists()  # now it is stale: its writer is gone
        assert (out / LOCK).read_text().strip() == str(os.getpid())
        assert second.done() == set()


def test_every_write_is_flushed_to_disk_with_its_folder(tmp_path, monkeypatch):
    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(store_module.os, "fsync", lambda fd: (synced.append(fd), real(fd)))
    with Store(tmp_path / "s", {"format": 1}) as s:
        assert len(synced) == 2  # the manifest, then its folder
        s.write(pd.DataFrame({"run_id": ["p000000-r00000"], "x": [1.0]}))
        assert len(synced) == 4  # the run file, then runs/
    assert (tmp_path / "s" / MANIFEST).is_file()
    assert not list((tmp_path / "s").rglob("*.tmp"))


@pytest.mark.parametrize(("sql", "gist"), [
    ("SELECT * FROM read_csv('/etc/passwd')", "Permission Error: Cannot access file "
                                             "\"/etc/passwd\""),
    ("SELECT * FROM read_text('/etc/hostname')", "Permission Error"),
    ("COPY (SELECT * FROM runs) TO '{tmp}/stolen.csv'", "a query must be one SELECT "
                                                        "statement, not COPY"),
    ("COPY (SELECT 1) TO '{runs}/x.csv'", "not COPY"),
    ("ATTACH '{tmp}/x.db'", "not ATTACH"),
    ("INSTALL httpfs", "not LOAD"),
    ("SET enable_external_access = true", "not SET"),
    ("CREATE TABLE t AS SELECT 1", "not CREATE"),
    ("SELECT 1; COPY (SELECT 1) TO '{tmp}/x.csv'", "not SELECT + COPY"),
    ("SELECT * FROM read_parquet('{tmp}/outside.parquet')", "Permission Error"),
    ("SELECT * FROM glob('/etc/*')", "Permission Error"),
])
def test_query_is_read_only_and_confined_to_the_store(tmp_path, whole, sql, gist):
    pd.DataFrame({"x": [1]}).to_parquet(tmp_path / "outside.parquet")
    query = sql.format(tmp=tmp_path, runs=whole / RUNS)
    code, stdout, stderr = invoke("query", whole, query)
    lines = stderr.strip().splitlines()
    assert code == 2 and len(lines) == 1, stderr
    assert lines[0].startswith("error: query: ") and gist in lines[0], lines[0]
    assert not list(tmp_path.glob("*.csv")) and not list(tmp_path.glob("*.db"))
    assert sorted(p.name for p in (whole / RUNS).iterdir()) == \
        sorted(f"{rid}.parquet" for rid in EXPECTED)


def test_queries_still_read_the_store(whole):
    code, stdout, _ = invoke("query", whole, "SELECT count(*) AS n FROM series", "--format",
                             "csv")
    assert code == 0 and stdout.split() == ["n", str(len(EXPECTED) * 2 * 24)]
    exp = Experiment(whole)
    assert len(exp.sql("EXPLAIN SELECT * FROM falls")) >= 1
    assert len(exp.sql("DESCRIBE runs")) > 5
