"""Tests of the PCR sections added for issue 5: allocation, primary data, data quality, what the
declaration and the report must contain, alternative class sets, grading only when conforming,
the generic GB/T 24067 rule and the China label rule for lithium batteries.

The results are built by hand (tests/test_pcr.py ``battery_result``: 7 200 kg CO2e per pack,
36 000 kWh per pack, 0.2 kg CO2e/kWh, conforming to eu-battery-cfb-ev 0.3).
"""

from __future__ import annotations

import copy
import dataclasses
import re
from pathlib import Path

import pytest

from pcf.core.errors import PCRError
from pcf.lca.result import FootprintResult
from pcf.pcr import RULES_DIR, classify, grade, load_pcr
from builders import document
from tests.builders import assessed
from tests.test_pcr import (BATTERY, BATTERY_DECLARATION, BATTERY_PARAMETERS, CN, GBT, PV, PV_STAGES,
                            battery_data_quality, battery_result, nonconformities, pv_result, rules_of)


def findings_of(assessment: dict, rule: str) -> list[dict]:
    return [f for f in assessment["findings"] if f["rule"] == rule]


def variant(tmp_path: Path, pcr_id: str, old: str, new: str, at: str | None = None) -> tuple[Path, int]:
    """Copy a shipped rule with ``old`` (which must occur once) replaced by ``new``; return the
    path and the 1-based line where ``at`` (default ``old``, must occur once) starts."""
    text = (RULES_DIR / f"{pcr_id}.yaml").read_text(encoding="utf-8")
    assert text.count(old) == 1, f"fixture text {old!r} must occur once"
    at = at or old
    assert text.count(at) == 1, f"anchor text {at!r} must occur once"
    line = text[: text.index(at)].count("\n") + 1
    path = tmp_path / f"{pcr_id}.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path, line


# --------------------------------------------------------------------------- grading


def test_a_nonconforming_result_is_not_graded():
    """FEqC 100 instead of 60 is a nonconformity: the value and thresholds stay, the class goes."""
    result = battery_result(parameters={**BATTERY_PARAMETERS, "cycles_per_year": 100},
                            declared_per_reference_flow=60000.0)    # 7200 / 60000 kg CO2e/kWh
    a = assessed(result, load_pcr(BATTERY))
    assert a["conforms"] is False
    pc = a["performance_class"]
    assert pc["class"] is None and pc["graded"] is False and "does not conform" in pc["reason"]
    assert pc["value"] == pytest.approx(0.12, rel=1e-12) and len(pc["thresholds"]) == 5


def test_pv_alternative_classes_are_not_graded_either_when_nonconforming():
    result = pv_result(stages={**PV_STAGES, "use": 1.0})   # outside the boundary: a nonconformity
    a = assessed(result, load_pcr(PV))
    assert a["conforms"] is False
    assert a["performance_class"]["class"] is None
    [ecs] = a["alternative_classes"]
    assert ecs["id"] == "cre_ecs_ppe2" and ecs["class"] is None and ecs["graded"] is False


@pytest.mark.parametrize(("value", "conforms", "expected"), [
    (0.10, True, "A"), (0.10, False, None), (None, True, None)])
def test_grade_is_classify_gated_by_conformity(value, conforms, expected):
    classes = load_pcr(BATTERY).performance_classes
    graded = grade(value, classes, conforms)
    if value is None:
        assert graded is None
    else:
        assert graded["class"] == expected and graded["graded"] is conforms
        assert {k: v for k, v in graded.items() if k not in ("class", "graded", "reason")} == {
            k: v for k, v in classify(value, classes).items() if k != "class"}


@pytest.mark.parametrize(("value", "expected"), [
    (0.0, "A"), (450.0, "A"), (450.000001, "B"), (600.0, "B"), (600.000001, "C"), (750.0, "C"),
    (750.000001, "D"), (900.0, "D"), (900.000001, "E"), (2000.0, "E")])
def test_pv_illustrative_class_edges(value, expected):
    """Inclusive upper bounds A <= 450 < B <= 600 < C <= 750 < D <= 900 < E (kg CO2e/kWp)."""
    assert classify(value, load_pcr(PV).performance_classes)["class"] == expected


