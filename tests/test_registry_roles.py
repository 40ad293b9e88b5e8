"""Key roles (issue 15 part 6): every registry key is an admin, verifier or issuer key; one
current key per holder; a registry made by an earlier pcf is refused with a "re-init" message.

Times are fixed: keys registered at T0 = 2026-01-01, labels issued at T1 = 2026-01-02.
"""

from __future__ import annotations


import pytest
from typer.testing import CliRunner

import cli
from pcf.registry import (ROLES, IssueRefused, RegistryCorrupt, RegistryError, check_registry, issue, key_standing,
                          open_store, require_key)
from pcf.registry.roles import KeyNotAllowed
from tests.registry_util import DB_ERROR, location, raw_db
from tests.registry_util import admit, make_declaration, new_registry, root_of, signed_case, utc
from tests.conftest import flat

T0, T1, T2 = utc(2026, 1, 1), utc(2026, 1, 2), utc(2026, 3, 1)
runner = CliRunner()


def test_roles_are_stored_looked_up_and_enforced(tmp_path):
    store, issuer, *_ = new_registry(tmp_path, "r.db", "cb-a", now=T0)
    verifier, *_ = admit(store, "ver-1", tmp_path / "k", role="verifier", now=T0)
    admin, *_ = admit(store, "adm-1", tmp_path / "k", role="admin", now=T0)
    assert ROLES == ("admin", "verifier", "issuer")
    with store.read() as tx:
        got = [key_standing(tx, k.key_id, T1) for k in (issuer, verifier, admin)]
        assert key_standing(tx, "0" * 32) is None
        # a key is not current before it was registered
        assert key_standing(tx, issuer.key_id, utc(2025, 12, 31)).current is False
    assert [(s.name, s.role, s.current) for s in got] == [
        ("cb-a", "issuer", True), ("ver-1", "verifier", True), ("adm-1", "admin", True)]
    # only an issuer key issues labels
    with pytest.raises(IssueRefused, match="verifier key; to issue labels a key with the role issuer"):
        issue(store, make_declaration(), verifier, 730, None, now=T1)
    with pytest.raises(IssueRefused, match="admin key"):
        issue(store, make_declaration(), admin, 730, None, now=T1)
    signed_case(store, make_declaration(), now=T0)  # issue 15 part 2: a label needs a signed case
    issue(store, make_declaration(), issuer, 730, None, now=T1)
    with store.write() as tx:
        assert require_key(tx, verifier, "verifier", T1).issuer == "ver-1"
        with pytest.raises(KeyNotAllowed, match="issuer key"):
            require_key(tx, issuer, ("verifier", "admin"), T1, "sign a verification")
    with pytest.raises(RegistryError, match="role 'boss'"):
        admit(store, "x", tmp_path / "x", role="boss")
    assert not (tmp_path / "x").exists()
    assert check_registry(store).ok
    store.close()


def test_one_current_key_per_holder(tmp_path):
    store, first, *_ = new_registry(tmp_path, "r.db", "cb-a", now=T0)
    second, *_ = admit(store, "cb-a", tmp_path / "k2", now=T2)
    with store.read() as tx:
        assert key_standing(tx, first.key_id, T1).current is True    # labels of January stay verifiable
        assert key_standing(tx, first.key_id, T2).current is False
        assert key_standing(tx, second.key_id, T2).current is True
    # a second current key written into the table directly: refused by the database, and
    # found by the check when the index is dropped
    db = raw_db(store.location)
    with pytest.raises(DB_ERROR):
        db.execute("UPDATE issuer_keys SET retired_at = NULL WHERE key_id = ?", (first.key_id,))
    db.execute("DROP INDEX one_current_key")
    db.execute("UPDATE issuer_keys SET retired_at = NULL WHERE key_id = ?", (first.key_id,))
    db.commit()
    db.close()
    problems = check_registry(store).problems
    assert any(first.key_id in p and "differs from the event log" in p for p in problems), problems
    store.close()


