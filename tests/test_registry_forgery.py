"""A registry no key-less writer can forge (issue 15 part 6).

The attacker can write ``registry.db`` (sqlite3, triggers dropped where they are in the way)
and runs pcf's own code, but holds neither the body's root key nor an admitted issuer key.
They make their own root and issuer keys in a registry of their own, issue a label there,
and copy the key, the label and *correctly hashed* events into the victim's registry
(chained onto its head), once unsigned and once signed by their self-made keys. Then they
change statuses with SQL alone. Every attempt must make `pcf verify` exit 1 and
`pcf registry check` fail, naming what is wrong.

Times are fixed: keys at T0 = 2026-01-01, labels at T1 = 2026-01-02, checked at T_CHECK.
"""

from __future__ import annotations

import hashlib

import pytest
from typer.testing import CliRunner

import cli
from pcf.core.canonical import canonical_bytes
from pcf.registry import change_status, check_registry, verify
from pcf.registry.chain import event_body
from pcf.registry.keys import b64url
from tests.registry_util import DB_ERROR, location, raw_db
from tests.registry_util import admit, make_declaration, new_registry, root_of, utc
from tests.registry_util import verified_issue as issue  # after a signed case (issue 15)
from tests.serve_util import start

T0, T1, T_CHECK = utc(2026, 1, 1), utc(2026, 1, 2), utc(2026, 6, 1)
runner = CliRunner()


def states(v) -> dict:
    return {c.name: c.state for c in v.checks}


def flat(text: str) -> str:
    """Terminal output with its line wrapping undone."""
    return " ".join(text.split())


def message(v, name) -> str:
    return next(c.message for c in v.checks if c.name == name)


@pytest.fixture
def victim(tmp_path):
    store, key, *_ = new_registry(tmp_path / "victim", now=T0)
    genuine = issue(store, make_declaration(), key, 730, None, now=T1, render=False)
    yield {"store": store, "key": key, "genuine": genuine, "db": store.location, "tmp": tmp_path}
    store.close()


def _attacker_label(tmp_path, seq: int, issuer: str = "cb-forger"):
    """The attacker's own registry (own root, own issuer key): a label with sequence number
    ``seq``; returns (store, issuer key, label)."""
    store, key, *_ = new_registry(tmp_path / "attacker", issuer=issuer, now=T0)
    for i in range(seq):  # one product per label (one current label per product, issue 15 part 3)
        label = issue(store, make_declaration(id=f"FAKE-PACK-{i}"), key, 730, None, now=T1, render=False,
                      self_declared=True)
    return store, key, label


def _forge(db_path: str, rows: dict, events: list[tuple], sign: bool) -> None:
    """Write ``rows`` (table -> list of dicts) and chain ``events`` ((kind, label, data, at,
    signing key)) onto the head of the log, hashed exactly as pcf hashes them; signed with
    the given (self-made) keys when ``sign``, else with no signer and no signature."""
    db = raw_db(db_path)
    for table, records in rows.items():
        for record in records:
            db.execute(f"INSERT INTO {table}({', '.join(record)}) VALUES ({', '.join('?' * len(record))}) ON CONFLICT DO NOTHING",
                       list(record.values()))
    last = db.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = last["seq"], last["hash"]
    for kind, label, data, at, key in events:
        seq += 1
        signer = key.key_id if sign else ""
        body = canonical_bytes(event_body(seq, at, kind, label, data, prev, signer))
        digest = hashlib.sha256(body).hexdigest()
        db.execute("INSERT INTO events(seq, at, kind, label, data, prev_hash, signer, signature, hash) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (seq, at, kind, label, canonical_bytes(data).decode(), prev, signer,
                    b64url(key.sign(body)) if sign else "", digest))
        prev = digest
    db.commit()
    db.close()


def _copy_forged_label(victim, sign: bool):
    """Copy the attacker's key, label and their key-added / label-issued events into the victim."""
    attacker, fake_key, fake = _attacker_label(victim["tmp"], seq=2)
    with attacker.read() as tx:
        key_row = tx.key(fake_key.key_id)
        label_row = tx.label(fake.number)
        key_event = next(e for e in tx.events() if e.kind == "key-added")
        label_event = next(e for e in tx.events(fake.number) if e.kind == "label-issued")
    rows = {"issuers": [{"name": key_row.issuer, "created_at": key_row.added_at}],
            "issuer_keys": [{"key_id": key_row.key_id, "issuer": key_row.issuer, "public_key": key_row.public_key,
                             "role": key_row.role, "added_at": key_row.added_at}],
            "labels": [{k: getattr(label_row, k) for k in label_row.__dataclass_fields__}]}
    _forge(victim["db"], rows, [("key-added", None, key_event.data, key_event.at, root_of(attacker)),
                                ("label-issued", fake.number, label_event.data, label_event.at, fake_key)], sign)
    attacker.close()
    return fake


