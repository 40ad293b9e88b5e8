"""PACT events at ``pcf serve`` (pcf/serve/events.py): validation, storage in the registry,
asynchronous answers to request events delivered to a real requester over HTTP on loopback.

The requester is a small HTTP server in a thread (``Requester``) playing the data recipient's
host as the PACT conformance harness does (its ``/auth/token`` takes ``test_client_id`` /
``test_client_secret`` and returns ``{"access_token"}``; its ``/3/events`` and ``/2/events``
take the answer). Registry and footprints: tests/test_pact_server.py (labels PACK-CN, PACK-DE
Active, PACK-JS revoked; product ids ``urn:pcf:test:product:<id>``).
"""

from __future__ import annotations

import base64
import json
import logging
import shutil
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import pact_specs as specs
from pcf.core.errors import PCFError
from pcf.serve.clients import Clients, add_client, set_callback
from pcf.serve.events import EventPolicy, check_event, same_requester
from pcf.serve.host import FootprintSource, footprint_uuid
from pcf.serve.server import build_app
from tests.registry_util import copy_registry
from test_pact_server import NOW, basic, call, registry, start  # noqa: F401 - registry is a fixture
from tests.conftest import flat

V3 = "org.wbcsd.pact.ProductFootprint."
V2 = "org.wbcsd.pathfinder.ProductFootprint"
UUID = "3a6c14a7-4deb-498a-b5ea-16ce2535b576"


class Requester:
    """A data recipient's host on 127.0.0.1: token endpoint and events endpoints. ``fail`` makes
    the next POSTs of an event answer 500; ``gate`` (a threading.Event), when set on the object,
    holds every event POST until it is set."""

    def __init__(self):
        self.received: list[tuple[str, dict]] = []
        self.fail = 0
        self.gate: threading.Event | None = None
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path == "/auth/token":
                    good = "Basic " + base64.b64encode(b"test_client_id:test_client_secret").decode()
                    ok = self.headers.get("Authorization") == good and raw == b"grant_type=client_credentials"
                    return self.reply(200 if ok else 401, {"access_token": "tok-1"} if ok else {"error": "invalid_client"})
                if self.path not in ("/3/events", "/2/events") or self.headers.get("Authorization") != "Bearer tok-1":
                    return self.reply(403, {"code": "AccessDenied", "message": "no"})
                if owner.gate is not None:
                    owner.gate.wait(10)
                if owner.fail > 0:
                    owner.fail -= 1
                    return self.reply(500, {"code": "InternalError", "message": "try later"})
                owner.received.append((self.path, json.loads(raw)))
                self.reply(200, None)

            def reply(self, status, body):
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, count: int = 1, seconds: float = 15) -> list[tuple[str, dict]]:
        end = time.monotonic() + seconds
        while len(self.received) < count and time.monotonic() < end:
            time.sleep(0.02)
        return self.received

    def close(self):
        if self.gate is not None:
            self.gate.set()
        self.server.shutdown()


@pytest.fixture
def requester():
    r = Requester()
    yield r
    r.close()


def host(registry, tmp_path, url, policy=None):  # noqa: F811 - the fixture's value
    """``pcf serve``'s app on a copy of the registry, with buyer-1 answered at ``url``;
    (base URL, app, headers, stop)."""
    clients = tmp_path / "clients.json"
    shutil.copy(registry["clients"], clients)
    set_callback(clients, "buyer-1", url, "test_client_id", "test_client_secret")
    db = copy_registry(registry["db"], tmp_path)  # each test its own registry: its own events
    app = build_app(FootprintSource(db, registry["results"], clock=lambda: NOW), Clients.load(clients),
                    events=policy or EventPolicy(backoff_s=0.05))
    server, thread, port = start(app)
    base = f"http://127.0.0.1:{port}"
    token = call(base + "/auth/token", "POST", basic("buyer-1", registry["secret"]), b"grant_type=client_credentials")[2]
    headers = {"Authorization": f"Bearer {token['access_token']}", "Content-Type": "application/cloudevents+json"}

    def stop():
        server.should_exit = True
        thread.join(10)

    return base, app, headers, stop