@pytest.mark.parametrize(("value", "expected"), [
    (0.09999999, "A"), (0.1, "A"), (0.10000001, "B"), (0.14999999, "B"), (0.15, "B"), (0.15000001, "C"),
    (0.25, "C"), (0.25000001, "D"), (0.35, "D"), (0.35000001, "E")])
def test_battery_class_edges_on_both_sides(value, expected):
    assert classify(value, load_pcr(BATTERY).performance_classes)["class"] == expected


# --------------------------------------------------------------------------- allocation


def with_allocation(method: str, justification: str) -> FootprintResult:
    return battery_result(allocation=[{"process": "refinery", "name": "Nickel refinery", "method": method,
                                       "justification": justification, "products": [], "credits": []}])


def test_physical_allocation_with_a_justification_conforms():
    a = assessed(with_allocation("mass", "co-products of one leach, mass is the physical basis"), load_pcr(BATTERY))
    assert a["conforms"] is True and not findings_of(a, "allocation-method")


def test_allocation_without_a_justification_is_a_nonconformity():
    a = assessed(with_allocation("mass", ""), load_pcr(BATTERY))
    [f] = findings_of(a, "allocation-justification")
    assert f["severity"] == "nonconformity" and "'refinery'" in f["message"] and "6.4.6" in f["clause"]


def test_economic_allocation_is_accepted_with_an_observation():
    a = assessed(with_allocation("economic", "no physical relationship between the metals"), load_pcr(BATTERY))
    assert a["conforms"] is True
    [f] = findings_of(a, "allocation-method")
    assert f["severity"] == "observation" and "no physical relationship" in f["message"]


def test_a_method_the_rule_does_not_accept_is_a_nonconformity(tmp_path):
    path, _ = variant(tmp_path, BATTERY, "economic: justify, factors: justify", "economic: justify")
    a = assessed(with_allocation("factors", "agreed with the supplier"), load_pcr(path))
    [f] = findings_of(a, "allocation-method")
    assert f["severity"] == "nonconformity" and "allocation with stated factors" in f["message"]
    assert "economic allocation" in f["fix"]


# --------------------------------------------------------------------------- primary data


def test_secondary_production_data_is_a_nonconformity_of_annex_ii_point_1():
    """The plant's electricity (2 000 of the 2 400 kg CO2e of the production stage) turns secondary."""
    result = battery_result(data_quality=battery_data_quality(cell_electricity="secondary"))
    a = assessed(result, load_pcr(BATTERY))
    [f] = findings_of(a, "primary-data")
    assert f["severity"] == "nonconformity" and f["confidence"] == "P"
    assert "Annex II point 1" in f["clause"]
    assert "1 of 2 activity data" in f["message"] and "(83 % of their |kg CO2e|)" in f["message"]  # 2000/2400
    assert "cell_production: elec" in f["message"] and "mandatory company-specific processes" in f["message"]
    assert a["conforms"] is False and a["performance_class"]["class"] is None


def test_secondary_data_outside_the_stage_is_not_a_finding():
    """cam (raw material acquisition) is secondary in the fixture: not the plant's own process."""
    a = assessed(battery_result(), load_pcr(BATTERY))
    assert not findings_of(a, "primary-data")


def test_result_without_data_quality_cannot_show_primary_data():
    result = battery_result(data_quality=None)
    a = assessed(result, load_pcr(BATTERY))
    [f] = findings_of(a, "primary-data")
    assert "no data-quality assessment" in f["message"]


def test_minimum_primary_data_share(tmp_path):
    """A rule asking for 40 %: the fixture's share is 2 400 / 7 200 = 33.3 %."""
    path, _ = variant(tmp_path, BATTERY, "  stages: [production]\n  clause: >-\n    Reg. (EU) 2023/1542 Annex II point 1:",
                      "  stages: [production]\n  min_share: 0.4\n  clause: >-\n    Reg. (EU) 2023/1542 Annex II point 1:")
    [f] = findings_of(assessed(battery_result(), load_pcr(path)), "primary-data")
    assert "33.3 %" in f["message"] and "40 %" in f["message"]


# --------------------------------------------------------------------------- data quality


