"""Command line of the label registry (the thin layer over pcf.registry): the README's full
cycle on the NMC811 example under GB/T 24067 (under the EU battery rules it does not conform
and is refused) and on the PV example, exit
statuses, and that errors write nothing."""

from __future__ import annotations

import hashlib
import json
import stat

import pytest
from typer.testing import CliRunner

import cli
from pcf.registry.numbers import parse_number
from tests.registry_util import location, raw_db
from tests.registry_util import TEST_PASSPHRASE, cli_case, cli_root, make_declaration, make_result, with_result
from tests.test_registry_publish import Elements, chromium_dom
from tests.conftest import flat

runner = CliRunner()
PV = "examples/pv/mono-si-module-cn.yaml"
BATTERY = "examples/battery/nmc811-pack.yaml"


def run(*args, env=None):
    return runner.invoke(cli.app, [str(a) for a in args], env=env)


PASSPHRASE = TEST_PASSPHRASE


def init_with_root(tmp_path, monkeypatch, *init_args):
    """:func:`tests.registry_util.cli_root`: the root key path."""
    return cli_root(tmp_path, monkeypatch, *init_args)


def test_full_cycle_on_the_nmc811_example(open_default, tmp_path, monkeypatch):
    """README: the NMC811 pack under GB/T 24067 (China CFP label route, with the IPCC 2021
    method that rule requires; the model declares EF 3.1 for the EU rule), with a verifier:
    keys (root, issuer, verifier), case opened, a finding recorded and closed with evidence,
    every item recorded, signed, issued (not with the verifier's key), verified, renewed with a
    justification (the old label superseded), revoked, published, pages in Chromium. Under its model's own PCR (EU batteries) it is refused
    first: its production data are secondary (Annex II point 1)."""
    monkeypatch.chdir(cli.__file__.rsplit("/", 1)[0])
    monkeypatch.setenv("PCF_REGISTRY", location(tmp_path))
    out, cn, keys, vkeys, labels, site = (tmp_path / d for d in ("out", "cn", "keys", "vkeys", "labels", "site"))
    assert run("footprint", BATTERY, "--out", out).exit_code == 0
    r = run("footprint", BATTERY, "--pcr", "gbt-24067-generic", "--method", "ipcc-2021-gwp100", "--out", cn)
    assert r.exit_code == 0, r.output
    result = json.loads((cn / "SKU-NMC811-PACK.result.json").read_text())
    assert result["study"]["pcr"] == "gbt-24067-generic" and result["study"]["model_pcr"] == "eu-battery-cfb-ev"
    assert result["assessment"]["pcr"]["id"] == "gbt-24067-generic" and result["assessment"]["conforms"] is True
    root = init_with_root(tmp_path, monkeypatch)
    assert run("keys", "new", "--issuer", "cb-example", "--out", keys, "--root-key", root).exit_code == 0
    r = run("keys", "new", "--issuer", "vb-alice", "--role", "verifier", "--out", vkeys, "--root-key", root)
    assert r.exit_code == 0, r.output
    vkey, ikey = vkeys / "vb-alice.key", keys / "cb-example.key"
    r = run("issue", out / "SKU-NMC811-PACK.result.json", "--key", ikey, "--valid-days", 730, "--out", labels)
    assert r.exit_code == 2 and "primary-data" in r.output, r.output
    res = cn / "SKU-NMC811-PACK.result.json"
    r = run("issue", res, "--key", ikey, "--valid-days", 730, "--out", labels)
    assert r.exit_code == 2 and "no signed verification case" in flat(r.output), r.output
    r = run("verification", "open", res, "--verifier", "vb-alice", "--key", vkey)
    assert r.exit_code == 0, r.output
    case = r.stdout.strip()
    assert case == "VC-000001"
    r = run("verification", "checklist", case)
    assert r.exit_code == 0 and "ISO 14064-3:2019 5.1.3" in flat(r.output)
    r = run("verification", "record", case, "iso14064-3.5.4.2", "--status", "finding", "--note", "cell BOM not traced",
            "--key", vkey)
    assert r.exit_code == 0 and "1 open finding" in flat(r.output) and "open findings" not in r.output, r.output
    evidence = tmp_path / "bom-export.csv"
    evidence.write_text("part,kg\ncell,1\n", encoding="utf-8")
    r = run("verification", "record", case, "iso14064-3.5.4.2", "--status", "ok", "--note", "BOM traced to ERP export",
            "--evidence", evidence, "--key", vkey)
    assert r.exit_code == 0 and hashlib.sha256(evidence.read_bytes()).hexdigest() in r.output, r.output
    r = run("verification", "sign", case, "--key", vkey, "--opinion", "reasonable")
    assert r.exit_code == 2 and "not recorded yet" in flat(r.output), r.output
    todo = run("verification", "checklist", case, "--todo").stdout.split()
    assert len(todo) > 20 and "iso14064-3.5.4.2" not in todo
    for item in todo:
        r = run("verification", "record", case, item, "--status", "ok", "--note", "checked, see working papers",
                "--key", vkey)
        assert r.exit_code == 0, r.output
    assert run("verification", "checklist", case, "--todo").stdout.strip() == ""
    r = run("verification", "sign", case, "--key", vkey, "--opinion", "reasonable")
    assert r.exit_code == 0 and "signed" in r.output, r.output
    r = run("issue", res, "--key", vkey, "--valid-days", 730, "--out", labels)
    assert r.exit_code == 2 and "verifier key" in flat(r.output), r.output
    r = run("issue", res, "--key", ikey, "--valid-days", 730, "--out", labels)
    assert r.exit_code == 0, r.output
    number = r.stdout.strip()
    declaration = json.loads((labels / f"{number}.declaration.json").read_text())["declaration"]
    assert declaration["product"]["id"] == "SKU-NMC811-PACK"
    assert declaration["pcr"]["id"] == "gbt-24067-generic" and declaration["pcr"]["conforms"] is True
    assert declaration["verification"]["case"] == case and declaration["verification"]["verifier"] == "vb-alice"
    statement = pdf_text(labels / f"{number}.statement.pdf")
    assert "Verifier vb-alice has checked" in statement and f"verification case {case}" in statement
    assert "reasonable assurance" in statement
    assert run("verify", number).exit_code == 0
    r = run("verify", labels / f"{number}.declaration.json", "--offline", "--key", keys / "cb-example.pub")
    assert r.exit_code == 3, r.output
    r = run("issue", res, "--key", ikey, "--valid-days", 730, "--out", labels)
    assert r.exit_code == 2 and f"already issued as {number}" in flat(r.output), r.output  # one label per result
    r = run("renew", number, "--key", ikey, "--valid-days", 730, "--reason", "annual surveillance", "--out", labels,
            "--justification", "production and suppliers unchanged (surveillance audit)")
    assert r.exit_code == 0, r.output
    renewal, old = r.stdout.strip(), number
    r = run("verify", old)
    assert r.exit_code == 1 and f"superseded by {renewal}" in flat(r.output), r.output
    number = renewal  # the current label from here on
    assert run("verify", number).exit_code == 0
    assert run("revoke", number, "--reason", "cell supplier data found wrong in audit", "--key", ikey).exit_code == 0
    r = run("verify", number)
    assert r.exit_code == 1 and "revoked" in r.output
    assert run("registry", "check").exit_code == 0
    assert run("registry", "publish", site).exit_code == 0
    superseded = Elements(chromium_dom((site / f"{old}.html").as_uri(), tmp_path))
    assert superseded.by_id["status"]["attrs"]["data-status"] == "superseded"
    assert superseded.by_id["superseded-by"]["text"].strip() == number
    dom = Elements(chromium_dom((site / f"{number}.html").as_uri(), tmp_path))
    assert dom.by_id["status"]["attrs"]["data-status"] == "revoked"
    assert "production and suppliers unchanged" in dom.by_id["justification"]["text"]
    assert "SKU-NMC811-PACK" in dom.by_id["product"]["text"]
    assert dom.by_id["verification"]["attrs"]["data-kind"] == "third-party"
    assert "vb-alice" in dom.by_id["verification"]["text"] and case in dom.by_id["verification"]["text"]


