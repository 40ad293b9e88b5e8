"""``pcf serve``: the PACT host API over real HTTP(S), with the PACT conformance test cases.

Test cases (TC) are those of the PACT conformance service, WBCSD pact-conformance-service,
docs/v3-test-cases-expected-results.md: 1-2 authentication, 3-4 GetFootprint / ListFootprints,
5 pagination link, 6-7 invalid token (400), 8 unknown id (404), 9-11 no plain HTTP where TLS is
served, 12-16 events, 20-37 filtering (positive and negative).

Registry (tests/registry_util.py): three labels for the hand-made conforming pack result,
issued 2026-03-01 for 365 days; the server's clock reads 2026-06-01.

    label 1  PACK-CN  company urn:pcf:test:company:a   geography CN     class urn:...:hs:850760
    label 2  PACK-DE  company urn:pcf:test:company:b   geography DE     class urn:...:hs:850760
    label 3  PACK-JS  company urn:pcf:test:company:a   geography CN-JS  revoked 2026-04-01 -> Deprecated

Each result: 960 kg CO2e per pack of which 900 before the gate (raw materials 600 + production 300),
reference period 2025, so the PACT validity window is [2026-01-01, 2029-01-01] and the label's
[2026-03-01, 2027-03-01) fits inside it.
"""

from __future__ import annotations

import base64
import json
import ssl
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest

import pact_specs as specs
from pcf.declaration import Declaration
from pcf.core.errors import PCFError
from pcf.serve.clients import Clients, add_client
from pcf.serve.host import FootprintSource, footprint_uuid
from pcf.serve.server import build_app, check_address
from pcf.registry import change_status, issue
from pcf.lca.result import ExchangeFacts
from tests.exchange_util import conforming_pack
from tests.registry_util import location
from tests.registry_util import new_registry, utc
from tests.serve_util import start

NOW = utc(2026, 6, 1)
PRODUCTS = {  # product id -> (company id, geography)
    "PACK-CN": ("urn:pcf:test:company:a", "CN"),
    "PACK-DE": ("urn:pcf:test:company:b", "DE"),
    "PACK-JS": ("urn:pcf:test:company:a", "CN-JS"),
}


def hosted_result(pid: str) -> dict:
    """The conforming pack (tests/exchange_util.py) with what PACT needs, as a result document."""
    company, geography = PRODUCTS[pid]
    exchange = ExchangeFacts(
        company={"name": f"Company {company[-1].upper()}", "ids": [company]},
        product_ids=(f"urn:pcf:test:product:{pid}",), classifications=("urn:pact:productclassification:hs:850760",),
        cpc="46420", description="", product_mass_kg=50.0, fossil_carbon_content_kg_c=10.0,
        packaging_included=False, reference_period={"start": "2025-01-01", "end": "2026-01-01"},
        geography=geography, study_url=None, verification=None)
    return conforming_pack(pid, exchange=exchange, ghg_by_stage=True)


@pytest.fixture(scope="module")
def registry(tmp_path_factory, registry_backend):
    folder = tmp_path_factory.mktemp("pact-host")
    store, key, _, _ = new_registry(folder, now=utc(2026, 1, 1))
    results = folder / "results"
    results.mkdir()
    numbers = {}
    for pid in PRODUCTS:
        declaration = Declaration.from_json(hosted_result(pid))
        (results / f"{pid}.result.json").write_text(json.dumps(declaration.to_json()), encoding="utf-8")
        numbers[pid] = issue(store, declaration, key, 365, None, now=utc(2026, 3, 1), render=False,
                             self_declared=True).number  # about serving, not verification (issue 15)
    change_status(store, numbers["PACK-JS"], "revoke", "test: supplier data withdrawn", key, now=utc(2026, 4, 1))
    store.close()
    clients_file = folder / "clients.json"
    secret = add_client(clients_file, "buyer-1")
    return {"db": location(folder), "results": results, "numbers": numbers, "clients": clients_file,
            "secret": secret, "folder": folder, "key": key}


@pytest.fixture(scope="module")
def api(registry):
    app = build_app(FootprintSource(registry["db"], registry["results"], clock=lambda: NOW),
                    Clients.load(registry["clients"]))
    server, thread, port = start(app)
    yield {"base": f"http://127.0.0.1:{port}", "app": app, **registry}
    server.should_exit = True
    thread.join(10)