def test_dqr_above_the_illustrative_threshold_is_an_observation():
    result = battery_result(data_quality=battery_data_quality(dqr=3.4))
    a = assessed(result, load_pcr(BATTERY))
    [f] = findings_of(a, "data-quality")
    assert f["severity"] == "observation" and "3.40" in f["message"] and "at most 3" in f["message"]
    assert "illustrative" in f["message"] and a["conforms"] is True


def test_dqr_at_the_threshold_is_no_finding():
    result = battery_result(data_quality=battery_data_quality(dqr=3.0))
    assert not findings_of(assessed(result, load_pcr(BATTERY)), "data-quality")


# --------------------------------------------------------------------------- contents


@pytest.mark.parametrize(("drop", "item", "point"), [
    (("manufacturer",), "manufacturer", "(a)"),
    (("plant",), "plant_location", "(c)"),
    (("conformity_declaration_id",), "conformity_declaration_id", "(f)"),
    (("study_url",), "public_study_link", "(g)"),
])
def test_each_missing_declaration_item_is_a_nonconformity(drop, item, point):
    result = battery_result(declaration={k: v for k, v in BATTERY_DECLARATION.items() if k not in drop})
    a = assessed(result, load_pcr(BATTERY))
    [f] = findings_of(a, "declaration-content")
    assert f["severity"] == "nonconformity" and f"Art. 7(1){point}" in f["clause"]
    assert "declaration" in f["fix"]
    [row] = [r for r in a["contents"]["declaration"] if r["item"] == item]
    assert row["status"] == "missing" and row["found"] is None


def test_declaration_checklist_of_a_conforming_result():
    a = assessed(battery_result(), load_pcr(BATTERY))
    rows = a["contents"]["declaration"]
    assert [r["item"] for r in rows] == ["manufacturer", "product_model", "plant_location",
                                         "footprint_per_declared_unit", "stage_breakdown",
                                         "conformity_declaration_id", "public_study_link"]
    assert {r["status"] for r in rows} == {"present"}
    found = {r["item"]: r["found"] for r in rows}
    assert found["manufacturer"] == "Example Cells Co., Ningde, Fujian, China"
    assert found["plant_location"] == "Plant 2, Ningde, Fujian, CN"
    assert found["footprint_per_declared_unit"] == "0.2000 kg CO2e/kWh"  # numbers.figure: 4 significant figures
    [other] = [r for r in a["contents"]["report"] if r["item"] == "other"]
    assert other["status"] == "verifier" and "cathode materials" in other["en"]


def test_exchange_company_and_study_url_stand_in_for_the_declaration():
    """The model's exchange: section (PACT companyName, study link) fills (a) and (g) when the
    declaration: section does not state them."""
    result = battery_result(
        declaration={k: v for k, v in BATTERY_DECLARATION.items() if k not in ("manufacturer", "study_url")},
        exchange={"company": {"name": "Example Cells Co.", "ids": []}, "study_url": "https://example.org/s"})
    a = assessed(result, load_pcr(BATTERY))
    assert a["conforms"] is True
    found = {r["item"]: r["found"] for r in a["contents"]["declaration"]}
    assert found["manufacturer"] == "Example Cells Co." and found["public_study_link"] == "https://example.org/s"


def test_empty_manufacturer_name_counts_as_missing():
    result = battery_result(declaration={**BATTERY_DECLARATION, "manufacturer": {"name": "  ", "address": "x"}})
    assert rules_of(nonconformities(assessed(result, load_pcr(BATTERY)))) == ["declaration-content"]


# --------------------------------------------------------------------------- GB/T 24067, China label


