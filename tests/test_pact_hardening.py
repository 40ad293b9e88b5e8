"""``pcf serve`` under hostile or careless clients (issue 16 part 2): malformed parameters, big
and deep bodies, the Host header, token persistence and expiry, the /auth/token rate limit, and
password hashing off the event loop. Real HTTP on loopback (tests/test_pact_server.py's
registry: three labels, the server's clock at 2026-06-01).

Regressions measured before this work: ``limit``/``offset`` of more than 4,300 digits and
``limit=²`` gave 500, a 100,000-deep JSON array posted to /3/events gave 500, 200 wrong secrets
were all answered 401, tokens were lost on restart, the Host header was copied into ``Link``.
"""

from __future__ import annotations

import json
import threading
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pcf.registry import open_store
from pcf.serve.auth import FAILURES_MAX, WINDOW_S, RateLimit, token_hash
from pcf.serve.clients import Clients
from pcf.serve.host import FootprintSource, footprint_uuid
from pcf.serve.limits import BODY_MAX, DEPTH_MAX, BadRequest, parse_json, public_base
from pcf.serve.server import build_app
from test_pact_server import NOW, PRODUCTS, basic, call, registry, start  # noqa: F401 (registry: a fixture)

GRANT = b"grant_type=client_credentials"


def serving(reg, **options):
    """A running host on ``reg`` (``build_app`` options); returns (stop, base URL)."""
    app = build_app(FootprintSource(reg["db"], reg["results"], clock=lambda: NOW), options.pop("clients", None)
                    or Clients.load(reg["clients"]), **options)
    server, thread, port = start(app)

    def stop():
        server.should_exit = True
        thread.join(10)
    return stop, f"http://127.0.0.1:{port}"


def token_of(base: str, reg) -> str:
    status, _, body = call(base + "/auth/token", "POST", basic("buyer-1", reg["secret"]), GRANT)
    assert status == 200, body
    return body["access_token"]


@pytest.fixture(scope="module")
def host(registry):  # noqa: F811
    stop, base = serving(registry)
    yield {"base": base, "bearer": {"Authorization": f"Bearer {token_of(base, registry)}"}, **registry}
    stop()


def is_pact_error(body) -> bool:
    return isinstance(body, dict) and set(body) == {"code", "message"} and isinstance(body["message"], str)


# ------------------------------------------------------------------ malformed parameters: 400, never 500

BAD_QUERIES = [  # (query string, what is wrong)
    ("limit=" + "9" * 5000, "5,000 digits, over the 1,024-digit cap (int() refuses 4,300: was a 500)"),
    ("offset=" + "1" * 5000, "idem"),
    ("limit=%C2%B2", "limit=² (str.isdigit accepts it, int() does not: was a 500)"),
    ("limit=%D9%A3", "an Arabic-Indic digit three (int() would take it)"),
    ("limit=-1", "negative"),
    ("limit=1.5", "not whole"),
    ("limit=", "empty"),
    ("limit=1&limit=2", "given twice"),
    ("offset=%2B1", "a sign"),
    ("validOn=yesterday", "not an ISO 8601 date-time"),
    ("validBefore=2026-13-01T00:00:00Z", "month 13"),
    ("x-acme-invoice=1", "an extension criterion this host does not implement"),
    ("colour=blue", "an unknown parameter"),
    ("geography=" + "x" * 2000, "a value over 1,024 characters"),
    ("&".join(["productId=p"] * 101), "over 100 filter values"),
]


@pytest.mark.parametrize("version", ["3", "2"])
@pytest.mark.parametrize("query, why", BAD_QUERIES)
def test_malformed_parameters_are_400_with_the_pact_body(host, version, query, why):
    status, _, body = call(f"{host['base']}/{version}/footprints?{query}", headers=host["bearer"])
    assert status == 400 and body["code"] == "BadRequest" and is_pact_error(body), why