def request_event(event_id: str, source: str, data: dict, v2: bool = False) -> dict:
    kind = f"{V2}Request.Created.v1" if v2 else f"{V3}RequestCreatedEvent.3"
    return {"specversion": "1.0", "id": event_id, "source": source, "time": "2026-06-01T10:00:00.123Z",
            "type": kind, "data": data}


def answer_state(app, event_id: str, seconds: float = 15):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        kept = [e for e in app.state.inbox.stored() if e.event_id == event_id]
        if kept and kept[0].answer != "pending":
            return kept[0]
        time.sleep(0.02)
    return kept[0]


def test_tc12_tc13_a_request_is_fulfilled_at_the_requester(registry, tmp_path, requester):  # noqa: F811
    base, app, headers, stop = host(registry, tmp_path, requester.url)
    try:
        event = request_event("run-1/12", requester.url, {"productId": ["urn:pcf:test:product:PACK-CN"],
                                                          "comment": "Please send PCF data for this year."})
        status, _, body = call(base + "/3/events", "POST", headers, json.dumps(event).encode())
        assert status == 200 and body is None
        path, answer = requester.wait()[0]
        assert path == "/3/events" and answer["type"] == f"{V3}RequestFulfilledEvent.3"
        assert answer["data"]["requestEventId"] == "run-1/12"
        assert [pf["id"] for pf in answer["data"]["pfs"]] == [footprint_uuid(registry["numbers"]["PACK-CN"])]
        assert specs.errors(specs.openapi_validator(specs.PACT_V3, "RequestFulfilledEvent"), answer) == []
        assert answer["source"] == f"{base}/3/events"  # this host's events endpoint (its socket, not Host)
        kept = answer_state(app, "run-1/12")
        assert (kept.answer, kept.client_id, kept.source) == ("sent", "buyer-1", requester.url)
        assert answer["id"] in kept.answer_note
    finally:
        stop()


def test_tc14_a_request_for_no_footprint_is_rejected(registry, tmp_path, requester):  # noqa: F811
    base, app, headers, stop = host(registry, tmp_path, requester.url + "/")
    try:
        event = request_event("run-1/14.A", requester.url + "/3/events", {"productId": ["urn:pact:null"]})
        assert call(base + "/3/events", "POST", headers, json.dumps(event).encode())[0] == 200
        path, answer = requester.wait()[0]
        assert path == "/3/events" and answer["type"] == f"{V3}RequestRejectedEvent.3"
        assert answer["data"]["requestEventId"] == "run-1/14.A" and answer["data"]["error"]["code"] == "NotFound"
        assert specs.errors(specs.openapi_validator(specs.PACT_V3, "RequestRejectedEvent"), answer) == []
    finally:
        stop()


def test_v2_requests_are_answered_at_the_v2_endpoint(registry, tmp_path, requester):  # noqa: F811
    base, app, headers, stop = host(registry, tmp_path, requester.url)
    try:
        ask = request_event("run-2/12", requester.url, {"pf": {"productIds": ["urn:pcf:test:product:PACK-DE"]}}, v2=True)
        refuse = request_event("run-2/14.A", requester.url, {"pf": {"productIds": ["urn:pact:null"]}}, v2=True)
        for event in (ask, refuse):
            assert call(base + "/2/events", "POST", headers, json.dumps(event).encode())[0] == 200
        answers = {a["data"]["requestEventId"]: (p, a) for p, a in requester.wait(2)}
        path, fulfilled = answers["run-2/12"]
        assert path == "/2/events" and fulfilled["type"] == f"{V2}Request.Fulfilled.v1"
        assert [pf["id"] for pf in fulfilled["data"]["pfs"]] == [footprint_uuid(registry["numbers"]["PACK-DE"])]
        assert specs.errors(specs.openapi_validator(specs.PACT_V2, "RequestFulfilledEvent"), fulfilled) == []
        path, rejected = answers["run-2/14.A"]
        assert path == "/2/events" and rejected["type"] == f"{V2}Request.Rejected.v1"
        assert rejected["data"]["error"]["code"] == "NoSuchFootprint"  # the v2 error code
        # a v3 request sent to the v2 endpoint is refused with a hint
        status, _, body = call(base + "/2/events", "POST", headers,
                               json.dumps(request_event("x", requester.url, {"productId": ["urn:a"]})).encode())
        assert status == 400 and "/3/events" in body["message"]
    finally:
        stop()