@pytest.mark.parametrize("sign", [False, True], ids=["unsigned", "signed-by-self-made-keys"])
def test_sql_inserted_key_label_and_hashed_events_do_not_verify(victim, sign):
    fake = _copy_forged_label(victim, sign)
    store = victim["store"]
    # the chain itself is intact: the forged events are correctly hashed and linked
    from pcf.registry.chain import verify_chain

    with store.read() as tx:
        assert verify_chain(tx.events())[0] == []
    v = verify(fake.number, store, at=T_CHECK)
    assert v.verdict == "invalid" and v.exit_code == 1
    # declaration, hash and signature are genuine (the attacker's key signed them), the
    # table lookup of the key agrees too: only the signed events expose the forgery
    assert states(v)["signature"] == "ok" and states(v)["registry"] == "ok" and states(v)["issuer key"] == "ok"
    assert states(v)["events"] == "fail"
    why = message(v, "events")
    if sign:
        assert "never admitted" in why and "self-made" in why
    else:
        assert "is not signed" in why
    assert f"key {fake.document['signature']['key_id']} was not admitted by a signature of the root key" in why
    report = check_registry(store)
    assert not report.ok
    fake_kid = fake.document["signature"]["key_id"]
    assert any(f"key {fake_kid}: in the table but never added in the event log" in p for p in report.problems)
    assert any(f"label {fake.number}: in the table but never issued in the event log" in p for p in report.problems)
    assert any(("never admitted" if sign else "is not signed") in p for p in report.problems)
    # the CLI: verify exit 1, check exit 1, both naming the problem
    r = runner.invoke(cli.app, ["verify", fake.number, "--registry", victim["db"]])
    assert r.exit_code == 1 and "NOT VALID" in flat(r.output) and "root key" in flat(r.output)
    r = runner.invoke(cli.app, ["registry", "check", "--registry", victim["db"]])
    assert r.exit_code == 1 and "never added in the event log" in flat(r.output) and "FAILED" in r.output
    # the genuine label still verifies
    assert verify(victim["genuine"].number, store, at=T_CHECK).verdict == "valid"


def test_sql_status_changes_without_a_signed_event_are_detected(victim):
    store, number = victim["store"], victim["genuine"].number
    db = raw_db(victim["db"])
    # suspend by SQL
    db.execute("UPDATE labels SET status = 'suspended', status_reason = 'x' WHERE number = ?", (number,))
    db.commit()
    v = verify(number, store, at=T_CHECK)
    assert v.verdict == "invalid" and states(v)["status"] == "fail"
    assert "row says suspended but the signed events say valid" in message(v, "status")
    assert any("status is 'suspended', the event log says 'valid'" in p for p in check_registry(store).problems)
    # revoke by SQL
    db.execute("UPDATE labels SET status = 'revoked' WHERE number = ?", (number,))
    db.commit()
    assert "row says revoked but the signed events say valid" in message(verify(number, store, at=T_CHECK), "status")
    assert not check_registry(store).ok
    db.close()
    r = runner.invoke(cli.app, ["verify", number, "--registry", victim["db"]])
    assert r.exit_code == 1 and "without a signed event" in flat(r.output)