def test_status_and_limit_zero_as_the_spec_and_harness_say(host):
    """``status`` other than Active / Deprecated matches nothing: 200 and an empty list (the
    conformance harness's mandatory test case 37); ``limit=0`` is allowed (OpenAPI minimum 0)."""
    for value in ("BogusStatusValue", "", "ACTIVE%20"):
        status, _, body = call(f"{host['base']}/3/footprints?status={value}", headers=host["bearer"])
        assert (status, body) == (200, {"data": []})
    status, _, body = call(f"{host['base']}/3/footprints?status=ACTIVE", headers=host["bearer"])
    assert status == 200 and len(body["data"]) == 2  # case-insensitive: the two valid labels
    status, head, body = call(f"{host['base']}/3/footprints?limit=0", headers=host["bearer"])
    assert (status, body) == (200, {"data": []}) and head["Link"] == f'<{host["base"]}/3/footprints?offset=0>; rel="next"'
    status, head, body = call(f"{host['base']}/3/footprints?limit=000000002&OFFSET=0", headers=host["bearer"])
    assert status == 200 and len(body["data"]) == 2 and "offset=2" in head["Link"]
    status, _, body = call(f"{host['base']}/2/footprints?%24filter=", headers=host["bearer"])  # empty: no filter
    assert status == 200 and len(body["data"]) == 3
    # a value with a NUL matches nothing (PostgreSQL text cannot hold one: was a 500 there)
    for query, count in (("productId=a%00b", 0), ("geography=%00&geography=CN", 2), ("geography=%00&status=Active", 0)):
        status, _, body = call(f"{host['base']}/3/footprints?{query}", headers=host["bearer"])
        assert status == 200 and len(body["data"]) == count, query
    for query in ("limit=18446744073709551615", "limit=1772228296148924399353856", "limit=" + "9" * 1024,
                  "offset=" + "9" * 20, "offset=" + "1" * 1024):  # the OpenAPI sets no maximum (schemathesis)
        status, head, body = call(f"{host['base']}/3/footprints?{query}", headers=host["bearer"])
        assert status == 200 and len(body["data"]) == (0 if "offset" in query else 3) and "Link" not in head


NAMES = st.sampled_from(["limit", "offset", "LIMIT", "productId", "companyid", "geography", "classification",
                         "validOn", "validAfter", "validBefore", "status", "x-y-z", "$top"]) | st.text(max_size=12)
VALUES = (st.text(max_size=40) | st.from_regex(r"-?[0-9]{0,12}", fullmatch=True)
          | st.sampled_from(["²", "٣", "0", "1", "9" * 4301, "2026-06-01T00:00:00Z", "Active", "Deprecated",
                             "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "NaN", "1e9"]))


@pytest.mark.parametrize("version", ["3", "2"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=st.lists(st.tuples(NAMES, VALUES), max_size=6), raw=st.binary(max_size=20))
def test_fuzzed_list_queries_never_give_500(host, version, pairs, raw):
    """Property: whatever the query string of ListFootprints (v3 and v2), the answer is 200 with
    ``data`` or a 4xx with the PACT error body, never a 500."""
    query = urllib.parse.urlencode(pairs)
    if raw:  # bytes that need not be UTF-8, as a name and as a value
        query += ("&" if query else "") + urllib.parse.quote_from_bytes(raw) + "=" + urllib.parse.quote_from_bytes(raw)
    status, _, body = call(f"{host['base']}/{version}/footprints?{query}", headers=host["bearer"])
    assert status < 500, (query, body)
    if status == 200:
        assert isinstance(body["data"], list)
    else:
        assert 400 <= status < 500 and is_pact_error(body), (query, body)


@pytest.mark.parametrize("version", ["3", "2"])
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(min_size=1, max_size=60) | st.text(min_size=1, max_size=60).map(str.encode))
def test_fuzzed_footprint_ids_never_give_500(host, version, raw):
    """Property: GetFootprint with any id (any bytes, percent-encoded) answers 200, 404 or 400
    with the PACT error body, never a 500."""
    status, _, body = call(f"{host['base']}/{version}/footprints/{urllib.parse.quote_from_bytes(raw, safe='')}",
                           headers=host["bearer"])
    assert status in (200, 400, 404), (raw, status, body)
    assert "data" in body if status == 200 else is_pact_error(body), (raw, body)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                    max_leaves=12)
EVENT_KEYS = st.sampled_from(["specversion", "id", "source", "type", "time", "data", "pfIds", "productId",
                              "requestEventId", "pfs", "error", "code", "message"])


@pytest.mark.parametrize("version", ["3", "2"])
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(EVENT_KEYS, JSON, max_size=6) | JSON)
def test_fuzzed_event_bodies_never_give_500(host, version, body):
    """Property: any JSON posted to Action Events answers 200 (kept) or 4xx with the PACT error
    body, never a 500."""
    status, _, answer = call(f"{host['base']}/{version}/events", "POST",
                             {**host["bearer"], "Content-Type": "application/cloudevents+json"}, json.dumps(body).encode())
    assert status == 200 or (400 <= status < 500 and is_pact_error(answer)), (body, status, answer)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form=st.binary(max_size=80), header=st.none() | st.binary(max_size=60))