def pdf_text(path) -> str:
    """The words of a PDF (pdftotext), joined by single spaces."""
    import subprocess

    return " ".join(subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())


def test_full_cycle_on_the_pv_example(open_default, tmp_path, monkeypatch):
    """keys, issue, verify (0), revoke, verify (non-zero), publish, page in a browser.
    The NMC811 example is refused first: it does not conform (Annex II point 1, Art. 7(1))."""
    monkeypatch.chdir(cli.__file__.rsplit("/", 1)[0])
    monkeypatch.setenv("PCF_REGISTRY", location(tmp_path))
    out, keys, labels, site = tmp_path / "out", tmp_path / "keys", tmp_path / "labels", tmp_path / "site"
    r = run("footprint", PV, "--out", out)
    assert r.exit_code == 0, r.output
    r = run("footprint", BATTERY, "--out", out)
    assert r.exit_code == 0, r.output
    root = init_with_root(tmp_path, monkeypatch, "--prefix", "CBX", "--url", "https://labels.example.org/pcf")
    r = run("keys", "new", "--issuer", "cb-example", "--out", keys, "--root-key", root)
    assert r.exit_code == 0, r.output
    assert stat.S_IMODE((keys / "cb-example.key").stat().st_mode) == 0o600
    r = run("issue", out / "SKU-NMC811-PACK.result.json", "--key", keys / "cb-example.key", "--valid-days", 730,
            "--out", labels)
    assert r.exit_code == 2 and "primary-data" in r.output and "Annex II point 1" in flat(r.output), r.output
    assert not labels.exists() or not list(labels.iterdir())
    cli_case(run, out / "SKU-PV-MONO-CN.result.json", keys, root, "vb-alice")
    r = run("issue", out / "SKU-PV-MONO-CN.result.json", "--key", keys / "cb-example.key", "--valid-days", 730,
            "--out", labels)
    assert r.exit_code == 0, r.output
    number = r.stdout.strip()
    assert parse_number(number).prefix == "CBX" and parse_number(number).seq == 1
    assert sorted(p.name for p in labels.iterdir()) == sorted(
        f"{number}.{k}" for k in ("declaration.json", "label.svg", "label.pdf", "statement.pdf"))
    declaration = json.loads((labels / f"{number}.declaration.json").read_text())["declaration"]
    assert declaration["product"]["id"] == "SKU-PV-MONO-CN"
    assert declaration["pcr"]["id"] == "pv-module" and declaration["pcr"]["conforms"] is True
    assert declaration["performance_class"]["class"] == "B"     # 585 kg CO2e/kWp in (450, 600]
    r = run("verify", number)
    assert r.exit_code == 0, r.output
    assert "VALID" in r.output
    r = run("verify", labels / f"{number}.declaration.json", "--offline", "--key", keys / "cb-example.pub")
    assert r.exit_code == 3, r.output  # genuine, but the status cannot be known offline
    r = run("revoke", number, "--reason", "cell supplier data found wrong in audit", "--key", keys / "cb-example.key")
    assert r.exit_code == 0, r.output
    r = run("verify", number)
    assert r.exit_code == 1 and "revoked" in r.output
    r = run("verify", labels / f"{number}.declaration.json")
    assert r.exit_code == 1
    r = run("registry", "check")
    assert r.exit_code == 0 and "registry check passed" in flat(r.output)
    r = run("registry", "publish", site)
    assert r.exit_code == 0, r.output
    dom = Elements(chromium_dom((site / f"{number}.html").as_uri(), tmp_path))
    assert dom.by_id["status"]["attrs"]["data-status"] == "revoked"
    assert "SKU-PV-MONO-CN" in dom.by_id["product"]["text"]


