"""Footprint calculation on hand-solvable systems (expected values worked out by hand).

The ``test-bg`` background (tests/conftest.py), per unit [kg gas]:

    elec  [kWh]  0.5 CO2 fossil, 0.001 CH4 fossil, 0.0001 N2O
    steel [kg]   2.0 CO2 fossil
    air   [tkm]  1.0 CO2 fossil, aircraft
    wood  [kg]   0.1 CO2 fossil, 1.5 CO2 non-fossil, 0.2 CO2 from soil or biomass stock

GWP100 (IPCC AR6 WG1 Table 7.15): CH4 fossil 29.8, N2O 273, so elec = 0.5 + 0.0298 + 0.0273
= 0.5571 kg CO2e/kWh. ISO 14067 biogenic CO2 +1, uptake -1.

Foreground with a loop (``LOOP``, tests/builders.py's ``loop_model()``: a uses b, b uses a):

             a       b
    A =  a [ 1     -0.1 ]      f = [1, 0]^T (one item of a)
         b [-2      1   ]

    s_a = 1 / (1 - 2 * 0.1) = 1.25,   s_b = 2 * s_a = 2.5

Process a (production): 10 kWh elec, 1 kg CO2 fossil
    elec   12.5 kWh * 0.5571   = 6.96375
    direct 1.25 * 1            = 1.25
Process b (raw_material_acquisition): 1 kg steel, 1 tkm air, 0.5 kg wood,
1 g N2O (origin land_use), 0.3 kg CO2 removal
    steel  2.5 * 2             = 5
    air    2.5 * 1             = 2.5      (aircraft)
    wood   1.25 kg: fossil 0.125, biogenic 1.875, dLUC 0.25
    N2O    2.5 * 0.001 * 273   = 0.6825   (dLUC, by origin)
    uptake 2.5 * 0.3 * -1      = -0.75

    production = 8.21375,  raw material acquisition = 9.6825,  total = 17.89625
    fossil 15.83875, biogenic emissions 1.875, removals -0.75, dLUC 0.9325, aircraft 2.5
"""

from __future__ import annotations

import json

import pytest

from pcf.core.errors import BackgroundError, ModelError
from builders import declaration, document, loop_model
from pcf.declaration import read_declaration, write_declaration
from pcf.lca import footprint
from pcf.model import load_model

LOOP = loop_model()  # the model worked out above

REL = 1e-6  # bw_processing stores amounts as float32


@pytest.fixture
def loop_result(bd, write_model):
    return footprint(load_model(write_model(LOOP)))


def test_loop_total_matches_hand_calculation(loop_result):
    assert loop_result.total_kg_co2e == pytest.approx(17.89625, rel=REL)
    assert loop_result.per_declared_unit_kg_co2e == pytest.approx(17.89625 / 20, rel=REL)


def test_stages_match_and_sum_to_total(loop_result):
    stages = loop_result.stages
    assert list(stages) == ["raw_material_acquisition", "production"]
    assert stages["production"] == pytest.approx(8.21375, rel=REL)
    assert stages["raw_material_acquisition"] == pytest.approx(9.6825, rel=REL)
    assert sum(stages.values()) == pytest.approx(loop_result.total_kg_co2e, rel=1e-12)


def test_iso14067_split(loop_result):
    g = loop_result.ghg
    assert g.fossil == pytest.approx(15.83875, rel=REL)
    assert g.biogenic_emissions == pytest.approx(1.875, rel=REL)
    assert g.biogenic_removals == pytest.approx(-0.75, rel=REL)
    assert g.dluc == pytest.approx(0.9325, rel=REL)
    assert g.aircraft == pytest.approx(2.5, rel=REL)
    parts = g.fossil + g.biogenic_emissions + g.biogenic_removals + g.dluc
    assert parts == pytest.approx(loop_result.total_kg_co2e, rel=1e-9)
    assert loop_result.biogenic_carbon.co2_emissions_kg == pytest.approx(1.875, rel=REL)
    assert loop_result.biogenic_carbon.co2_removals_kg == pytest.approx(0.75, rel=REL)