def call(url: str, method: str = "GET", headers: dict | None = None, body: bytes | None = None, context=None):
    """One real HTTP request: (status, headers, parsed JSON or None)."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            status, head, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        status, head, raw = exc.code, exc.headers, exc.read()
    return status, head, (json.loads(raw) if raw else None)


def basic(client: str, secret: str) -> dict:
    token = base64.b64encode(f"{client}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}", "Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def bearer(api):
    status, _, body = call(api["base"] + "/auth/token", "POST", basic("buyer-1", api["secret"]),
                           b"grant_type=client_credentials")
    assert status == 200, body
    return {"Authorization": f"Bearer {body['access_token']}"}


def test_tc1_token_with_valid_credentials(api):
    status, head, body = call(api["base"] + "/auth/token", "POST", basic("buyer-1", api["secret"]),
                              b"grant_type=client_credentials")
    assert status == 200 and body["token_type"] == "bearer" and len(body["access_token"]) >= 32
    assert body["expires_in"] == 3600 and head["Cache-Control"] == "no-store"
    # RFC 6749 2.3.1: credentials in the form body work too
    form = urlencode({"grant_type": "client_credentials", "client_id": "buyer-1", "client_secret": api["secret"]})
    assert call(api["base"] + "/auth/token", "POST", {"Content-Type": "application/x-www-form-urlencoded"},
                form.encode())[0] == 200


@pytest.mark.parametrize("client, secret", [("buyer-1", "wrong"), ("nobody", "x"), ("", "")])
def test_tc2_token_with_invalid_credentials(api, client, secret):
    status, head, body = call(api["base"] + "/auth/token", "POST", basic(client, secret), b"grant_type=client_credentials")
    assert status in (400, 401) and body["error"] == "invalid_client"
    assert "access_token" not in body


def test_token_needs_the_client_credentials_grant(api):
    status, _, body = call(api["base"] + "/auth/token", "POST", basic("buyer-1", api["secret"]), b"grant_type=password")
    assert status == 400 and body["error"] == "unsupported_grant_type"


def test_tc3_get_footprint(api, bearer):
    fid = footprint_uuid(api["numbers"]["PACK-CN"])
    status, _, body = call(f"{api['base']}/3/footprints/{fid}", headers=bearer)
    assert status == 200
    doc = body["data"]
    assert specs.errors(specs.openapi_validator(specs.PACT_V3), doc) == []
    assert doc["id"] == fid and doc["status"] == "Active"
    # 900 kg CO2e before the gate per pack, 30 of distribution apart (the result's stages)
    assert float(doc["pcf"]["pcfExcludingBiogenicUptake"]) == pytest.approx(900.0)
    assert float(doc["pcf"]["outboundLogisticsGhgEmissions"]) == pytest.approx(30.0)
    assert (doc["validityPeriodStart"], doc["validityPeriodEnd"]) == ("2026-03-01T00:00:00Z", "2027-03-01T00:00:00Z")
    assert doc["pcf"]["verification"]["providerName"] == "cb-test"
    assert api["numbers"]["PACK-CN"] in doc["comment"]


def test_tc4_list_footprints(api, bearer):
    status, head, body = call(api["base"] + "/3/footprints", headers=bearer)
    assert status == 200 and "Link" not in head
    assert [d["id"] for d in body["data"]] == [footprint_uuid(api["numbers"][p]) for p in PRODUCTS]
    validator = specs.openapi_validator(specs.PACT_V3)
    assert all(specs.errors(validator, d) == [] for d in body["data"])
    assert [d["status"] for d in body["data"]] == ["Active", "Active", "Deprecated"]  # the third label is revoked


def test_tc5_pagination_link(api, bearer):
    status, head, body = call(api["base"] + "/3/footprints?limit=2", headers=bearer)
    assert status == 200 and len(body["data"]) == 2
    link = head["Link"]
    assert link.endswith('>; rel="next"') and link.startswith(f"<{api['base']}/3/footprints?")  # absolute, same host
    url = link[1:link.index(">")]
    for _ in range(2):  # a pagination link may be called more than once
        status, head2, page = call(url, headers=bearer)
        assert status == 200 and [d["id"] for d in page["data"]] == [footprint_uuid(api["numbers"]["PACK-JS"])]
        assert "Link" not in head2  # nothing after the last page
    # limit=0 is allowed (PACT v3 OpenAPI: minimum 0): no footprint, and a link to the same
    # offset with the host's page size (a limit=0 link would never advance)
    status, head, body = call(api["base"] + "/3/footprints?limit=0&offset=1", headers=bearer)
    assert status == 200 and body == {"data": []}
    assert head["Link"] == f'<{api["base"]}/3/footprints?offset=1>; rel="next"'
    status, _, body = call(head["Link"][1:head["Link"].index(">")], headers=bearer)
    assert [d["id"] for d in body["data"]] == [footprint_uuid(api["numbers"][p]) for p in ("PACK-DE", "PACK-JS")]


@pytest.mark.parametrize("path", ["/3/footprints", "/3/footprints/" + "0" * 8 + "-0000-4000-8000-" + "0" * 12,
                                  "/2/footprints"])
def test_tc6_tc7_invalid_token(api, path):
    status, _, body = call(api["base"] + path, headers={"Authorization": "Bearer invalid-access-token"})
    assert status == 400 and body == {"code": "BadRequest", "message": "Invalid token provided"}
    status, _, body = call(api["base"] + path)  # no Authorization at all
    assert status == 403 and body["code"] == "AccessDenied"


def test_tc8_get_footprint_with_non_existent_id(api, bearer):
    status, _, body = call(api["base"] + "/3/footprints/non-existent-id", headers=bearer)
    assert status == 404 and body["code"] == "NotFound"
    # v2 names the error NoSuchFootprint (v2 Tech Specs error codes; harness v2 TC8)
    status, _, body = call(api["base"] + "/2/footprints/00000000-0000-0000-0000-000000000000", headers=bearer)
    assert status == 404 and body["code"] == "NoSuchFootprint"


def test_expired_token(registry):
    """A token is refused once its lifetime has passed on the server's clock (no sleeping)."""
    now = [1_780_000_000.0]  # seconds since 1970 (2026-05-28)
    app = build_app(FootprintSource(registry["db"], registry["results"], clock=lambda: NOW),
                    Clients.load(registry["clients"]), token_ttl=60, clock=lambda: now[0])
    server, thread, port = start(app)
    try:
        base = f"http://127.0.0.1:{port}"
        token = call(base + "/auth/token", "POST", basic("buyer-1", registry["secret"]), b"grant_type=client_credentials")[2]
        assert token["expires_in"] == 60
        bearer = {"Authorization": f"Bearer {token['access_token']}"}
        now[0] += 59.9
        assert call(base + "/3/footprints", headers=bearer)[0] == 200
        now[0] += 0.2
        status, _, body = call(base + "/3/footprints", headers=bearer)
        assert status == 401 and body["code"] == "TokenExpired"
    finally:
        server.should_exit = True
        thread.join(10)


