"""Cut-off accounting (ISO 14067:2018 6.3.4.3): shares of excluded inputs, estimates from a
proxy, and the study's own criteria.

Process ``p`` makes one item from 10 kWh ``elec`` (0.5571 kg CO2e/kWh, AR6) and 4 kg ``steel``
(2.0 kg CO2e/kg): total = 5.571 + 8.0 = 13.571 kg CO2e.

    glue  0.05 kg, proxy steel: mass share 0.05 / 4.05 = 1.2346 %  (criterion 1 %: broken)
                                estimate 0.1 kg CO2e = 0.7369 % of 13.571
    glue  0.03 kg, proxy steel: mass share 0.03 / 4.03 = 0.7444 %, estimate 0.06 = 0.4421 %
    light 0.5 kWh, proxy elec:  energy share 0.5 / 10.5 = 4.762 %  (criterion 1 %: broken)
"""

from __future__ import annotations

import pytest

from pcf.lca import footprint
from pcf.model import load_model
from pcf.pcr import load_pcr
from pcf.declaration import Declaration
from tests.builders import assessed
from builders import document

BASE = """\
format: pcf-model/1
product: {{id: CUT, name: Cut-off test, process: p, reference_flow: {{amount: 1, unit: item}}}}
study: {{background: test-bg{criteria}}}
processes:
  - id: p
    name: P
    stage: production
    output: {{amount: 1, unit: item}}
    inputs:
      - {{background: elec, amount: 10, unit: kWh}}
      - {{background: steel, amount: 4, unit: kg}}
    excluded:
{excluded}
"""
CRITERIA = ", cut_off: {mass: 0.01, energy: 0.01, ghg: 0.01, total: 0.05, source: study choice}"


def run(write_model, excluded, criteria=CRITERIA):
    text = BASE.format(criteria=criteria, excluded="".join(f"      - {e}\n" for e in excluded))
    return document(footprint(load_model(write_model(text))))


def test_within_criteria(bd, write_model):
    d = run(write_model, ["{name: glue, amount: 0.03, unit: kg, reason: small, proxy: {background: steel}}"])
    assert d["total_kg_co2e"] == pytest.approx(13.571, rel=1e-6)
    [glue] = d["cut_off"]
    assert glue["mass_share"] == pytest.approx(0.03 / 4.03)
    assert glue["energy_share"] is None
    assert glue["proxy"] == "steel"
    assert glue["kg_co2e_estimate"] == pytest.approx(0.06, rel=1e-6)
    assert glue["ghg_share"] == pytest.approx(0.06 / 13.571, rel=1e-6)
    summary = d["cut_off_summary"]
    assert summary["estimated_kg_co2e"] == pytest.approx(0.06, rel=1e-6)
    assert summary["findings"] == []
    # the proxy is only an estimate: it is not part of the footprint
    assert not any(c.get("background") == "steel" and c["kg_co2e"] == pytest.approx(0.06) for c in d["contributions"])


def test_mass_criterion_broken(bd, write_model):
    d = run(write_model, ["{name: glue, amount: 0.05, unit: kg, reason: small, proxy: {background: steel}}"])
    [finding] = d["cut_off_summary"]["findings"]
    assert finding["severity"] == "nonconformity"
    assert "1.23 % of its process's mass input, above the 1 % cut-off criterion" in finding["message"]


def test_energy_criterion_broken(bd, write_model):
    d = run(write_model, ["{name: lighting, amount: 0.5, unit: kWh, reason: not metered, proxy: {background: elec}}"])
    [item] = d["cut_off"]
    assert item["energy_share"] == pytest.approx(0.5 / 10.5)
    assert item["kg_co2e_estimate"] == pytest.approx(0.5 * 0.5571, rel=1e-6)
    messages = [f["message"] for f in d["cut_off_summary"]["findings"]]
    assert any("4.76 % of its process's energy input" in m for m in messages)
    # 0.27855 / 13.571 = 2.05 % of the footprint, above the 1 % GHG criterion too
    assert any("estimated at 2.05 % of the footprint" in m for m in messages)


def test_total_criterion(bd, write_model):
    criteria = ", cut_off: {mass: null, energy: null, ghg: null, total: 0.004}"
    d = run(write_model, ["{name: glue, amount: 0.03, unit: kg, reason: small, proxy: {background: steel}}"], criteria)
    [finding] = d["cut_off_summary"]["findings"]
    assert finding["severity"] == "nonconformity"
    assert "together are estimated at 0.44 %" in finding["message"]
    assert "0.4 % total cut-off criterion" in finding["message"]


def test_unestimated_input_and_missing_criteria_are_observations(bd, write_model):
    d = run(write_model, ["{name: glue, amount: 0.03, unit: kg, reason: small}"])
    [finding] = d["cut_off_summary"]["findings"]
    assert finding["severity"] == "observation" and "not estimated" in finding["message"]
    assert d["cut_off_summary"]["not_estimated"] == 1
    d = run(write_model, ["{name: glue, amount: 0.03, unit: kg, reason: small}"], criteria="")
    [finding] = d["cut_off_summary"]["findings"]
    assert finding["severity"] == "observation" and "states no cut-off criteria" in finding["message"]


def test_pcr_check_fails_on_a_broken_criterion(bd, write_model):
    d = run(write_model, ["{name: glue, amount: 0.05, unit: kg, reason: small, proxy: {background: steel}}"])
    assessment = assessed(Declaration.from_json(d).result, load_pcr("pv-module"))
    cut = [f for f in assessment["findings"] if f["rule"] == "cut-off"]
    assert cut and cut[0]["severity"] == "nonconformity"
    assert cut[0]["clause"] == "ISO 14067:2018 6.3.4.3; study choice"
    assert assessment["conforms"] is False


def test_proxy_errors_have_lines(bd, write_model):
    from pcf.core.errors import ModelError

    path = write_model(BASE.format(criteria="", excluded="      - {name: glue, amount: 1, unit: kg, reason: x, proxy: {background: nope}}\n"))
    with pytest.raises(ModelError, match=r":13: background activity 'nope' is not in 'test-bg'"):
        footprint(load_model(path))
    path = write_model(BASE.format(criteria="", excluded="      - {name: glue, amount: 1, unit: kg, reason: x, proxy: {background: elec}}\n"))
    with pytest.raises(ModelError, match=r":13: .*cannot convert 'kg' to 'kWh'"):
        footprint(load_model(path))
