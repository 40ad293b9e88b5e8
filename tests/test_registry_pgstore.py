"""The PostgreSQL registry (issue 16 part 1) on a real throw-away server (tests/pgserver.py).

The rest of the registry suite runs on both back ends (tests/conftest.py ``BOTH_BACKENDS``);
this module tests what is PostgreSQL's own: every SQLite trigger has a PL/pgSQL twin that
refuses the same edit with the same message, the errors of a server that cannot be used (exit 2,
no traceback, never the password), ``pcf registry init --url`` and ``PCF_REGISTRY_URL``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import psycopg
import pytest
from typer.testing import CliRunner

import cli
from pcf.registry import RegistryCorrupt, RegistryError, check_registry, open_store
from pcf.registry.pgstore import PG_TRIGGERS, redact, sqlite_trigger_names
from pcf.registry.store import _SCHEMA, ADDED_IN_PLACE
from tests.registry_util import (DB_ERROR, admit, cli_root, make_declaration, new_registry, raw_db, signed_case, utc,
                                 verified_issue)

runner = CliRunner()
SECRET = "s3cret-Pa55word"


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(autouse=True)
def pg(pg_cluster):
    """Every registry of this module (tests.registry_util.new_registry) on the test server."""
    from tests import registry_util

    registry_util.use_backend(pg_cluster)
    yield pg_cluster
    registry_util.use_backend(None)
    pg_cluster.drop_databases()


def test_without_postgresql_the_test_server_fails_with_what_to_install(tmp_path):
    """No skip: without the server binaries the tests fail, naming Debian's package."""
    from tests.pgserver import binaries

    with pytest.raises(RuntimeError, match="PostgreSQL is not installed.*`postgresql` package.*make test"):
        binaries(str(tmp_path / "*" / "bin" / "initdb"), path=str(tmp_path))
    assert (binaries() / "pg_ctl").exists()