def test_contributions_are_sorted_and_sum_to_total(loop_result):
    c = loop_result.contributions
    assert c[0].background == "elec" and c[0].process == "a"
    assert c[0].kg_co2e == pytest.approx(6.96375, rel=REL)
    assert [abs(x.kg_co2e) for x in c] == sorted((abs(x.kg_co2e) for x in c), reverse=True)
    assert sum(x.kg_co2e for x in c) == pytest.approx(17.89625, rel=REL)
    steel = next(x for x in c if x.background == "steel")
    assert steel.stage == "raw_material_acquisition" and steel.kg_co2e == pytest.approx(5.0, rel=REL)


def test_provenance_and_cut_off(loop_result, write_model):
    d = document(loop_result)
    assert d["format"] == "pcf-result/1"
    assert d["method"] == "ipcc-2021-gwp100" and d["background"] == "test-bg"
    assert len(d["model_sha256"]) == 64 and d["software_version"]
    # 0.02 kg per kg of b, and the reference flow needs s_b = 2.5 kg of b: 0.05 kg
    [paint] = d["cut_off"]
    assert paint == {"process": "b", "name": "paint", "amount": pytest.approx(0.05, rel=REL), "unit": "kg",
                     "amount_per_process_output": 0.02, "process_output": "1 kg",
                     "reason": "below 1 % mass cut-off",
                     # mass input of b per run: 1 kg steel + 0.5 kg wood + 0.02 kg paint = 1.52 kg
                     "mass_share": pytest.approx(0.02 / 1.52), "energy_share": None,
                     "proxy": None, "kg_co2e_estimate": None, "ghg_share": None}
    elec = next(s for s in d["data_sources"] if s["background"] == "elec")
    assert elec["kg_co2e_per_unit"] == pytest.approx(0.5571, rel=REL)
    assert elec["source"] == "test table written by hand"


def test_method_switch_changes_non_co2_gases(bd, write_model):
    """IPCC 2013 (AR5) as implemented in the ecoinvent 3.9 LCIA file: CH4 fossil 29.7, N2O 264.8.

    elec = 0.5 + 0.0297 + 0.02648 = 0.55618; N2O of b = 2.5 * 0.001 * 264.8 = 0.662;
    total = 1.25 + 6.95225 + 5 + 2.5 + 2.25 + 0.662 - 0.75 = 17.86425.
    """
    path = write_model(loop_model(method="ipcc-2013-gwp100"))
    result = footprint(load_model(path))
    assert result.total_kg_co2e == pytest.approx(17.86425, rel=REL)
    assert result.method == "ipcc-2013-gwp100"


def test_result_json_round_trip(loop_result, tmp_path):
    path = write_declaration(declaration(loop_result), tmp_path / "out")
    assert path.name == "LOOP.result.json"
    data = read_declaration(path).result
    assert data.total_kg_co2e == pytest.approx(17.89625, rel=REL)
    assert json.loads(path.read_text())["stages"] == data.stages
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # no temp files left


def test_singular_loop_is_refused(bd, write_model):
    text = loop_model(loop=0.5)
    # a needs 2 kg b, b needs 0.5 item a: 1 - 2 * 0.5 = 0, the system produces nothing net;
    # a ModelError naming the loop since issue 14 part 3 (tests/test_impossible.py)
    with pytest.raises(ModelError, match="loop a → b → a.*singular"):
        footprint(load_model(write_model(text)))


def test_unknown_background_key_has_line_and_suggestion(bd, write_model):
    path = write_model(LOOP.replace("background: steel,", "background: steal,"))
    with pytest.raises(ModelError) as info:
        footprint(load_model(path))
    assert info.value.line == LOOP.splitlines().index("      - {background: steel, amount: 1, unit: kg}") + 1
    assert "'steal'" in info.value.message and "'steel'" in info.value.message


def test_background_unit_mismatch(bd, write_model):
    path = write_model(LOOP.replace("{background: elec, amount: 10, unit: kWh}", "{background: elec, amount: 10, unit: kg}"))
    with pytest.raises(ModelError, match="per 'kWh'") as info:
        footprint(load_model(path))
    assert info.value.line == LOOP.splitlines().index("      - {background: elec, amount: 10, unit: kWh}") + 1


def test_unknown_substance(bd, write_model):
    path = write_model(LOOP.replace("substance: dinitrogen monoxide", "substance: dinitrogen monoxid"))
    with pytest.raises(ModelError, match="did you mean 'dinitrogen monoxide'"):
        footprint(load_model(path))


def test_missing_background_says_run_setup(bd, write_model):
    with pytest.raises(BackgroundError, match="pcf setup"):
        footprint(load_model(write_model(loop_model(background="not-installed"))))
