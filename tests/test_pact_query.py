"""The PACT host's document cache, filters and pages in SQL (issue 16 part 2), over real HTTP,
on both registry back ends (SQLite and a real PostgreSQL server, tests/conftest.py).

Registry: 120 self-declared labels, label ``i`` (0..119) for its own result of the conforming
pack (tests/exchange_util.py: 900 kg CO2e before the gate, reference period 2025) as product
``P<iii>``, in label order ``i``:

* company ``urn:pcf:test:company:a`` for even ``i``, ``...:b`` for odd ``i``;
* geography ``CN``, ``DE``, ``CN-JS`` for ``i % 3`` = 0, 1, 2;
* ``i < 20``: issued 2026-01-15 for 60 days, so valid [2026-01-15, 2026-03-16): expired at the
  server's clock (2026-06-01), PACT validity period [2026-01-15, 2026-03-16];
* ``i >= 20``: issued 2026-03-01 for 365 days, period [2026-03-01, 2027-03-01];
* revoked 2026-04-01: ``i >= 20`` with ``i % 10 == 9`` (29, 39, ..., 119: 10 labels);
  suspended 2026-05-01: ``i = 24``.

Worked by hand: Active = the 100 labels ``i >= 20`` less 10 revoked less 1 suspended = 89;
Deprecated = 20 expired + 10 + 1 = 31. ``geography=DE``: 40 (``i % 3 == 1``). Active in DE:
``i >= 20`` with ``i % 3 == 1`` is 22, 25, ..., 118 = 33 labels, less the revoked ones among them
(``i % 3 == 1`` and ``i % 10 == 9``: ``i % 30 == 19``, i.e. 49, 79, 109) = 30 (24 is not in DE).
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from pcf.declaration import Declaration
from pcf.lca.result import ExchangeFacts
from pcf.registry import change_status, issue, open_store
from pcf.serve.clients import Clients, add_client
from pcf.serve.host import FootprintSource, footprint_uuid
from pcf.serve.query import matches
from pcf.serve.server import build_app
from tests.exchange_util import conforming_pack
from tests.registry_util import location, new_registry, utc
from tests.serve_util import start

NOW = utc(2026, 6, 1)
N = 120
GEOGRAPHY = ("CN", "DE", "CN-JS")
REVOKED = [i for i in range(20, N) if i % 10 == 9]
SUSPENDED = 24


def pack(i: int, **changes) -> Declaration:
    """The conforming pack as the result of product ``P<iii>`` (module docstring)."""
    company = "urn:pcf:test:company:" + ("a" if i % 2 == 0 else "b")
    fields = dict(company={"name": f"Company {company[-1].upper()}", "ids": [company]},
                  product_ids=(f"urn:pcf:test:product:P{i:03d}",),
                  classifications=("urn:pact:productclassification:hs:850760",), cpc="46420", description="",
                  product_mass_kg=50.0, fossil_carbon_content_kg_c=10.0, packaging_included=False,
                  reference_period={"start": "2025-01-01", "end": "2026-01-01"}, geography=GEOGRAPHY[i % 3],
                  study_url=None, verification=None)
    fields.update(changes)
    return Declaration.from_json(conforming_pack(f"P{i:03d}", exchange=ExchangeFacts(**fields), ghg_by_stage=True))


def _registry(folder):
    """A new registry in ``folder`` (created 2026-01-01, no case), its key and an empty
    ``results`` folder beside it."""
    store, key, _, _ = new_registry(folder, now=utc(2026, 1, 1), case=False)
    results = folder / "results"
    results.mkdir()
    return store, key, results


def _publish(store, key, results, declaration: Declaration, name: str, now=utc(2026, 3, 1), days: int = 365) -> str:
    """Write ``results/<name>.result.json`` and issue the self-declared label of
    ``declaration`` valid ``days`` from ``now``; its number."""
    (results / f"{name}.result.json").write_text(json.dumps(declaration.to_json()), encoding="utf-8")
    return issue(store, declaration, key, days, None, now=now, render=False, self_declared=True).number


@pytest.fixture(scope="module")
def many(tmp_path_factory, registry_backend):
    folder = tmp_path_factory.mktemp("pact-many")
    store, key, results = _registry(folder)
    numbers = []
    for i in range(N):
        when, days = (utc(2026, 1, 15), 60) if i < 20 else (utc(2026, 3, 1), 365)
        numbers.append(_publish(store, key, results, pack(i), f"P{i:03d}", now=when, days=days))
    for i in REVOKED:
        change_status(store, numbers[i], "revoke", "test: withdrawn", key, now=utc(2026, 4, 1))
    change_status(store, numbers[SUSPENDED], "suspend", "test: audit", key, now=utc(2026, 5, 1))
    store.close()
    secret = add_client(folder / "clients.json", "buyer-1")
    return {"db": location(folder), "results": results, "numbers": numbers, "key": key, "folder": folder,
            "clients": folder / "clients.json", "secret": secret}


def call(url: str, headers: dict | None = None, method: str = "GET", body: bytes | None = None):
    """One real HTTP request: (status, headers, parsed JSON or None)."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, head, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        status, head, raw = exc.code, exc.headers, exc.read()
    return status, head, (json.loads(raw) if raw else None)


