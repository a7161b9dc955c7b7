"""The dashboard cannot be taken over (issue 14): fair and bounded under load, requests
dropped when their client goes, workers replaced when they die, only its own Host and
Origin answered, bodies bounded, no long echo of input.

The server runs as `rout serve` would (its own process, a pool of 2 workers) on a free
localhost port, as in test_browser.py.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import psutil
import pytest

from rout.web.app import MAX_BODY, MAX_PER_CLIENT

SERVE = ("import sys, typer; from rout.viz.commands import register; "
         "app = typer.Typer(); register(app); app(sys.argv[1:])")
MAXIMAL = {"scenario": "syria-2024", "runs": 20, "days": 12}  # 7.5e8 soldier-steps: allowed
SMALL = {"scenario": "garrison", "runs": 1, "days": 1}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[int, subprocess.Popen]]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", SERVE, "serve", "--port", str(port),
                             "--workers", "2"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"rout serve exited: {proc.stdout.read().decode()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("rout serve did not answer within 90 s")
                time.sleep(0.3)
        yield port, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def call(port: int, method: str, path: str, body: Any = None,
         headers: dict[str, str] | None = None, timeout: float = 120
         ) -> tuple[int, dict[str, Any], dict[str, str]]:
    """One request: status, JSON answer and headers."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    conn.request(method, path, body=data, headers={"Content-Type": "application/json",
                                                   **(headers or {})})
    answer = conn.getresponse()
    raw = answer.read()
    conn.close()
    headers_ = {k.lower(): v for k, v in answer.getheaders()}
    return answer.status, json.loads(raw) if raw else {}, headers_


def status(port: int) -> dict[str, Any]:
    return call(port, "GET", "/api/status")[1]


def wait_for(port: int, test, seconds: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        st = status(port)
        if test(st):
            return st
        assert time.monotonic() < deadline, f"the dashboard never reached it: {st}"
        time.sleep(0.05)


def open_request(port: int, body: dict[str, Any]) -> socket.socket:
    """A POST sent on a raw socket, left waiting for its answer (close it to go away)."""
    data = json.dumps(body).encode()
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(b"POST /api/run HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                 b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                 % (port, len(data), data))
    return sock


def workers(proc: subprocess.Popen) -> list[psutil.Process]:
    """The server's pool workers (not multiprocessing's resource tracker)."""
    kids = psutil.Process(proc.pid).children(recursive=True)
    return [k for k in kids if "spawn_main" in " ".join(k.cmdline())]


def test_only_its_own_host_and_origin_are_answered(server):
    port, _ = server
    assert call(port, "GET", "/api/scenarios")[0] == 200
    assert call(port, "GET", "/api/scenarios", headers={"Host": f"localhost:{port}"})[0] == 200
    for headers in ({"Host": f"rebound.example:{port}"}, {"Host": f"127.0.0.1:{port + 1}"},
                    {"Host": "rebound.example"}, {"Origin": "http://rebound.example"},
                    {"Origin": f"http://rebound.example:{port}"}, {"Origin": "null"},
                    {"Origin": f"http://127.0.0.1:{port + 1}"}):
        code, answer, _ = call(port, "POST", "/api/run", SMALL, headers)
        assert code == 403, headers
        assert "answers only to its own" in answer["message"]
    code, _, _ = call(port, "POST", "/api/run", SMALL,
                      {"Origin": f"http://127.0.0.1:{port}"})
    assert code == 200


def test_a_large_body_is_refused_before_it_is_read(server):
    port, _ = server
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST /api/run HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: "
                     b"application/json\r\nContent-Length: 31457280\r\n\r\n{" % port)
        start = time.monotonic()
        head = sock.recv(4096).decode()
        assert head.startswith("HTTP/1.1 413"), head
        assert time.monotonic() - start < 2
    # sent in chunks, with no length announced: cut off once past the limit
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    chunks = (b'{"scenario": "' + b"x" * 4096 for _ in range(3 * MAX_BODY // 4096))
    conn.request("POST", "/api/run", body=chunks, encode_chunked=True,
                 headers={"Content-Type": "application/json"})
    answer = conn.getresponse()
    assert answer.status == 413
    assert "at most" in json.loads(answer.read())["message"]
    conn.close()


def test_refusals_echo_no_more_than_an_excerpt(server):
    port, _ = server
    name = "n" * 12_000
    code, answer, _ = call(port, "POST", "/api/run", {**SMALL, "scenario": name})
    assert code == 422 and len(answer["message"]) <= 400 and name not in answer["message"]
    code, answer, _ = call(port, "POST", "/api/run", {**SMALL, "scenario": "n" * 2**20})
    assert code == 413 and len(answer["message"]) < 200
    code, answer, _ = call(port, "POST", "/api/run", {**SMALL, "levers": {"x" * 5000: 1}})
    assert code == 422 and len(answer["message"]) <= 400


def test_a_small_request_is_answered_while_a_maximal_one_runs(server):
    port, _ = server
    big = open_request(port, MAXIMAL)
    try:
        wait_for(port, lambda st: st["running"] == 2)  # both workers on the big one
        start = time.monotonic()
        code, answer, _ = call(port, "POST", "/api/run", SMALL)
        took = time.monotonic() - start
        assert code in (200, 429), answer
        assert took < 2.0, f"the small request took {took:.1f} s"
        if code == 200:
            assert answer["runs"] == 1
        # the client of the big one goes away: its runs not yet started never start
    finally:
        big.close()
    wait_for(port, lambda st: st["requests"] == 0, seconds=5)
    wait_for(port, lambda st: st["running"] == 0, seconds=60)


def test_a_client_may_have_only_so_many_requests_waiting(server):
    port, _ = server
    held = [open_request(port, MAXIMAL) for _ in range(MAX_PER_CLIENT)]
    try:
        wait_for(port, lambda st: st["requests"] == MAX_PER_CLIENT)
        code, answer, headers = call(port, "POST", "/api/run", MAXIMAL)
        assert code == 429 and headers.get("retry-after") == "5"
        assert f"{MAX_PER_CLIENT} of your requests are still running" in answer["message"]
    finally:
        for sock in held:
            sock.close()
    wait_for(port, lambda st: st["requests"] == 0, seconds=5)
    wait_for(port, lambda st: st["running"] == 0, seconds=60)


def test_a_dead_worker_is_replaced_and_the_next_request_answered(server):
    port, proc = server
    pools = status(port)["pools"]
    victims = workers(proc)
    assert len(victims) == 2
    victims[0].kill()
    victims[0].wait(10)
    code, answer, _ = call(port, "POST", "/api/run", {**SMALL, "runs": 4})
    assert code == 200, answer
    assert answer["runs"] == 4
    assert status(port)["pools"] == pools + 1
    # a worker killed while it runs a request's run: the run is tried again elsewhere
    result: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: result.update(
        answer=call(port, "POST", "/api/run", {"scenario": "garrison", "runs": 6})))
    thread.start()
    wait_for(port, lambda st: st["running"] >= 1)
    workers(proc)[0].kill()
    thread.join(120)
    code, answer, _ = result["answer"]
    assert code == 200 and answer["runs"] == 6, answer