def test_fuzzed_token_requests_never_give_500(token_host, form, header):
    """Property: any form body and ``Authorization: Basic`` value sent to /auth/token answers 200,
    400, 401 or 429 with the OAuth error body, never a 500 (the rate limit is lifted here, so
    every attempt is checked)."""
    import base64

    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if header is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(header).decode()
    status, _, body = call(token_host + "/auth/token", "POST", headers, b"grant_type=client_credentials&" + form)
    assert status in (200, 400, 401), (form, header, status, body)
    assert "access_token" in body if status == 200 else set(body) == {"error", "error_description"}


@pytest.fixture(scope="module")
def token_host(registry):  # noqa: F811
    stop, base = serving(registry, rate_limit=RateLimit(failures=10 ** 9))
    yield base
    stop()


# ------------------------------------------------------------------ bodies: size and JSON depth

def post_event(host, body: bytes, **headers):
    return call(host["base"] + "/3/events", "POST",
                {**host["bearer"], "Content-Type": "application/cloudevents+json", **headers}, body)


def test_a_deep_json_body_is_400(host):
    for depth in (100_000, 1000, DEPTH_MAX + 1):  # beyond the recursion limit, below it, just over the cap
        status, _, body = post_event(host, b"[" * depth + b"]" * depth)
        assert status == 400 and is_pact_error(body) and "nested deeper" in body["message"], depth
    status, _, body = post_event(host, b'{"a": [1, NaN]}')
    assert status == 400 and "not JSON" in body["message"]
    assert parse_json(b"[" * DEPTH_MAX + b"]" * DEPTH_MAX) is not None  # at the cap: accepted
    with pytest.raises(BadRequest, match="not JSON"):
        parse_json(b"1" * 5000)  # beyond Python's 4,300-digit int conversion limit


def test_text_that_cannot_be_stored_is_400(host):
    """A NUL in a path (a footprint id) or in a JSON string, or a lone surrogate: 400, on
    PostgreSQL too (its text cannot hold a NUL: was a 500 there)."""
    for path in ("/3/footprints/a%00b", "/2/footprints/%01", "/3/footprints/x%0Ay"):
        status, _, body = call(host["base"] + path, headers=host["bearer"])
        assert status == 400 and is_pact_error(body) and "control character" in body["message"], path
    event = {"specversion": "1.0", "id": "e-nul", "source": "https://webhook.example.com",
             "time": "2023-05-19T11:30:00Z", "type": "org.wbcsd.pact.ProductFootprint.PublishedEvent.3",
             "data": {"pfIds": [footprint_uuid(host["numbers"]["PACK-CN"])]}}
    for bad in ({"id": "e\u0000x"}, {"source": "https://a.example/\ud800"}, {"data": {"\u0000": 1, "pfIds": []}}):
        status, _, body = post_event(host, json.dumps({**event, **bad}).encode())
        assert status == 400 and is_pact_error(body) and "NUL" in body["message"], bad
    assert post_event(host, json.dumps(event).encode())[0] == 200  # the same event without them