@pytest.fixture
def registry(tmp_path, monkeypatch):
    monkeypatch.setenv("PCF_REGISTRY", location(tmp_path))
    root = init_with_root(tmp_path, monkeypatch)
    assert run("keys", "new", "--issuer", "cb-test", "--out", tmp_path / "keys", "--root-key", root).exit_code == 0
    result = tmp_path / "TEST-PACK-10.result.json"
    result.write_text(json.dumps(make_result()), encoding="utf-8")
    cli_case(run, result, tmp_path / "keys", root)
    return {"tmp": tmp_path, "key": tmp_path / "keys" / "cb-test.key", "pub": tmp_path / "keys" / "cb-test.pub",
            "result": result, "root": root}


def test_issue_refusals_exit_2_and_write_nothing(registry):
    tmp = registry["tmp"]
    bad = with_result(make_declaration(), parameters={"capacity_kwh": 10, "cycles_per_year": 50,
                                                      "service_life_years": 8}).replace(assessment=None)
    (tmp / "bad.result.json").write_text(json.dumps(bad.to_json()))
    out = tmp / "never"
    for args in ([tmp / "bad.result.json", "--key", registry["key"]],
                 [registry["result"], "--key", registry["pub"]],
                 [tmp / "missing.result.json", "--key", registry["key"]]):
        r = run("issue", *args, "--valid-days", 730, "--out", out)
        assert r.exit_code == 2, r.output
        assert "error:" in r.output
        assert not out.exists()
    r = run("issue", registry["result"], "--key", registry["key"], "--valid-days", 0, "--out", out)
    assert r.exit_code == 2 and "valid-days" in r.output
    r = run("registry", "list", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout) == []


