"""Reduction labels (减碳标识) and the low-carbon mark (issue 15 part 5).

The footprint labels are of the hand-made pack of tests/registry_util.py: 960 kg CO2e per
pack over 4800 kWh = 0.200 kg CO2e/kWh. The new generation emits 816 kg CO2e per pack:
816 / 4800 = 0.170 kg CO2e/kWh, so the reduction is 0.200 - 0.170 = 0.030 kg CO2e/kWh, and
0.030 / 0.200 = 15.0 %.

Times are fixed: key at T0 = 2026-01-01, footprint labels on 2026-01-02 and 2026-03-01, the
reduction label on 2026-05-01, checked on 2026-06-01.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from pathlib import Path

import pytest

from pcf.core.errors import PCRError
from pcf.declaration import build_declaration
from pcf.lca.result import DeclaredUnit, Product, Provenance, Quantity, Study
from pcf.pcr import load_pcr
from pcf.registry import IssueRefused, LabelNotFound, change_status, check_registry, renew, verify
from pcf.registry.declaration import parse_document
from pcf.registry.numbers import format_number, parse_number
from pcf.registry.labeltype import REDUCTION, claim_problems, label_type, record_type
from pcf.registry.render import statement_context
from tests import builders
from tests.pcr_util import DECLARATION
from tests.registry_util import location
from tests.registry_util import PCR, _primary_production, cli_case, cli_issuer_key, make_declaration, new_registry, utc
from tests.registry_util import verified_issue as issue  # after a signed case (issue 15)
from tests.conftest import flat

T0, T1, T2, T3, T_CHECK = utc(2026, 1, 1), utc(2026, 1, 2), utc(2026, 3, 1), utc(2026, 5, 1), utc(2026, 6, 1)
RULES = "pcr_rules"


def generation(kg_per_pack: float, *, model: str = "ef" * 32, method: str = "ef-3.1-climate-change",
               description: str = "kWh delivered over the service life", pcr_dir=None,
               product_id: str = "TEST-PACK-10"):
    """The pack of tests/registry_util.py with ``kg_per_pack`` [kg CO2e / pack] (stages scaled
    from 600/300/30/30), assessed under PCR eu-battery-cfb-ev (from ``pcr_dir``)."""
    f = kg_per_pack / 960.0
    production = _primary_production("pack_assembly", 300.0 * f)
    result = builders.result(
        fossil=kg_per_pack, declared_per_reference_flow=4800.0,
        stages={"raw_material_acquisition": 600.0 * f, "production": 300.0 * f, "distribution": 30.0 * f,
                "end_of_life": 30.0 * f},
        product=Product(id=product_id, name="Test EV battery pack, 10 kWh",
                        reference_flow=Quantity(amount=1.0, unit="item"),
                        declared_unit=DeclaredUnit(unit="kWh", description=description, per_reference_flow=4800.0)),
        study=Study(standard="ISO 14067:2018", boundary="cradle-to-grave", pcr=PCR, method=method,
                    background="test-bg"),
        parameters={"capacity_kwh": 10, "cycles_per_year": 60, "service_life_years": 8},
        method=method, method_name=("pcf", method),
        background="test-bg",
        provenance=Provenance(method_label=method, method_source=(), method_description="test",
                              background_database="test-bg", background_version="test-bg sha256:0123",
                              background_sha256="cd" * 32, background_activities=0,
                              databases=({"database": "test-bg", "sha256": "cd" * 32},), brightway={},
                              bw2calc_score=kg_per_pack),
        software_version="0.1.0", model_sha256=model, model_file="test.yaml", created_at="2026-04-01T00:00:00+00:00",
        declaration=DECLARATION, **production)
    return build_declaration(result, load_pcr(PCR, pcr_dir))


def pcr_copy(tmp_path, old: str, new: str):
    """A folder holding eu-battery-cfb-ev with ``old`` replaced by ``new`` (once)."""
    text = (Path(RULES) / f"{PCR}.yaml").read_text(encoding="utf-8")
    assert text.count(old) == 1
    folder = tmp_path / "rules"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{PCR}.yaml").write_text(text.replace(old, new), encoding="utf-8")
    return folder


@pytest.fixture
def reg(tmp_path):
    store, key, private, public = new_registry(tmp_path, now=T0)
    measures = tmp_path / "measures.txt"
    measures.write_text("Cell supplier moved to hydro power in 2026; cathode scrap recycled.\n", encoding="utf-8")
    yield {"store": store, "key": key, "tmp": tmp_path, "measures": measures}
    store.close()


def SECOND():
    """A second footprint result of the pack: the same 0.200 kg CO2e/kWh from another model file."""
    return generation(960.0, model="cd" * 32)


def second(reg, first, declaration=None, **kwargs):
    """The product's second footprint label (another result, on T2), which supersedes ``first``
    (one current label per product: issue 15 part 3)."""
    return footprint(reg, declaration or SECOND(), now=T2, supersede=first.number, **kwargs)


def footprint(reg, declaration=None, now=T1, **kwargs):
    return issue(reg["store"], declaration or make_declaration(), reg["key"], 730, None, now=now, **kwargs)


def reduction(reg, baseline: str, declaration=None, now=T3, out=None):
    return issue(reg["store"], declaration or generation(816.0), reg["key"], 730, out, now=now, claim="reduction",
                 baseline_label=baseline, measures=reg["measures"])


# ------------------------------------------------------------------ refused

def test_refused_with_no_earlier_label(reg):
    with pytest.raises(LabelNotFound, match="baseline label PCF-2026-000001-.. is not in the registry"):
        reduction(reg, format_number("PCF", 2026, 1))
    with reg["store"].read() as tx:
        assert tx.labels() == []


def test_refused_with_one_earlier_label(reg):
    a = footprint(reg)
    with pytest.raises(IssueRefused, match=r"at least 2 issued footprint labels of product 'TEST-PACK-10'.*holds 1 "
                                           rf"\({a.number}\)"):
        reduction(reg, a.number)
    with reg["store"].read() as tx:
        assert [r.number for r in tx.labels()] == [a.number]   # nothing issued, no number used


def test_a_revoked_label_does_not_count_and_is_no_baseline(reg):
    a = footprint(reg)
    b = second(reg, a)
    change_status(reg["store"], b.number, "revoke", "data found wrong", reg["key"], now=T2)
    with pytest.raises(IssueRefused, match="holds 1"):
        reduction(reg, a.number)
    with pytest.raises(IssueRefused, match=f"baseline label {b.number} is revoked"):
        reduction(reg, b.number)


def test_self_declared_labels_are_no_footprint_certificates(reg):
    from pcf.registry import issue as plain_issue

    a = footprint(reg)
    b = plain_issue(reg["store"], SECOND(), reg["key"], 730, None, now=T2, self_declared=True,
                    supersede=a.number)  # one current label per product (issue 15 part 3)
    with pytest.raises(IssueRefused, match=rf"at least 2 issued footprint labels.*holds 1 \({a.number}\)"):
        reduction(reg, a.number)
    with pytest.raises(IssueRefused, match=f"baseline label {b.number} is self-declared"):
        reduction(reg, b.number)
    second(reg, b, generation(960.0, model="12" * 32))
    with pytest.raises(IssueRefused, match="a reduction label is certified") as info:
        plain_issue(reg["store"], generation(816.0), reg["key"], 730, None, now=T3, claim="reduction",
                    baseline_label=a.number, measures=reg["measures"], self_declared=True)
    assert info.value.option == "self_declared"
    assert reduction(reg, a.number).document["declaration"]["claim"]["footprint_labels"][0] == a.number


def test_refused_without_reduction_measures_or_baseline(reg):
    a = footprint(reg)
    second(reg, a)
    with pytest.raises(IssueRefused, match="measures") as info:
        issue(reg["store"], generation(816.0), reg["key"], 730, None, now=T3, claim="reduction",
              baseline_label=a.number)
    assert info.value.option == "measures"
    with pytest.raises(IssueRefused, match="baseline") as info:
        issue(reg["store"], generation(816.0), reg["key"], 730, None, now=T3, claim="reduction",
              measures=reg["measures"])
    assert info.value.option == "baseline_label"
    with pytest.raises(IssueRefused, match="carbon-neutral labels are not offered"):
        issue(reg["store"], generation(816.0), reg["key"], 730, None, now=T3, claim="carbon-neutral")
    with pytest.raises(IssueRefused, match="cannot be read"):
        issue(reg["store"], generation(816.0), reg["key"], 730, None, now=T3, claim="reduction",
              baseline_label=a.number, measures=reg["tmp"] / "missing.pdf")


def test_refused_without_a_reduction(reg):
    a = footprint(reg)
    second(reg, a)
    with pytest.raises(IssueRefused, match="no reduction: 0.2100 kg CO2e / kWh against 0.2000 kg CO2e / kWh"):
        reduction(reg, a.number, generation(1008.0))            # 1008 / 4800 = 0.210


def test_refused_against_another_pcr_version(reg, tmp_path):
    other = pcr_copy(tmp_path, 'version: "0.4"', 'version: "0.3-test"')
    a = footprint(reg, generation(960.0, model="ab" * 32, pcr_dir=other), pcr_dir=other)
    second(reg, a)
    with pytest.raises(IssueRefused, match=r"different PCRs: eu-battery-cfb-ev v0.3-test and eu-battery-cfb-ev v0.4"):
        reduction(reg, a.number)


def test_refused_against_another_declared_unit(reg):
    a = footprint(reg, generation(960.0, model="ab" * 32, description="kWh delivered over 10 years"))
    second(reg, a)
    with pytest.raises(IssueRefused, match="different declared units"):
        reduction(reg, a.number)


def test_refused_against_another_method(reg, tmp_path):
    other = pcr_copy(tmp_path, "  id: ef-3.1-climate-change\n", "  id: ipcc-2021-gwp100\n")
    a = footprint(reg, generation(960.0, model="ab" * 32, method="ipcc-2021-gwp100", pcr_dir=other), pcr_dir=other)
    second(reg, a)
    with pytest.raises(IssueRefused, match="different characterisation methods: ipcc-2021-gwp100 and ef-3.1"):
        reduction(reg, a.number)


def test_refused_against_another_product_or_a_reduction_label(reg):
    other = footprint(reg, make_declaration(id="OTHER-PACK"))
    a = footprint(reg)
    second(reg, a)
    with pytest.raises(IssueRefused, match="is for product 'OTHER-PACK'"):
        reduction(reg, other.number)
    c = reduction(reg, a.number)
    with pytest.raises(IssueRefused, match=f"baseline label {c.number} is a reduction label"):
        reduction(reg, c.number, generation(720.0, model="12" * 32))


# ------------------------------------------------------------------ issued

def test_issued_with_two_earlier_labels(reg):
    a = footprint(reg)
    b = second(reg, a)
    out = reg["tmp"] / "labels"
    c = reduction(reg, a.number, out=out)
    claim = c.document["declaration"]["claim"]
    # by hand: (0.200 - 0.170) / 0.200 = 15.0 %
    assert claim["type"] == REDUCTION
    assert claim["baseline"]["per_declared_unit"] == pytest.approx(0.200, rel=1e-12)
    assert claim["per_declared_unit"] == pytest.approx(0.170, rel=1e-12)
    assert claim["reduction"] == pytest.approx(0.030, rel=1e-9)
    assert claim["reduction_pct"] == pytest.approx(15.0, rel=1e-9)
    assert claim["footprint_labels"] == [a.number, b.number]
    assert claim["text"] == f"减碳 Reduction \u221215.0 % vs label {a.number} (2026)"
    assert claim["measures"]["name"] == "measures.txt"
    assert claim["measures"]["sha256"] == hashlib.sha256(reg["measures"].read_bytes()).hexdigest()
    assert c.marks == [claim["text"]]
    # the label and the statement show it
    svg = (out / f"{c.number}.label.svg").read_text(encoding="utf-8")
    assert re.search(r'<text class="mark" id="mark-1"[^>]*>减碳 Reduction −15.0 % vs label ' + a.number + r" \(2026\)</text>",
                     svg)
    s = statement_context(c.document)
    assert s["marks"] == [claim["text"]] and s["claim"]["measures"]["sha256"] == claim["measures"]["sha256"]
    # it verifies like any label; it is a label of another type than the footprint labels
    assert verify(c.number, reg["store"], at=T_CHECK).verdict == "valid"
    assert verify(b.number, reg["store"], at=T_CHECK).verdict == "valid"
    assert verify(a.number, reg["store"], at=T_CHECK).status == "superseded"  # by b; still a baseline
    doc = parse_document((out / f"{c.number}.declaration.json").read_bytes())
    assert label_type(doc["declaration"]) == "reduction" and label_type(a.document["declaration"]) == "footprint"
    with reg["store"].read() as tx:
        assert [record_type(r) for r in tx.labels()] == ["footprint", "footprint", "reduction"]
        issued_events = [e for e in tx.events(c.number) if e.kind == "label-issued"]
        assert issued_events and issued_events[0].data["declaration_sha256"] == c.document["declaration_sha256"]
    assert check_registry(reg["store"]).ok


def test_the_new_generation_gets_its_footprint_label_and_its_reduction_label(reg):
    """The usual cycle: footprint labels A and B, then the new generation's result C gets a
    footprint label (superseding B) and a reduction label against A; one of each per result."""
    a = footprint(reg)
    b = second(reg, a)
    new = generation(816.0)
    c = footprint(reg, new, now=T3, supersede=b.number)
    r = reduction(reg, a.number, new)
    assert r.document["declaration"]["claim"]["footprint_labels"] == [a.number, b.number, c.number]
    assert r.document["declaration"]["claim"]["reduction_pct"] == pytest.approx(15.0, rel=1e-9)
    assert verify(c.number, reg["store"], at=T_CHECK).verdict == "valid"
    assert verify(r.number, reg["store"], at=T_CHECK).verdict == "valid"
    with pytest.raises(IssueRefused, match="one reduction label per result"):
        reduction(reg, b.number, new)
    with pytest.raises(IssueRefused, match="one label per result"):
        footprint(reg, new, now=T3, supersede=c.number)


def test_a_tampered_reduction_claim_does_not_verify(reg, tmp_path):
    a = footprint(reg)
    second(reg, a)
    c = reduction(reg, a.number, out=tmp_path / "labels")
    path = tmp_path / "labels" / f"{c.number}.declaration.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["declaration"]["claim"]["reduction_pct"] = 25.0
    doc["declaration"]["claim"]["text"] = doc["declaration"]["claim"]["text"].replace("15.0", "25.0")
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert verify(str(path), reg["store"], at=T_CHECK).verdict == "invalid"


def test_registry_check_finds_a_claim_about_a_baseline_it_does_not_hold(reg):
    a = footprint(reg)
    second(reg, a)
    c = reduction(reg, a.number)
    with reg["store"].read() as tx:
        labels = tx.labels()
    assert claim_problems(labels) == []
    # a claim signed about another declaration of the baseline, or about a label not in the registry
    other = dataclasses.replace(labels[0], declaration_sha256="00" * 32)
    assert claim_problems([other, labels[1], labels[2]]) == [
        f"label {c.number}: its reduction claim names another declaration of baseline {a.number} (SHA-256 differs)"]
    assert claim_problems(labels[1:]) == [
        f"label {c.number}: its reduction claim names baseline {a.number!r}, not an earlier label of this registry"]


def test_a_reduction_label_is_not_renewed_with_a_new_result(reg):
    a = footprint(reg)
    second(reg, a)
    c = reduction(reg, a.number)
    with pytest.raises(IssueRefused, match="is a reduction label: renew it without a new result"):
        renew(reg["store"], c.number, reg["key"], 730, "yearly", declaration=generation(800.0), now=T_CHECK)
    renewed = renew(reg["store"], c.number, reg["key"], 730, "yearly", now=T_CHECK,  # same data: justified
                    justification="surveillance audit: the measures are in place, production unchanged")
    assert renewed.document["declaration"]["claim"] == c.document["declaration"]["claim"]


def test_the_verification_page_shows_the_reduction_and_links_the_baseline(reg, tmp_path):
    from pcf.serve.publish import publish
    from tests.test_registry_publish import Elements, chromium_dom

    a = footprint(reg)
    second(reg, a)
    c = reduction(reg, a.number)
    publish(reg["store"], tmp_path / "site", now=T_CHECK)
    dom = Elements(chromium_dom((tmp_path / "site" / f"{c.number}.html").as_uri(), tmp_path))
    assert dom.by_id["status"]["attrs"]["data-status"] == "valid"
    assert f"减碳 Reduction −15.0 % vs label {a.number} (2026)" in dom.by_id["reduction"]["text"]
    page = (tmp_path / "site" / f"{c.number}.html").read_text(encoding="utf-8")
    assert f'<a href="{a.number}.html">{a.number}</a>' in page
    assert 'id="reduction"' not in (tmp_path / "site" / f"{a.number}.html").read_text(encoding="utf-8")


# ------------------------------------------------------------------ low-carbon mark

LIMIT = """label:
  low_carbon_limit:
    value: {value}
    unit: kg CO2e/kWh
    source: test limit
    illustrative: true
    rationale: a test of the mark, no rule-maker's limit
