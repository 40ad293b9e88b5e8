"""Verification cases and four eyes (issue 15 parts 1 and 2): open, checklist, record, sign;
`pcf issue` needs a signed case for the same result hash and refuses the verifier's key;
`--self-declared`; the statement names verifier, opinion and case and says "checked" only then."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

import cli
from pcf.registry import IssueRefused, check_conformance, check_registry, issue, load_signing_key, open_store, \
    register_key, renew, verify
from pcf.registry.cases import STANDARD_POINTS, open_case, record_item, show_case, sign_case
from pcf.registry.errors import CaseNotFound, CaseRefused
from pcf.registry.keys import SigningKey
from tests.registry_util import location
from tests.registry_util import DB_ERROR, raw_db
from tests.registry_util import cli_case, cli_issuer_key, make_declaration, make_result, new_registry, root_of, \
    signed_case, utc, verifier_key, with_result
from tests.conftest import flat

T0, T1 = utc(2026, 1, 1), utc(2026, 1, 2)
runner = CliRunner()

#: SHA-256 of "abc": FIPS 180-2, Appendix B.1.
ABC_SHA256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def run(*args):
    return runner.invoke(cli.app, [str(a) for a in args])


@pytest.fixture
def reg(tmp_path):
    store, key, private, _ = new_registry(tmp_path, now=T0, case=False)
    yield {"store": store, "key": key, "private": private, "tmp": tmp_path}
    store.close()


def _open(reg, declaration=None, verifier="vb-test"):
    declaration = declaration or make_declaration()
    key = verifier_key(reg["store"], verifier, T0)
    return open_case(reg["store"], declaration, check_conformance(declaration), verifier, key, now=T0)


def _record(reg, number, item, status, note, evidence=None, verifier="vb-test"):
    return record_item(reg["store"], number, item, status, note, evidence, key=verifier_key(reg["store"], verifier),
                       now=T0)


def _record_all(reg, view, status="ok"):
    for item in view.items:
        view = _record(reg, view.case.number, item["id"], status, f"checked {item['id']}")
    return view


def test_checklist_has_the_pcr_items_and_the_iso_points(reg):
    view = _open(reg)
    ids = [i["id"] for i in view.items]
    # eu-battery-cfb-ev: 7 declaration items (Art. 7(1)(a)-(g)), 4 report items (one `other`)
    assert ids[:7] == ["declaration." + k for k in ("manufacturer", "product_model", "plant_location",
                                                     "footprint_per_declared_unit", "stage_breakdown",
                                                     "conformity_declaration_id", "public_study_link")]
    assert ids[7:11] == ["report.other.1", "report.stage_breakdown", "report.separate_ghg", "report.data_quality"]
    assert ids[11:13] == ["pcr.assessment", "pcf.reproduce"]
    assert ids[13:] == [p[0] for p in STANDARD_POINTS]
    by_id = {i["id"]: i for i in view.items}
    assert by_id["declaration.manufacturer"]["clause"].startswith("Reg. (EU) 2023/1542 Art. 7(1)(a)")
    assert "bill of materials" in by_id["report.other.1"]["en"]
    assert by_id["iso14064-3.5.1.3"]["clause"] == "ISO 14064-3:2019 5.1.3"
    assert by_id["iso14067.6.4.6"]["clause"] == "ISO 14067:2018 6.4.6"
    assert all(i["status"] is None for i in view.items)
    assert view.case.number == "VC-000001" and view.case.verifier == "vb-test"
    # the case is for the result's hash: SHA-256 of the RFC 8785 form of the result file
    from pcf.core.canonical import canonical_bytes

    assert view.case.result_sha256 == hashlib.sha256(canonical_bytes(make_declaration().to_json())).hexdigest()


def test_record_refusals_and_evidence_by_sha256(reg):
    view = _open(reg)
    number = view.case.number
    with pytest.raises(CaseRefused, match="no item 'nonsense'"):
        _record(reg, number, "nonsense", "ok", "x")
    with pytest.raises(CaseRefused, match="ok or finding"):
        _record(reg, number, "pcr.assessment", "fine", "x")
    with pytest.raises(CaseRefused, match="give a note"):
        _record(reg, number, "pcr.assessment", "ok", "  ")
    with pytest.raises(CaseRefused, match="cannot read"):
        _record(reg, number, "pcr.assessment", "ok", "x", reg["tmp"] / "missing.pdf")
    with pytest.raises(CaseNotFound):
        _record(reg, "VC-000099", "pcr.assessment", "ok", "x")
    evidence = reg["tmp"] / "bom.txt"
    evidence.write_bytes(b"abc")
    view = _record(reg, number, "iso14064-3.5.4.2", "ok", "BOM traced to ERP", evidence)
    item = {i["id"]: i for i in view.items}["iso14064-3.5.4.2"]
    assert item["evidence_sha256"] == ABC_SHA256 and item["evidence_name"] == "bom.txt"
    with reg["store"].read() as tx:
        assert tx.evidence(ABC_SHA256) == b"abc"


def test_sign_refusals_then_signed(reg):
    view = _open(reg)
    number = view.case.number
    vkey = verifier_key(reg["store"], "vb-test", T0)
    with pytest.raises(CaseRefused, match="not recorded yet"):
        sign_case(reg["store"], number, vkey, "reasonable", now=T1)
    view = _record_all(reg, view)
    _record(reg, number, "iso14067.6.4.6", "finding", "co-product allocation not justified")
    with pytest.raises(CaseRefused, match="findings are open on iso14067.6.4.6"):
        sign_case(reg["store"], number, vkey, "reasonable", now=T1)
    _record(reg, number, "iso14067.6.4.6", "ok", "justification added in report rev. 2")
    with pytest.raises(CaseRefused, match="reasonable or limited"):
        sign_case(reg["store"], number, vkey, "high", now=T1)
    with pytest.raises(CaseRefused, match="issuer key; to sign a verification case a key with the role verifier"):
        sign_case(reg["store"], number, reg["key"], "reasonable", now=T1)  # the issuer's key
    other_verifier = verifier_key(reg["store"], "vb-bob", T0)
    with pytest.raises(CaseRefused, match="assigned to verifier vb-test; key .* belongs to vb-bob"):
        sign_case(reg["store"], number, other_verifier, "reasonable", now=T1)
    stranger = SigningKey.from_private(Ed25519PrivateKey.generate())
    with pytest.raises(CaseRefused, match="not in the registry"):
        sign_case(reg["store"], number, stranger, "reasonable", now=T1)
    signed = sign_case(reg["store"], number, vkey, "limited", now=T1)
    assert signed.case.status == "signed" and signed.case.opinion == "limited" and signed.case.key_id == vkey.key_id
    # the finding stays in the history; the latest record counts
    assert [r.status for r in signed.records if r.item == "iso14067.6.4.6"] == ["ok", "finding", "ok"]
    with pytest.raises(CaseRefused, match="cannot change"):
        _record(reg, number, "pcr.assessment", "ok", "again")
    with pytest.raises(CaseRefused, match="signed already"):
        sign_case(reg["store"], number, vkey, "limited", now=T1)
    assert check_registry(reg["store"]).ok


def test_issue_without_a_signed_case_is_refused(reg):
    with pytest.raises(IssueRefused, match="no signed verification case"):
        issue(reg["store"], make_declaration(), reg["key"], 730, None, now=T1)
    _record_all(reg, _open(reg))  # recorded, not signed
    with pytest.raises(IssueRefused, match="VC-000001 is open"):
        issue(reg["store"], make_declaration(), reg["key"], 730, None, now=T1)
    # a signed case for another result does not count
    signed_case(reg["store"], make_declaration(id="OTHER-PACK"), now=T0)
    with pytest.raises(IssueRefused, match="no signed verification case"):
        issue(reg["store"], make_declaration(), reg["key"], 730, None, now=T1)
    with reg["store"].read() as tx:
        assert tx.labels() == []


def test_verifier_key_issuing_its_own_case_is_refused(reg, tmp_path):
    signed_case(reg["store"], make_declaration(), now=T0)
    vkey = verifier_key(reg["store"], "vb-test")
    # the key that signed the case is a verifier key: it issues no label (key roles, issue 15 part 6)
    with pytest.raises(IssueRefused, match="verifier key; to issue labels a key with the role issuer"):
        issue(reg["store"], make_declaration(), vkey, 730, None, now=T1)
    # an issuer key registered under the verifier's name is refused too (four eyes by person)
    other = SigningKey.from_private(Ed25519PrivateKey.generate())
    register_key(reg["store"], "vb-test", other.public_key, "issuer", root_key=root_of(reg["store"]), now=T0)
    with pytest.raises(IssueRefused, match="four eyes: .* belongs to the verifier of verification case VC-000001"):
        issue(reg["store"], make_declaration(), other, 730, None, now=T1)
    with reg["store"].read() as tx:
        assert tx.labels() == []


SAME_DATA = "surveillance audit: production unchanged since the verified study"


def test_issued_label_names_the_case_and_renewal_keeps_four_eyes(reg):
    case = signed_case(reg["store"], make_declaration(), now=T0).case
    issued = issue(reg["store"], make_declaration(), reg["key"], 730, None, now=T1)
    v = issued.document["declaration"]["verification"]
    assert v == {"kind": "third-party", "case": "VC-000001", "verifier": "vb-test", "key_id": case.key_id,
                 "opinion": "reasonable", "signed_at": "2026-01-01T00:00:00Z", "case_sha256": case.case_sha256}
    assert verify(issued.number, reg["store"], at=utc(2026, 2, 1)).verdict == "valid"
    with pytest.raises(IssueRefused, match="verifier key"):
        renew(reg["store"], issued.number, verifier_key(reg["store"], "vb-test"), 730, "annual", now=utc(2026, 3, 1),
              justification=SAME_DATA)
    renewed = renew(reg["store"], issued.number, reg["key"], 730, "annual", now=utc(2026, 3, 1),
                    justification=SAME_DATA)  # the same data: a renewal needs a justification (issue 15 part 3)
    assert renewed.document["declaration"]["verification"] == v
    assert check_registry(reg["store"]).ok


def test_self_declared_label_says_so(reg):
    issued = issue(reg["store"], make_declaration(), reg["key"], 730, None, now=T1, self_declared=True)
    assert issued.document["declaration"]["verification"] == {"kind": "self-declared"}
    v = verify(issued.number, reg["store"], at=utc(2026, 2, 1))
    assert v.verdict == "valid"
    assert [c.message for c in v.checks if c.name == "verification"] == ["self-declared: not verified by a third party"]


def test_verify_and_check_find_a_label_whose_case_was_altered(reg):
    signed_case(reg["store"], make_declaration(), now=T0)
    issued = issue(reg["store"], make_declaration(), reg["key"], 730, None, now=T1)
    v = verify(issued.number, reg["store"], at=utc(2026, 2, 1))
    check = {c.name: c for c in v.checks}["verification"]
    assert check.state == "ok" and check.message.startswith("verified by vb-test (reasonable assurance), case VC-000001")
    db = raw_db(reg["store"].location)   # a writer of the database weakens the case behind the label
    db.execute("DROP TRIGGER cases_signed_final")
    db.execute("UPDATE cases SET opinion = 'limited'")
    db.commit()
    db.close()
    v = verify(issued.number, reg["store"], at=utc(2026, 2, 1))
    assert v.verdict == "invalid" and {c.name: c.state for c in v.checks}["verification"] == "fail"
    problems = check_registry(reg["store"]).problems
    assert any(p.startswith(f"label {issued.number}: differs from verification case VC-000001") for p in problems)


def test_registry_check_finds_case_edits(reg):
    signed_case(reg["store"], make_declaration(), now=T0)
    assert check_registry(reg["store"]).ok
    db = raw_db(reg["store"].location)
    with pytest.raises(DB_ERROR, match="append-only"):
        db.execute("UPDATE case_records SET status = 'ok' WHERE seq = 1")
    with pytest.raises(DB_ERROR, match="cannot change"):
        db.execute("UPDATE cases SET opinion = 'limited'")
    db.execute("DROP TRIGGER cases_signed_final")
    db.execute("UPDATE cases SET opinion = 'limited'")
    db.execute("INSERT INTO case_records VALUES ('VC-000001', 999, 'pcr.assessment', 'finding', 'x', NULL, NULL, "
               "'2026-01-01T00:00:00Z')")
    db.commit()
    db.close()
    problems = check_registry(reg["store"]).problems
    assert any("case VC-000001: opinion is 'limited', the event log says 'reasonable'" in p for p in problems)
    assert any("case VC-000001: its item records differ from the event log" in p for p in problems)
    assert any("table columns differ from the signed verification" in p for p in problems)


@pytest.mark.sqlite_only  # SQLite files made before issue 15 (no PostgreSQL registry predates the case tables)
def test_a_registry_made_before_cases_gains_the_tables(tmp_path):
    store, *_ = new_registry(tmp_path, now=T0, case=False)
    store.close()
    db = sqlite3.connect(tmp_path / "registry.db")   # as a registry of this schema made before cases
    for name, kind in db.execute("SELECT name, type FROM sqlite_master WHERE type IN ('trigger', 'index') "
                                 "AND (name LIKE 'case%' OR name LIKE 'evidence%')").fetchall():
        db.execute(f"DROP {kind.upper()} {name}")
    for table in ("case_records", "cases", "evidence"):
        db.execute(f"DROP TABLE {table}")
    db.commit()
    db.close()
    store = open_store(tmp_path / "registry.db", create=False)
    with store.read() as tx:
        assert tx.cases() == [] and tx.item_records() == []
    assert check_registry(store).ok
    signed_case(store, make_declaration(), now=T0)
    assert check_registry(store).ok
    store.close()


# ---------------------------------------------------------------------------- command line


@pytest.fixture
def cli_reg(tmp_path, monkeypatch):
    monkeypatch.setenv("PCF_REGISTRY", location(tmp_path))
    keys = tmp_path / "keys"
    cli_issuer_key(tmp_path, monkeypatch)   # root key in tmp_path/offline, registry, issuer key cb-test in keys
    result = tmp_path / "TEST-PACK-10.result.json"
    result.write_text(json.dumps(make_result()), encoding="utf-8")
    return {"tmp": tmp_path, "keys": keys, "result": result, "root": tmp_path / "offline" / "cb-root.key"}


def _pdftext(path) -> str:
    return " ".join(subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())


def test_cli_refusals_exit_2(cli_reg):
    tmp, keys, result = cli_reg["tmp"], cli_reg["keys"], cli_reg["result"]
    out = tmp / "labels"
    r = run("issue", result, "--key", keys / "cb-test.key", "--valid-days", 730, "--out", out)
    assert r.exit_code == 2 and "no signed verification case" in flat(r.output) and not out.exists()
    r = run("keys", "new", "--issuer", "vb-alice", "--role", "verifier", "--out", keys, "--root-key", cli_reg["root"])
    assert r.exit_code == 0, r.output
    vkey = keys / "vb-alice.key"
    r = run("verification", "open", result, "--verifier", "vb alice", "--key", vkey)
    assert r.exit_code == 2 and "verifier name" in flat(r.output) and "--verifier" in r.output
    r = run("verification", "open", result, "--verifier", "vb-bob", "--key", vkey)
    assert r.exit_code == 2 and "a verifier opens cases for themselves" in flat(r.output)
    r = run("verification", "open", result, "--verifier", "vb-alice", "--key", keys / "cb-test.key")
    assert r.exit_code == 2 and "issuer key" in flat(r.output)
    r = run("verification", "open", result, "--verifier", "vb-alice", "--key", vkey)
    assert r.exit_code == 0 and r.stdout.strip() == "VC-000001"
    r = run("verification", "sign", "VC-000001", "--key", vkey, "--opinion", "reasonable")
    assert r.exit_code == 2 and "not recorded yet" in flat(r.output)
    r = run("verification", "record", "VC-000001", "no-such-item", "--status", "ok", "--note", "x", "--key", vkey)
    assert r.exit_code == 2 and "no item 'no-such-item'" in flat(r.output)
    r = run("verification", "record", "VC-000001", "pcr.assessment", "--status", "maybe", "--note", "x", "--key", vkey)
    assert r.exit_code == 2 and "--status" in r.output
    r = run("verification", "record", "VC-000001", "pcr.assessment", "--status", "ok", "--note", "x",
            "--key", keys / "cb-test.key")
    assert r.exit_code == 2 and "issuer key" in flat(r.output)
    r = run("verification", "checklist", "VC-000404")
    assert r.exit_code == 2 and "no verification case" in flat(r.output)
    r = run("issue", result, "--key", keys / "cb-test.key", "--valid-days", 730, "--out", out)
    assert r.exit_code == 2 and "VC-000001 is open" in flat(r.output)


def test_cli_verifier_key_cannot_issue_and_statement_names_the_case(cli_reg):
    tmp, keys, result = cli_reg["tmp"], cli_reg["keys"], cli_reg["result"]
    case = cli_case(run, result, keys, cli_reg["root"], "vb-alice", opinion="reasonable")
    r = run("verification", "checklist", case)
    assert r.exit_code == 0 and "signed" in r.output and "ISO 14064-3:2019 5.1.3" in flat(r.output)
    out = tmp / "labels"
    r = run("issue", result, "--key", keys / "vb-alice.key", "--valid-days", 730, "--out", out)
    assert r.exit_code == 2 and "verifier key" in flat(r.output) and not out.exists()
    r = run("issue", result, "--key", keys / "cb-test.key", "--valid-days", 730, "--out", out)
    assert r.exit_code == 0, r.output
    number = r.stdout.strip()
    text = _pdftext(out / f"{number}.statement.pdf")
    assert "Verifier vb-alice has checked the carbon footprint study" in text
    assert f"verification case {case}" in text and "reasonable assurance opinion" in text
    assert "not verified" not in text
    svg = (out / f"{number}.label.svg").read_text()
    assert "Self-declared" not in svg
    assert run("verify", number).exit_code == 0
    assert run("registry", "check").exit_code == 0


def test_cli_self_declared_label_and_statement(cli_reg):
    tmp, keys, result = cli_reg["tmp"], cli_reg["keys"], cli_reg["result"]
    out = tmp / "labels"
    r = run("issue", result, "--key", keys / "cb-test.key", "--valid-days", 730, "--out", out, "--self-declared")
    assert r.exit_code == 0, r.output
    number = r.stdout.strip()
    svg = (out / f"{number}.label.svg").read_text()
    assert 'id="self-declared"' in svg and "自我声明 Self-declared" in svg and "verified" not in svg.lower()
    text = _pdftext(out / f"{number}.statement.pdf")
    assert "Self-declared" in text and "not verified by a third party" in text
    assert "has checked" not in text and "Verification statement" not in text
    label_text = _pdftext(out / f"{number}.label.pdf")
    assert "Self-declared" in label_text
    assert run("verify", number).exit_code == 0


def test_pages_say_who_verified(reg):
    from pcf.serve.publish import publish
    from tests.test_registry_publish import Elements

    signed_case(reg["store"], make_declaration(), now=T0)
    verified = issue(reg["store"], make_declaration(), reg["key"], 730, None, now=T1)
    own = issue(reg["store"], make_declaration(id="OWN-PACK"), reg["key"], 730, None, now=T1, self_declared=True)
    publish(reg["store"], reg["tmp"] / "site", now=utc(2026, 2, 1))
    page = Elements((reg["tmp"] / "site" / f"{verified.number}.html").read_text(encoding="utf-8"))
    row = page.by_id["verification"]
    assert row["attrs"]["data-kind"] == "third-party"
    assert "vb-test" in row["text"] and "reasonable assurance" in row["text"] and "VC-000001" in row["text"]
    page = Elements((reg["tmp"] / "site" / f"{own.number}.html").read_text(encoding="utf-8"))
    row = page.by_id["verification"]
    assert row["attrs"]["data-kind"] == "self-declared"
    assert "Self-declared" in row["text"] and "not verified by a third party" in row["text"]


def test_a_superseding_label_needs_a_case_for_its_own_result(reg):
    signed_case(reg["store"], make_declaration(), now=T0)
    first = issue(reg["store"], make_declaration(), reg["key"], 730, None, now=T1)
    corrected = with_result(make_declaration(), model_sha256="cd" * 32)   # another result of the same product
    with pytest.raises(IssueRefused, match="no signed verification case"):
        issue(reg["store"], corrected, reg["key"], 730, None, now=T1, supersede=first.number)
    case = signed_case(reg["store"], corrected, now=T0).case
    second = issue(reg["store"], corrected, reg["key"], 730, None, now=T1, supersede=first.number)
    assert second.document["declaration"]["verification"]["case"] == case.number == "VC-000002"
    assert verify(first.number, reg["store"], at=utc(2026, 2, 1)).verdict == "invalid"   # superseded
    assert verify(second.number, reg["store"], at=utc(2026, 2, 1)).verdict == "valid"
    assert check_registry(reg["store"]).ok
