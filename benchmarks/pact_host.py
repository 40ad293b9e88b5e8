"""Benchmark: the PACT host API of ``pcf serve`` with 1,000 issued labels and with 2 (issue 16 part 2).

Preparation (not timed as the figure): a temporary registry with 1,000 self-declared labels
for 1,000 results of the hand-made conforming pack (tests/registry_util.py,
tests/exchange_util.py: one product id per result, companies A/B, geographies CN/DE/CN-JS,
one label in ten revoked), the result files in a folder, one API client; a second registry
with 2 such labels; and, reported apart (not in the last line), the 1,000 labels again with
the registry on a throw-away PostgreSQL server (tests/pgserver.py: Debian's ``postgresql``,
``initdb`` in a temporary folder, stopped at the end).

Measured from outside: the real ``pcf serve --results --clients --registry`` command runs as a
subprocess on 127.0.0.1 (one uvicorn process, as a user starts it); its start-up, which
exports every label into the registry's document cache, is reported apart. Then
:data:`CLIENTS` client threads, each with one keep-alive HTTP/1.1 connection (http.client),
take a token once (``POST /auth/token``) and send :data:`REQUESTS` requests between them in
this mix (every answer checked: status 200, and the number of footprints a list has, counted
by their ``specVersion`` keys, or the id a GetFootprint has):

====  ===========================================================================
50 %  ``GET /3/footprints/{id}`` of a random label (GetFootprint)
20 %  ``GET /3/footprints?limit=100&offset=...`` a random full page (ListFootprints)
15 %  ``GET /3/footprints?productId=...`` of a random product (one footprint)
10 %  ``GET /3/footprints?status=Active&geography=CN&limit=50`` (two filters, one page)
 5 %  ``GET /2/footprints/{id}`` of a random label (PACT v2)
====  ===========================================================================

after :data:`WARMUP` requests that are not counted, in :data:`ROUNDS` rounds; the figures are
those of the round with the median requests/s (each round is printed, with the machine's load
average: other work on the machine moves them). Requests/s = counted requests / wall time;
latency = time from sending a request to having read its whole answer, p50 and p99.
Target (issue 16): at 1,000 labels >= 300 requests/s and p99 < 250 ms. The last line is
``pact_host: rps_1000=... p99_ms_1000=... rps_2=... p99_ms_2=...``.

The client threads share the machine (and Python's GIL) with the server: the figures are a
lower bound of what the server does for a client on another machine.

Run with ``make bench`` or ``python benchmarks/pact_host.py``.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

LABELS = 1_000
CLIENTS = 32
REQUESTS = 6_000
WARMUP = 300
ROUNDS = 3
SPEC_KEY = b'"specVersion":'
SEED = 2026
COMPANIES = ("urn:pcf:bench:company:a", "urn:pcf:bench:company:b")
GEOGRAPHIES = ("CN", "DE", "CN-JS")


def _result(i: int):
    """The conforming pack as the result of product ``P<i>`` (its own result: one label per result)."""
    from pcf.declaration import Declaration
    from pcf.lca.result import ExchangeFacts
    from tests.exchange_util import conforming_pack

    company = COMPANIES[i % 2]
    exchange = ExchangeFacts(
        company={"name": f"Company {company[-1].upper()}", "ids": [company]},
        product_ids=(f"urn:pcf:bench:product:P{i:05d}",), classifications=("urn:pact:productclassification:hs:850760",),
        cpc="46420", description="", product_mass_kg=50.0, fossil_carbon_content_kg_c=10.0,
        packaging_included=False, reference_period={"start": "2025-01-01", "end": "2026-01-01"},
        geography=GEOGRAPHIES[i % 3], study_url=None, verification=None)
    return Declaration.from_json(conforming_pack(f"P{i:05d}", exchange=exchange, ghg_by_stage=True))


def issue_labels(folder: Path, n: int) -> dict:
    """A registry with ``n`` labels issued now (one in ten revoked), their result files and a
    client; what the benchmark needs to call the server."""
    from pcf.registry import change_status, issue
    from pcf.serve.clients import add_client
    from tests.registry_util import new_registry

    folder.mkdir(parents=True)
    store, key, _, _ = new_registry(folder, case=False)
    results = folder / "results"
    results.mkdir()
    expected = {"products": [], "ids": [], "active_cn": 0}
    try:
        for i in range(n):
            declaration = _result(i)
            (results / f"P{i:05d}.result.json").write_text(json.dumps(declaration.to_json()), encoding="utf-8")
            number = issue(store, declaration, key, 365, None, render=False, self_declared=True).number
            if i % 10 == 9:
                change_status(store, number, "revoke", "benchmark", key)
            elif GEOGRAPHIES[i % 3] in ("CN", "CN-JS"):
                expected["active_cn"] += 1
            expected["products"].append(f"urn:pcf:bench:product:P{i:05d}")
            expected["ids"].append(_uuid(number))
    finally:
        store.close()
    secret = add_client(folder / "clients.json", "bench")
    return {"db": store.location, "results": results, "clients": folder / "clients.json",
            "secret": secret, **expected}


def _uuid(number: str) -> str:
    from pcf.serve.host import footprint_uuid

    return footprint_uuid(number)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(setup: dict, folder: Path) -> tuple[subprocess.Popen, int, float]:
    """``pcf serve`` as a subprocess; (process, port, seconds until it answered)."""
    port = _free_port()
    env = dict(os.environ, PCF_HOME=str(folder / "home"))
    command = [str(Path(sys.executable).parent / "pcf"), "serve", "--results", str(setup["results"]),
               "--clients", str(setup["clients"]), "--registry", str(setup["db"]), "--port", str(port)]
    log = open(folder / "serve.log", "wb")
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    while True:
        if process.poll() is not None:
            raise SystemExit(f"pact_host: pcf serve exited ({process.returncode}): "
                             + (folder / "serve.log").read_text(errors="replace")[-2000:])
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, port, time.perf_counter() - start
        except OSError:
            if time.perf_counter() - start > 600:
                raise SystemExit("pact_host: pcf serve did not answer in 600 s")
            time.sleep(0.05)


def _plan(setup: dict, rng: random.Random, n: int) -> list[tuple[str, int]]:
    """``n`` (path, footprints expected) of the mix (module docstring)."""
    ids, products, total = setup["ids"], setup["products"], len(setup["ids"])
    pages = max(1, (total + 99) // 100)
    plan = []
    for _ in range(n):
        r = rng.random()
        if r < 0.50:
            plan.append((f"/3/footprints/{rng.choice(ids)}", -1))
        elif r < 0.70:
            page = rng.randrange(pages)
            plan.append((f"/3/footprints?limit=100&offset={page * 100}", min(100, total - page * 100)))
        elif r < 0.85:
            plan.append(("/3/footprints?" + urlencode({"productId": rng.choice(products)}), 1))
        elif r < 0.95:
            plan.append(("/3/footprints?status=Active&geography=CN&limit=50", min(50, setup["active_cn"])))
        else:
            plan.append((f"/2/footprints/{rng.choice(ids)}", -1))
    return plan


def _client(port: int, setup: dict, work: list, latencies: list, errors: list, barrier: threading.Barrier) -> None:
    """One client: a token, then its share of ``work`` on one keep-alive connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    basic = base64.b64encode(f"bench:{setup['secret']}".encode()).decode()
    conn.request("POST", "/auth/token", body="grant_type=client_credentials",
                 headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"})
    answer = conn.getresponse()
    token = json.loads(answer.read())["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    barrier.wait()
    for path, expected in work:
        start = time.perf_counter()
        conn.request("GET", path, headers=headers)
        answer = conn.getresponse()
        raw = answer.read()
        latencies.append(time.perf_counter() - start)
        if answer.status != 200:
            errors.append(f"{path}: {answer.status} {raw[:200]!r}")
        elif expected >= 0 and raw.count(SPEC_KEY) != expected:  # one per footprint
            errors.append(f"{path}: {raw.count(SPEC_KEY)} footprints, {expected} expected")
        elif expected < 0 and json.loads(raw)["data"]["id"] != path.rsplit("/", 1)[1]:
            errors.append(f"{path}: another footprint")
    conn.close()


def load(port: int, setup: dict, requests: int, seed: int) -> tuple[float, float, float]:
    """Send ``requests`` of the mix with :data:`CLIENTS` threads; (requests/s, p50 [ms], p99 [ms])."""
    plan = _plan(setup, random.Random(seed), requests)
    shares = [plan[i::CLIENTS] for i in range(CLIENTS)]
    latencies: list[float] = []
    errors: list[str] = []
    barrier = threading.Barrier(CLIENTS + 1)
    threads = [threading.Thread(target=_client, args=(port, setup, share, latencies, errors, barrier))
               for share in shares]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    if errors:
        raise SystemExit(f"pact_host: {len(errors)} wrong answers, e.g. {errors[:3]}")
    cuts = statistics.quantiles(latencies, n=100)
    return len(latencies) / wall, cuts[49] * 1e3, cuts[98] * 1e3


def measure(setup: dict, folder: Path, name: str, rounds: int = ROUNDS) -> tuple[float, float, float]:
    """Start ``pcf serve`` on ``setup``, warm up, measure ``rounds`` times; the round of median
    requests/s: (requests/s, p50 [ms], p99 [ms])."""
    process, port, started = start_server(setup, folder)
    try:
        print(f"pact_host: {name}: pcf serve answered {started:.1f} s after start (exports every label once)")
        load(port, setup, WARMUP, SEED + 1)
        results = []
        for n in range(rounds):
            rps, p50, p99 = load(port, setup, REQUESTS, SEED + 2 + n)
            results.append((rps, p50, p99))
            print(f"pact_host: {name}: round {n + 1}: {REQUESTS} requests, {CLIENTS} clients: {rps:,.0f} "
                  f"requests/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms (load average {os.getloadavg()[0]:.1f})")
        return sorted(results)[len(results) // 2]
    finally:
        process.terminate()
        process.wait(30)


def on_postgresql(tmp: Path) -> None:
    """The 1,000-label measurement with the registry on a throw-away PostgreSQL server
    (tests/pgserver.py; skipped, and said so, when PostgreSQL is not installed)."""
    from tests import pgserver, registry_util

    try:
        cluster = pgserver.start()
    except RuntimeError as exc:
        print(f"pact_host: PostgreSQL registry: not measured ({str(exc).splitlines()[0]})")
        return
    try:
        registry_util.use_backend(cluster)
        start = time.perf_counter()
        setup = issue_labels(tmp / "pg", LABELS)
        print(f"pact_host: PostgreSQL registry: {LABELS} labels issued in {time.perf_counter() - start:.1f} s")
        measure(setup, tmp / "pg", f"{LABELS} labels, PostgreSQL registry", rounds=1)
    finally:
        registry_util.use_backend(None)
        cluster.stop()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="pcf-bench-pact-") as tmp:
        tmp = Path(tmp)
        os.environ["PCF_HOME"] = str(tmp / "home")  # the issuing side's PCF_HOME (no background needed)
        start = time.perf_counter()
        large = issue_labels(tmp / "large", LABELS)
        small = issue_labels(tmp / "small", 2)
        print(f"pact_host: preparation: {LABELS} + 2 labels issued in {time.perf_counter() - start:.1f} s "
              "(not part of the figures)")
        rps_l, _, p99_l = measure(large, tmp / "large", f"{LABELS} labels")
        rps_s, _, p99_s = measure(small, tmp / "small", "2 labels")
        on_postgresql(tmp)
    met = rps_l >= 300 and p99_l < 250
    print(f"pact_host: target at {LABELS} labels (>= 300 requests/s, p99 < 250 ms): {'met' if met else 'NOT met'}")
    print(f"pact_host: rps_1000={rps_l:.0f} p99_ms_1000={p99_l:.1f} rps_2={rps_s:.0f} p99_ms_2={p99_s:.1f}")


if __name__ == "__main__":
    main()