def test_requests_from_another_source_are_refused_and_not_kept(registry, tmp_path, requester):  # noqa: F811
    base, app, headers, stop = host(registry, tmp_path, requester.url)
    try:
        for source in ("https://attacker.example", "http://127.0.0.1:1", requester.url + "/elsewhere"):
            event = request_event("run-3", source, {"productId": ["urn:pcf:test:product:PACK-CN"]})
            status, _, body = call(base + "/3/events", "POST", headers, json.dumps(event).encode())
            assert status == 400 and body["code"] == "BadRequest" and "not the requester host" in body["message"]
        assert [e.event_id for e in app.state.inbox.stored()] == [] and requester.received == []
    finally:
        stop()


def test_a_failed_delivery_is_retried_with_backoff(registry, tmp_path, requester):  # noqa: F811
    requester.fail = 2  # two 500s, then the answer goes through
    base, app, headers, stop = host(registry, tmp_path, requester.url)
    try:
        event = request_event("run-4", requester.url, {"companyId": ["urn:pcf:test:company:a"], "status": "Active"})
        assert call(base + "/3/events", "POST", headers, json.dumps(event).encode())[0] == 200
        answer = requester.wait()[0][1]
        assert [pf["id"] for pf in answer["data"]["pfs"]] == [footprint_uuid(registry["numbers"]["PACK-CN"])]
        kept = answer_state(app, "run-4")
        assert kept.answer == "sent" and "at attempt 3" in kept.answer_note
    finally:
        stop()


def test_an_unreachable_requester_is_given_up_after_the_last_attempt(registry, tmp_path, caplog):  # noqa: F811
    gone = Requester()
    url = gone.url
    gone.close()  # nothing listens there any more
    base, app, headers, stop = host(registry, tmp_path, url, EventPolicy(attempts=3, backoff_s=0.01, timeout_s=2))
    try:
        with caplog.at_level(logging.INFO, logger="pcf.serve.events"):
            event = request_event("run-5", url, {"productId": ["urn:pcf:test:product:PACK-CN"]})
            assert call(base + "/3/events", "POST", headers, json.dumps(event).encode())[0] == 200
            kept = answer_state(app, "run-5")
        assert kept.answer == "failed" and kept.answer_note.startswith("attempt 3 of 3:")
        assert sum("attempt" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records) == 3
        assert any("given up after 3 attempts" in r.getMessage() for r in caplog.records)
    finally:
        stop()


def test_the_answer_does_not_hold_the_200_and_times_out(registry, tmp_path, requester):  # noqa: F811
    """The requester holds the answer's POST; the request still gets its 200 at once (the answer is
    a background task), a second request beyond ``pending_max`` gets 503, and the held POST ends
    by the policy's timeout."""
    requester.gate = threading.Event()
    policy = EventPolicy(attempts=1, timeout_s=1.0, pending_max=1)
    base, app, headers, stop = host(registry, tmp_path, requester.url, policy)
    try:
        event = request_event("run-6", requester.url, {"productId": ["urn:pcf:test:product:PACK-CN"]})
        assert call(base + "/3/events", "POST", headers, json.dumps(event).encode())[0] == 200  # while held
        status, head, body = call(base + "/3/events", "POST", headers, json.dumps({**event, "id": "run-6b"}).encode())
        assert status == 503 and body["code"] == "InternalError" and head["Retry-After"] == "10"
        kept = answer_state(app, "run-6")
        assert kept.answer == "failed" and "timed out" in kept.answer_note
    finally:
        requester.gate.set()
        stop()