@pytest.fixture(scope="module")
def api(many):
    source = FootprintSource(many["db"], many["results"], clock=lambda: NOW)
    server, thread, port = start(build_app(source, Clients.load(many["clients"])))
    base = f"http://127.0.0.1:{port}"
    import base64

    basic = base64.b64encode(f"buyer-1:{many['secret']}".encode()).decode()
    token = call(base + "/auth/token", {"Authorization": f"Basic {basic}",
                                        "Content-Type": "application/x-www-form-urlencoded"},
                 "POST", b"grant_type=client_credentials")[2]["access_token"]
    yield {**many, "base": base, "auth": {"Authorization": f"Bearer {token}"}, "source": source}
    server.should_exit = True
    thread.join(10)
    source.close()


def ids(many, indexes) -> list[str]:
    return [footprint_uuid(many["numbers"][i]) for i in indexes]


def walk(api, path: str) -> list[list[str]]:
    """Follow the ``Link: rel="next"`` headers from ``path``: the ids of each page."""
    pages, url = [], api["base"] + path
    while url:
        status, head, body = call(url, api["auth"])
        assert status == 200, body
        pages.append([d["id"] for d in body["data"]])
        link = head.get("Link")
        url = link[1:link.index(">")] if link else None
        assert len(pages) < 50
    return pages


def test_pages_over_many_labels(api):
    everything = ids(api, range(N))
    assert walk(api, "/3/footprints") == [everything[:100], everything[100:]]  # at most 100 per page
    assert walk(api, "/3/footprints?limit=50") == [everything[:50], everything[50:100], everything[100:]]
    assert walk(api, "/3/footprints?limit=500") == [everything[:100], everything[100:]]
    assert walk(api, "/3/footprints?limit=1&offset=119") == [everything[119:]]  # the last one: no Link
    status, head, body = call(api["base"] + "/3/footprints?limit=1&offset=118", api["auth"])
    assert [d["id"] for d in body["data"]] == everything[118:119] and "offset=119" in head["Link"]
    status, head, body = call(api["base"] + "/3/footprints?offset=120", api["auth"])
    assert status == 200 and body["data"] == [] and "Link" not in head
    status, _, body = call(api["base"] + "/3/footprints?offset=" + "9" * 30, api["auth"])
    assert status == 200 and body["data"] == []
    # a filtered listing pages over the matches only: 31 deprecated = 20 expired, 24, then 29, 39, ..., 119
    deprecated = ids(api, [*range(20), SUSPENDED, *REVOKED])
    pages = walk(api, "/3/footprints?status=Deprecated&limit=10")
    assert [len(p) for p in pages] == [10, 10, 10, 1] and sum(pages, []) == deprecated