EVENTS = {
    "TC12": {"specversion": "1.0", "id": "e1", "source": "https://webhook.example.com", "time": "2023-05-19T10:30:00Z",
             "type": "org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3",
             "data": {"productId": ["urn:gtin:1234567890123"], "comment": "Please send PCF data for this year."}},
    "TC13": {"specversion": "1.0", "id": "e2", "source": "https://webhook.example.com", "time": "2023-05-19T11:00:00Z",
             "type": "org.wbcsd.pact.ProductFootprint.RequestFulfilledEvent.3",
             "data": {"requestEventId": "e1", "pfs": []}},
    "TC14": {"specversion": "1.0", "id": "e3", "source": "https://webhook.example.com", "time": "2023-05-19T11:00:00Z",
             "type": "org.wbcsd.pact.ProductFootprint.RequestRejectedEvent.3",
             "data": {"requestEventId": "e1", "error": {"code": "NotFound", "message": "not found"}}},
    "TC15": {"specversion": "1.0", "id": "e4", "source": "https://webhook.example.com", "time": "2023-05-19T11:30:00Z",
             "type": "org.wbcsd.pact.ProductFootprint.PublishedEvent.3",
             "data": {"pfIds": ["3a6c14a7-4deb-498a-b5ea-16ce2535b576"]}},
}