def test_gbt_generic_accepts_any_declared_unit_and_lists_its_report_items():
    """The battery fixture in kWh conforms to the generic rule; the report items it lacks are
    observations (cut-off criteria, uncertainty, electricity list), and the three 'other' items
    (electricity life cycle, critical review, the declaration clause) are for the verifier.

    The result is partial on purpose: ``electricity`` None is a result written before results
    listed their electricity inputs (issue 4.3), whose ``electricity_sources`` report item is
    missing; a result of this pcf always has the list (empty or not), so it states the item."""
    result = dataclasses.replace(battery_result(data_sources=[{"background": "nickel", "kg_co2e": 4500.0}],
                                                method="ipcc-2021-gwp100"),  # the rule's method
                                 electricity=None)
    a = assessed(result, load_pcr(GBT))
    assert a["conforms"] is True, nonconformities(a)
    assert a["performance_class"] is None and a["alternative_classes"] == []
    missing = [r["item"] for r in a["contents"]["report"] if r["status"] == "missing"]
    assert missing == ["cut_off_criteria", "electricity_sources", "uncertainty"]
    assert {f["severity"] for f in findings_of(a, "report-content")} == {"observation"}
    result = dataclasses.replace(result, data_sources=())   # emission-factor sources are required (ISO 14067 clause 7 items)
    assert rules_of(nonconformities(assessed(result, load_pcr(GBT)))) == ["report-content"]
    verifier = [r for r in a["contents"]["report"] + a["contents"]["declaration"] if r["status"] == "verifier"]
    assert len(verifier) == 3 and any("T&D losses" in r["en"] for r in verifier)
    assert list(a["stages"]) == ["原材料获取 Raw material acquisition", "生产 Production", "分销 Distribution",
                                 "使用 Use", "寿命终止 End of life"]


def test_gbt_generic_without_a_declared_unit():
    result = battery_result(declared_per_reference_flow=None)
    a = assessed(result, load_pcr(GBT))
    assert "declared-unit" in rules_of(nonconformities(a))
    [f] = findings_of(a, "declared-unit")
    assert "functional unit (CFP) or declared unit" in f["message"]


def test_cn_label_accepts_the_model_s_lifetime_energy_and_states_what_is_unknown():
    """kWh fixed, its calculation not: an observation, and the model's 36 000 kWh is used."""
    result = battery_result(data_sources=[{"background": "nickel", "kg_co2e": 4500.0}],
                            method="ipcc-2021-gwp100")  # the rule's method
    a = assessed(result, load_pcr(CN))
    assert a["conforms"] is True, nonconformities(a)
    [f] = findings_of(a, "declared-unit-expression")
    assert f["severity"] == "observation" and "36,000 kWh per reference flow is accepted" in f["message"]
    assert a["stages"]["电池生产 Battery manufacturing"] == pytest.approx(2400 / 36000, rel=1e-12)
    assert a["performance_class"] is None       # the sources describe a label without a grade
    assert a["label"]["validity_years"] == 2 and "CNCA" in a["label"]["clause"]


@pytest.mark.parametrize(("changes", "rule", "text"), [
    # the model's 30 000 kWh against the rule's 75 kWh x 60 cycles a year x 8 years = 36 000
    ({"declared_per_reference_flow": 30000.0}, "declared-units-per-reference-flow",
     "The model gives 30,000 kWh per reference flow; the PCR's "),
    ({"parameters": {**BATTERY_PARAMETERS, "cycles_per_year": 1250.5}}, "fixed-parameter",
     "Parameter cycles_per_year is 1,250.5 ["),
    # EF 3.1 rule: declared without the 1 234 kg of biogenic CO2: 7 200, ISO 14067 total 8 434
    ({"biogenic_emissions": 1234.0, "biogenic_co2_kg": 1234.0}, "ghg-accounting",
     "biogenic CO2 emissions and removals: 7,200 kg CO2e per reference flow, against 8,434 kg CO2e with every"),
])
def test_finding_texts_write_numbers_by_the_number_policy(changes, rule, text):
    """Issue 20 part 1: amounts as given with thousands separators (numbers.amount), results
    at 4 significant figures (numbers.figure); never %g's 30000 or 1250.5's exponent forms."""
    a = assessed(battery_result(**changes), load_pcr(BATTERY))
    [f] = findings_of(a, rule)
    assert text in f["message"], f["message"]
    assert not re.search(r"\d[eE][-+]?\d|\b\d{5,}\b(?!:)", f["message"] + f["fix"]), f["message"]  # not ISO 14067:


def test_a_fix_to_write_into_the_model_has_no_thousands_separator():
    """A PCR fixing a parameter at 1,500: the message reads "1,500" (numbers.amount) but the fix
    the user copies into the model is ``Set cycles_per_year: 1500.``, a YAML number (``1,500``
    would be the text "1,500")."""
    pcr = load_pcr(BATTERY)
    fixed = [q.model_copy(update={"value": 1500.0}) if q.name == "cycles_per_year" else q
             for q in pcr.declared_unit.parameters]
    pcr = pcr.model_copy(update={"declared_unit": pcr.declared_unit.model_copy(update={"parameters": fixed})})
    a = assessed(battery_result(), pcr)
    [f] = findings_of(a, "fixed-parameter")
    assert "the PCR fixes it at 1,500 (" in f["message"], f["message"]
    assert f["fix"].startswith("Set cycles_per_year: 1500."), f["fix"]