def test_verify_exit_statuses(registry):
    tmp = registry["tmp"]
    r = run("issue", registry["result"], "--key", registry["key"], "--valid-days", 30, "--out", tmp / "l")
    number = r.stdout.strip()
    path = tmp / "l" / f"{number}.declaration.json"
    assert run("verify", number).exit_code == 0
    r = run("verify", number, "--json")
    assert json.loads(r.stdout)["verdict"] == "valid"
    # valid for 30 days from now: long expired in 2999
    assert run("verify", number, "--at", "2999-01-01").exit_code == 1
    tampered = tmp / "tampered.json"
    shown = json.loads(path.read_text(encoding="utf-8"))["declaration"]["values"]["headline"]["text"]     # the signed figure's text
    tampered.write_bytes(path.read_bytes().replace(f'"text": "{shown}"'.encode(), b'"text": "0.100"'))
    assert tampered.read_bytes() != path.read_bytes()
    assert run("verify", tampered).exit_code == 1
    assert run("verify", tampered, "--offline").exit_code == 1
    assert run("verify", path, "--offline").exit_code == 3
    other = number[:-2] + ("00" if not number.endswith("00") else "01")
    assert run("verify", other).exit_code == 1  # wrong check digits
    unknown = parse_number(number)
    from pcf.registry.numbers import format_number

    assert run("verify", format_number(unknown.prefix, unknown.year, 99)).exit_code == 1
    assert run("verify", tmp / "nothing-here.json").exit_code == 2
    assert run("verify", "--at", "yesterday", number).exit_code == 2
    listed = json.loads(run("registry", "list", "--json").stdout)
    assert [(r["number"], r["status"]) for r in listed] == [(number, "valid")]