@pytest.mark.parametrize("case", ["TC13", "TC14", "TC15"])
def test_tc13_to_tc15_events_are_accepted_and_kept(api, bearer, case):
    headers = {**bearer, "Content-Type": "application/cloudevents+json; charset=UTF-8"}
    status, _, body = call(api["base"] + "/3/events", "POST", headers, json.dumps(EVENTS[case]).encode())
    assert status == 200 and body is None  # accepted, empty body
    kept = api["app"].state.inbox.stored(limit=1)[0]  # in the registry (pcf.serve.events)
    assert (kept.event_id, kept.client_id, kept.api, kept.answer) == (EVENTS[case]["id"], "buyer-1", "v3", None)
    assert json.loads(kept.body) == EVENTS[case]


def test_tc12_a_request_from_a_client_without_a_requester_host_is_refused(api, bearer):
    """The host answers requests only at the requester host configured for the client (PACT v3:
    it "MUST validate the value of source"); buyer-1 has none, so the request gets 400 at once
    (tests/test_pact_events.py has the answered requests)."""
    headers = {**bearer, "Content-Type": "application/cloudevents+json; charset=UTF-8"}
    status, _, body = call(api["base"] + "/3/events", "POST", headers, json.dumps(EVENTS["TC12"]).encode())
    assert status == 400 and body["code"] == "BadRequest" and "'buyer-1'" in body["message"]


def test_tc16_events_with_invalid_token_and_invalid_events(api, bearer):
    headers = {"Authorization": "Bearer invalid-access-token", "Content-Type": "application/cloudevents+json"}
    status, _, body = call(api["base"] + "/3/events", "POST", headers, json.dumps(EVENTS["TC15"]).encode())
    assert status == 400 and body["code"] == "BadRequest"
    bad = dict(EVENTS["TC15"], type="org.example.Unknown")
    status, _, body = call(api["base"] + "/3/events", "POST", {**bearer, "Content-Type": "application/json"},
                           json.dumps(bad).encode())
    assert status == 400 and "unknown event type" in body["message"]
    status, _, _ = call(api["base"] + "/3/events", "POST", bearer, b"not json")
    assert status == 400
    # TC40: a published event whose pfIds are not footprint ids (UUIDs) is malformed
    bad = {**EVENTS["TC15"], "id": "e40", "data": {"pfIds": ["urn:gtin:4712345060507"]}}
    status, _, body = call(api["base"] + "/3/events", "POST", {**bearer, "Content-Type": "application/json"},
                           json.dumps(bad).encode())
    assert status == 400 and body["code"] == "BadRequest" and "UUID" in body["message"]


FILTERS = [  # (TC, query, products expected)
    ("TC20", {"productId": "urn:pcf:test:product:PACK-CN"}, ["PACK-CN"]),
    ("TC21", {"companyId": "URN:PCF:TEST:COMPANY:B"}, ["PACK-DE"]),  # case-insensitive
    ("TC22", {"geography": "DE"}, ["PACK-DE"]),
    ("TC22", {"geography": "CN"}, ["PACK-CN", "PACK-JS"]),  # CN-JS lies within CN
    ("TC23", {"classification": "urn:pact:productclassification:un-cpc:46420"}, list(PRODUCTS)),
    ("TC24", {"validOn": "2026-06-01T00:00:00Z"}, list(PRODUCTS)),
    ("TC25", {"validAfter": "2026-02-01T00:00:00Z"}, list(PRODUCTS)),
    ("TC26", {"validBefore": "2028-01-01T00:00:00Z"}, list(PRODUCTS)),
    ("TC27", {"status": "Active"}, ["PACK-CN", "PACK-DE"]),
    ("TC27", {"status": "deprecated"}, ["PACK-JS"]),
    ("TC28", {"status": "Active", "productId": "urn:pcf:test:product:PACK-CN"}, ["PACK-CN"]),
    ("TC30", {"productId": "urn:bogus:product:nonexistent123"}, []),
    ("TC31", {"companyId": "urn:bogus:company:nonexistent456"}, []),
    ("TC32", {"geography": "XX"}, []),
    ("TC33", {"classification": "urn:bogus:classification:nonexistent789"}, []),
    ("TC34", {"validOn": "1900-01-01T00:00:00Z"}, []),
    ("TC35", {"validAfter": "2099-12-31T23:59:59Z"}, []),
    ("TC36", {"validBefore": "1900-01-01T00:00:00Z"}, []),
    ("TC37", {"status": "BogusStatusValue"}, []),
]