def test_events_are_kept_bounded_and_once(registry, tmp_path, requester):  # noqa: F811
    base, app, headers, stop = host(registry, tmp_path, requester.url, EventPolicy(keep=3))
    try:
        for n in range(5):
            event = {"specversion": "1.0", "id": f"pub-{n}", "source": "//supplier.example/3/events",
                     "time": "2026-06-01T10:00:00Z", "type": f"{V3}PublishedEvent.3", "data": {"pfIds": [UUID]}}
            assert call(base + "/3/events", "POST", headers, json.dumps(event).encode())[0] == 200
        assert call(base + "/3/events", "POST", headers, json.dumps(event).encode())[0] == 200  # pub-4 again
        kept = app.state.inbox.stored()
        assert [e.event_id for e in kept] == ["pub-2", "pub-3", "pub-4"]  # the oldest two dropped, pub-4 once
        assert [e.seq for e in kept] == [3, 4, 5]
    finally:
        stop()


GOOD = {"specversion": "1.0", "id": "e1", "source": "https://buyer.example", "time": "2026-06-01T10:00:00Z"}


@pytest.mark.parametrize("body, version, problem", [
    ([], "v3", "JSON object"),
    ({**GOOD, "type": f"{V3}PublishedEvent.3"}, "v3", "missing data"),
    ({**GOOD, "type": f"{V3}PublishedEvent.3", "data": {"pfIds": ["urn:gtin:4712345060507"]}}, "v3", "UUID"),  # TC40
    ({**GOOD, "type": f"{V2}.Published.v1", "data": {"pfIds": ["urn:gtin:4712345060507"]}}, "v2", "UUID"),  # v2 TC21
    ({**GOOD, "type": f"{V3}PublishedEvent.3", "data": {"pfIds": []}}, "v3", "non-empty"),
    ({**GOOD, "specversion": "0.3", "type": f"{V3}PublishedEvent.3", "data": {"pfIds": [UUID]}}, "v3", "specversion"),
    ({**GOOD, "time": "yesterday", "type": f"{V3}PublishedEvent.3", "data": {"pfIds": [UUID]}}, "v3", "time"),
    ({**GOOD, "id": "", "type": f"{V3}PublishedEvent.3", "data": {"pfIds": [UUID]}}, "v3", "id must be"),
    ({**GOOD, "type": "org.example.Other", "data": {}}, "v3", "unknown event type"),
    ({**GOOD, "type": f"{V3}RequestCreatedEvent.3", "data": {"comment": "all of them"}}, "v3", "at least one"),
    ({**GOOD, "type": f"{V3}RequestCreatedEvent.3", "data": {"productId": "urn:a"}}, "v3", "list of URNs"),
    ({**GOOD, "type": f"{V3}RequestCreatedEvent.3", "data": {"productId": ["sku-1"]}}, "v3", "list of URNs"),
    ({**GOOD, "type": f"{V3}RequestCreatedEvent.3", "data": {"validOn": "2026-13-01T00:00:00Z"}}, "v3", "validOn"),
    ({**GOOD, "type": f"{V3}RequestCreatedEvent.3", "data": {"status": "Retired"}}, "v3", "status"),
    ({**GOOD, "type": f"{V2}Request.Created.v1", "data": {"pf": {"productCategoryCpc": "1"}}}, "v2", "productIds"),
    ({**GOOD, "type": f"{V3}RequestFulfilledEvent.3", "data": {"requestEventId": "e0", "pfs": {}}}, "v3", "pfs"),
    ({**GOOD, "type": f"{V3}RequestRejectedEvent.3", "data": {"requestEventId": "e0", "error": "no"}}, "v3", "error"),
])
def test_malformed_events_are_refused_with_a_reason(body, version, problem):
    assert problem in check_event(body, version)