def test_status_commands_and_renew(registry):
    tmp = registry["tmp"]
    number = run("issue", registry["result"], "--key", registry["key"], "--valid-days", 30, "--out", tmp / "l").stdout.strip()
    assert run("suspend", number, "--reason", "audit", "--key", registry["key"]).exit_code == 0
    assert run("verify", number).exit_code == 1
    assert run("renew", number, "--key", registry["key"], "--valid-days", 730, "--reason", "x",
               "--out", tmp / "r").exit_code == 2  # a suspended label is not renewed
    assert run("reinstate", number, "--reason", "audit closed", "--key", registry["key"]).exit_code == 0
    assert run("verify", number).exit_code == 0
    r = run("renew", number, "--key", registry["key"], "--valid-days", 730, "--reason", "annual review",
            "--out", tmp / "r")  # issue 15: the same data again need a justification
    assert r.exit_code == 2 and "repeats label" in flat(r.output) and "--justification" in r.output, r.output
    r = run("renew", number, "--key", registry["key"], "--valid-days", 730, "--reason", "annual review",
            "--justification", "production unchanged since the audit", "--out", tmp / "r")
    assert r.exit_code == 0, r.output
    new = r.stdout.strip()
    assert parse_number(new).seq == parse_number(number).seq + 1
    assert json.loads((tmp / "r" / f"{new}.declaration.json").read_text())["declaration"]["renews"] == number
    r = run("verify", number)
    assert r.exit_code == 1 and f"superseded by {new}" in flat(r.output)
    assert run("revoke", new, "--reason", "fraud", "--key", registry["key"]).exit_code == 0
    r = run("revoke", new, "--reason", "again", "--key", registry["key"])
    assert r.exit_code == 2 and "stays revoked" in flat(r.output)
    assert run("reinstate", new, "--reason", "undo", "--key", registry["key"]).exit_code == 2
    assert run("verify", new).exit_code == 1
    r = run("registry", "export", number, "--out", tmp / "again")
    assert r.exit_code == 0
    assert (tmp / "again" / f"{number}.declaration.json").read_bytes() == \
        (tmp / "l" / f"{number}.declaration.json").read_bytes()
    assert run("registry", "check").exit_code == 0


def test_registry_check_exits_1_on_a_broken_chain(registry):
    run("issue", registry["result"], "--key", registry["key"], "--valid-days", 30, "--out", registry["tmp"] / "l")
    db = raw_db(location(registry["tmp"]))
    db.execute("DROP TRIGGER events_append_only_update")
    db.execute("UPDATE events SET at = '2020-01-01T00:00:00Z' WHERE seq = 1")
    db.commit()
    db.close()
    r = run("registry", "check")
    assert r.exit_code == 1 and "does not match its hash" in flat(r.output)
    r = run("registry", "publish", registry["tmp"] / "site")
    assert r.exit_code == 2 and not (registry["tmp"] / "site" / "index.html").exists()