def test_a_registry_of_an_earlier_pcf_is_refused_with_re_init(tmp_path):
    old = location(tmp_path, "old.db")
    db = raw_db(old)
    db.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.executemany("INSERT INTO meta VALUES (?, ?)", [("format", "pcf-registry"), ("schema", "1"), ("prefix", "PCF")])
    db.commit()
    db.close()
    with pytest.raises(RegistryCorrupt, match="earlier pcf .*schema 1.*re-init"):
        open_store(old, create=False)
    r = runner.invoke(cli.app, ["registry", "list", "--registry", old])
    assert r.exit_code == 2 and "re-init" in r.output and "Traceback" not in r.output


def test_cli_roles(tmp_path, monkeypatch):
    from tests.test_registry_cli import init_with_root

    monkeypatch.setenv("PCF_REGISTRY", location(tmp_path, "r.db"))
    root = str(init_with_root(tmp_path, monkeypatch))
    r = runner.invoke(cli.app, ["keys", "new", "--issuer", "ver-1", "--out", str(tmp_path / "k"), "--role", "verifier",
                                "--root-key", root])
    assert r.exit_code == 0 and "as verifier" in flat(r.output), r.output
    r = runner.invoke(cli.app, ["keys", "new", "--issuer", "x", "--out", str(tmp_path / "x"), "--role", "boss",
                                "--root-key", root])
    assert r.exit_code == 2 and "role 'boss'" in flat(r.output) and "--role" in r.output
    r = runner.invoke(cli.app, ["keys", "new", "--issuer", "adm", "--out", str(tmp_path / "a"), "--no-register"])
    assert r.exit_code == 0
    r = runner.invoke(cli.app, ["registry", "add-key", str(tmp_path / "a" / "adm.pub"), "--issuer", "adm",
                                "--role", "admin", "--root-key", root])
    assert r.exit_code == 0 and "as admin" in flat(r.output)
    r = runner.invoke(cli.app, ["keys", "new", "--issuer", "y", "--out", str(tmp_path / "y"), "--root-key", root,
                                "--valid-until", "next week"])
    assert r.exit_code == 2 and "--valid-until" in r.output and not (tmp_path / "y").exists()
    r = runner.invoke(cli.app, ["keys", "new", "--issuer", "y", "--out", str(tmp_path / "y"), "--root-key", root,
                                "--valid-until", "2999-01-01"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli.app, ["keys", "list"])
    assert r.exit_code == 0 and "verifier" in r.output and "admin" in r.output


def test_admission_validity_is_signed_and_enforced(tmp_path):
    """The root key admits a key with its validity: valid_from (the admission time) and an
    optional valid_until (exclusive); after it the key signs nothing."""
    from pcf.registry.roles import admitted_until

    store, _, *_ = new_registry(tmp_path, "r.db", "cb-a", now=T0)
    key, _, _, record = admit(store, "cb-b", tmp_path / "b", now=T0, valid_until=utc(2026, 2, 1))
    with store.read() as tx:
        event = [e for e in tx.events(kinds=("key-added",)) if e.data["key_id"] == key.key_id][0]
        assert event.data["valid_from"] == "2026-01-01T00:00:00Z" and event.data["valid_until"] == "2026-02-01T00:00:00Z"
        assert event.signer == root_of(store).key_id
        assert admitted_until(tx, key.key_id) == "2026-02-01T00:00:00Z"
        assert key_standing(tx, key.key_id, utc(2026, 1, 31)).current is True
        assert key_standing(tx, key.key_id, utc(2026, 2, 1)).current is False
    january = issue(store, make_declaration(), key, 730, None, now=utc(2026, 1, 15))
    with pytest.raises(IssueRefused, match="admitted until 2026-02-01"):
        issue(store, make_declaration(), key, 730, None, now=utc(2026, 2, 1))
    from pcf.registry import verify

    assert verify(january.number, store, at=utc(2026, 6, 1)).verdict == "valid"
    assert check_registry(store).ok
    with pytest.raises(RegistryError, match="would end"):
        admit(store, "cb-c", tmp_path / "c", now=T1, valid_until=T0)
    store.close()