@pytest.mark.parametrize("body, version", [
    ({**GOOD, "type": f"{V3}PublishedEvent.3", "data": {"pfIds": [UUID]}}, "v3"),
    ({**GOOD, "type": f"{V3}RequestCreatedEvent.3", "data": {"geography": ["DE"], "validOn": "2026-06-01T00:00:00+02:00"}},
     "v3"),
    ({**GOOD, "type": f"{V2}Request.Created.v1", "data": {"pf": {"companyIds": ["urn:a:b"]}, "comment": "x"}}, "v2"),
    ({**GOOD, "type": f"{V3}RequestRejectedEvent.3", "data": {"requestEventId": "e0",
                                                             "error": {"code": "NotFound", "message": "none"}}}, "v3"),
])
def test_valid_events_pass_and_match_the_spec_schemas(body, version):
    assert check_event(body, version) is None
    kind = body["type"].split(".")[-2] if version == "v3" else None
    schema = {"PublishedEvent": "PublishedEvent", "RequestCreatedEvent": "RequestCreatedEvent",
              "RequestRejectedEvent": "RequestRejectedEvent"}.get(kind or "", None)
    if schema:
        assert specs.errors(specs.openapi_validator(specs.PACT_V3, schema), body) == []


def test_a_source_names_the_requester_host_or_its_events_endpoint(tmp_path):
    clients = tmp_path / "c.json"
    add_client(clients, "buyer")
    cb = set_callback(clients, "buyer", "https://Buyer.example/pact", "id", "secret")
    assert cb.token_url == "https://buyer.example/pact/auth/token" or cb.token_url.endswith("/pact/auth/token")
    for source in ("https://buyer.example/pact", "https://buyer.example:443/pact/3/events", "//buyer.example/pact/2/events"):
        assert same_requester(source, cb), source
    for source in ("http://buyer.example/pact", "https://buyer.example", "https://buyer.example.evil/pact", "x"):
        assert not same_requester(source, cb), source


def test_callback_configuration_is_checked_and_kept(tmp_path):
    clients = tmp_path / "c.json"
    add_client(clients, "buyer")
    with pytest.raises(PCFError, match="loopback"):
        set_callback(clients, "buyer", "http://buyer.example", "id", "secret")  # plain HTTP off loopback
    with pytest.raises(PCFError, match="absolute"):
        set_callback(clients, "buyer", "ftp://buyer.example", "id", "secret")
    with pytest.raises(PCFError, match="no client 'other'"):
        set_callback(clients, "other", "https://buyer.example", "id", "secret")
    with pytest.raises(PCFError, match="empty"):
        set_callback(clients, "buyer", "https://buyer.example", "", "secret")
    set_callback(clients, "buyer", "http://127.0.0.1:9000/", "id", "secret")
    add_client(clients, "buyer")  # a new secret keeps the callback
    assert Clients.load(clients).callbacks["buyer"].url == "http://127.0.0.1:9000"
    data = json.loads(clients.read_text())
    data["clients"][0]["callback"]["url"] = "http://10.0.0.1"
    clients.write_text(json.dumps(data))
    with pytest.raises(PCFError, match="client 'buyer'.*loopback"):
        Clients.load(clients)


def test_cli_api_callback(tmp_path):
    from typer.testing import CliRunner

    import cli

    clients, secret = tmp_path / "c.json", tmp_path / "secret.txt"
    add_client(clients, "buyer")
    secret.write_text("s3cret\n")
    args = ["api-callback", "buyer", "--clients", str(clients), "--url", "https://pact.buyer.example/",
            "--auth-client-id", "pcf-supplier", "--auth-secret-file", str(secret)]
    run = CliRunner().invoke(cli.app, args)
    assert run.exit_code == 0 and "https://pact.buyer.example/auth/token" in run.output
    callback = Clients.load(clients).callbacks["buyer"]
    assert (callback.url, callback.client_id, callback.client_secret) == ("https://pact.buyer.example", "pcf-supplier",
                                                                         "s3cret")
    assert "Example: pcf api-callback" in CliRunner().invoke(cli.app, ["api-callback", "--help"]).output
    secret.write_text("\n")
    run = CliRunner().invoke(cli.app, args)
    assert run.exit_code == 2 and "empty" in run.output and "--auth-secret-file" in run.output
    run = CliRunner().invoke(cli.app, args[:-1] + [str(tmp_path / "none.txt")])
    assert run.exit_code == 2 and "cannot read" in flat(run.output) and "Traceback" not in run.output
