"""Label life cycle rules of issue 15 parts 3 and 4: validity from the PCR, one current label
per product (``supersede``), renewal only with newer data or a justification.

Validity: the PCR's ``label.validity_years`` is the default and the maximum. The CN lithium
battery rule says 2 years (CNCA implementation rules); a label issued 2026-05-01T08:00:00Z
under a 2-year rule runs to 2028-05-01T08:00:00Z: 365 days to 2027-05-01 plus 366 to
2028-05-01 (2028-02-29 lies between) = 731 days, so 731 is the most and 732 is refused.
The tests give the hand-made battery result's PCR (eu-battery-cfb-ev, which states no
validity) a ``validity_years: 2`` in a copy of its file.
"""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

import cli
from pcf.pcr.loader import RULES_DIR
from pcf.registry import IssueRefused
from pcf.registry.declaration import parse_time
from pcf.registry.lifecycle import add_years
from tests.registry_util import PCR, cli_case, cli_issuer_key, make_declaration, make_result, new_registry, utc
from tests.registry_util import verified_issue as issue  # after a signed case (issue 15)

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
    monkeypatch.setenv("PCF_REGISTRY", str(tmp_path / "registry.db"))
    cli_issuer_key(tmp_path, monkeypatch)   # root key, registry init, encrypted issuer key in tmp_path/keys
    result = tmp_path / "TEST-PACK-10.result.json"
    result.write_text(json.dumps(make_result()), encoding="utf-8")
    key = tmp_path / "keys" / "cb-test.key"
    cli_case(run, result, tmp_path / "keys", tmp_path / "offline" / "cb-root.key")
    r = run("issue", result, "--key", key, "--valid-days", 800, "--out", tmp_path / "l")
    assert r.exit_code == 2, r.output
    assert "validity_years 2" in r.output and "Reg. (EU) 2023/1542" in r.output and "--valid-days" in r.output
    assert not (tmp_path / "l").exists()
    r = run("issue", result, "--key", key, "--out", tmp_path / "l")
    assert r.exit_code == 0, r.output
    declaration = json.loads((tmp_path / "l" / f"{r.stdout.strip()}.declaration.json").read_text())["declaration"]
    assert parse_time(declaration["valid_until"]) == add_years(parse_time(declaration["issued_at"]), 2)
