"""Live verification pages (issue 15 part 8): ``pcf serve`` answers the QR code's URL from the registry
at request time; ``pcf registry publish`` says "status as of".

The registry's URL is ``http://127.0.0.1:<port>/labels``, so every label's QR code holds
``http://127.0.0.1:<port>/labels/<number>.html``; a real ``pcf serve`` process listens on that
port (pages only: no --results / --clients). Labels, issued relative to the real clock (the
served status uses the server's clock):

    valid      issued yesterday for 730 days
    revoked    issued yesterday, revoked with REASON
    hostile    issued yesterday, revoked with an HTML-injection reason (HOSTILE_REASON)
    suspended  issued yesterday, suspended with SECRET (suspension reasons are not shown)
    expired    issued 60 days ago for 30 days: valid_until 30 days ago, so expired now
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from markupsafe import escape

from pcf.registry import change_status, init_registry
from pcf.registry.declaration import iso, utc_now
from pcf.registry.store import EventRecord
from pcf.serve.publish import count_text, publish
from pcf.serve.status import label_state
from tests.registry_util import location, raw_db
from tests.registry_util import make_declaration, new_registry, root_of, utc
from tests.registry_util import verified_issue as issue  # after a signed case (issue 15)
from tests.serve_util import start
from tests.test_registry_publish import Elements, chromium_dom

REASON = "cell supplier data found wrong in audit 2026-11"
HOSTILE_REASON = '<script>alert(1)</script><img src=x onerror="alert(2)"> & "quoted" </span></div>'
SECRET = "supplier Zhang San under investigation"
PCF = Path(sys.executable).with_name("pcf")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory, registry_backend):
    tmp = tmp_path_factory.mktemp("live")
    port = free_port()
    now = utc_now()
    store, key, _, _ = new_registry(tmp, now=now - timedelta(days=100))
    init_registry(store, url=f"http://127.0.0.1:{port}/labels", root_key=root_of(store), now=now - timedelta(days=100))
    yesterday = now - timedelta(days=1)
    labels = {
        "valid": issue(store, make_declaration(), key, 730, None, now=yesterday, render=False),
        "revoked": issue(store, make_declaration(id="REVOKED-PACK"), key, 730, None, now=yesterday, render=False),
        "hostile": issue(store, make_declaration(id="HOSTILE-PACK"), key, 730, None, now=yesterday, render=False),
        "suspended": issue(store, make_declaration(id="SUSPENDED-PACK"), key, 730, None, now=yesterday, render=False),
        "expired": issue(store, make_declaration(id="SHORT-PACK"), key, 30, None, now=now - timedelta(days=60),
                         render=False),
    }
    change_status(store, labels["revoked"].number, "revoke", REASON, key, now=now - timedelta(hours=2))
    change_status(store, labels["hostile"].number, "revoke", HOSTILE_REASON, key, now=now - timedelta(hours=2))
    change_status(store, labels["suspended"].number, "suspend", SECRET, key, now=now - timedelta(hours=2))
    store.close()
    env = {**os.environ, "PCF_HOME": str(tmp / "home")}
    process = subprocess.Popen([str(PCF), "serve", "--registry", location(tmp), "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)
    try:
        for _ in range(300):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                assert process.poll() is None, process.stdout.read()
                time.sleep(0.1)
        else:
            pytest.fail("pcf serve did not start listening")
        yield {"tmp": tmp, "key": key, "port": port, "labels": labels, "db": location(tmp), "process": process,
               "base": f"http://127.0.0.1:{port}/labels"}
    finally:
        process.terminate()
        output = process.communicate(timeout=20)[0]
    assert "Traceback" not in output, output


def get(url: str) -> tuple[int, object, str]:
    """One real HTTP GET: (status, headers, body text)."""
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            return response.status, response.headers, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode("utf-8")


def page(served, name: str) -> Elements:
    status, headers, body = get(served["labels"][name].qr)
    assert status == 200, body
    assert headers["Cache-Control"] == "no-store" and "default-src 'none'" in headers["Content-Security-Policy"]
    return Elements(body)


def test_the_qr_code_url_is_the_live_page(served):
    issued = served["labels"]["valid"]
    assert issued.qr == f"{served['base']}/{issued.number}.html"  # what the label's QR code holds
    dom = page(served, "valid")
    status = dom.by_id["status"]
    assert status["attrs"]["data-status"] == "valid" and "VALID" in status["text"] and "有效" in status["text"]
    assert dom.by_id["number"]["text"].strip() == issued.number
    assert "Live status at" in dom.by_id["as-of"]["text"]
    assert "status-reason" not in dom.by_id and "superseded-by" not in dom.by_id


def test_revoked_page_gives_reason_and_date(served):
    dom = page(served, "revoked")
    status = dom.by_id["status"]
    assert status["attrs"]["data-status"] == "revoked" and "REVOKED" in status["text"] and "已撤销" in status["text"]
    assert dom.by_id["status-reason"]["text"].strip() == f"撤销原因 Reason for revocation: {REASON}"
    revoked_on = (utc_now() - timedelta(hours=2)).strftime("%Y-%m-%d")
    assert dom.by_id["status-date"]["text"].strip() == f"撤销日期 Revoked on {revoked_on}"


def test_suspended_and_expired_pages(served):
    suspended = page(served, "suspended")
    assert suspended.by_id["status"]["attrs"]["data-status"] == "suspended"
    assert "SUSPENDED" in suspended.by_id["status"]["text"]
    assert "status-reason" not in suspended.by_id  # a suspension's reason is not published
    _, _, body = get(served["labels"]["suspended"].qr)
    assert SECRET not in body
    expired = page(served, "expired")  # valid_until 30 days ago, decided at the request
    assert expired.by_id["status"]["attrs"]["data-status"] == "expired"
    assert "EXPIRED" in expired.by_id["status"]["text"]


def test_html_in_a_revocation_reason_is_text(served):
    status, _, body = get(served["labels"]["hostile"].qr)
    assert status == 200
    assert "<script" not in body and "<img" not in body
    assert str(escape(HOSTILE_REASON)) in body  # &lt;script&gt;... &amp; &#34;quoted&#34; &lt;/span&gt;&lt;/div&gt;
    dom = Elements(body)
    assert "script" not in dom.tags and "img" not in dom.tags
    assert HOSTILE_REASON in dom.by_id["status-reason"]["text"]


def test_status_changes_show_at_the_next_request(served):
    from pcf.registry import open_store

    number = served["labels"]["valid"].number
    store = open_store(served["db"], create=False)
    try:
        change_status(store, number, "suspend", "test: audit", served["key"], now=utc_now())
        assert page(served, "valid").by_id["status"]["attrs"]["data-status"] == "suspended"
        change_status(store, number, "reinstate", "test: audit closed", served["key"], now=utc_now())
        assert page(served, "valid").by_id["status"]["attrs"]["data-status"] == "valid"
    finally:
        store.close()


@pytest.mark.parametrize("path, why", [
    ("PCF-2026-009999-{cc}.html", "no label"),           # well-formed, not issued
    ("{mistyped}.html", "mistyped"),                      # check digits wrong
    ("not-a-number.html", "not a label number"),
    ("{lower}.html", "not written as a label number"),
    ("..%2F..%2Fetc%2Fpasswd.html", "not a label number"),
    ("PCF-2026-" + "1" * 5000 + "-11.html", "not a label number"),  # beyond Python's 4,300-digit int conversion
    ("{number}.pdf", "no such page"),
])
def test_unknown_or_malformed_numbers_are_404(served, path, why):
    from pcf.registry.numbers import check_digits

    number = served["labels"]["valid"].number
    path = path.format(cc=check_digits("PCF2026009999"), mistyped=number[:-1] + str((int(number[-1]) + 1) % 10),
                       lower=number.lower(), number=number)
    status, headers, body = get(f"{served['base']}/{path}")
    assert status == 404, body
    assert why in Elements(body).by_id["error"]["text"] and "Traceback" not in body
    assert headers["Content-Type"].startswith("text/html")


def test_only_the_path_of_the_registry_url(served):
    number = served["labels"]["valid"].number
    for path in (f"/{number}.html", f"/other/{number}.html", f"/labels/x/{number}.html"):
        status, _, _ = get(f"http://127.0.0.1:{served['port']}{path}")
        assert status == 404, path
    status, _, body = get(f"{served['base']}/{number}.declaration.json")
    assert status == 200 and f'"label_number": "{number}"' in body


def test_host_header_is_not_reflected(served):
    request = urllib.request.Request(served["labels"]["valid"].qr, headers={"Host": "evil.example"})
    with urllib.request.urlopen(request, timeout=20) as response:
        body = response.read().decode("utf-8")
    assert "evil.example" not in body
    assert 'href="http' not in body  # every link relative


def test_live_index_counts_and_statuses(served):
    status, _, body = get(served["base"] + "/")
    assert status == 200
    dom = Elements(body)
    assert dom.by_id["count"]["text"] == "5 labels"
    lab = served["labels"]
    rows = {r["data-number"]: r["data-status"] for r in dom.rows}
    assert rows[lab["revoked"].number] == "revoked" and rows[lab["expired"].number] == "expired"
    assert rows[lab["suspended"].number] == "suspended"
    assert get(served["base"] + "/index.html")[0] == 200
    # the revoked row says why (issue 20); a suspension's reason stays private
    row = body[body.index(f'data-number="{lab["revoked"].number}"'):]
    assert f"撤销原因 Reason: {REASON}" in row[:row.index("</tr>")] and SECRET not in body
    revoked_on = (utc_now() - timedelta(hours=2)).strftime("%Y-%m-%d")  # and when (the row's status_at)
    assert f'撤销日期 Revoked on <span class="nowrap">{revoked_on}</span>' in row[:row.index("</tr>")]


def test_revoked_page_in_chromium_shows_the_reason(served):
    dom = Elements(chromium_dom(served["labels"]["revoked"].qr, served["tmp"]))
    assert dom.by_id["status"]["attrs"]["data-status"] == "revoked"
    assert REASON in dom.by_id["status-reason"]["text"]
    hostile = Elements(chromium_dom(served["labels"]["hostile"].qr, served["tmp"]))
    assert "script" not in hostile.tags and "img" not in hostile.tags
    assert HOSTILE_REASON in hostile.by_id["status-reason"]["text"]


def test_published_pages_say_status_as_of_and_count(served, tmp_path):
    from pcf.registry import open_store

    at = utc_now()
    store = open_store(served["db"], create=False)
    try:
        publish(store, tmp_path / "site", now=at)
    finally:
        store.close()
    lab = served["labels"]
    revoked = Elements((tmp_path / "site" / f"{lab['revoked'].number}.html").read_text(encoding="utf-8"))
    assert revoked.by_id["as-of"]["text"].startswith(f"状态截至 Status as of {iso(at)}")
    assert revoked.by_id["as-of"]["attrs"]["data-as-of"] == iso(at)
    assert REASON in revoked.by_id["status-reason"]["text"]
    index = Elements((tmp_path / "site" / "index.html").read_text(encoding="utf-8"))
    assert index.by_id["count"]["text"] == "5 labels"
    assert f"Status as of {iso(at)}" in index.by_id["as-of"]["text"]
    suspended = (tmp_path / "site" / f"{lab['suspended'].number}.html").read_text(encoding="utf-8")
    assert SECRET not in suspended
    # the index shows a revoked label's reason in its row too (issue 20), never a suspension's
    index_html = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    row = index_html[index_html.index(f'data-number="{lab["revoked"].number}"'):]
    assert f"撤销原因 Reason: {REASON}" in row[:row.index("</tr>")]
    assert SECRET not in index_html


def test_one_label_is_singular(tmp_path):
    store, key, _, _ = new_registry(tmp_path, now=utc(2026, 1, 1))
    issue(store, make_declaration(), key, 730, None, now=utc(2026, 1, 2), render=False)
    publish(store, tmp_path / "site", now=utc(2026, 2, 1))
    store.close()
    index = Elements((tmp_path / "site" / "index.html").read_text(encoding="utf-8"))
    assert index.by_id["count"]["text"] == "1 label"
    assert [count_text(n) for n in (0, 1, 2)] == ["0 labels", "1 label", "2 labels"]


def _row(status="valid", **extra):
    return SimpleNamespace(number="PCF-2026-000001-87", status=status, status_at="2026-03-01T00:00:00Z",
                           status_reason=None, valid_from="2026-01-01T00:00:00Z",
                           valid_until="2027-01-01T00:00:00Z", **extra)


def _event(seq, kind, data, at="2026-03-01T00:00:00Z"):
    return EventRecord(seq=seq, at=at, kind=kind, label="PCF-2026-000001-87", data=data)


def test_status_order_and_superseded_link():
    """label_state, by hand: revoked beats everything (an event alone suffices, as in verify);
    a superseding event or column gives the successor; expiry is decided at the time given."""
    at = utc(2026, 6, 1)
    assert label_state(_row(), [], at).status == "valid"
    assert label_state(_row(), [], utc(2027, 1, 1)).status == "expired"  # valid_until is exclusive
    assert label_state(_row(), [], utc(2025, 12, 31)).status == "not-yet-valid"
    forced_back = label_state(_row(), [_event(5, "label-revoked", {"reason": "r1"}, "2026-04-01T00:00:00Z")], at)
    assert (forced_back.status, forced_back.reason, forced_back.since) == ("revoked", "r1", "2026-04-01T00:00:00Z")
    later = "PCF-2026-000002-84"
    by_event = label_state(_row(status="superseded"), [_event(6, "label-superseded", {"superseded_by": later})], at)
    assert (by_event.status, by_event.superseded_by) == ("superseded", later)
    assert label_state(_row(superseded_by=later), [], at).superseded_by == later
    assert label_state(_row(status="superseded"), [], utc(2028, 1, 1)).status == "superseded"
    suspended_by_log = label_state(_row(), [_event(7, "label-suspended", {"reason": "x"})], at)
    assert suspended_by_log.status == "suspended" and suspended_by_log.reason is None
    reinstated = [_event(7, "label-suspended", {"reason": "x"}), _event(8, "label-reinstated", {"reason": "y"})]
    assert label_state(_row(), reinstated, at).status == "valid"


def test_registry_without_url_serves_pages_at_the_root(tmp_path):
    """No `registry init --url`: the QR code holds the signed token, and the pages are at /<number>.html
    (the app of `pcf serve` run in-process; a HEAD request gets the headers only)."""
    from pcf.serve.live import LivePages
    from pcf.serve.server import build_app

    store, key, _, _ = new_registry(tmp_path, now=utc(2026, 1, 1))
    number = issue(store, make_declaration(), key, 30, None, now=utc(2026, 1, 2), render=False).number
    store.close()
    clock = {"now": utc(2026, 1, 10)}
    app = build_app(None, None, pages=LivePages(location(tmp_path), clock=lambda: clock["now"]))
    server, thread, port = start(app)
    base = f"http://127.0.0.1:{port}"
    try:
        status, _, body = get(f"{base}/{number}.html")
        assert status == 200 and Elements(body).by_id["status"]["attrs"]["data-status"] == "valid"
        clock["now"] = utc(2026, 2, 1)  # valid_until 2026-02-01T00:00:00Z is exclusive: expired from then on
        assert Elements(get(f"{base}/{number}.html")[2]).by_id["status"]["attrs"]["data-status"] == "expired"
        assert get(f"{base}/labels/{number}.html")[0] == 404
        assert Elements(get(base + "/")[2]).by_id["count"]["text"] == "1 label"
        with urllib.request.urlopen(urllib.request.Request(f"{base}/{number}.html", method="HEAD"), timeout=20) as r:
            assert r.status == 200 and r.read() == b""
        assert get(f"{base}/3/footprints")[0] == 404  # no PACT API without --results / --clients
    finally:
        server.should_exit = True
        thread.join(10)


def _serve_in_thread(db, clock):
    """The app of `pcf serve` (pages only) on an ephemeral loopback port: (server, thread, base URL)."""
    from pcf.serve.live import LivePages
    from pcf.serve.server import build_app

    server, thread, port = start(build_app(None, None, pages=LivePages(db, clock=clock)))
    return server, thread, f"http://127.0.0.1:{port}"


def test_entries_and_a_log_no_key_signed_cannot_be_confirmed(tmp_path):
    """A writer of the database without keys, while `pcf serve` runs: a label row inserted by SQL
    (a genuine row copied under the next number, no signed event), a suspended label's row set back
    to valid, then an event deleted from the middle of the log after the server had checked it
    (triggers dropped). No page says VALID for them: a 503 "cannot be confirmed"; the genuine label
    stays valid until the log itself is broken."""
    from pcf.registry.numbers import format_number

    store, key, _, _ = new_registry(tmp_path, now=utc(2026, 1, 1))
    genuine = issue(store, make_declaration(), key, 730, None, now=utc(2026, 1, 2), render=False).number
    suspended = issue(store, make_declaration(id="SUSPENDED-PACK"), key, 730, None, now=utc(2026, 1, 2),
                      render=False).number
    change_status(store, suspended, "suspend", SECRET, key, now=utc(2026, 2, 1))
    store.close()
    server, thread, base = _serve_in_thread(location(tmp_path), lambda: utc(2026, 3, 1))
    try:
        assert Elements(get(f"{base}/{genuine}.html")[2]).by_id["status"]["attrs"]["data-status"] == "valid"
        forged = format_number("PCF", 2026, 3)
        db = raw_db(location(tmp_path))
        with db:
            db.execute("UPDATE labels SET status = 'valid', status_reason = NULL WHERE number = ?", (suspended,))
            row = dict(db.execute("SELECT * FROM labels WHERE number = ?", (genuine,)).fetchone())
            row.update(number=forged, seq=3)
            db.execute(f"INSERT INTO labels({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                       list(row.values()))
        for number in (forged, suspended):
            status, _, body = get(f"{base}/{number}.html")
            assert status == 503 and "cannot be confirmed" in body and 'data-status="valid"' not in body, number
        assert Elements(get(f"{base}/{genuine}.html")[2]).by_id["status"]["attrs"]["data-status"] == "valid"
        with db:
            db.execute("DROP TRIGGER events_append_only_delete")
            middle = db.execute("SELECT seq FROM events WHERE label = ? ORDER BY seq", (suspended,)).fetchone()["seq"]
            db.execute("DELETE FROM events WHERE seq = ?", (middle,))
        db.close()
        status, _, body = get(f"{base}/{genuine}.html")
        assert status == 503 and "removed or inserted" in body
    finally:
        server.should_exit = True
        thread.join(10)


def test_a_superseded_label_links_to_its_successor(tmp_path):
    """`pcf issue --supersede` (issue 15 part 3): the old label's live page says SUPERSEDED (even
    inside its validity period) with a link to the new label, whose page links back; both entries
    pass the signed-event checks."""
    from tests.test_registry_lifecycle import of_year

    store, key, _, _ = new_registry(tmp_path, now=utc(2026, 1, 1))
    old = issue(store, of_year(2025), key, 730, None, now=utc(2026, 1, 2), render=False).number
    new = issue(store, of_year(2026), key, 730, None, now=utc(2026, 6, 1), render=False, supersede=old).number
    store.close()
    server, thread, base = _serve_in_thread(location(tmp_path), lambda: utc(2026, 7, 1))
    try:
        status, _, body = get(f"{base}/{old}.html")
        dom = Elements(body)
        assert status == 200 and dom.by_id["status"]["attrs"]["data-status"] == "superseded"
        assert "SUPERSEDED" in dom.by_id["status"]["text"] and "(2026-06-01)" in dom.by_id["status"]["text"]
        link = dom.by_id["superseded-by"]
        assert link["attrs"]["href"] == f"{new}.html" and link["text"] == new  # relative: same folder
        status, _, body = get(f"{base}/{link['attrs']['href']}")
        newer = Elements(body)
        assert status == 200 and newer.by_id["status"]["attrs"]["data-status"] == "valid"
        assert newer.by_id["supersedes"]["text"].strip() == old
        rows = {r["data-number"]: r["data-status"] for r in Elements(get(base + "/")[2]).rows}
        assert rows == {old: "superseded", new: "valid"}
    finally:
        server.should_exit = True
        thread.join(10)


def test_a_number_of_thousands_of_digits_is_refused_cleanly():
    """`pcf verify` and the pages parse numbers: one with 5,000 digits (beyond Python's 4,300-digit
    int conversion) is a RegistryError (exit 2, a 404 page), even with matching check digits."""
    from pcf.core.errors import PCFError
    from pcf.registry.numbers import check_digits, parse_number

    body = "PCF2026" + "1" * 5000
    for text in ("PCF-2026-" + "1" * 5000 + "-" + check_digits(body), "PCF-2026-" + "1" * 5000 + "-00"):
        with pytest.raises(PCFError, match="not a label number"):
            parse_number(text)
    assert check_digits("PCF2026000001") == "87"  # docs/registry.md's example PCF-2026-000001-87