def test_cn_label_with_another_declared_unit_is_a_nonconformity():
    result = battery_result(declared_unit="item")
    assert "declared-unit" in rules_of(nonconformities(assessed(result, load_pcr(CN))))


def test_every_threshold_cites_its_source_or_says_illustrative():
    """Issue 5: every class set has a source and a clause; illustrative ones a rationale."""
    for pcr_id in (BATTERY, PV, GBT, CN):
        pcr = load_pcr(pcr_id)
        for classes in [pcr.performance_classes] + list(pcr.alternative_classes):
            if classes is None:
                continue
            assert classes.source and classes.clause
            assert classes.illustrative is False or classes.rationale
        for rule in (pcr.primary_data, pcr.data_quality):
            if rule is not None:
                assert rule.clause and (not rule.illustrative or rule.rationale)


def test_assess_does_not_modify_the_result_with_the_new_rules():
    result = battery_result()
    before = copy.deepcopy(result)
    for pcr_id in (BATTERY, GBT, CN):
        assessed(result, load_pcr(pcr_id))
    assert result == before


# --------------------------------------------------------------------------- bad rule files


@pytest.mark.parametrize(("pcr_id", "old", "new", "at", "message"), [
    # at: the text on the line the error names (None: the line of `old`)
    (GBT, "  if_missing: nonconformity\n", "  if_missing: nonconformity\n  per_reference_flow: power_wp / 1000\n",
     "  unit: null\n", r"declared_unit.unit: a rule that fixes per_reference_flow must name the unit"),
    (PV, "  - id: cre_ecs_ppe2\n", "  - id: ppe2 v2\n", None, r"alternative_classes\[0\]\.id: String should match"),
    (PV, "    unit: kg CO2e/kWp\n    strict: true\n", "    unit: kg CO2e/Wp\n    strict: true\n", None,
     r"alternative_classes\[0\]\.unit: unit 'kg CO2e/Wp' must be 'kg CO2e/kWp'"),
    (BATTERY, "  severity: observation\n  illustrative: true\n", "  illustrative: true\n", "data_quality:\n",
     r"data_quality\.severity: an illustrative threshold .* can only give an observation"),
    (BATTERY, "  max_dqr: 3.0\n", "", "data_quality:\n",
     r"data_quality: data_quality sets nothing to check; give max_dqr or min_coverage"),
    (BATTERY, "  max_dqr: 3.0\n", "  max_dqr: 7\n", None, r"data_quality\.max_dqr: Input should be less than or equal to 5"),
    (BATTERY, "  stages: [production]\n  clause: >-\n    Reg. (EU) 2023/1542 Annex II point 1:",
     "  stages: [use]\n  clause: >-\n    Reg. (EU) 2023/1542 Annex II point 1:", None,
     r"primary_data\.stages\[0\]: stage 'use' is excluded"),
    (BATTERY, "{item: manufacturer, clause:", "{item: manufacturers, clause:", None,
     r"declaration\.items\[0\]\.item: 'manufacturers' is not allowed"),
    (BATTERY, "{item: product_model, clause:", "{item: manufacturer, clause:", None,
     r"declaration\.items\[1\]\.item: item 'manufacturer' is listed twice"),
    (BATTERY, "economic: justify, factors: justify", "economic: justify, barter: justify", None,
     r"allocation\.methods\.barter"),
    (CN, "  validity_years: 2\n", "  validity_years: 0\n", None, r"label\.validity_years: Input should be greater than 0"),
])
def test_bad_new_sections_give_file_and_line(tmp_path, pcr_id, old, new, at, message):
    path, line = variant(tmp_path, pcr_id, old, new, at=at)
    with pytest.raises(PCRError) as info:
        load_pcr(path)
    text = str(info.value)
    assert text.startswith(f"{path}:{line}: "), (text, line)
    assert re.search(message, text), text