@pytest.mark.parametrize("case, query, expected", FILTERS)
def test_tc20_to_tc37_filters(api, bearer, case, query, expected):
    status, _, body = call(f"{api['base']}/3/footprints?{urlencode(query)}", headers=bearer)
    assert status == 200
    assert [d["id"] for d in body["data"]] == [footprint_uuid(api["numbers"][p]) for p in expected]


def test_tc29_several_values_of_one_criterion_are_or(api, bearer):
    query = [("companyId", "urn:pcf:test:company:b"), ("companyId", "urn:uuid:other-company"),
             ("geography", "DE"), ("geography", "FR")]
    status, _, body = call(f"{api['base']}/3/footprints?{urlencode(query)}", headers=bearer)
    assert status == 200 and [d["id"] for d in body["data"]] == [footprint_uuid(api["numbers"]["PACK-DE"])]
    status, _, body = call(f"{api['base']}/3/footprints?validOn=yesterday", headers=bearer)
    assert status == 400


def test_v2_endpoint_serves_valid_v2_footprints(api, bearer):
    status, _, body = call(api["base"] + "/2/footprints", headers=bearer)
    assert status == 200 and len(body["data"]) == 3
    validator = specs.openapi_validator(specs.PACT_V2)
    assert all(specs.errors(validator, d) == [] for d in body["data"])
    assert float(body["data"][0]["pcf"]["pCfExcludingBiogenic"]) == pytest.approx(900.0 / 50)  # per kg of a 50 kg pack
    status, _, body = call(api["base"] + "/2/footprints?%24filter=productIds%2Fany", headers=bearer)
    assert status == 400 and body["code"] == "NotImplemented"


def test_the_registry_is_read_live(api, bearer):
    """Suspending a label in the registry shows at the next request (read-only host, no cache of status)."""
    from pcf.registry import open_store

    number = api["numbers"]["PACK-DE"]
    fid = footprint_uuid(number)
    store = open_store(api["db"])
    try:
        change_status(store, number, "suspend", "test: audit", api["key"], now=utc(2026, 5, 1))
        assert call(f"{api['base']}/3/footprints/{fid}", headers=bearer)[2]["data"]["status"] == "Deprecated"
        change_status(store, number, "reinstate", "test: audit closed", api["key"], now=utc(2026, 5, 2))
        assert call(f"{api['base']}/3/footprints/{fid}", headers=bearer)[2]["data"]["status"] == "Active"
    finally:
        store.close()


def test_a_label_without_its_result_is_not_served(registry, tmp_path):
    source = FootprintSource(registry["db"], tmp_path, clock=lambda: NOW)  # an empty results folder
    served = source.footprints()
    assert len(served) == 3 and all(f.v3 is None and "result_sha256" in f.problem for f in served)