def test_routing_errors_have_the_pact_body(host):
    status, _, body = call(host["base"] + "/4/footprints", headers=host["bearer"])  # no such route (no pages here)
    assert status == 404 and body["code"] == "NotFound" and is_pact_error(body)
    status, head, body = call(host["base"] + "/3/footprints", "POST", host["bearer"], b"{}")
    assert status == 405 and body["code"] == "BadRequest" and is_pact_error(body) and "GET" in head["Allow"]


def raw_post(base: str, path: str, head: dict, body: bytes = b"") -> tuple[int, dict]:
    """POST over a plain socket (the body may be left unsent): (status, JSON body) of the answer."""
    import socket

    url = urllib.parse.urlsplit(base)
    lines = [f"POST {path} HTTP/1.1", f"Host: {url.netloc}", "Connection: close"] + [f"{k}: {v}" for k, v in head.items()]
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), json.loads(rest.partition(b"\r\n\r\n")[2])


def test_a_body_over_1_mib_is_413(host):
    """Refused by its Content-Length before a byte of it is read (nothing is sent here), or, sent
    chunked without a length, as soon as it passes 1 MiB."""
    head = {**host["bearer"], "Content-Type": "application/cloudevents+json"}
    status, body = raw_post(host["base"], "/3/events", {**head, "Content-Length": str(BODY_MAX + 1)})
    assert status == 413 and is_pact_error(body) and str(BODY_MAX) in body["message"]
    chunk = b"x" * (BODY_MAX + 1)
    status, body = raw_post(host["base"], "/3/events", {**head, "Transfer-Encoding": "chunked"},
                            f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n0\r\n\r\n")
    assert status == 413 and is_pact_error(body)
    status, body = raw_post(host["base"], "/auth/token", {"Content-Length": str(10 * BODY_MAX)})
    assert status == 413
    status, _, body = post_event(host, b" " * (BODY_MAX - 2) + b"{}")  # exactly 1 MiB: read, then judged as an event
    assert status == 400 and "missing" in body["message"]


# ------------------------------------------------------------------ the public URL, never the Host header

def test_links_use_the_public_url_not_the_host_header(host, registry):  # noqa: F811
    evil = {**host["bearer"], "Host": "evil.example.com"}
    status, head, _ = call(f"{host['base']}/3/footprints?limit=1", headers=evil)
    assert status == 200 and head["Link"].startswith(f"<{host['base']}/3/footprints?")  # the bound address
    stop, base = serving(registry, public_url="https://pcf.example.com/pact/")
    try:
        bearer = {"Authorization": f"Bearer {token_of(base, registry)}", "Host": "evil.example.com"}
        status, head, _ = call(f"{base}/3/footprints?limit=1&geography=CN", headers=bearer)
        assert head["Link"] == '<https://pcf.example.com/pact/3/footprints?geography=CN&limit=1&offset=1>; rel="next"'
    finally:
        stop()
    for bad in ("pcf.example.com", "ftp://pcf.example.com", "https://", "https://a.example?x=1",
                "https://user@a.example", "https://a.example:99999"):
        with pytest.raises(BadRequest):
            public_base(bad)


def test_pcf_serve_writes_links_on_its_public_url(registry, tmp_path):  # noqa: F811
    """The real command: ``pcf serve --public-url`` (and without it, the bind address) in the
    Link header whatever the Host header says."""
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    pcf = Path(sys.executable).with_name("pcf")
    for public, expected in (("https://pcf.example.com/pact", "https://pcf.example.com/pact"), (None, None)):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        expected = expected or f"http://127.0.0.1:{port}"
        args = [str(pcf), "serve", "--registry", str(registry["db"]), "--results", str(registry["results"]),
                "--clients", str(registry["clients"]), "--port", str(port)] + (["--public-url", public] if public else [])
        log = open(tmp_path / "serve.log", "w")
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(600):
                assert process.poll() is None, (tmp_path / "serve.log").read_text()
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.05)
            bearer = {"Authorization": f"Bearer {token_of(base, registry)}", "Host": "evil.example.com"}
            status, head, _ = call(base + "/3/footprints?limit=1", headers=bearer)
            assert status == 200 and head["Link"] == f'<{expected}/3/footprints?limit=1&offset=1>; rel="next"'
        finally:
            process.terminate()
            process.wait(20)
            log.close()