def test_other_item_needs_its_text(tmp_path):
    text = (RULES_DIR / f"{BATTERY}.yaml").read_text(encoding="utf-8")
    old = ("    - item: other\n      text: >-\n        electronic components (e.g. battery management and security units) "
           "and cathode materials\n        precisely identified in the bill of materials\n")
    assert text.count(old) == 1
    line = text[: text.index(old)].count("\n") + 1
    path = tmp_path / f"{BATTERY}.yaml"
    path.write_text(text.replace(old, "    - item: other\n"), encoding="utf-8")
    with pytest.raises(PCRError, match=rf"^{path}:{line}: report\.items\[0\]\.text: an item 'other' needs text"):
        load_pcr(path)


def test_classes_need_a_declared_unit(tmp_path):
    path, _ = variant(tmp_path, GBT, "report:\n  clause: >-\n    GB/T 24067-2024 CFP study report",
                      "performance_classes:\n  unit: kg CO2e/kWh\n  thresholds: [{class: A, max: null}]\n"
                      "  source: s\n  clause: c\n  confidence: W\n  illustrative: false\n"
                      "report:\n  clause: >-\n    GB/T 24067-2024 CFP study report")
    with pytest.raises(PCRError, match=r"performance_classes: performance classes need a declared unit"):
        load_pcr(path)


# --------------------------------------------------------------------------- model declaration:

MINI = """\
format: pcf-model/1
product: {id: MINI, name: Mini pack, process: p, reference_flow: {amount: 1, unit: item}}
study: {background: test-bg}
processes:
  - id: p
    name: Pack
    stage: production
    data: primary
    output: {amount: 1, unit: item}
    inputs:
      - {background: steel, amount: 2, unit: kg}
"""


def test_model_declaration_reaches_the_result(bd, write_model):
    from pcf.lca import footprint
    from pcf.model import load_model
    from tests.pcr_util import DECLARATION, DECLARATION_YAML

    result = document(footprint(load_model(write_model(MINI + DECLARATION_YAML))))
    assert result["declaration"] == DECLARATION
    assert result["total_kg_co2e"] == pytest.approx(4.0, rel=1e-6)   # 2 kg steel x 2.0 kg CO2/kg
    assert document(footprint(load_model(write_model(MINI, "bare.yaml"))))["declaration"] is None


@pytest.mark.parametrize(("text", "line", "message"), [
    ("declaration:\n  manufacturer: {address: somewhere}\n", 13, r"declaration\.manufacturer\.name"),
    ("declaration:\n  plant: {name: P2}\n", 13, r"declaration\.plant\.location"),
    ("declaration:\n  study_link: https://x\n", 13, r"study_link"),
])
def test_bad_model_declaration_gives_file_and_line(bd, write_model, text, line, message):
    from pcf.core.errors import ModelError
    from pcf.model import load_model

    path = write_model(MINI + text)
    with pytest.raises(ModelError) as info:
        load_model(path)
    assert str(info.value).startswith(f"{path}:{line}: ") and re.search(message, str(info.value)), str(info.value)


# --------------------------------------------------------------------------- GWP basis (issue 14 part 2)

def _with_basis(share_off: float) -> FootprintResult:
    """The battery fixture (7 200 kg CO2e) with a GWP-basis summary: ``share_off`` of it CO2 only."""
    from pcf.lca.result import BasisPart, GwpBasisSummary

    off = 7200.0 * share_off
    summary = GwpBasisSummary(method="ipcc-2021-gwp100", method_gwp_vintage="AR6", other_basis_kg_co2e=off,
                              other_basis_share=share_off,
                              by_basis={"per_gas": BasisPart(kg_co2e=7200.0 - off, share=1 - share_off, on_basis=True),
                                        "co2_only": BasisPart(kg_co2e=off, share=share_off, on_basis=False)})
    return dataclasses.replace(battery_result(), gwp_basis_summary=summary)


def test_gwp_basis_above_the_illustrative_threshold_is_an_observation():
    """eu-battery-cfb-ev allows 10 % (illustrative): 25 % CO2 only is an observation, the result conforms."""
    a = assessed(_with_basis(0.25), load_pcr(BATTERY))
    [f] = findings_of(a, "gwp-basis")
    assert f["severity"] == "observation" and a["conforms"] is True
    assert "25.0 % of the total comes from factors on other GWP bases" in f["message"]
    assert "CO2 only (other gases missing) 25.0 %" in f["message"] and "at most 10 %" in f["message"]
    assert "illustrative" in f["message"]


