"""Library tests of pcf.registry: canonical JSON, label numbers, keys, issue, verify,
status changes, renewal, key rotation, tokens and the registry check.

Times are fixed (the key is registered at T0 = 2026-01-01, labels issued at T1 =
2026-01-02, checked at T_CHECK = 2026-06-01) so that no test depends on the clock.
The result is the hand-made conforming pack of tests/registry_util.py: 0.200 kg CO2e/kWh,
class C.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import stat
import struct

import pytest

from pcf.registry import (IssueRefused, KeyFileError, LabelNotFound, RegistryError, StatusChangeRefused,
                          change_status, check_registry, init_registry, issue, load_signing_key, new_keys,
                          open_store, renew, verify)
from pcf.core.canonical import canonical_bytes, number_text
from pcf.registry.declaration import digest, document_text, parse_document
from pcf.registry.keys import key_id, write_key_pair
from pcf.registry.numbers import check_digits, format_number, parse_number
from pcf.registry.token import parse_token
from pcf.registry.verify import verify_document, verify_token
from tests.registry_util import DB_ERROR, raw_db
from tests.registry_util import admit, make_declaration, new_registry, root_of, utc, verified_issue, with_result

T0, T1, T_CHECK = utc(2026, 1, 1), utc(2026, 1, 2, 9, 30), utc(2026, 6, 1)


@pytest.fixture
def reg(tmp_path):
    store, key, private, public = new_registry(tmp_path, now=T0)
    yield {"store": store, "key": key, "private": private, "public": public, "tmp": tmp_path}
    store.close()


def states(v) -> dict:
    return {c.name: c.state for c in v.checks}


def states_messages(v) -> dict:
    return {c.name: c.message for c in v.checks}


# ------------------------------------------------------------------ canonical JSON (RFC 8785)

# RFC 8785 Appendix B: IEEE 754 bit patterns and their ECMAScript text.
RFC8785_NUMBERS = [
    ("0000000000000000", "0"), ("8000000000000000", "0"), ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"), ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"), ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"), ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"), ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"), ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"), ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"), ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"), ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"), ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"), ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


@pytest.mark.parametrize("bits, text", RFC8785_NUMBERS)
def test_numbers_serialise_as_rfc8785_appendix_b(bits, text):
    assert number_text(struct.unpack(">d", bytes.fromhex(bits))[0]) == text


def test_canonical_sorts_keys_by_utf16_and_escapes_minimally():
    # RFC 8785 section 3.2.3: the sorted order of these keys
    value = {"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
             "1": "One", "\U0001f600": "Emoji: Grinning Face", "\u0080": "Control",
             "\u00f6": "Latin Small Letter O With Diaeresis"}
    keys = [k for k in json.loads(canonical_bytes(value))]
    assert keys == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]
    assert canonical_bytes({"b": [1, 2.5, None, True], "a": "x\n\u001f\"é"}) == \
        '{"a":"x\\n\\u001f\\"é","b":[1,2.5,null,true]}'.encode("utf-8")


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 2 ** 53 + 1, {1: "x"}, "\ud800", {1, 2}])
def test_canonical_rejects_what_json_cannot_hold(bad):
    with pytest.raises(RegistryError):
        canonical_bytes({"v": bad})


# ------------------------------------------------------------------ label numbers

def test_check_digits_match_the_iban_example():
    # ISO 13616 example IBAN GB82 WEST 1234 5698 7654 32: the check digits 82 are MOD 97-10 over
    # the BBAN followed by the country code
    assert check_digits("WEST12345698765432GB") == "82"


def test_label_number_format_and_typos():
    number = format_number("PCF", 2026, 42)
    assert number.startswith("PCF-2026-000042-")
    parsed = parse_number(number.lower())
    assert (parsed.prefix, parsed.year, parsed.seq, parsed.text) == ("PCF", 2026, 42, number)
    body, cc = number[:-3], number[-2:]
    with pytest.raises(RegistryError, match="check digits"):
        parse_number(body.replace("000042", "000043") + "-" + cc)  # one digit mistyped
    with pytest.raises(RegistryError, match="check digits"):
        parse_number(body.replace("000042", "000024") + "-" + cc)  # two digits swapped
    assert format_number("PCF", 2026, 1234567).startswith("PCF-2026-1234567-")
    with pytest.raises(RegistryError):
        format_number("pcf", 2026, 1)


# ------------------------------------------------------------------ keys

def test_key_files_modes_no_overwrite_and_passphrase(tmp_path):
    key, private, public = write_key_pair("cb-x", tmp_path / "k", passphrase="correct horse")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert b"ENCRYPTED PRIVATE KEY" in private.read_bytes()
    assert b"PUBLIC KEY" in public.read_bytes()
    assert load_signing_key(private, "correct horse").key_id == key.key_id == key_id(key.public_key)
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        load_signing_key(private, "wrong")
    with pytest.raises(KeyFileError, match="PCF_KEY_PASSPHRASE"):
        load_signing_key(private)
    before = private.read_bytes()
    with pytest.raises(KeyFileError, match="never overwritten"):
        write_key_pair("cb-x", tmp_path / "k")
    assert private.read_bytes() == before
    private.chmod(0o640)
    with pytest.raises(KeyFileError, match="chmod 600"):
        load_signing_key(private, "correct horse")
    with pytest.raises(RegistryError, match="issuer name"):
        write_key_pair("../evil", tmp_path / "k")


def test_key_registration_failure_leaves_no_files(tmp_path, monkeypatch):
    store, key, *_ = new_registry(tmp_path, "r.db", "cb-a", now=T0)
    from pcf.registry import admin, register_key

    with pytest.raises(RegistryError, match="registered already"):
        register_key(store, "cb-b", key.public_key, root_key=root_of(store))
    with pytest.raises(RegistryError, match="issuer name"):
        admit(store, "bad name", tmp_path / "b")
    assert not (tmp_path / "b").exists()

    def broken(*args, **kwargs):
        raise RegistryError("registry is busy")

    monkeypatch.setattr(admin, "register_key", broken)
    with pytest.raises(RegistryError, match="busy"):
        admit(store, "cb-c", tmp_path / "c")
    assert list((tmp_path / "c").iterdir()) == []  # both key files removed again
    store.close()


# ------------------------------------------------------------------ issue

def test_issue_numbers_signs_stores_and_writes_the_declaration(reg):
    out = reg["tmp"] / "labels"
    issued = issue(reg["store"], make_declaration(), reg["key"], 730, out, now=T1, render=False)
    assert issued.number == format_number("PCF", 2026, 1)
    assert sorted(p.name for p in out.iterdir()) == [f"{issued.number}.declaration.json"]
    doc = parse_document((out / f"{issued.number}.declaration.json").read_bytes())
    d = doc["declaration"]
    assert d["label_number"] == issued.number
    assert d["values"]["headline"] == {"value": 0.2, "unit": "kg CO2e / kWh", "text": "0.2000",
                                       "basis": "per declared unit"}
    assert d["values"]["total_kg_co2e"] == 960.0
    # this PCR's rule (EF 3.1: biogenic CO2 0/0, 0 here; dLUC in, 0): 960 kg, 960 / 4800 = 0.2 / kWh
    assert d["values"]["declared"]["kg_co2e"] == pytest.approx(960.0)
    assert d["values"]["declared"]["per_declared_unit"] == pytest.approx(0.2)
    assert d["performance_class"]["class"] == "C"
    assert d["pcr"]["id"] == "eu-battery-cfb-ev" and d["pcr"]["conforms"] is True
    assert d["method"]["id"] == "ef-3.1-climate-change"
    assert d["background"]["sha256"] == "cd" * 32 and d["model_sha256"] == "ab" * 32
    assert d["issuer"]["name"] == "cb-test" and d["issuer"]["key_id"] == reg["key"].key_id
    # 730 days after 2026-01-02T09:30:00Z is 2028-01-02T09:30:00Z (2026 and 2027 have 365 days)
    assert (d["issued_at"], d["valid_from"], d["valid_until"]) == \
        ("2026-01-02T09:30:00Z", "2026-01-02T09:30:00Z", "2028-01-02T09:30:00Z")
    assert doc["declaration_sha256"] == digest(d)
    second = issue(reg["store"], make_declaration(id="TEST-PACK-20"), reg["key"], 730, None, now=T1,
                   self_declared=True)  # another product (one label per result and product, issue 15 part 3)
    assert parse_number(second.number).seq == 2
    with reg["store"].read() as tx:
        kinds = [e.kind for e in tx.events()]
    # root, issuer key, verifier key, the case (opened, one record per item, signed), two labels
    n_items = len(kinds) - 7
    assert n_items > 20
    assert kinds == ["registry-root", "key-added", "key-added", "case-opened"] + ["case-recorded"] * n_items + \
        ["case-signed", "label-issued", "label-issued"]


def test_nonconforming_result_is_refused_and_nothing_is_used(reg):
    with reg["store"].read() as tx:
        before = [e.hash for e in tx.events()]
    result = with_result(make_declaration(), parameters={"capacity_kwh": 10, "cycles_per_year": 50,  # the PCR
                                                         "service_life_years": 8}).replace(assessment=None)  # fixes 60
    out = reg["tmp"] / "out"
    with pytest.raises(IssueRefused, match="fixed-parameter"):
        issue(reg["store"], result, reg["key"], 730, out, now=T1)
    no_pcr = make_declaration()
    no_pcr = with_result(no_pcr, study=dataclasses.replace(no_pcr.result.study, pcr=None)).replace(assessment=None)
    with pytest.raises(IssueRefused, match="names no PCR"):
        issue(reg["store"], no_pcr, reg["key"], 730, out, now=T1)
    stale = make_declaration()
    stale = stale.replace(assessment=dataclasses.replace(
        stale.assessment, performance_class=dataclasses.replace(stale.assessment.performance_class, class_="A")))
    with pytest.raises(IssueRefused, match="recompute"):
        issue(reg["store"], stale, reg["key"], 730, out, now=T1)
    with pytest.raises(IssueRefused, match="whole number of days"):
        issue(reg["store"], make_declaration(), reg["key"], 0, out, now=T1)
    # half of the 960 kg is dLUC; a result declared without dLUC states 480 / 4800 = 0.1 per kWh, the PCR
    # declares 0.2 (dLUC included)
    split = make_declaration()
    split = with_result(split, ghg=dataclasses.replace(split.result.ghg, fossil=480.0, dluc=480.0)).replace(
        accounting=dataclasses.replace(split.accounting, dluc_included=False))
    with pytest.raises(IssueRefused, match="declared figure"):
        issue(reg["store"], split, reg["key"], 730, out, now=T1)
    with pytest.raises(IssueRefused, match="system clock"):
        issue(reg["store"], make_declaration(), reg["key"], 730, out, now=utc(2025, 12, 31))
    assert not out.exists() or list(out.iterdir()) == []
    with reg["store"].read() as tx:
        assert tx.labels() == [] and [e.hash for e in tx.events()] == before
    assert parse_number(issue(reg["store"], make_declaration(), reg["key"], 1, None, now=T1).number).seq == 1


def test_unregistered_key_cannot_issue(reg, tmp_path):
    stranger, *_ = write_key_pair("cb-stranger", tmp_path / "stranger")
    with pytest.raises(IssueRefused, match="not in the registry"):
        issue(reg["store"], make_declaration(), stranger, 730, None, now=T1)


# ------------------------------------------------------------------ verify

def test_verify_number_file_and_token(reg):
    issued = issue(reg["store"], make_declaration(), reg["key"], 730, reg["tmp"] / "l", now=T1, render=False)
    v = verify(issued.number, reg["store"], at=T_CHECK)
    assert v.verdict == "valid" and v.exit_code == 0
    assert states(v) == {"format": "ok", "hash": "ok", "issuer key": "ok", "signature": "ok", "validity": "ok",
                         "registry": "ok", "events": "ok", "status": "ok", "verification": "ok"}
    path = str(issued.files["declaration.json"])
    assert verify(path, reg["store"], at=T_CHECK).verdict == "valid"
    offline = verify(path, None, at=T_CHECK)
    assert offline.verdict == "unconfirmed" and offline.exit_code == 3
    assert states(offline)["status"] == "unknown" and states(offline)["signature"] == "ok"
    pinned = verify(path, None, reg["key"].public_key, at=T_CHECK)
    assert states(pinned)["issuer key"] == "ok" and pinned.verdict == "unconfirmed"
    token = verify(issued.token, reg["store"], at=T_CHECK)
    assert token.verdict == "valid" and states(token)["token"] == "ok"
    parsed = parse_token(issued.token)
    assert parsed.fields["n"] == issued.number and parsed.fields["v"] == "0.2000" and parsed.fields["c"] == "C"
    assert len(issued.token) < 260


def test_one_changed_byte_fails(reg):
    issued = issue(reg["store"], make_declaration(), reg["key"], 730, reg["tmp"] / "l", now=T1, render=False)
    data = issued.files["declaration.json"].read_bytes()
    # the value 0.2 -> 0.3 in the headline: still valid JSON, still a declaration
    i = data.index(b'"value": 0.2')
    tampered = data[:i + 11] + b"3" + data[i + 12:]
    assert len(tampered) == len(data) and tampered != data
    v = verify_document(tampered, reg["store"], at=T_CHECK)
    assert v.verdict == "invalid"
    assert states(v)["hash"] == "fail" and states(v)["signature"] == "fail" and states(v)["registry"] == "fail"
    # every single-bit change at every byte fails, offline with the issuer's key too
    for pos in range(len(data)):
        flipped = data[:pos] + bytes([data[pos] ^ 0x01]) + data[pos + 1:]
        result = verify_document(flipped, None, reg["key"].public_key, at=T_CHECK)
        assert "fail" in states(result).values(), f"flipping byte {pos} ({data[pos:pos + 1]!r}) went unnoticed"
    # and the token
    token = issued.token
    bad = token.replace("|v=0.2000|", "|v=0.100|")
    assert verify_token(bad, reg["store"], at=T_CHECK).verdict == "invalid"
    assert verify_token(bad, None, reg["key"].public_key, at=T_CHECK).verdict == "invalid"


def test_label_signed_by_an_unknown_key_fails(reg, tmp_path):
    issued = issue(reg["store"], make_declaration(), reg["key"], 730, None, now=T1)
    forger, *_ = write_key_pair("cb-test", tmp_path / "forger")
    from pcf.registry.declaration import sign
    from pcf.registry.keys import b64url, raw_public

    decl = json.loads(issued.record.document)["declaration"]
    decl["values"]["headline"]["value"] = 0.05
    decl["performance_class"]["class"] = "A"
    decl["issuer"] = {"name": "cb-test", "key_id": forger.key_id,
                      "public_key": b64url(raw_public(forger.public_key))}
    forged_doc = sign(decl, forger)  # self-consistent: hash and signature hold under the forger's key
    v = verify_document(document_text(forged_doc), reg["store"], at=T_CHECK)
    assert v.verdict == "invalid" and states(v)["issuer key"] == "fail"
    assert "unknown key" in {c.name: c.message for c in v.checks}["issuer key"]
    pinned = verify_document(document_text(forged_doc), None, reg["key"].public_key, at=T_CHECK)
    assert pinned.verdict == "invalid" and states(pinned)["issuer key"] == "fail"
    # offline without a key it is only "unconfirmed", never "valid"
    assert verify_document(document_text(forged_doc), None, at=T_CHECK).verdict == "unconfirmed"


def test_expired_and_not_yet_valid_fail(reg):
    issued = issue(reg["store"], make_declaration(), reg["key"], 30, None, now=T1)
    # valid 30 days from 2026-01-02T09:30Z: until 2026-02-01T09:30Z (exclusive)
    assert verify(issued.number, reg["store"], at=utc(2026, 2, 1, 9, 29, 59)).verdict == "valid"
    expired = verify(issued.number, reg["store"], at=utc(2026, 2, 1, 9, 30))
    assert expired.verdict == "invalid" and states(expired)["validity"] == "fail"
    assert "expired" in {c.name: c.message for c in expired.checks}["validity"]
    early = verify(issued.number, reg["store"], at=utc(2026, 1, 2, 9, 29))
    assert states(early)["validity"] == "fail"


# ------------------------------------------------------------------ suspend, reinstate, revoke, renew

def test_suspend_reinstate_revoke_with_reasons(reg):
    issued = issue(reg["store"], make_declaration(), reg["key"], 730, None, now=T1)
    n = issued.number
    change_status(reg["store"], n, "suspend", "audit pending", reg["key"], now=utc(2026, 2, 1))
    assert states(verify(n, reg["store"], at=T_CHECK))["status"] == "fail"
    with pytest.raises(StatusChangeRefused):
        change_status(reg["store"], n, "suspend", "again", reg["key"])
    change_status(reg["store"], n, "reinstate", "audit closed", reg["key"], now=utc(2026, 2, 2))
    assert verify(n, reg["store"], at=T_CHECK).verdict == "valid"
    with pytest.raises(StatusChangeRefused, match="reason"):
        change_status(reg["store"], n, "revoke", "  ", reg["key"])
    change_status(reg["store"], n, "revoke", "data found wrong", reg["key"], now=utc(2026, 3, 1))
    v = verify(n, reg["store"], at=T_CHECK)
    assert v.verdict == "invalid" and v.status == "revoked"
    for action in ("reinstate", "suspend", "revoke"):
        with pytest.raises(StatusChangeRefused, match="revoked"):
            change_status(reg["store"], n, action, "try", reg["key"])
    with pytest.raises(StatusChangeRefused, match="revoked"):
        renew(reg["store"], n, reg["key"], 730, "try", now=T_CHECK)
    with pytest.raises(LabelNotFound):
        change_status(reg["store"], format_number("PCF", 2026, 99), "revoke", "x", reg["key"])
    with reg["store"].read() as tx:
        events = tx.events(n)
    assert [(e.kind, e.data.get("reason")) for e in events] == [
        ("label-issued", None), ("label-suspended", "audit pending"), ("label-reinstated", "audit closed"),
        ("label-revoked", "data found wrong")]
    assert check_registry(reg["store"]).ok


def test_revoked_label_stays_revoked_even_if_the_table_is_edited(reg):
    issued = issue(reg["store"], make_declaration(), reg["key"], 730, None, now=T1)
    change_status(reg["store"], issued.number, "revoke", "fraud", reg["key"], now=utc(2026, 2, 1))
    db = raw_db(reg["store"].location)
    with pytest.raises(DB_ERROR, match="stays revoked"):
        db.execute("UPDATE labels SET status = 'valid' WHERE number = ?", (issued.number,))
    # an attacker with the file drops the trigger and un-revokes the label
    db.execute("DROP TRIGGER labels_revoked_final")
    db.execute("UPDATE labels SET status = 'valid' WHERE number = ?", (issued.number,))
    db.commit()
    db.close()
    v = verify(issued.number, reg["store"], at=T_CHECK)
    assert v.verdict == "invalid" and v.status == "revoked"
    report = check_registry(reg["store"])
    assert any("status is 'valid', the event log says 'revoked'" in p for p in report.problems)


def test_renewal_gets_a_new_number_linked_to_the_old(reg):
    old = issue(reg["store"], make_declaration(), reg["key"], 30, None, now=T1)
    new = renew(reg["store"], old.number, reg["key"], 730, "annual review", reg["tmp"] / "r",
                now=utc(2026, 1, 20), render=False, justification="audit found the 2025 data still representative")
    assert parse_number(new.number).seq == parse_number(old.number).seq + 1
    d = new.document["declaration"]
    assert d["renews"] == old.number and d["valid_from"] == "2026-01-20T00:00:00Z"
    assert d["supersedes"] == old.number and d["justification"] == "audit found the 2025 data still representative"
    assert d["values"] == old.document["declaration"]["values"]
    with reg["store"].read() as tx:
        assert tx.label(old.number).renewed_by == new.number
        assert tx.label(old.number).superseded_by == new.number and tx.label(old.number).status == "superseded"
        assert [(e.kind, e.data) for e in tx.events(old.number)[-2:]] == [
            ("label-superseded", {"superseded_by": new.number}),
            ("label-renewed", {"reason": "annual review", "renewed_by": new.number,
                               "justification": "audit found the 2025 data still representative"})]
    # issue 15: a renewed label no longer verifies, even inside its own validity period
    v_old = verify(old.number, reg["store"], at=utc(2026, 1, 21))
    assert v_old.verdict == "invalid" and v_old.renewed_by == new.number and v_old.status == "superseded"
    assert f"superseded by {new.number}" in states_messages(v_old)["status"]
    assert verify(new.number, reg["store"], at=T_CHECK).verdict == "valid"
    with pytest.raises(StatusChangeRefused, match="superseded"):
        renew(reg["store"], old.number, reg["key"], 730, "again", justification="x")
    other = make_declaration(id="OTHER-PACK")
    with pytest.raises(StatusChangeRefused, match="product"):
        renew(reg["store"], new.number, reg["key"], 730, "swap", declaration=other, justification="x")
    assert check_registry(reg["store"]).ok


def test_key_rotation_keeps_old_labels_verifiable(reg, tmp_path):
    old_label = issue(reg["store"], make_declaration(), reg["key"], 730, None, now=T1)
    new_key, *_ = admit(reg["store"], "cb-test", tmp_path / "rotated", now=utc(2026, 3, 1))
    assert verify(old_label.number, reg["store"], at=T_CHECK).verdict == "valid"
    with pytest.raises(IssueRefused, match="retired"):
        issue(reg["store"], make_declaration(id="NEW-PACK"), reg["key"], 730, None, now=utc(2026, 3, 2))
    new_label = verified_issue(reg["store"], make_declaration(id="NEW-PACK"), new_key, 730, None, now=utc(2026, 3, 2))
    assert verify(new_label.number, reg["store"], at=T_CHECK).verdict == "valid"
    with reg["store"].read() as tx:
        keys = tx.keys("cb-test")
    assert [k.retired_at for k in keys] == ["2026-03-01T00:00:00Z", None]
    # a declaration backdated into the old key's retirement fails the key check
    from pcf.registry.declaration import sign

    decl = json.loads(old_label.record.document)["declaration"]
    decl["issued_at"] = decl["valid_from"] = "2026-04-01T00:00:00Z"
    backdated = sign(decl, reg["key"])
    v = verify_document(backdated, reg["store"], at=T_CHECK)
    assert states(v)["issuer key"] == "fail"
    assert check_registry(reg["store"]).ok


# ------------------------------------------------------------------ registry check, settings, store

def test_registry_check_finds_edited_and_removed_events(tmp_path):
    reg = {"store": new_registry(tmp_path, now=T0, case=False)[0]}  # events 1 key, 2-4 labels (self-declared)
    reg["key"] = load_signing_key(tmp_path / "keys" / "cb-test.key")
    for i in range(3):  # one product per label (issue 15 part 3)
        issue(reg["store"], make_declaration(id=f"PACK-{i}"), reg["key"], 730, None, now=T1, self_declared=True)
    report = check_registry(reg["store"])
    assert report.ok and report.events == 5 and report.labels == 3 and len(report.head) == 64
    db = raw_db(reg["store"].location)
    with pytest.raises(DB_ERROR, match="append-only"):
        db.execute("UPDATE events SET at = 'x' WHERE seq = 2")
    with pytest.raises(DB_ERROR, match="append-only"):
        db.execute("DELETE FROM events WHERE seq = 3")
    db.execute("DROP TRIGGER events_append_only_update")
    db.execute("UPDATE events SET data = replace(data, '2028', '2030') WHERE seq = 3")  # the first label-issued
    db.commit()
    report = check_registry(reg["store"])
    assert any("event 3" in p and "does not match its hash" in p for p in report.problems)
    # its signature no longer verifies, so it does not count: the label has no issue event
    assert any("event 3" in p and "does not verify" in p for p in report.problems)
    assert any("never issued in the event log" in p for p in report.problems)
    db.execute("DROP TRIGGER events_append_only_delete")
    db.execute("DELETE FROM events WHERE seq = 4")
    db.commit()
    db.close()
    problems = check_registry(reg["store"]).problems
    assert any("event 5" in p and "expected event number 4" in p for p in problems)
    assert any("issued in the event log but missing" in p or "never issued in the event log" in p for p in problems)


def test_registry_check_finds_an_edited_declaration(reg):
    issued = issue(reg["store"], make_declaration(), reg["key"], 730, None, now=T1)
    db = raw_db(reg["store"].location)
    db.execute("DROP TRIGGER labels_signed_content_fixed")
    db.execute("UPDATE labels SET document = replace(document, '\"class\": \"C\"', '\"class\": \"A\"')")
    db.commit()
    db.close()
    problems = check_registry(reg["store"]).problems
    assert problems and any("altered" in p for p in problems)
    assert verify(issued.number, reg["store"], at=T_CHECK).verdict == "invalid"


def test_settings_prefix_and_url(tmp_path):
    store, key, *_ = new_registry(tmp_path, now=T0)
    init_registry(store, prefix="CBX", url="https://labels.example.org/pcf/", root_key=root_of(store), now=T0)
    issued = issue(store, make_declaration(), key, 730, None, now=T1)
    assert issued.number.startswith("CBX-2026-000001-")
    assert issued.qr == f"https://labels.example.org/pcf/{issued.number}.html"
    assert issued.document["declaration"]["verification_url"] == issued.qr
    with pytest.raises(RegistryError, match="prefix cannot change"):
        init_registry(store, prefix="XYZ", root_key=root_of(store))
    with pytest.raises(RegistryError, match="http"):
        init_registry(store, url="javascript:alert(1)", root_key=root_of(store))
    assert check_registry(store).ok
    store.close()


@pytest.mark.sqlite_only  # about SQLite files (PostgreSQL's refusals: tests/test_registry_pgstore.py)
def test_store_refuses_foreign_files(tmp_path):
    (tmp_path / "junk.db").write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(RegistryError, match="not a usable pcf registry"):
        open_store(tmp_path / "junk.db")
    other = sqlite3.connect(tmp_path / "other.db")
    other.execute("CREATE TABLE x (a)")
    other.commit()
    other.close()
    with pytest.raises(RegistryError, match="not a pcf registry"):
        open_store(tmp_path / "other.db")
    with pytest.raises(RegistryError, match="no registry"):
        open_store(tmp_path / "missing.db", create=False)
    with pytest.raises(RegistryError, match="unknown registry location mysql://"):
        open_store("mysql://localhost/pcf")
    assert not (tmp_path / "missing.db").exists()


@pytest.mark.sqlite_only  # SQLite's write-ahead log
def test_registry_uses_wal(reg):
    db = raw_db(reg["store"].location)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()
    assert os.path.exists(reg["store"].location + "-wal")


def test_render_failure_inside_the_transaction_issues_nothing(reg, monkeypatch):
    """The label is rendered after its row and event are written, before the commit: a failure
    there (no CJK font) rolls everything back."""
    from pcf.core.errors import RenderError
    from pcf.render import fonts

    monkeypatch.setattr(fonts, "_fc_list", lambda: "")
    out = reg["tmp"] / "labels"
    with pytest.raises(RenderError, match="fonts-noto-cjk"):
        issue(reg["store"], make_declaration(), reg["key"], 730, out, now=T1)
    assert not out.exists()
    with reg["store"].read() as tx:
        assert tx.labels() == [] and tx.events()[-1].kind == "case-signed"
    assert check_registry(reg["store"]).ok