HAND = [  # (query, label indexes expected, worked out in the module docstring)
    ({"status": "Active"}, [i for i in range(20, N) if i % 10 != 9 and i != SUSPENDED]),
    ({"geography": "de"}, [i for i in range(N) if i % 3 == 1]),
    ({"geography": "CN"}, [i for i in range(N) if i % 3 != 1]),  # CN-JS lies within CN
    ({"geography": "CN-JS"}, [i for i in range(N) if i % 3 == 2]),
    ({"status": "Active", "geography": "DE"}, [i for i in range(22, N, 3) if i % 30 != 19]),
    ({"companyId": "URN:PCF:TEST:COMPANY:B", "validOn": "2026-02-01T00:00:00Z"}, list(range(1, 20, 2))),
    ({"productId": ["urn:pcf:test:product:P100", "urn:pcf:test:product:P005"]}, [5, 100]),
    ({"classification": "urn:pact:productclassification:hs:850760"}, list(range(N))),
    ({"validOn": "2026-02-01T00:00:00Z"}, list(range(20))),
    ({"validOn": "2026-03-16T00:00:00Z"}, list(range(N))),  # the expired periods' last instant (ends included)
    ({"validOn": "2026-03-16T01:00:00+01:00"}, list(range(N))),  # the same instant
    ({"validOn": "2026-03-16T00:00:01Z"}, list(range(20, N))),
    ({"validBefore": "2026-03-16T00:00:00Z"}, []),  # end < t: not the end itself
    ({"validBefore": "2026-04-01T00:00:00Z"}, list(range(20))),
    ({"validAfter": "2026-02-01T00:00:00Z"}, list(range(20, N))),
    ({"validAfter": ["2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"]}, []),  # each date criterion must hold
    ({"validOn": "2026-06-01", "validBefore": "2027-03-02T00:00:00Z", "status": "deprecated"},
     [SUSPENDED, *REVOKED]),
    ({"status": ["Active", "Deprecated"]}, list(range(N))),
    ({"status": "Expired"}, []),
]


@pytest.mark.parametrize("query, expected", HAND)
def test_filters_worked_out_by_hand(api, query, expected):
    status, _, body = call(f"{api['base']}/3/footprints?{urlencode(query, doseq=True)}", api["auth"])
    assert status == 200
    assert [d["id"] for d in body["data"]] == ids(api, expected)[:100]


def test_cached_documents_equal_documents_made_afresh(api):
    """Every served document, listed or got by id, v3 and v2, equals the one made afresh from the
    registry and the result (FootprintSource.footprints), and every filter of the table above and
    a few more selects what the in-memory rule (pcf.serve.query.matches) selects."""
    fresh = api["source"].footprints()
    assert len(fresh) == N and all(f.v3 and f.v2 for f in fresh)
    for version in ("v3", "v2"):
        prefix = "/3" if version == "v3" else "/2"
        listed = sum(([d for d in page] for page in _pages(api, prefix + "/footprints")), [])
        assert listed == [getattr(f, version) for f in fresh]
        for f in fresh[::7]:
            assert call(f"{api['base']}{prefix}/footprints/{f.id.upper()}", api["auth"])[2]["data"] == getattr(f, version)
        extra = [{"geography": ["Europe", "de"]}, {"companyId": "urn:pcf:test:company:a", "status": "Active"},
                 {"classification": "urn:pact:productclassification:un-cpc:46420"}, {"geography": "cn-js"}]
        for query in [q for q, _ in HAND] + extra:
            criteria = {k.lower(): (v if isinstance(v, list) else [v]) for k, v in query.items()}
            want = [getattr(f, version)["id"] for f in fresh if matches(getattr(f, version), criteria)]
            got = sum(_pages(api, f"{prefix}/footprints?{urlencode(query, doseq=True)}"), [])
            assert [d["id"] for d in got] == want, (version, query)


def _pages(api, path: str) -> list[list[dict]]:
    pages, url = [], api["base"] + path
    while url:
        _, head, body = call(url, api["auth"])
        pages.append(body["data"])
        link = head.get("Link")
        url = link[1:link.index(">")] if link else None
    return pages


def test_each_label_is_exported_once(many):
    """The documents are kept in the registry: a second source (another server process, a restart)
    exports nothing again; another exporter version (a new pcf) exports every label once more."""
    first = FootprintSource(many["db"], many["results"], clock=lambda: NOW)
    first.prepare()
    again = FootprintSource(many["db"], many["results"], clock=lambda: NOW)
    try:
        assert again.prepare() == 0
        body, more = again.page("v3", {}, 5)
        assert more and len(json.loads(body)["data"]) == 5
        again.exporter = "pcf test-next-version"
        assert again.prepare() == N and again.prepare() == 0
        assert json.loads(again.page("v3", {}, 5)[0]) == json.loads(body)
    finally:
        first.close()
        again.close()
    with open_store(many["db"]) as store, store.read() as tx:
        rows = tx.run("SELECT exporter, COUNT(*) AS n FROM pact_documents GROUP BY exporter ORDER BY exporter").fetchall()
    assert sorted(r["n"] for r in rows) == [2 * N, 2 * N]  # v3 and v2 per label, per exporter