def test_gwp_basis_at_or_below_the_threshold_is_no_finding():
    assert not findings_of(assessed(_with_basis(0.10), load_pcr(BATTERY)), "gwp-basis")
    assert not findings_of(assessed(_with_basis(0.0), load_pcr(BATTERY)), "gwp-basis")


def test_a_pcr_can_make_the_gwp_basis_a_nonconformity(tmp_path):
    """A rule-maker's (not illustrative) threshold with above: nonconformity: 25 % > 20 %."""
    path, _ = variant(tmp_path, BATTERY, "  max_other_basis_share: 0.10\n  above: observation\n  illustrative: true\n",
                      "  max_other_basis_share: 0.20\n  above: nonconformity\n  illustrative: false\n")
    a = assessed(_with_basis(0.25), load_pcr(path))
    [f] = findings_of(a, "gwp-basis")
    assert f["severity"] == "nonconformity" and a["conforms"] is False and "at most 20 %" in f["message"]
    assert not findings_of(assessed(_with_basis(0.20), load_pcr(path)), "gwp-basis")


def test_a_result_without_the_gwp_basis_cannot_be_checked():
    [f] = findings_of(assessed(battery_result(), load_pcr(BATTERY)), "gwp-basis")
    assert "does not state the GWP basis" in f["message"] and f["severity"] == "observation"


def test_every_shipped_pcr_sets_a_gwp_basis_threshold_with_a_reason():
    for pcr_id in (BATTERY, PV, GBT, CN):
        rule = load_pcr(pcr_id).gwp_basis
        assert rule is not None and rule.clause and rule.illustrative and rule.rationale, pcr_id
        assert rule.above == "observation" and 0 < rule.max_other_basis_share < 1


@pytest.mark.parametrize(("old", "new", "message"), [
    ("  above: observation\n  illustrative: true\n", "  above: nonconformity\n  illustrative: true\n",
     r"gwp_basis\.above: an illustrative threshold .* can only give an observation; set above: observation"),
    ("  max_other_basis_share: 0.10\n", "  max_other_basis_share: 1.5\n",
     r"gwp_basis\.max_other_basis_share: Input should be less than or equal to 1"),
    ("  above: observation\n  illustrative: true\n", "  above: sometimes\n  illustrative: true\n",
     r"gwp_basis\.above: 'sometimes' is not allowed; use one of 'nonconformity' or 'observation'"),
])
def test_bad_gwp_basis_rules_give_file_and_line(tmp_path, old, new, message):
    path, line = variant(tmp_path, BATTERY, old, new)
    with pytest.raises(PCRError) as info:
        load_pcr(path)
    assert str(info.value).startswith(f"{path}:{line}: "), (str(info.value), line)
    assert re.search(message, str(info.value)), str(info.value)


def test_an_illustrative_gwp_basis_threshold_needs_a_rationale(tmp_path):
    text = (RULES_DIR / f"{BATTERY}.yaml").read_text(encoding="utf-8")
    start = text.index("gwp_basis:\n")
    block = text[start:]
    cut = block.index("  rationale: >-\n")
    end = block.index("  clause: >-\n")
    path = tmp_path / f"{BATTERY}.yaml"
    path.write_text(text[:start] + block[:cut] + block[end:], encoding="utf-8")
    with pytest.raises(PCRError, match=r"gwp_basis\.illustrative: illustrative thresholds need a rationale"):
        load_pcr(path)


def test_reading_every_shipped_rule_loads_no_numpy():
    """A PCR names the parameters of its declared-unit expression (pcf.model.exprsyntax): reading
    one in a fresh process loads no numpy (the renderer of ``pcf issue FOLDER`` reads one)."""
    import subprocess
    import sys

    code = ("import sys; from pcf.pcr import list_pcrs, load_pcr; ids = list_pcrs(); [load_pcr(i) for i in ids]; "
            "print(len(ids), 'numpy' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parent.parent)
    count, numpy = done.stdout.split()
    assert int(count) == len(list(RULES_DIR.glob("*.yaml"))) > 3 and numpy == "False", done.stderr