def test_serve_refuses_a_malformed_public_url(registry):  # noqa: F811
    from typer.testing import CliRunner

    import cli

    run = CliRunner().invoke(cli.app, ["serve", "--registry", str(registry["db"]), "--results", str(registry["results"]),
                                       "--clients", str(registry["clients"]), "--public-url", "pcf.example.com"])
    assert run.exit_code == 2 and "--public-url" in run.output and "absolute" in run.output


# ------------------------------------------------------------------ tokens: hashed, persisted, expiring

def test_a_token_survives_a_restart_and_is_kept_hashed(registry):  # noqa: F811
    stop, base = serving(registry)
    try:
        token = token_of(base, registry)
    finally:
        stop()
    stop, base = serving(registry)  # a second server on the same registry, nothing in memory
    try:
        status, _, body = call(base + "/3/footprints", headers={"Authorization": f"Bearer {token}"})
        assert status == 200 and len(body["data"]) == 3
    finally:
        stop()
    with open_store(registry["db"], create=False) as store, store.read() as tx:
        rows = [tuple(r[c] for c in ("token_sha256", "client_id", "issued_ms", "expires_ms"))
                for r in tx.run("SELECT * FROM access_tokens").fetchall()]
    assert (token_hash(token), "buyer-1") in [r[:2] for r in rows] and token not in repr(rows)


def test_expired_tokens_are_refused_then_purged(registry):  # noqa: F811
    """Expiry on an injected clock: valid before ``expires_in``, 401 TokenExpired after (on a
    restarted server too), and its row deleted once a day has passed and a token is issued."""
    now = [1_800_000_000.0]
    stop, base = serving(registry, clock=lambda: now[0], token_ttl=3600)
    try:
        token = token_of(base, registry)
    finally:
        stop()
    now[0] += 3601
    stop, base = serving(registry, clock=lambda: now[0], token_ttl=3600)
    try:
        status, _, body = call(base + "/3/footprints", headers={"Authorization": f"Bearer {token}"})
        assert status == 401 and body["code"] == "TokenExpired"
        now[0] += 24 * 3600
        token_of(base, registry)  # issuing purges rows expired for more than a day
        status, _, body = call(base + "/3/footprints", headers={"Authorization": f"Bearer {token}"})
        assert status == 400 and body == {"code": "BadRequest", "message": "Invalid token provided"}
    finally:
        stop()


# ------------------------------------------------------------------ /auth/token rate limit