def test_sqlite_users_do_not_load_psycopg(tmp_path):
    import subprocess
    import sys

    code = ("import sys, pcf.api; from pcf.registry import open_store; "
            f"open_store({str(tmp_path / 'r.db')!r}).close(); print('psycopg' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"


def test_every_sqlite_trigger_has_a_postgresql_twin():
    assert set(sqlite_trigger_names(_SCHEMA + ADDED_IN_PLACE)) == set(PG_TRIGGERS)


def test_the_triggers_refuse_what_sqlites_refuse(pg, tmp_path):
    """One refused edit per guarantee (module docstring of pcf.registry.pgstore), with the SQLite message."""
    store, key, *_ = new_registry(tmp_path, now=utc(2026, 1, 1))
    url = store.location
    first = verified_issue(store, make_declaration(), key, 730, None, now=utc(2026, 1, 2), render=False)
    from pcf.registry import change_status

    revoked = verified_issue(store, make_declaration(id="P2"), key, 730, None, now=utc(2026, 1, 2), render=False)
    change_status(store, revoked.number, "revoke", "test", key, now=utc(2026, 1, 3))
    db = raw_db(url)
    refused = [
        ("UPDATE events SET at = 'x' WHERE seq = 1", "the event log is append-only"),
        ("DELETE FROM events WHERE seq = 1", "the event log is append-only"),
        ("UPDATE meta SET value = 'x' WHERE name = 'root_key'", "root key of a registry never changes"),
        ("DELETE FROM meta WHERE name = 'root_key'", "root key of a registry never changes"),
        ("DELETE FROM labels", "labels are never deleted"),
        (f"UPDATE labels SET product_name = 'x' WHERE number = '{first.number}'", "signed content of a label"),
        (f"UPDATE labels SET document = '{{}}' WHERE number = '{first.number}'", "signed content of a label"),
        (f"UPDATE labels SET status = 'valid' WHERE number = '{revoked.number}'", "a revoked label stays revoked"),
        ("UPDATE case_records SET note = 'x'", "case records are append-only"),
        ("DELETE FROM case_records", "case records are append-only"),
        ("DELETE FROM cases", "verification cases are never deleted"),
        ("UPDATE cases SET opinion = 'limited'", "a signed verification case cannot change"),
    ]
    for sql, message in refused:
        with pytest.raises(psycopg.errors.IntegrityConstraintViolation, match=message):
            db.execute(sql)
    # what stays allowed: a status change of a valid label, a setting other than the root key
    db.execute(f"UPDATE labels SET status = 'suspended' WHERE number = '{first.number}'")
    db.execute("UPDATE meta SET value = 'CBX' WHERE name = 'prefix'")
    db.close()
    store.close()


def test_superseded_and_evidence_triggers(pg, tmp_path):
    store, key, *_ = new_registry(tmp_path, now=utc(2026, 1, 1))
    url = store.location
    with store.write() as tx:
        tx.add_evidence("ab" * 32, b"evidence bytes \x00\xff", "2026-01-01T00:00:00Z")
        tx.add_evidence("ab" * 32, b"evidence bytes \x00\xff", "2026-01-01T00:00:00Z")  # again: a no-op
    with store.read() as tx:
        assert tx.evidence("ab" * 32) == b"evidence bytes \x00\xff" and tx.evidence("cd" * 32) is None
    db = raw_db(url)
    with pytest.raises(DB_ERROR, match="evidence is kept as recorded"):
        db.execute("UPDATE evidence SET size = 1")
    with pytest.raises(DB_ERROR, match="evidence is kept as recorded"):
        db.execute("DELETE FROM evidence")
    old = verified_issue(store, make_declaration(), key, 730, None, now=utc(2026, 1, 2), render=False)
    from tests.test_registry_lifecycle import of_year

    signed_case(store, of_year(2026), now=utc(2026, 1, 2))
    verified_issue(store, of_year(2026), key, 730, None, now=utc(2026, 2, 1), render=False, supersede=old.number)
    with pytest.raises(DB_ERROR, match="a superseded label stays superseded"):
        db.execute(f"UPDATE labels SET status = 'valid', superseded_by = NULL WHERE number = '{old.number}'")
    db.close()
    assert check_registry(store).ok
    store.close()


def test_a_nul_character_is_a_clear_refusal(pg, tmp_path):
    """PostgreSQL text cannot hold NUL (SQLite's can): a product name with one is refused with a
    message, nothing issued; a lookup with one too (never a driver error, never a traceback)."""
    store, key, *_ = new_registry(tmp_path, now=utc(2026, 1, 1), case=False)
    with pytest.raises(RegistryError, match="NUL character"):
        verified_issue(store, make_declaration(name="pack\x00evil"), key, 730, None, now=utc(2026, 1, 2), render=False)
    with store.read() as tx:
        assert tx.labels() == [] and tx.cases() == []
    with pytest.raises(RegistryError, match="NUL character"), store.read() as tx:
        tx.label("PCF-2026-000001-\x00")
    assert check_registry(store).ok
    store.close()


def test_writers_queue_and_readers_see_a_snapshot(pg):
    """A second writer waits for the advisory lock (here 0.2 s, then "busy"; the default wait is
    BUSY_TIMEOUT_S); a read during a write sees the state before it; a failed write leaves nothing."""
    url = pg.new_database()
    a = open_store(url)
    b = open_store(url, create=False)
    b.db.execute("SET lock_timeout = '200ms'")
    with a.write() as tx:
        assert tx.add_issuer("one", "2026-01-01T00:00:00Z") and not tx.add_issuer("one", "2026-01-01T00:00:00Z")
        with b.read() as other:
            assert other.setting("format") == "pcf-registry" and other.next_label_seq() == 1
            assert other.run("SELECT COUNT(*) AS n FROM issuers").fetchone()["n"] == 0
        with pytest.raises(RegistryError, match="busy"):
            with b.write():
                pass
    with b.read() as other:
        assert other.run("SELECT COUNT(*) AS n FROM issuers").fetchone()["n"] == 1
    with pytest.raises(ZeroDivisionError):
        with b.write() as tx:
            tx.add_issuer("two", "2026-01-01T00:00:00Z")
            1 / 0
    with a.read() as tx:
        assert [r["name"] for r in tx.run("SELECT name FROM issuers")] == ["one"]
    a.close()
    b.close()


def test_unusable_servers_are_clear_errors_without_the_password(pg, tmp_path):
    pg.admin(f"CREATE ROLE pcfpw LOGIN PASSWORD '{SECRET}'")
    name = urlsplit(pg.new_database()).path.lstrip("/")
    tcp = f"127.0.0.1:{pg.port}"
    cases = [
        (f"postgresql://pcfpw:wrong-{SECRET}@{tcp}/{name}", "authentication failed"),
        (f"postgresql://pcfpw:{SECRET}@{tcp}/no_such_db", "database does not exist"),
        (f"postgresql://pcfpw:{SECRET}@127.0.0.1:1/{name}", "cannot be reached"),
        (f"postgresql://pcfpw:{SECRET}@127.0.0.1:port/{name}", "not a usable PostgreSQL URL"),
        (f"postgresql://pcfpw:{SECRET}@[127.0.0.1/{name}", "postgresql://"),  # libpq repeats this URL: blotted out
    ]
    for url, message in cases:
        with pytest.raises(RegistryError, match=message) as err:
            open_store(url)
        assert SECRET not in str(err.value) and ("pcfpw:***@" in str(err.value) or "postgresql://***" in str(err.value))
        r = runner.invoke(cli.app, ["registry", "list", "--registry", url])
        assert r.exit_code == 2 and message in flat(r.output), r.output
        assert SECRET not in r.output and "Traceback" not in r.output
    assert redact(f"postgresql://u:{SECRET}@h:5/d?x=1") == "postgresql://u:***@h:5/d?x=1"
    assert redact(f"postgresql://u@h/d?password={SECRET}&x=1") == "postgresql://u@h/d?password=***&x=1"
    url = f"postgresql://pcfpw@{tcp}/{name}?password=wrong-{SECRET}"
    r = runner.invoke(cli.app, ["registry", "list", "--registry", url])
    assert r.exit_code == 2 and "authentication failed" in flat(r.output) and SECRET not in r.output


def test_a_database_of_something_else_or_another_schema_is_refused(pg, monkeypatch):
    other = pg.new_database()
    db = raw_db(other)
    db.execute("CREATE TABLE orders (id INTEGER)")
    db.close()
    with pytest.raises(RegistryCorrupt, match="not a pcf registry"):
        open_store(other)
    r = runner.invoke(cli.app, ["registry", "list", "--registry", other])
    assert r.exit_code == 2 and "not a pcf registry" in flat(r.output) and "Traceback" not in r.output
    newer = pg.new_database()
    open_store(newer).close()
    db = raw_db(newer)
    db.execute("UPDATE meta SET value = '99' WHERE name = 'schema'")
    db.close()
    with pytest.raises(RegistryCorrupt, match="registry schema '99', this pcf reads '4'; upgrade pcf"):
        open_store(newer)
    empty = pg.new_database()
    with pytest.raises(RegistryError, match=r"no registry at .* \(an empty database\)"):
        open_store(empty, create=False)
    monkeypatch.setenv("PCF_REGISTRY_URL", empty)
    r = runner.invoke(cli.app, ["registry", "list"])
    assert r.exit_code == 2 and "no registry at" in flat(r.output)


def test_init_with_a_postgresql_url_and_the_environment_variable(pg, tmp_path, monkeypatch):
    """`pcf registry init --url postgresql://...` makes the registry there; PCF_REGISTRY_URL then
    selects it for every command (PCF_REGISTRY unset); the public URL is set by a second init."""
    monkeypatch.delenv("PCF_REGISTRY", raising=False)
    url = pg.new_database()
    root = cli_root(tmp_path, monkeypatch, "--url", url, "--prefix", "CBX")
    monkeypatch.setenv("PCF_REGISTRY_URL", url)
    r = runner.invoke(cli.app, ["registry", "init", "--root-key", str(root), "--url", "https://labels.example.org/pcf"])
    assert r.exit_code == 0 and "prefix CBX, url https://labels.example.org/pcf" in flat(r.output), r.output
    r = runner.invoke(cli.app, ["keys", "new", "--issuer", "cb-test", "--out", str(tmp_path / "keys"),
                                "--root-key", str(root)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli.app, ["registry", "check"])
    assert r.exit_code == 0 and "registry check passed" in flat(r.output), r.output
    store = open_store(url, create=False)
    with store.read() as tx:
        assert [k.issuer for k in tx.keys()] == ["cb-test"] and tx.setting("prefix") == "CBX"
    assert not (tmp_path / "home" / "registry.db").exists()
    store.close()


def test_admitted_keys_keep_their_order_within_one_second(pg, tmp_path):
    """``keys()`` orders by ``added_at``, then by insertion (SQLite's rowid, here ``added_order``)."""
    store, key, *_ = new_registry(tmp_path, now=utc(2026, 1, 1), case=False)
    names = [f"cb-{c}" for c in "zyxw"]
    for name in names:
        admit(store, name, tmp_path / name, now=utc(2026, 1, 2))
    with store.read() as tx:
        assert [k.issuer for k in tx.keys()][-4:] == names
    store.close()


# ---------------------------------------------------------------------------- pcf registry migrate


def _sqlite_registry(tmp_path):
    """An SQLite registry with every kind of row: keys of three roles, a case with evidence and a
    finding, labels issued, superseded (by a newer result), suspended and revoked, a received
    PACT event, an access token. Returns (path, label numbers)."""
    from pcf.registry import change_status
    from pcf.registry.cases import open_case, record_item, sign_case
    from pcf.registry.store import PactEventRecord
    from pcf.registry.tokenstore import AccessToken
    from tests import registry_util
    from tests.test_registry_lifecycle import of_year

    registry_util.use_backend(None)
    try:
        store, key, *_ = new_registry(tmp_path, now=utc(2026, 1, 1))
        admit(store, "adm", tmp_path / "adm", role="admin", now=utc(2026, 1, 1))
        old = verified_issue(store, of_year(2025), key, 730, None, now=utc(2026, 1, 2), render=False)
        new = verified_issue(store, of_year(2026), key, 730, None, now=utc(2026, 2, 1), render=False,
                             supersede=old.number)
        other = verified_issue(store, make_declaration(id="P2"), key, 730, None, now=utc(2026, 1, 2), render=False)
        third = verified_issue(store, make_declaration(id="P3"), key, 730, None, now=utc(2026, 1, 2), render=False)
        change_status(store, other.number, "revoke", "data found wrong", key, now=utc(2026, 3, 1))
        change_status(store, third.number, "suspend", "audit", key, now=utc(2026, 3, 1))
        evidence = tmp_path / "meter.pdf"
        evidence.write_bytes(b"%PDF-1.4 \x00\xff evidence")
        vkey = registry_util.verifier_key(store)
        declaration = make_declaration(id="P4")
        from pcf.registry import check_conformance

        view = open_case(store, declaration, check_conformance(declaration), "vb-test", vkey, now=utc(2026, 1, 1))
        item = view.items[0]["id"]
        record_item(store, view.case.number, item, "finding", "meter missing", key=vkey, now=utc(2026, 1, 1))
        for it in view.items:
            record_item(store, view.case.number, it["id"], "ok", "seen", evidence if it["id"] == item else None,
                        key=vkey, now=utc(2026, 1, 1))
        sign_case(store, view.case.number, vkey, "limited", now=utc(2026, 1, 1))
        with store.write() as tx:
            tx.add_pact_event(PactEventRecord(0, "2026-03-02T00:00:00Z", "buyer-1", "v3", "t", "e1", "src", "{}"),
                              keep=10)
            tx.add_token(AccessToken("ab" * 32, "buyer-1", 1_772_409_600_000, 1_772_413_200_000))  # an access token
        store.close()
    finally:
        registry_util.use_backend(registry_util._BACKEND["cluster"] or None)
    return tmp_path / "registry.db", [old.number, new.number, other.number, third.number]


def _rows(location, table):
    """The rows of ``table`` as dicts (``added_order``, PostgreSQL's own column, left out), in one order."""
    db = raw_db(location)
    rows = [{k: (bytes(v) if isinstance(v, memoryview) else v) for k, v in dict(r).items() if k != "added_order"}
            for r in db.execute(f"SELECT * FROM {table}").fetchall()]
    db.close()
    return sorted(rows, key=lambda r: [str(v) for v in r.values()])


#: Tables of derived data that a registry fills only when it serves PACT documents.
CACHE_TABLES = {"pact_documents", "pact_terms"}


def test_migrate_copies_every_table_verbatim_and_checks_both_sides(pg, tmp_path):
    from pcf.registry import verify
    from pcf.registry.migrate import schema_tables

    source, numbers = _sqlite_registry(tmp_path)
    url = pg.new_database()
    r = runner.invoke(cli.app, ["registry", "migrate", "--to", url, "--registry", str(source)])
    assert r.exit_code == 0 and "registry migrated" in flat(r.output), r.output
    tables = schema_tables()
    assert {"meta", "issuers", "issuer_keys", "labels", "events", "cases", "case_records", "evidence",
            "pact_events"} <= set(tables)
    for table in tables:
        assert _rows(url, table) == _rows(str(source), table), table
        assert _rows(url, table) or table in CACHE_TABLES, f"{table}: the test registry should fill every table"
    target = open_store(url, create=False)
    for number, verdict in zip(numbers, ("invalid", "valid", "invalid", "invalid")):
        assert verify(number, target, at=utc(2026, 4, 1)).verdict == verdict, number
    with target.read() as tx:
        assert [tx.label(n).status for n in numbers] == ["superseded", "valid", "revoked", "suspended"]
        assert tx.label(numbers[0]).superseded_by == numbers[1]
    sqlite_check = check_registry(open_store(source, create=False))
    pg_check = check_registry(target)
    assert pg_check.ok and sqlite_check.ok and pg_check.head == sqlite_check.head
    assert "chain head " + pg_check.head in flat(r.output)
    # the migrated registry keeps working: a new label gets the next number
    from pcf.registry import issue, load_signing_key
    from pcf.registry.numbers import parse_number

    key = load_signing_key(tmp_path / "keys" / "cb-test.key")
    fifth = issue(target, make_declaration(id="P5"), key, 730, None, now=utc(2026, 4, 1), render=False,
                  self_declared=True)
    assert parse_number(fifth.number).seq == 5 and check_registry(target).ok
    target.close()
    # a second migration into it is refused: it is not empty; nothing changes
    r = runner.invoke(cli.app, ["registry", "migrate", "--to", url, "--registry", str(source)])
    assert r.exit_code == 2 and "is not empty (meta: root_key; issuers: 3 rows;" in flat(r.output) and "--to" in r.output, r.output
    assert len(_rows(url, "labels")) == 5


def test_migrate_is_all_or_nothing(pg, tmp_path):
    """A row PostgreSQL refuses (a NUL character in a text, which SQLite keeps) in the last table
    copied: nothing of the earlier tables stays; a source failing its check is refused before
    anything is written; the target must be a postgresql:// URL."""
    source, _ = _sqlite_registry(tmp_path)
    db = raw_db(source)
    db.execute("INSERT INTO pact_events(seq, received_at, client_id, api, type, event_id, source, body) "
               "VALUES (99, 'x', 'c', 'v3', 't', 'e2', 's', ?)", ("a\x00b",))
    db.commit()
    db.close()
    url = pg.new_database()
    r = runner.invoke(cli.app, ["registry", "migrate", "--to", url, "--registry", str(source)])
    assert r.exit_code == 2 and "copying table pact_events" in flat(r.output) and "nothing was written" in \
        flat(r.output) and "Traceback" not in r.output, r.output
    for table in ("labels", "events", "issuers", "cases"):
        assert _rows(url, table) == []
    db = raw_db(source)
    db.execute("DELETE FROM pact_events WHERE seq = 99")
    db.execute("DROP TRIGGER events_append_only_update")
    db.execute("UPDATE events SET at = '2020-01-01T00:00:00Z' WHERE seq = 2")
    db.commit()
    db.close()
    r = runner.invoke(cli.app, ["registry", "migrate", "--to", url, "--registry", str(source)])
    assert r.exit_code == 2 and "fails its check" in flat(r.output), r.output
    assert _rows(url, "events") == []
    r = runner.invoke(cli.app, ["registry", "migrate", "--to", str(tmp_path / "x.db"), "--registry", str(source)])
    assert r.exit_code == 2 and "give a postgresql:// URL" in flat(r.output) and "--to" in r.output