def test_status_changes_and_new_labels_show_at_the_next_request(tmp_path):
    """Never stale: a suspension, a reinstatement and a label issued while the server runs show
    in the served documents at once; a label whose result file appears later is served then."""
    store, key, results = _registry(tmp_path)
    numbers = [_publish(store, key, results, pack(i), f"P{i}") for i in range(3)]
    source = FootprintSource(location(tmp_path), results, clock=lambda: NOW, retry_s=0)
    try:
        def listed(**criteria):
            body, _ = source.page("v3", {k: [v] for k, v in criteria.items()}, 100)
            return [(d["id"], d["status"]) for d in json.loads(body)["data"]]

        assert listed(status="active") == [(footprint_uuid(n), "Active") for n in numbers]
        change_status(store, numbers[1], "suspend", "test: audit", key, now=utc(2026, 5, 1))
        assert listed(status="deprecated") == [(footprint_uuid(numbers[1]), "Deprecated")]
        served = json.loads(source.document("v3", footprint_uuid(numbers[1])))["data"]
        assert served["status"] == "Deprecated" and served["comment"].endswith("status suspended.")
        change_status(store, numbers[1], "reinstate", "test: audit closed", key, now=utc(2026, 5, 2))
        assert listed(status="deprecated") == []
        late = pack(3)  # issued while serving; its result file comes later
        numbers.append(issue(store, late, key, 365, None, now=utc(2026, 5, 3), render=False, self_declared=True).number)
        assert len(listed()) == 3 and source.document("v3", footprint_uuid(numbers[3])) is None
        (results / "P3.result.json").write_text(json.dumps(late.to_json()), encoding="utf-8")
        assert listed()[-1] == (footprint_uuid(numbers[3]), "Active")
    finally:
        source.close()
        store.close()


def test_a_result_the_exporter_refuses_is_not_served_and_not_retried(tmp_path):
    """A result without the company PACT needs: the exporter's refusal is kept (no document in
    either version), and the label is not exported again at every request."""
    store, key, results = _registry(tmp_path)
    for i, changes in enumerate(({}, {"company": None})):
        _publish(store, key, results, pack(i, **changes), f"P{i}")
    store.close()
    source = FootprintSource(location(tmp_path), results, clock=lambda: NOW)
    try:
        assert source.prepare() == 2 and source.prepare() == 0
        for version in ("v3", "v2"):
            body, more = source.page(version, {}, 100)
            assert [d["productIds"] for d in json.loads(body)["data"]] == [["urn:pcf:test:product:P000"]]
        fresh = source.footprints()
        assert fresh[1].v3 is None and fresh[1].v2 is None and "company" in fresh[1].problem
        with open_store(location(tmp_path)) as store2, store2.read() as tx:
            problems = [r["problem"] for r in tx.run("SELECT problem FROM pact_documents WHERE problem IS NOT NULL")]
        assert len(problems) == 2 and all("company" in p for p in problems)
    finally:
        source.close()


def test_the_cache_tables_are_added_to_an_older_registry(tmp_path):
    """A registry made before the cache (no pact_* tables) gains them when opened, and serves."""
    store, key, results = _registry(tmp_path)
    number = _publish(store, key, results, pack(0), "P0")
    with store.write() as tx:
        for statement in ("DROP TABLE pact_documents", "DROP TABLE pact_terms", "DROP INDEX labels_pact"):
            tx.run(statement)
    store.close()
    source = FootprintSource(location(tmp_path), results, clock=lambda: NOW)
    try:
        assert json.loads(source.document("v2", footprint_uuid(number)))["data"]["id"] == footprint_uuid(number)
    finally:
        source.close()


def test_an_exported_label_stays_served_without_its_result_file(tmp_path):
    """The documents are the signed result's: once exported they do not depend on the file
    (docs/exchange.md); a fresh source (a restart) serves them from the registry too."""
    store, key, results = _registry(tmp_path)
    number = _publish(store, key, results, pack(7), "P7")
    store.close()
    first = FootprintSource(location(tmp_path), results, clock=lambda: NOW)
    try:
        assert first.prepare() == 1
    finally:
        first.close()
    (results / "P7.result.json").unlink()
    again = FootprintSource(location(tmp_path), results, clock=lambda: NOW)
    try:
        doc = json.loads(again.document("v3", footprint_uuid(number)))["data"]
        assert doc["productIds"] == ["urn:pcf:test:product:P007"] and doc["status"] == "Active"
        assert again.footprints()[0].v3 is None  # made afresh, it would need the file
    finally:
        again.close()
