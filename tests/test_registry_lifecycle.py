"""Label life cycle rules of issue 15 parts 3 and 4: validity from the PCR, one current label
per product (``supersede``), one label per result, renewal only with newer data or a
justification.

Validity: the PCR's ``label.validity_years`` is the default and the maximum. The CN lithium
battery rule says 2 years (CNCA implementation rules); a label issued 2026-05-01T08:00:00Z
under a 2-year rule runs to 2028-05-01T08:00:00Z: 365 days to 2027-05-01 plus 366 to
2028-05-01 (2028-02-29 lies between) = 731 days, so 731 is the most and 732 is refused.
The tests give the hand-made battery result's PCR (eu-battery-cfb-ev, which states no
validity) a ``validity_years: 2`` in a copy of its file.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess

import pytest
from typer.testing import CliRunner

import cli
from pcf.lca.result import ExchangeFacts
from pcf.pcr.loader import RULES_DIR
from pcf.registry import (IssueRefused, LabelNotFound, StatusChangeRefused, change_status, check_registry, renew,
                          verify)
from pcf.registry.numbers import format_number, parse_number
from pcf.registry.store import label_scope
from pcf.registry.declaration import parse_time
from pcf.registry.lifecycle import add_years
from tests.registry_util import location
from tests.registry_util import DB_ERROR, raw_db
from tests.registry_util import (PCR, admit, cli_case, cli_issuer_key, ensure_case, make_declaration, make_result,
                                 new_registry, utc, with_result)
from tests.registry_util import verified_issue as issue  # after a signed case (issue 15)
from tests.conftest import flat

T1 = utc(2026, 5, 1, 8, 0, 0)
runner = CliRunner()


def run(*args, env=None):
    return runner.invoke(cli.app, [str(a) for a in args], env=env)


def pcr_dir_with_validity(tmp_path, years: str = "2"):
    """A folder of PCR files: the battery rule with ``label.validity_years: years``."""
    folder = tmp_path / "pcr"
    folder.mkdir()
    text = (RULES_DIR / f"{PCR}.yaml").read_text(encoding="utf-8")
    assert text.count("\nlabel:\n") == 1
    (folder / f"{PCR}.yaml").write_text(text.replace("\nlabel:\n", f"\nlabel:\n  validity_years: {years}\n"),
                                        encoding="utf-8")
    for other in RULES_DIR.glob("*.yaml"):
        if other.name != f"{PCR}.yaml":
            shutil.copy(other, folder / other.name)
    return folder


@pytest.fixture
def reg(tmp_path):
    store, key, private, public = new_registry(tmp_path, now=utc(2026, 1, 1))
    yield {"store": store, "key": key, "private": private, "public": public, "tmp": tmp_path}
    store.close()


# ------------------------------------------------------------------ part 4: validity from the PCR

def test_add_years_on_the_calendar():
    assert add_years(T1, 2) == utc(2028, 5, 1, 8, 0, 0)
    assert add_years(utc(2028, 2, 29), 1) == utc(2029, 2, 28)          # no 29 February in 2029
    assert add_years(utc(2026, 8, 31), 0.5) == utc(2027, 2, 28)        # 6 months, day clamped
    assert add_years(utc(2026, 1, 1), 0.1) == utc(2026, 2, 6)          # floor(0.1 x 365.25) = 36 days


def test_pcr_validity_is_the_default_and_the_maximum(reg, tmp_path):
    pcr_dir = pcr_dir_with_validity(tmp_path)
    with pytest.raises(IssueRefused, match=r"longer than PCR eu-battery-cfb-ev v\S+ allows: "
                                           r"label.validity_years 2 \(Reg\. \(EU\) 2023/1542.*at most 731 days") as e:
        issue(reg["store"], make_declaration(id="A"), reg["key"], 732, None, now=T1, pcr_dir=pcr_dir)
    assert e.value.option == "valid_days"
    with reg["store"].read() as tx:
        # nothing issued: no label-issued event (the set-up's keys and verification cases only)
        assert tx.labels() == [] and all(e.kind != "label-issued" for e in tx.events())
    default = issue(reg["store"], make_declaration(id="A"), reg["key"], None, None, now=T1, pcr_dir=pcr_dir)
    assert default.document["declaration"]["valid_until"] == "2028-05-01T08:00:00Z"
    most = issue(reg["store"], make_declaration(id="B"), reg["key"], 731, None, now=T1, pcr_dir=pcr_dir)
    assert most.document["declaration"]["valid_until"] == "2028-05-01T08:00:00Z"
    shorter = issue(reg["store"], make_declaration(id="C"), reg["key"], 365, None, now=T1, pcr_dir=pcr_dir)
    assert shorter.document["declaration"]["valid_until"] == "2027-05-01T08:00:00Z"


def test_pcr_without_validity_needs_days_up_to_ten_years(reg):
    with pytest.raises(IssueRefused, match="states no validity period") as e:
        issue(reg["store"], make_declaration(id="A"), reg["key"], None, None, now=T1)
    assert e.value.option == "valid_days"
    with pytest.raises(IssueRefused, match="from 1 to 3650"):
        issue(reg["store"], make_declaration(id="A"), reg["key"], 3651, None, now=T1)
    issued = issue(reg["store"], make_declaration(id="A"), reg["key"], 3650, None, now=T1)
    assert issued.document["declaration"]["valid_until"] == "2036-04-28T08:00:00Z"  # 3650 days, 3 leap days


def test_cli_valid_days_above_the_pcr_exit_2(tmp_path, monkeypatch):
    monkeypatch.setattr("pcf.pcr.loader.RULES_DIR", pcr_dir_with_validity(tmp_path))
    monkeypatch.setenv("PCF_REGISTRY", location(tmp_path))
    cli_issuer_key(tmp_path, monkeypatch)   # root key, registry init, encrypted issuer key in tmp_path/keys
    result = tmp_path / "TEST-PACK-10.result.json"
    result.write_text(json.dumps(make_result()), encoding="utf-8")
    key = tmp_path / "keys" / "cb-test.key"
    cli_case(run, result, tmp_path / "keys", tmp_path / "offline" / "cb-root.key")
    r = run("issue", result, "--key", key, "--valid-days", 800, "--out", tmp_path / "l")
    assert r.exit_code == 2, r.output
    assert "validity_years 2" in flat(r.output) and "Reg. (EU) 2023/1542" in flat(r.output) and "--valid-days" in r.output
    assert not (tmp_path / "l").exists()
    r = run("issue", result, "--key", key, "--out", tmp_path / "l")
    assert r.exit_code == 0, r.output
    declaration = json.loads((tmp_path / "l" / f"{r.stdout.strip()}.declaration.json").read_text())["declaration"]
    assert parse_time(declaration["valid_until"]) == add_years(parse_time(declaration["issued_at"]), 2)


# ------------------------------------------------------------------ part 3: one current label per product

def test_scope_is_product_pcr_and_declared_unit():
    document = {"product": {"id": "P", "declared_unit": {"unit": "kWh"}, "reference_flow": {"amount": 1.0,
                                                                                           "unit": "item"}},
                "pcr": {"id": "eu-battery-cfb-ev"}}
    assert label_scope(document) == ("P", "eu-battery-cfb-ev", "kWh", "footprint")
    document["product"]["declared_unit"] = None  # no declared unit: the reference flow
    assert label_scope(document) == ("P", "eu-battery-cfb-ev", "1 item", "footprint")


def period(year: int) -> ExchangeFacts:
    """Exchange facts stating one calendar year of activity data (the model's exchange.reference_period)."""
    return ExchangeFacts(reference_period={"start": f"{year}-01-01", "end": f"{year}-12-31"})


def of_year(year: int, **product):
    """The hand-made result with its data from ``year`` (another result, same product)."""
    return with_result(make_declaration(**product), exchange=period(year))


def test_second_current_label_refused_then_superseded_both_ways(reg):
    first = issue(reg["store"], of_year(2025), reg["key"], 730, None, now=T1)
    with pytest.raises(IssueRefused, match=rf"product 'TEST-PACK-10' under PCR eu-battery-cfb-ev per kWh already "
                                           rf"has a current label, {first.number}") as e:
        issue(reg["store"], of_year(2026), reg["key"], 730, None, now=utc(2026, 6, 1))
    assert e.value.option == "supersede"
    with reg["store"].read() as tx:
        assert len(tx.labels()) == 1
    # another product is another scope (product id + PCR + declared unit)
    other = issue(reg["store"], of_year(2026, id="OTHER-PACK"), reg["key"], 730, None, now=T1)
    assert other.record.scope == ("OTHER-PACK", "eu-battery-cfb-ev", "kWh", "footprint")
    second = issue(reg["store"], of_year(2026), reg["key"], 730, None, now=utc(2026, 6, 1), supersede=first.number)
    assert second.document["declaration"]["supersedes"] == first.number
    with reg["store"].read() as tx:
        old, new = tx.label(first.number), tx.label(second.number)
        assert (old.status, old.superseded_by, old.status_at) == ("superseded", second.number, "2026-06-01T00:00:00Z")
        assert new.supersedes == first.number and new.status == "valid"
        assert tx.events(first.number)[-1].kind == "label-superseded"
        assert tx.events(first.number)[-1].data == {"superseded_by": second.number}
        assert tx.events(second.number)[0].data["supersedes"] == first.number
    v = verify(first.number, reg["store"], at=utc(2026, 6, 2))
    assert v.verdict == "invalid" and v.status == "superseded" and v.superseded_by == second.number
    assert f"superseded by {second.number}" in {c.name: c.message for c in v.checks}["status"]
    assert verify(second.number, reg["store"], at=utc(2026, 6, 2)).verdict == "valid"
    assert check_registry(reg["store"]).ok
    # a superseded label stays superseded, even when the table is edited around the trigger
    db = raw_db(reg["store"].location)
    with pytest.raises(DB_ERROR, match="stays superseded"):
        db.execute("UPDATE labels SET status = 'valid', superseded_by = NULL WHERE number = ?", (first.number,))
    db.execute("DROP TRIGGER labels_superseded_final")
    db.execute("UPDATE labels SET status = 'valid', superseded_by = NULL WHERE number = ?", (first.number,))
    db.commit()
    db.close()
    assert verify(first.number, reg["store"], at=utc(2026, 6, 2)).status == "superseded"  # the event says so
    assert any("status is 'valid', the event log says 'superseded'" in p for p in check_registry(reg["store"]).problems)


def test_supersede_refusals(reg):
    first = issue(reg["store"], of_year(2024), reg["key"], 730, None, now=T1)
    other = issue(reg["store"], of_year(2024, id="OTHER-PACK"), reg["key"], 730, None, now=T1)
    with pytest.raises(IssueRefused, match=rf"label {other.number} is for product 'OTHER-PACK'"):
        issue(reg["store"], of_year(2025), reg["key"], 730, None, now=T1, supersede=other.number)
    with pytest.raises(LabelNotFound):
        issue(reg["store"], of_year(2025), reg["key"], 730, None, now=T1, supersede=format_number("PCF", 2026, 99))
    stranger, *_ = admit(reg["store"], "cb-other", reg["tmp"] / "other", now=utc(2026, 1, 1))
    with pytest.raises(IssueRefused, match=rf"label {first.number} was issued by cb-test: only a key of cb-test"):
        issue(reg["store"], of_year(2025), stranger, 730, None, now=T1, supersede=first.number)
    second = issue(reg["store"], of_year(2025), reg["key"], 730, None, now=T1, supersede=first.number)
    with pytest.raises(IssueRefused, match=rf"label {first.number} is superseded \(replaced by {second.number}\)"):
        issue(reg["store"], of_year(2026), reg["key"], 730, None, now=T1, supersede=first.number)
    change_status(reg["store"], other.number, "revoke", "wrong data", reg["key"], now=utc(2026, 6, 1))
    with pytest.raises(IssueRefused, match="is revoked: it cannot be superseded"):
        issue(reg["store"], of_year(2026, id="OTHER-PACK"), reg["key"], 730, None, now=utc(2026, 6, 2),
              supersede=other.number)
    # no current label left for OTHER-PACK (revoked): a new result is issued without supersede
    issue(reg["store"], of_year(2026, id="OTHER-PACK"), reg["key"], 730, None, now=utc(2026, 6, 2))
    # an expired label is not current: no supersede needed
    short = issue(reg["store"], of_year(2024, id="SHORT-PACK"), reg["key"], 10, None, now=T1)
    later = issue(reg["store"], of_year(2025, id="SHORT-PACK"), reg["key"], 730, None, now=utc(2026, 6, 1))
    assert later.document["declaration"].get("supersedes") is None
    with reg["store"].read() as tx:
        assert tx.label(short.number).status == "valid"  # expired, not superseded
    assert check_registry(reg["store"]).ok


def test_same_result_twice_and_revoked_result_refused(reg):
    first = issue(reg["store"], of_year(2025), reg["key"], 730, None, now=T1)
    with pytest.raises(IssueRefused, match=rf"already issued as {first.number} \(valid\): one label per result"):
        issue(reg["store"], of_year(2025), reg["key"], 730, None, now=T1, supersede=first.number)
    change_status(reg["store"], first.number, "revoke", "meter readings falsified", reg["key"], now=utc(2026, 6, 1))
    # no current label now, but the revoked label's result is not issued again unchanged
    with pytest.raises(IssueRefused, match=rf"was labelled {first.number}, which is revoked"):
        issue(reg["store"], of_year(2025), reg["key"], 730, None, now=utc(2026, 6, 2))
    corrected = issue(reg["store"], of_year(2026), reg["key"], 730, None, now=utc(2026, 6, 2))
    assert parse_number(corrected.number).seq == 2
    with reg["store"].read() as tx:
        assert [e.kind for e in tx.events() if e.kind.startswith("label-")] == [
            "label-issued", "label-revoked", "label-issued"]


# ------------------------------------------------------------------ part 3: renewal needs newer data

def test_renewal_without_newer_data_refused(reg):
    old = issue(reg["store"], of_year(2025), reg["key"], 730, None, now=T1)
    at = utc(2027, 3, 1)
    cases = [
        (None, r"a renewal without a new result repeats label .* \(reference period 2025-01-01 – 2025-12-31\)"),
        (of_year(2024), r"the result's data reference period \(2024-01-01 – 2024-12-31\) does not end after"),
        (with_result(make_declaration(), exchange=ExchangeFacts(reference_period={"start": "2025-06-01",
                                                                                 "end": "2025-12-31"})),
         r"\(2025-06-01 – 2025-12-31\) does not end after"),
        (make_declaration(), r"the result states no data reference period"),
    ]
    for result, message in cases:
        with pytest.raises(IssueRefused, match=message) as e:
            renew(reg["store"], old.number, reg["key"], 730, "annual", None, result, now=at)
        assert e.value.option == "justification"
    with reg["store"].read() as tx:
        assert [label.number for label in tx.labels()] == [old.number]
        assert tx.label(old.number).status == "valid"
    ensure_case(reg["store"], of_year(2026))  # a new result needs its signed verification case
    newer = renew(reg["store"], old.number, reg["key"], 730, "annual", None, of_year(2026), now=at)
    d = newer.document["declaration"]
    assert d["reference_period"] == {"start": "2026-01-01", "end": "2026-12-31"} and "justification" not in d
    assert (d["renews"], d["supersedes"]) == (old.number, old.number)
    v = verify(old.number, reg["store"], at=at)
    assert v.verdict == "invalid" and "renewed and superseded by" in {c.name: c.message for c in v.checks}["status"]
    assert check_registry(reg["store"]).ok


def test_renewal_with_justification_and_of_a_label_without_period(reg):
    old = issue(reg["store"], make_declaration(), reg["key"], 730, None, now=T1)
    with pytest.raises(IssueRefused, match="states no data reference period"):
        renew(reg["store"], old.number, reg["key"], 730, "annual", None, of_year(2026), now=utc(2026, 6, 1))
    with pytest.raises(StatusChangeRefused, match="justification is empty"):
        renew(reg["store"], old.number, reg["key"], 730, "annual", now=utc(2026, 6, 1), justification="  ")
    new = renew(reg["store"], old.number, reg["key"], 730, "annual", reg["tmp"] / "r", now=utc(2026, 6, 1),
                justification="line and suppliers unchanged;\n audit 2026-05")
    assert new.document["declaration"]["justification"] == "line and suppliers unchanged; audit 2026-05"
    statement = subprocess.run(["pdftotext", "-raw", str(new.files["statement.pdf"]), "-"], capture_output=True,
                               text=True, check=True).stdout
    assert "line and suppliers unchanged; audit 2026-05" in statement and f"Supersedes {old.number}" in statement
    with reg["store"].read() as tx:
        assert tx.events(old.number)[-1].data["justification"] == "line and suppliers unchanged; audit 2026-05"
    assert check_registry(reg["store"]).ok


def test_renewing_an_expired_label_while_another_is_current_refused(reg):
    old = issue(reg["store"], of_year(2024), reg["key"], 30, None, now=T1)
    newer = issue(reg["store"], of_year(2025), reg["key"], 730, None, now=utc(2026, 6, 1))  # old expired
    with pytest.raises(IssueRefused, match=rf"has another current label, {newer.number}"):
        renew(reg["store"], old.number, reg["key"], 730, "annual", None, of_year(2026), now=utc(2026, 7, 1))


def test_cli_second_label_supersede_and_verify_exit_codes(tmp_path, monkeypatch):
    monkeypatch.setenv("PCF_REGISTRY", location(tmp_path))
    key = cli_issuer_key(tmp_path, monkeypatch)   # root key, registry init, encrypted issuer key
    results = {}
    for year in (2025, 2026):
        results[year] = tmp_path / f"r{year}.result.json"
        results[year].write_text(json.dumps(of_year(year).to_json()), encoding="utf-8")
        cli_case(run, results[year], tmp_path / "keys", tmp_path / "offline" / "cb-root.key")  # signed case
    first = run("issue", results[2025], "--key", key, "--valid-days", 730, "--out", tmp_path / "l")
    assert first.exit_code == 0, first.output
    n1 = first.stdout.strip()
    r = run("issue", results[2025], "--key", key, "--valid-days", 730, "--out", tmp_path / "l")
    assert r.exit_code == 2 and f"already issued as {n1}" in flat(r.output)
    r = run("issue", results[2026], "--key", key, "--valid-days", 730, "--out", tmp_path / "l2")
    assert r.exit_code == 2 and f"already has a current label, {n1}" in flat(r.output) and "--supersede" in r.output
    assert not (tmp_path / "l2").exists()
    r = run("issue", results[2026], "--key", key, "--valid-days", 730, "--out", tmp_path / "l2", "--supersede", "PCF-X")
    assert r.exit_code == 2 and "--supersede" in r.output
    r = run("issue", results[2026], "--key", key, "--valid-days", 730, "--out", tmp_path / "l2", "--supersede", n1)
    assert r.exit_code == 0, r.output
    n2 = r.stdout.strip()
    assert f"{n1} is now superseded by {n2}" in flat(r.stderr)
    r = run("verify", n1)
    assert r.exit_code == 1 and f"superseded by {n2}" in flat(r.output)
    assert run("verify", n2).exit_code == 0
    r = run("verify", n1, "--json")
    assert json.loads(r.stdout)["superseded_by"] == n2 and json.loads(r.stdout)["status"] == "superseded"
    r = run("renew", n2, "--key", key, "--reason", "annual", "--valid-days", 730, "--out", tmp_path / "l3")
    assert r.exit_code == 2 and "--justification" in r.output
    assert run("registry", "check").exit_code == 0