def test_wrong_secrets_are_locked_out_with_retry_after(registry):  # noqa: F811
    """The documented default: FAILURES_MAX (10) failures within WINDOW_S (300 s) per client id,
    then 429 with Retry-After, even for the right secret; the window passing (injected clock)
    lets the client in, and a success clears its failures."""
    assert (FAILURES_MAX, WINDOW_S) == (10, 300)
    now = [1_800_000_000.0]
    stop, base = serving(registry, clock=lambda: now[0])
    try:
        for _ in range(FAILURES_MAX):
            status, _, body = call(base + "/auth/token", "POST", basic("buyer-1", "wrong"), GRANT)
            assert status == 401 and body["error"] == "invalid_client"
            now[0] += 1
        status, head, body = call(base + "/auth/token", "POST", basic("buyer-1", registry["secret"]), GRANT)
        # the first failure was 10 s ago and leaves the 300 s window in 290 s
        assert status == 429 and head["Retry-After"] == "290" and body["error"] == "slow_down"
        assert "retry after 290 s" in body["error_description"]
        now[0] += 290
        assert call(base + "/auth/token", "POST", basic("buyer-1", registry["secret"]), GRANT)[0] == 200
        for _ in range(FAILURES_MAX - 1):  # the success cleared the failures: nine more are 401s
            assert call(base + "/auth/token", "POST", basic("buyer-1", "wrong"), GRANT)[0] == 401
        assert call(base + "/auth/token", "POST", basic("buyer-1", registry["secret"]), GRANT)[0] == 200
    finally:
        stop()


def test_unknown_ids_are_limited_per_address(registry):  # noqa: F811
    now = [1_800_000_000.0]
    stop, base = serving(registry, clock=lambda: now[0], rate_limit=RateLimit(3, 60, clock=lambda: now[0]))
    try:
        for name in ("nobody", "nobody-2", ""):
            assert call(base + "/auth/token", "POST", basic(name, "x"), GRANT)[0] == 401
        status, head, body = call(base + "/auth/token", "POST", basic("someone-else", "x"), GRANT)
        assert status == 429 and head["Retry-After"] == "60" and body["error"] == "slow_down"
        form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"})
        assert call(base + "/auth/token", "POST", {"Content-Type": "application/x-www-form-urlencoded"},
                    form.encode())[0] == 429
        # a registered client is counted on its own id, not on the address
        assert call(base + "/auth/token", "POST", basic("buyer-1", registry["secret"]), GRANT)[0] == 200
    finally:
        stop()


# ------------------------------------------------------------------ scrypt off the event loop

class GatedClients(Clients):
    """The real clients, whose secret check (scrypt) waits until the test opens a gate: a
    request whose hash is running holds the gate closed."""

    def __init__(self, clients: Clients):
        super().__init__(clients.entries)
        self.entered, self.gate = threading.Event(), threading.Event()
        self.gate.set()  # open until the test closes it

    def check(self, client_id, secret):
        self.entered.set()
        assert self.gate.wait(30)
        return super().check(client_id, secret)


def test_other_requests_are_served_while_a_secret_is_hashed(registry, host):  # noqa: F811
    """While one /auth/token request is inside its scrypt check, a ListFootprints request gets
    its answer: the hash runs in a worker thread, not on the event loop (were it on the loop,
    the second request could not be answered before the gate opens)."""
    gated = GatedClients(Clients.load(registry["clients"]))
    stop, base = serving(registry, clients=gated)
    try:
        bearer = {"Authorization": f"Bearer {token_of(base, registry)}"}  # the gate is open for this one
        gated.entered.clear()
        gated.gate.clear()
        answer = {}
        thread = threading.Thread(target=lambda: answer.update(token=call(
            base + "/auth/token", "POST", basic("buyer-1", registry["secret"]), GRANT)))
        thread.start()
        assert gated.entered.wait(30)  # the token request is hashing now
        status, _, body = call(base + "/3/footprints", headers=bearer)
        assert status == 200 and len(body["data"]) == 3 and "token" not in answer
        gated.gate.set()
        thread.join(30)
        assert answer["token"][0] == 200
    finally:
        gated.gate.set()
        stop()


def test_footprints_served_in_order(host):
    """Sanity of the module's host: the three labels in label order."""
    status, _, body = call(host["base"] + "/3/footprints", headers=host["bearer"])
    assert [d["id"] for d in body["data"]] == [footprint_uuid(host["numbers"][p]) for p in PRODUCTS]
