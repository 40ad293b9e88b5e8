"""The pilot-category rules of issue 21 part 2: every shipped rule file loads, every threshold
cites its source or says it is illustrative, the PV example checks against ``pv-module-cn``,
and the electrolytic-aluminium rule requires CF4 and C2F6 in the model's inventory
(``inventory:``, :mod:`pcf.pcr.lint` ``pcr-inventory``, assessment rule ``inventory``).

Hand-worked numbers: the ``test-bg`` background (tests/conftest.py) gives electricity 0.5 kg CO2
+ 0.001 kg CH4 x 29.8 + 0.0001 kg N2O x 273 = 0.5571 kg CO2e/kWh and steel 2.0 kg CO2e/kg;
IPCC AR6 WG1 Table 7.SM.7 gives GWP100 CF4 7380 and C2F6 12400 (pcf's ipcc-2021-gwp100 method).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from pcf import api
from pcf.core.errors import PCRError
from pcf.pcr import RULES_DIR, list_pcrs, load_pcr
from tests.conftest import flat

runner = CliRunner()
REPO = Path(__file__).resolve().parents[1]
PILOTS = ("pv-module-cn", "cn-label-steel", "cn-label-textiles", "cn-label-electrical-electronic",
          "cn-label-tyres", "cn-label-cement", "cn-label-electrolytic-aluminium", "cn-label-urea",
          "cn-label-ammonium-phosphates", "cn-label-wood-products")
ALUMINIUM = "cn-label-electrolytic-aluminium"


def test_every_rule_file_loads():
    files = sorted(p.stem for p in RULES_DIR.glob("*.yaml"))
    assert set(PILOTS) <= set(files)
    assert list_pcrs() == files
    for pcr_id in files:
        pcr = load_pcr(pcr_id)
        assert pcr.id == pcr_id and pcr.sources


def _thresholds(pcr) -> list[tuple[str, object]]:
    """Every part of a rule that sets a number to compare with, as (where, part)."""
    out = []
    if pcr.performance_classes is not None:
        out.append(("performance_classes", pcr.performance_classes))
    out += [(f"alternative_classes.{a.id}", a) for a in pcr.alternative_classes]
    for key in ("primary_data", "data_quality", "gwp_basis"):
        if getattr(pcr, key) is not None:
            out.append((key, getattr(pcr, key)))
    if pcr.label is not None and pcr.label.low_carbon_limit is not None:
        out.append(("label.low_carbon_limit", pcr.label.low_carbon_limit))
    if pcr.peer_grading is not None:
        g = pcr.peer_grading
        out += [("peer_grading", g), ("peer_grading.min_group", g.min_group)]
        if g.reference_value is not None:
            out.append(("peer_grading.reference_value", g.reference_value))
    return out


@pytest.mark.parametrize("pcr_id", sorted(p.stem for p in RULES_DIR.glob("*.yaml")))
def test_each_threshold_cites_a_source_or_says_illustrative(pcr_id):
    pcr = load_pcr(pcr_id)
    for where, part in _thresholds(pcr):
        if getattr(part, "illustrative", False):
            assert (part.rationale or "").strip(), f"{pcr_id} {where}: illustrative without a rationale"
        else:
            cited = (getattr(part, "source", None) or getattr(part, "clause", None) or "").strip()
            assert cited, f"{pcr_id} {where}: neither a source nor illustrative"
            assert "illustrative" not in cited.lower() or "pcf" not in cited.lower(), (
                f"{pcr_id} {where}: a pcf figure must be marked illustrative: true")


def test_pilot_rules_fill_in_nothing_they_do_not_know():
    """No pilot rule sets performance classes or a low-carbon limit (no source publishes one);
    every peer-grading level bound is illustrative."""
    for pcr_id in PILOTS:
        pcr = load_pcr(pcr_id)
        assert pcr.performance_classes is None and not pcr.alternative_classes
        assert pcr.label is None or pcr.label.low_carbon_limit is None
        if pcr.peer_grading is not None:
            assert pcr.peer_grading.illustrative and pcr.peer_grading.min_group.illustrative
    # the cited aluminium reference is IAI's published 15.1 t CO2e/t (reference-factors row
    # aluminium_primary_glo_iai_2022); the steel one is worldsteel's CO2-only 1.91, illustrative
    al = load_pcr(ALUMINIUM).peer_grading.reference_value
    assert (al.value, al.unit, al.illustrative) == (15.1, "kg CO2e/kg", False)
    steel = load_pcr("cn-label-steel").peer_grading.reference_value
    assert (steel.value, steel.illustrative) == (1.91, True)


def test_the_pv_example_conforms_to_pv_module_cn(open_default):
    declaration = api.compute(REPO / "examples/pv/mono-si-module-cn.yaml", pcr_id="pv-module-cn")
    a = declaration.assessment
    assert a.pcr.id == "pv-module-cn"
    assert a.conforms, [f.message for f in a.findings if f.severity == "nonconformity"]
    assert a.performance_class is None     # no class set is published for PV modules in China


def test_pcf_check_of_the_pv_example_exits_0(open_default):
    out = runner.invoke(cli.app, ["check", str(REPO / "examples/pv/mono-si-module-cn.yaml"), "--pcr", "pv-module-cn"])
    assert out.exit_code == 0, out.output
    assert "PCR pv-module-cn" in flat(out.output)


ALUMINIUM_MODEL = """\
format: pcf-model/1
product:
  id: AL-INGOT
  name: Primary aluminium ingot
  process: electrolysis
  reference_flow: {amount: 1, unit: kg}
  declared_unit: {unit: kg, description: 1 kg of primary aluminium, per_reference_flow: 1}