def test_sql_reinstatement_of_a_suspended_label_is_detected(victim):
    store, number = victim["store"], victim["genuine"].number
    change_status(store, number, "suspend", "audit pending", victim["key"], now=utc(2026, 2, 1))
    assert check_registry(store).ok
    db = raw_db(victim["db"])
    db.execute("UPDATE labels SET status = 'valid' WHERE number = ?", (number,))
    db.commit()
    v = verify(number, store, at=T_CHECK)
    assert v.verdict == "invalid" and "row says valid but the signed events say suspended" in message(v, "status")
    # with a hashed but unsigned label-reinstated event as well
    attacker_key = admit(store, "cb-other", victim["tmp"] / "other", now=T0)[0]
    _forge(victim["db"], {}, [("label-reinstated", number, {"reason": "forged"}, "2026-02-02T00:00:00Z", attacker_key)],
           sign=False)
    v = verify(number, store, at=T_CHECK)
    assert v.verdict == "invalid" and "is not signed" in message(v, "events")
    # signed by a genuine, admitted key of another issuer: still not allowed
    db.execute("DROP TRIGGER events_append_only_delete")
    db.execute("DELETE FROM events WHERE seq = (SELECT MAX(seq) FROM events)")
    db.commit()
    _forge(victim["db"], {}, [("label-reinstated", number, {"reason": "forged"}, "2026-02-02T00:00:00Z", attacker_key)],
           sign=True)
    v = verify(number, store, at=T_CHECK)
    assert v.verdict == "invalid" and "label" in message(v, "events") and "cb-test's" in message(v, "events")
    report = check_registry(store)
    assert any("cb-test's" in p for p in report.problems)
    db.close()


def _erase_revocation(db_path, number):
    """A database writer without keys undoes a revocation: the guarding triggers dropped, the
    revocation event deleted and the label set back to valid by SQL."""
    db = raw_db(db_path)
    for trigger in ("events_append_only_delete", "labels_revoked_final"):
        db.execute(f"DROP TRIGGER {trigger}")
    db.execute("DELETE FROM events WHERE kind = 'label-revoked'")
    db.execute("UPDATE labels SET status = 'valid' WHERE number = ?", (number,))
    db.commit()
    db.close()


def test_rolling_back_a_revocation_is_seen_against_a_kept_head(victim):
    """Deleting the newest events (here the revocation) leaves a chain that still links: like
    Certificate Transparency, only a head kept elsewhere shows the rollback (`pcf registry
    check --known-head`; the published index page shows the head)."""
    store, number = victim["store"], victim["genuine"].number
    change_status(store, number, "revoke", "fraud", victim["key"], now=utc(2026, 2, 1))
    published = check_registry(store).head
    _erase_revocation(victim["db"], number)
    assert check_registry(store).ok                     # without the kept head: not detectable
    problems = check_registry(store, known_head=published).problems
    assert any("not in the event log" in p and "rolled back" in p for p in problems)
    r = runner.invoke(cli.app, ["registry", "check", "--registry", victim["db"], "--known-head", published])
    assert r.exit_code == 1 and "rolled back" in flat(r.output)
    r = runner.invoke(cli.app, ["registry", "check", "--registry", victim["db"], "--known-head", "abc"])
    assert r.exit_code == 2 and "--known-head" in r.output


def test_a_revocation_deleted_from_the_middle_of_the_log_is_detected(victim):
    store, number = victim["store"], victim["genuine"].number
    change_status(store, number, "revoke", "fraud", victim["key"], now=utc(2026, 2, 1))
    issue(store, make_declaration(id="LATER"), victim["key"], 730, None, now=utc(2026, 3, 1), render=False,
          self_declared=True)
    _erase_revocation(victim["db"], number)
    v = verify(number, store, at=T_CHECK)
    assert v.verdict == "invalid" and "the event log is broken" in message(v, "events")
    assert any("expected event number" in p for p in check_registry(store).problems)


def test_a_second_current_key_and_a_wrong_root_are_reported(victim, tmp_path):
    store = victim["store"]
    report = check_registry(store)
    assert report.ok and len(report.root_key_id) == 32
    assert check_registry(store, root_key_id=report.root_key_id).ok
    wrong = "0" * 32
    assert any("not the expected" in p for p in check_registry(store, root_key_id=wrong).problems)
    v = verify(victim["genuine"].number, store, at=T_CHECK, root_key_id=wrong)
    assert v.verdict == "invalid" and "the one you trust" in message(v, "events")
    r = runner.invoke(cli.app, ["registry", "check", "--registry", victim["db"], "--root-key-id", "xyz"])
    assert r.exit_code == 2 and "--root-key-id" in r.output
    # an issuer with two current keys: the second admitted by a self-made root
    attacker, fake_key, _ = _attacker_label(tmp_path, seq=1, issuer="cb-test")
    with attacker.read() as tx:
        key_event = next(e for e in tx.events() if e.kind == "key-added")
    db = raw_db(victim["db"])
    db.execute("DROP INDEX one_current_key")
    db.commit()
    db.close()
    _forge(victim["db"], {"issuer_keys": [{"key_id": fake_key.key_id, "issuer": "cb-test",
                                           "public_key": key_event.data["public_key"], "role": "issuer",
                                           "added_at": key_event.at}]},
           [("key-added", None, key_event.data, key_event.at, root_of(attacker))], sign=True)
    problems = check_registry(store).problems
    assert any(f"signed by key {root_of(attacker).key_id}" in p and "never admitted" in p for p in problems)
    assert any(f"key {fake_key.key_id}: in the table but never added" in p for p in problems)
    attacker.close()