def test_keys_are_encrypted_by_default_and_need_their_passphrase(tmp_path, monkeypatch):
    """Part 7: `pcf keys new` encrypts by default (passphrase from PCF_KEY_PASSPHRASE, a
    --passphrase-file or a prompt); --no-passphrase is explicit and warned; a wrong or missing
    passphrase is an error (exit 2) naming the cause."""
    monkeypatch.setenv("PCF_REGISTRY", location(tmp_path))
    root = init_with_root(tmp_path, monkeypatch)
    assert b"ENCRYPTED PRIVATE KEY" in root.read_bytes()
    result = tmp_path / "r.json"
    result.write_text(json.dumps(make_result()))
    cli_case(run, result, tmp_path / "vkeys", root)  # the verifier's key, encrypted with PASSPHRASE
    monkeypatch.setenv("PCF_KEY_PASSPHRASE", "s3cret words")   # the new key's; the root key's is PASSPHRASE
    secret = tmp_path / "root.pass"
    secret.write_text(PASSPHRASE + "\n")
    # one passphrase source per command: with the file, both keys use PASSPHRASE
    r = run("keys", "new", "--issuer", "cb-enc", "--out", tmp_path / "k", "--root-key", root, "--passphrase-file", secret)
    assert r.exit_code == 0 and "encrypted" in r.output, r.output
    key = tmp_path / "k" / "cb-enc.key"
    assert b"ENCRYPTED PRIVATE KEY" in key.read_bytes()
    issue = ("issue", result, "--key", key, "--valid-days", 10, "--out", tmp_path / "l")
    r = run(*issue)
    assert r.exit_code == 2 and "wrong passphrase" in flat(r.output)          # PCF_KEY_PASSPHRASE is not its passphrase
    assert run(*issue, "--passphrase-file", secret).exit_code == 0
    monkeypatch.setenv("PCF_KEY_PASSPHRASE", PASSPHRASE)
    other = tmp_path / "r2.json"  # another product: a result is labelled once (issue 15 part 3)
    other.write_text(json.dumps(make_result(id="TEST-PACK-20")))
    assert run("issue", other, *issue[2:], "--self-declared").exit_code == 0
    monkeypatch.delenv("PCF_KEY_PASSPHRASE")
    r = run(*issue)
    assert r.exit_code == 2 and "PCF_KEY_PASSPHRASE" in r.output and "Traceback" not in r.output
    r = run(*issue, "--passphrase-file", tmp_path / "nope.pass")
    assert r.exit_code == 2 and "passphrase file not found" in flat(r.output) and "--passphrase-file" in r.output
    assert len(list((tmp_path / "l").glob("*.declaration.json"))) == 2
    # no passphrase anywhere and no terminal: refused, nothing written
    r = run("keys", "new", "--issuer", "cb-x", "--out", tmp_path / "x", "--no-register")
    assert r.exit_code == 2 and "no passphrase" in flat(r.output) and "--no-passphrase" in r.output
    assert not (tmp_path / "x" / "cb-x.key").exists()
    # --no-passphrase: explicit, warned, unencrypted
    r = run("keys", "new", "--issuer", "cb-x", "--out", tmp_path / "x", "--no-register", "--no-passphrase")
    assert r.exit_code == 0 and "UNENCRYPTED" in r.output
    assert b"ENCRYPTED" not in (tmp_path / "x" / "cb-x.key").read_bytes()
    # admitting a key without the root key is refused, naming the option
    r = run("keys", "new", "--issuer", "cb-y", "--out", tmp_path / "y", "--no-passphrase")
    assert r.exit_code == 2 and "root key" in flat(r.output) and "--root-key" in r.output
    assert not (tmp_path / "y" / "cb-y.key").exists()


def _sqlite_with_other_tables(path):
    import sqlite3

    other = sqlite3.connect(path)
    other.execute("CREATE TABLE notes (body TEXT)")
    other.execute("INSERT INTO notes VALUES ('not a registry')")
    other.commit()
    other.close()


@pytest.mark.sqlite_only  # about the SQLite file PCF_HOME/registry.db
@pytest.mark.parametrize("kind", ["empty", "foreign sqlite", "random bytes", "sqlite header then junk"])
def test_registry_list_refuses_a_zero_length_or_foreign_registry_db(tmp_path, monkeypatch, kind):
    # issue 19 reproducer: `pcf registry list` silently re-created a zero-length registry.db
    monkeypatch.delenv("PCF_REGISTRY", raising=False)
    monkeypatch.delenv("PCF_REGISTRY_URL", raising=False)
    monkeypatch.setenv("PCF_HOME", str(tmp_path))
    db = tmp_path / "registry.db"
    if kind == "empty":
        db.write_bytes(b"")
    elif kind == "foreign sqlite":
        _sqlite_with_other_tables(db)
    elif kind == "random bytes":
        db.write_bytes(hashlib.sha256(b"pcf").digest() * 300)
    else:
        db.write_bytes(b"SQLite format 3\x00" + hashlib.sha256(b"pcf").digest() * 300)
    before = db.read_bytes()
    for args in (("registry", "list"), ("registry", "list", "--json"), ("registry", "check")):
        r = run(*args)
        assert r.exit_code == 2, (args, r.output)
        assert "not a pcf registry" in flat(r.output) or "not a usable pcf registry" in flat(r.output), r.output
        assert str(db) in r.output and "Traceback" not in r.output
        assert db.read_bytes() == before  # never re-created, never changed (not even the WAL header)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["registry.db"]  # no -wal / -shm companions