"""


def test_low_carbon_mark_below_the_limit_and_not_above(reg, tmp_path):
    below = pcr_copy(tmp_path / "a", "label:\n", LIMIT.format(value=0.25))     # 0.200 < 0.25: marked
    above = pcr_copy(tmp_path / "b", "label:\n", LIMIT.format(value=0.15))     # 0.200 > 0.15: not marked
    equal = pcr_copy(tmp_path / "c", "label:\n", LIMIT.format(value=0.2))      # 0.200 is not below 0.200
    out = tmp_path / "labels"
    marked = issue(reg["store"], generation(960.0, pcr_dir=below), reg["key"], 730, out, now=T1, pcr_dir=below)
    low = marked.document["declaration"]["low_carbon"]
    assert low == {"limit": 0.25, "unit": "kg CO2e/kWh", "source": "test limit", "clause": None,
                   "illustrative": True, "text": "低碳产品 Low-carbon product"}
    assert "低碳产品 Low-carbon product" in (out / f"{marked.number}.label.svg").read_text(encoding="utf-8")
    assert verify(marked.number, reg["store"], at=T_CHECK).verdict == "valid"
    for i, rules in enumerate((above, equal)):
        plain = issue(reg["store"], generation(960.0, pcr_dir=rules, product_id=f"PACK-{i}"), reg["key"], 730, out,
                      now=T2, pcr_dir=rules)
        assert "low_carbon" not in plain.document["declaration"]
        assert "低碳产品" not in (out / f"{plain.number}.label.svg").read_text(encoding="utf-8")


def test_reduction_label_below_the_limit_carries_both(reg, tmp_path):
    rules = pcr_copy(tmp_path, "label:\n", LIMIT.format(value=0.18))     # 0.200 not below, 0.170 below
    a = footprint(reg, generation(960.0, model="ab" * 32, pcr_dir=rules), pcr_dir=rules)
    second(reg, a, generation(960.0, model="cd" * 32, pcr_dir=rules), pcr_dir=rules)
    assert "low_carbon" not in a.document["declaration"]
    c = issue(reg["store"], generation(816.0, pcr_dir=rules), reg["key"], 730, None, now=T3, pcr_dir=rules,
              claim="reduction", baseline_label=a.number, measures=reg["measures"])
    assert c.marks == [f"减碳 Reduction −15.0 % vs label {a.number} (2026)",
                       "低碳产品 Low-carbon product (示意性限值 illustrative limit)"]


@pytest.mark.parametrize("value, message", [
    ("unit: kg CO2e/kWh", None),
    ("unit: kg CO2e/kg", r"label.low_carbon_limit.unit: unit 'kg CO2e/kg' must be 'kg CO2e/kWh'"),
])
def test_low_carbon_limit_is_validated_with_file_and_line(tmp_path, value, message):
    text = LIMIT.format(value=0.25).replace("unit: kg CO2e/kWh", value)
    rules = pcr_copy(tmp_path, "label:\n", text)
    if message is None:
        assert load_pcr(PCR, rules).label.low_carbon_limit.value == 0.25
        return
    with pytest.raises(PCRError, match=rf"{PCR}.yaml:\d+: {message}"):
        load_pcr(PCR, rules)


@pytest.mark.parametrize("value", ["1e400", ".inf", ".nan"])
def test_low_carbon_limit_must_be_finite(tmp_path, value):
    # 1e400 is beyond the double range: YAML 1.2 reads it as inf, which passed value > 0
    rules = pcr_copy(tmp_path, "label:\n", LIMIT.format(value=value))
    with pytest.raises(PCRError, match=rf"{PCR}.yaml:\d+: label.low_carbon_limit.value: .*finite number"):
        load_pcr(PCR, rules)


def test_an_illustrative_limit_needs_a_rationale(tmp_path):
    rules = pcr_copy(tmp_path, "label:\n", LIMIT.format(value=0.25).replace(
        "    rationale: a test of the mark, no rule-maker's limit\n", ""))
    with pytest.raises(PCRError, match=rf"{PCR}.yaml:\d+: label.low_carbon_limit.illustrative: an illustrative "
                                       "limit needs a rationale"):
        load_pcr(PCR, rules)


# ------------------------------------------------------------------ command line

def test_command_line_reduction_label(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import cli

    def run(*args):
        return CliRunner().invoke(cli.app, [str(a) for a in args])

    monkeypatch.setenv("PCF_REGISTRY", location(tmp_path))
    cli_issuer_key(tmp_path, monkeypatch)   # root key, registry init, encrypted issuer key in tmp_path/keys
    key = tmp_path / "keys" / "cb-test.key"
    old, new = tmp_path / "old.result.json", tmp_path / "new.result.json"
    old.write_text(json.dumps(make_declaration().to_json()), encoding="utf-8")
    new.write_text(json.dumps(generation(816.0).to_json()), encoding="utf-8")
    measures = tmp_path / "measures.txt"
    measures.write_text("hydro power at the cell plant\n", encoding="utf-8")
    cli_case(run, old, tmp_path / "keys", tmp_path / "offline" / "cb-root.key")
    cli_case(run, new, tmp_path / "keys", tmp_path / "offline" / "cb-root.key")
    r = run("issue", old, "--key", key, "--valid-days", 730, "--out", tmp_path / "l")
    assert r.exit_code == 0, r.output
    first = r.stdout.strip()
    reduce = ("issue", new, "--key", key, "--valid-days", 730, "--out", tmp_path / "r", "--claim", "reduction",
              "--baseline-label", first)
    r = run(*reduce)
    assert r.exit_code == 2 and "--measures" in r.output, r.output
    r = run(*reduce, "--measures", measures)
    assert r.exit_code == 2 and "at least 2 issued footprint labels" in flat(r.output), r.output
    assert not (tmp_path / "r").exists()
    again = tmp_path / "again.result.json"                    # the product's second footprint result
    again.write_text(json.dumps(SECOND().to_json()), encoding="utf-8")
    cli_case(run, again, tmp_path / "keys", tmp_path / "offline" / "cb-root.key")
    r = run("issue", again, "--key", key, "--valid-days", 730, "--out", tmp_path / "l", "--supersede", first)
    assert r.exit_code == 0, r.output
    r = run(*reduce, "--measures", measures)
    assert r.exit_code == 0, r.output
    year = parse_number(first).year                          # the baseline's year of issue
    assert f"减碳 Reduction −15.0 % vs label {first} ({year})" in flat(r.output)
    v = run("verify", r.stdout.strip())
    assert v.exit_code == 0 and f"减碳 Reduction −15.0 % vs label {first} ({year})" in flat(v.stdout)