def test_a_signed_head_catches_a_rollback_and_cannot_be_denied(victim, monkeypatch):
    """`pcf registry head` (root or admin key) signs the head; kept by a witness, it proves the
    log held the revocation the operator later rolled back."""
    import json

    from pcf.registry.errors import RegistryError
    from pcf.registry.head import head_problems, sign_head
    from pcf.registry.roles import KeyNotAllowed

    store, number, tmp = victim["store"], victim["genuine"].number, victim["tmp"]
    admin_key, admin_path, *_ = admit(store, "adm", tmp / "adm", role="admin", now=T0)
    change_status(store, number, "revoke", "fraud", admin_key, now=utc(2026, 2, 1))
    with pytest.raises(KeyNotAllowed, match="issuer key"):
        sign_head(store, victim["key"])
    head = sign_head(store, admin_key, now=utc(2026, 2, 2))
    with store.read() as tx:
        last = tx.last_event().seq   # root, 2 keys, the verification case (issue 15), label, admin key, revocation
    assert head["seq"] == last and head["signer"] == admin_key.key_id and head_problems(store, head) == []
    assert head_problems(store, {**head, "seq": last - 1}) == [
        f"the signed head of event {last - 1} (2026-02-02T00:00:00Z): its signature does not verify"]
    # through the CLI, the root key's head too
    db = victim["db"]
    r = runner.invoke(cli.app, ["registry", "head", "--key", str(admin_path), "--out", str(tmp / "head.json"),
                                "--registry", db])
    assert r.exit_code == 0, r.output
    assert json.loads((tmp / "head.json").read_text())["head"] == head["head"]
    r = runner.invoke(cli.app, ["registry", "check", "--registry", db, "--known-head", str(tmp / "head.json")])
    assert r.exit_code == 0, r.output
    # the operator rolls the revocation back
    _erase_revocation(db, number)
    assert check_registry(store).ok and verify(number, store, at=T_CHECK).verdict == "valid"
    assert "rolled back" in head_problems(store, head)[0]
    r = runner.invoke(cli.app, ["registry", "check", "--registry", db, "--known-head", str(tmp / "head.json")])
    assert r.exit_code == 1 and "rolled back" in flat(r.output)
    (tmp / "bad.json").write_text('{"format": "pcf-registry-head/1"}')
    r = runner.invoke(cli.app, ["registry", "check", "--registry", db, "--known-head", str(tmp / "bad.json")])
    assert r.exit_code == 2 and "not a signed head" in flat(r.output) and "--known-head" in r.output
    with pytest.raises(RegistryError, match="nothing to sign"):
        from pcf.registry import open_store

        sign_head(open_store(location(tmp, "empty.db")), admin_key)


def test_the_live_page_of_a_forged_entry_says_it_cannot_be_confirmed(victim):
    """`pcf serve` shows a label's status from the registry at each request: an entry whose row
    or events no key signed gets a 503 page saying so, not a status."""
    import urllib.error
    import urllib.request

    from pcf.serve.live import LivePages
    from pcf.serve.server import build_app

    fake = _copy_forged_label(victim, sign=True)
    genuine = victim["genuine"].number
    app = build_app(None, None, pages=LivePages(victim["db"], clock=lambda: T_CHECK))
    server, thread, port = start(app)
    base = f"http://127.0.0.1:{port}"

    def get(number):
        try:
            with urllib.request.urlopen(f"{base}/{number}.html", timeout=20) as r:
                return r.status, r.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8")

    try:
        status, body = get(genuine)
        assert status == 200 and 'data-status="valid"' in body
        status, body = get(fake.number)
        assert status == 503 and "cannot be confirmed" in body and "never admitted" in body
        db = raw_db(victim["db"])
        db.execute("UPDATE labels SET status = 'suspended' WHERE number = ?", (genuine,))
        db.commit()
        db.close()
        status, body = get(genuine)
        assert status == 503 and "row says suspended but the signed events say valid" in body
    finally:
        server.should_exit = True
        thread.join(10)
