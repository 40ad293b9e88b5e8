"""Benchmark: is ``pcf serve`` still responsive while client secrets are being guessed?

Issue 16 measured a 403 (a request without a token) going from 2 ms to 509 ms while four
threads guessed secrets, because the scrypt check of ``POST /auth/token`` ran on the event
loop. Now it runs in worker threads (:mod:`pcf.serve.auth`), so the 403 should stay near its
idle latency.

Set-up: an empty registry, one API client, the server on loopback (uvicorn in a thread) with
the rate limit lifted (so that the guessers keep hashing instead of getting 429s). Measured:
the latency of 200 sequential ``GET /3/footprints`` without a token (403) alone, then again
while four threads post wrong secrets; and the wrong guesses answered per second meanwhile.
The last line is ``serve_auth: p50_403_ms_idle=<a> p50_403_ms_guessing=<b>
p99_403_ms_guessing=<c> guesses_per_s=<d>``. Target: b under 20 ms (2 CPU cores).

Run with ``make bench`` or ``python benchmarks/serve_auth.py``.
"""

from __future__ import annotations

import base64
import statistics
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

GUESSERS = 4
SAMPLES = 200


def _start(app):
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    return server, thread, server.servers[0].sockets[0].getsockname()[1]


def _status(request) -> int:
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _latencies(url: str) -> list[float]:
    out = []
    for _ in range(SAMPLES):
        start = time.perf_counter()
        assert _status(urllib.request.Request(url)) == 403
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    from pcf.registry import open_store
    from pcf.serve.auth import RateLimit
    from pcf.serve.clients import Clients, add_client
    from pcf.serve.host import FootprintSource
    from pcf.serve.server import build_app

    folder = Path(tempfile.mkdtemp(prefix="pcf-bench-auth-"))
    open_store(folder / "registry.db").close()
    add_client(folder / "clients.json", "bench")
    app = build_app(FootprintSource(folder / "registry.db", folder), Clients.load(folder / "clients.json"),
                    rate_limit=RateLimit(failures=10 ** 9))
    server, thread, port = _start(app)
    base = f"http://127.0.0.1:{port}"
    idle = _latencies(base + "/3/footprints")
    stop, guesses = threading.Event(), [0]
    wrong = {"Authorization": "Basic " + base64.b64encode(b"bench:wrong").decode(),
             "Content-Type": "application/x-www-form-urlencoded"}

    def guess():
        while not stop.is_set():
            request = urllib.request.Request(base + "/auth/token", data=b"grant_type=client_credentials",
                                             headers=wrong, method="POST")
            assert _status(request) == 401
            guesses[0] += 1

    guessers = [threading.Thread(target=guess) for _ in range(GUESSERS)]
    for g in guessers:
        g.start()
    time.sleep(1.0)  # the guessers are hashing
    start, before = time.perf_counter(), guesses[0]
    busy = _latencies(base + "/3/footprints")
    rate = (guesses[0] - before) / (time.perf_counter() - start)
    stop.set()
    for g in guessers:
        g.join()
    server.should_exit = True
    thread.join(10)
    p99 = statistics.quantiles(busy, n=100)[98]
    print(f"403 latency idle: p50 {statistics.median(idle):.2f} ms; with {GUESSERS} threads guessing: "
          f"p50 {statistics.median(busy):.2f} ms, p99 {p99:.2f} ms; {rate:.1f} wrong guesses/s answered")
    print(f"serve_auth: p50_403_ms_idle={statistics.median(idle):.2f} p50_403_ms_guessing={statistics.median(busy):.2f} "
          f"p99_403_ms_guessing={p99:.2f} guesses_per_s={rate:.1f}")


if __name__ == "__main__":
    main()