study: {background: test-bg, method: ipcc-2021-gwp100, boundary: cradle-to-gate, pcr: cn-label-electrolytic-aluminium}
processes:
  - id: electrolysis
    name: Hall-Heroult electrolysis
    stage: production
    output: {amount: 1, unit: kg}
    inputs:
      - {process: anode, amount: 1, unit: item}
      - {background: elec, amount: 14, unit: kWh}
    emissions:
      - {substance: carbon dioxide, amount: 1.5, unit: kg}
EMISSIONS
  - id: anode
    name: Carbon anode and alumina (stand-in material)
    stage: raw_material_acquisition
    output: {amount: 1, unit: item}
    inputs:
      - {background: steel, amount: 0.5, unit: kg}
"""
PFCS = """\
      - {substance: tetrafluoromethane, amount: 0.0001, unit: kg}
      - {substance: "ethane, hexafluoro-, hfc-116", amount: 0.00001, unit: kg}
"""


def test_an_aluminium_model_with_cf4_and_c2f6_conforms_and_counts_them(open_default, write_model):
    declaration = api.compute(write_model(ALUMINIUM_MODEL.replace("EMISSIONS\n", PFCS)))
    a = declaration.assessment
    assert not [f for f in a.findings if f.rule == "inventory"]
    assert a.conforms, [f.message for f in a.findings if f.severity == "nonconformity"]
    # 14 x 0.5571 + 1.5 + 0.0001 x 7380 + 0.00001 x 12400 + 0.5 x 2.0 = 7.7994 + 1.5 + 0.738 + 0.124 + 1.0
    assert declaration.result.total_kg_co2e == pytest.approx(11.1614, rel=1e-6)
    infos = [f for f in declaration.result.lint if f.check == "pcr-inventory"]
    assert [f.severity for f in infos] == ["info", "info"] and all(f.process == "electrolysis" for f in infos)


@pytest.mark.parametrize(("kept", "missing"), [("", ["CF4", "C2F6"]),
                                               (PFCS.splitlines()[0] + "\n", ["C2F6"])])
def test_an_aluminium_model_without_the_pfcs_does_not_conform(open_default, write_model, kept, missing):
    declaration = api.compute(write_model(ALUMINIUM_MODEL.replace("EMISSIONS\n", kept)))
    a = declaration.assessment
    found = [f for f in a.findings if f.rule == "inventory"]
    assert [f.severity for f in found] == ["nonconformity"] * len(missing)
    assert [f.message.split("inventory: ")[1].split(" ")[0] for f in found] == missing
    assert not a.conforms
    assert "no process of the model emits it" in found[0].message and "emissions" in found[0].fix


def test_pcf_check_of_an_aluminium_model_without_pfcs_exits_1(open_default, write_model):
    path = write_model(ALUMINIUM_MODEL.replace("EMISSIONS\n", ""))
    out = runner.invoke(cli.app, ["check", str(path)])
    assert out.exit_code == 1, out.output
    assert "inventory" in out.output and "CF4" in out.output
    lint = runner.invoke(cli.app, ["lint", str(path), "--strict"])
    assert lint.exit_code == 1 and "pcr-inventory" in lint.output


def test_a_result_computed_without_the_rule_does_not_show_the_pfcs(open_default, write_model):
    """Assessed against the aluminium rule afterwards, a result whose lint never looked for the
    PFCs is not taken to contain them."""
    from pcf.declaration import build_declaration

    declaration = api.compute(write_model(ALUMINIUM_MODEL.replace("EMISSIONS\n", PFCS)), pcr_id="gbt-24067-generic")
    again = build_declaration(declaration.result, load_pcr(ALUMINIUM))
    found = [f for f in again.assessment.findings if f.rule == "inventory"]
    assert len(found) == 2 and all("does not show" in f.message for f in found)


def test_an_inventory_flow_listed_twice_is_refused_at_its_line(tmp_path):
    text = (RULES_DIR / f"{ALUMINIUM}.yaml").read_text(encoding="utf-8")
    old = "      synonyms: [hexafluoroethane, C2F6, PFC-116]"
    assert text.count(old) == 1
    path = tmp_path / f"{ALUMINIUM}.yaml"
    path.write_text(text.replace(old, "      synonyms: [hexafluoroethane, C2F6, CF4]"), encoding="utf-8")
    line = text[: text.index("    - name: C2F6")].count("\n") + 1
    with pytest.raises(PCRError) as err:
        load_pcr(path)
    assert f":{line}:" in str(err.value) and "list each flow once" in str(err.value)


def test_an_aluminium_result_is_graded_against_the_iai_average(open_default, write_model, tmp_path):
    """11.1614 kg CO2e/kg (above) / IAI 15.1 kg CO2e/kg = 0.73917: level 1 (ratio <= 0.8)."""
    declaration = api.compute(write_model(ALUMINIUM_MODEL.replace("EMISSIONS\n", PFCS)))
    path = tmp_path / "AL-INGOT.result.json"
    path.write_text(json.dumps(declaration.to_json()), encoding="utf-8")
    [g] = api.grade(path, "pcr").grades
    assert g.ratio == pytest.approx(11.1614 / 15.1, rel=1e-6) and g.level == 1
    assert g.group.reference.value == 15.1 and g.indicative is False