def test_tc9_to_tc11_tls_and_no_plain_http(registry, tmp_path):
    """HTTPS with a self-signed certificate: the API answers over TLS; plain HTTP to the same port
    gets no data (the TLS handshake fails)."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    start_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start_at)
            .not_valid_after(start_at + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    app = build_app(FootprintSource(registry["db"], registry["results"], clock=lambda: NOW),
                    Clients.load(registry["clients"]))
    server, thread, port = start(app, ssl_certfile=str(cert_file), ssl_keyfile=str(key_file))
    try:
        context = ssl.create_default_context(cafile=str(cert_file))
        status, _, body = call(f"https://localhost:{port}/auth/token", "POST", basic("buyer-1", registry["secret"]),
                               b"grant_type=client_credentials", context=context)
        assert status == 200
        status, _, listed = call(f"https://localhost:{port}/3/footprints",
                                 headers={"Authorization": f"Bearer {body['access_token']}"}, context=context)
        assert status == 200 and len(listed["data"]) == 3
        with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
            call(f"http://127.0.0.1:{port}/auth/token", "POST", basic("buyer-1", registry["secret"]),
                 b"grant_type=client_credentials")
    finally:
        server.should_exit = True
        thread.join(10)


def test_plain_http_only_on_loopback():
    check_address("127.0.0.1", tls=False)
    check_address("::1", tls=False)
    check_address("localhost", tls=False)
    check_address("0.0.0.0", tls=True)
    with pytest.raises(PCFError, match="HTTPS"):
        check_address("0.0.0.0", tls=False)
    with pytest.raises(PCFError, match="HTTPS"):
        check_address("192.0.2.10", tls=False)


def test_clients_file_keeps_only_a_hash(tmp_path):
    path = tmp_path / "clients.json"
    secret = add_client(path, "buyer-2")
    text = path.read_text()
    assert secret not in text and "buyer-2" in text
    assert (path.stat().st_mode & 0o777) == 0o600
    clients = Clients.load(path)
    assert clients.check("buyer-2", secret) and not clients.check("buyer-2", secret + "x")
    assert not clients.check("buyer-3", secret)
    with pytest.raises(PCFError, match="client id"):
        add_client(path, "bad id with spaces")


def test_cli_api_client_and_serve_help(tmp_path):
    from typer.testing import CliRunner

    import cli

    run = CliRunner().invoke(cli.app, ["api-client", "buyer-9", "--clients", str(tmp_path / "c.json")])
    assert run.exit_code == 0
    secret = run.stdout.strip().splitlines()[0]
    assert Clients.load(tmp_path / "c.json").check("buyer-9", secret)
    for command in ("serve", "api-client"):
        assert "Example: pcf " + command in CliRunner().invoke(cli.app, [command, "--help"]).output
    run = CliRunner().invoke(cli.app, ["serve", "--results", str(tmp_path), "--clients", str(tmp_path / "c.json"),
                                       "--host", "0.0.0.0"])
    assert run.exit_code == 2 and "HTTPS" in run.output


def test_the_pv_example_from_footprint_to_pact_api(open_default, tmp_path):
    """The whole path on a real result: pcf footprint (PV example) -> pcf issue -> pcf serve -> GetFootprint.
    The served figure is the result's cradle-to-gate footprint (the example is cradle-to-gate:
    every stage), per module."""
    from pcf.api import run_footprint
    from test_examples import PV

    results = tmp_path / "out"
    declaration = run_footprint(PV, results).declaration
    store, key, _, _ = new_registry(tmp_path)
    number = issue(store, declaration, key, 365, None, render=False, self_declared=True).number
    store.close()
    add = add_client(tmp_path / "clients.json", "buyer")
    app = build_app(FootprintSource(location(tmp_path), results), Clients.load(tmp_path / "clients.json"))
    server, thread, port = start(app)
    try:
        base = f"http://127.0.0.1:{port}"
        token = call(base + "/auth/token", "POST", basic("buyer", add), b"grant_type=client_credentials")[2]["access_token"]
        status, _, body = call(f"{base}/3/footprints/{footprint_uuid(number)}", headers={"Authorization": f"Bearer {token}"})
        assert status == 200
        doc = body["data"]
        assert specs.errors(specs.openapi_validator(specs.PACT_V3), doc) == []
        assert doc["status"] == "Active" and doc["productIds"] == ["urn:pact:example.com:supplier-id:SKU-PV-MONO-CN"]
        assert float(doc["pcf"]["pcfExcludingBiogenicUptake"]) == pytest.approx(
            declaration.result.totals.excluding_biogenic, rel=1e-9)
    finally:
        server.should_exit = True
        thread.join(10)


def test_serve_refuses_a_missing_registry_and_a_missing_folder(registry, tmp_path):
    from pcf.serve.server import serve

    with pytest.raises(PCFError, match="no registry"):
        serve(tmp_path / "none.db", registry["results"], registry["clients"], port=0)
    with pytest.raises(PCFError, match="no such file"):
        serve(registry["db"], tmp_path / "missing", registry["clients"], port=0)
    app = build_app(FootprintSource(tmp_path / "none.db", registry["results"]), Clients.load(registry["clients"]))
    server, thread, port = start(app)
    try:  # tokens live in the registry too: a missing one is a 500 with the error body, never a traceback
        base = f"http://127.0.0.1:{port}"
        status, _, body = call(base + "/auth/token", "POST", basic("buyer-1", registry["secret"]),
                               b"grant_type=client_credentials")
        assert status == 500 and body["error"] == "server_error" and "registry" in body["error_description"]
        status, _, body = call(base + "/3/footprints", headers={"Authorization": "Bearer some-token"})
        assert status == 500 and body["code"] == "InternalError" and "registry" in body["message"]
    finally:
        server.should_exit = True
        thread.join(10)
