"""Scenarios (issue 4 point 9): parameter overrides and input / transport swaps of a model,
``--scenario`` result files, the comparison table, errors at the scenario's line, and the
NMC811 example's scenarios.

Hand-worked model (``MODEL`` below) on the ``test-bg`` table (tests/conftest.py), with
the IPCC 2021 GWP100 characterisation factors read from bw2data in :func:`cf` (CO2 fossil
``c``, CH4 fossil ``m``, N2O ``n``):

    e = 0.5 c + 0.001 m + 0.0001 n      kg CO2e / kWh of elec
    s = 2.0 c                           kg CO2e / kg of steel
    a = 1.0 c                           kg CO2e / tkm of air

    frame [per kg]: 1.5 kg steel + 0.5 kWh elec + 1.5 kg over 1000 km by air (1.5 tkm)
                  = 1.5 s + 0.5 e + 1.5 a
    assembly [per item]: 2 kg frame + kwh kWh elec (kwh = 10)

    base             total = 2 (1.5 s + 0.5 e + 1.5 a) + 10 e = 3 s + 3 a + 11 e
                     production = 10 e; raw material acquisition = 3 s + 3 a + e
                     declared units = life * 100 = 500 kWh
    more_power       kwh = 14: + 4 e
    steel_for_power  the assembly's 10 kWh become 3 kg steel: + 3 s - 10 e
    no_grid          both elec inputs become 0.25 kg steel each run:
                     total = 3 s + 3 a + 0.25 s + 2 * 0.25 s = 3.75 s + 3 a
    longer_life      life = 10: total unchanged, 1000 declared units (per unit halves)
    shorter_leg      inbound leg 500 km instead of 1000: 0.75 tkm per kg frame: - 1.5 a
"""

from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

import cli
from pcf.api import compare, compute, run_footprint
from pcf.background import method_spec
from pcf.core.errors import ModelError
from pcf.lca import footprint
from pcf.model import load_model
from tests.conftest import REPO
from builders import document
from tests.conftest import flat

runner = CliRunner()

MODEL = """\
format: pcf-model/1
product:
  id: SCN
  name: Scenario test product
  process: assembly
  reference_flow: {amount: 1, unit: item}
  declared_unit: {unit: kWh, description: energy delivered, per_reference_flow: life * 100}
study: {background: test-bg}
parameters: {kwh: 10, life: 5}
processes:
  - id: assembly
    name: Assembly
    stage: production
    output: {amount: 1, unit: item}
    inputs:
      - {process: frame, amount: 2, unit: kg}
      - {id: assembly_power, background: elec, amount: kwh, unit: kWh}
  - id: frame
    name: Frame
    stage: raw_material_acquisition
    output: {amount: 1, unit: kg}
    inputs:
      - {background: steel, amount: 1.5, unit: kg}
      - {background: elec, amount: 0.5, unit: kWh}
    transport:
      - {name: inbound, mode: air_longhaul, distance: 1000, mass: 1.5, activity: {background: air}}
scenarios:
  more_power:
    description: assembly uses 14 kWh
    parameters: {kwh: 14}
  steel_for_power:
    replace:
      - {process: assembly, input: assembly_power, with: {background: steel, amount: 3, unit: kg}}
  no_grid:
    replace:
      - {input: elec, all: true, with: {background: steel, amount: 0.25, unit: kg}}
  longer_life:
    parameters: {life: 10}
  shorter_leg:
    transport:
      - {leg: inbound, with: {distance: 500}}
"""
SCENARIOS_LINE = MODEL.splitlines().index("scenarios:") + 1  # 1-based line of `scenarios:`


@pytest.fixture(scope="module")
def cf(bd):
    """IPCC 2021 GWP100 factors of the three gases, as bw2data holds them."""
    wanted = {"Carbon dioxide, fossil": "c", "Methane, fossil": "m", "Dinitrogen monoxide": "n"}
    out = {}
    for key, value in bd.Method(method_spec("ipcc-2021-gwp100").name).load():
        node = bd.get_node(id=key) if isinstance(key, int) else bd.get_node(database=key[0], code=key[1])
        if node["name"] in wanted and tuple(node.get("categories", ())) == ("air",):
            out[wanted[node["name"]]] = value
    assert set(out) == {"c", "m", "n"}
    return out


@pytest.fixture(scope="module")
def unit(cf):
    """kg CO2e per unit of the test-bg activities: e [kWh], s [kg], a [tkm]."""
    return {"e": 0.5 * cf["c"] + 0.001 * cf["m"] + 0.0001 * cf["n"], "s": 2.0 * cf["c"], "a": 1.0 * cf["c"]}


@pytest.fixture
def model(write_model):
    return write_model(MODEL)


def total(path, scenario=None, **kw):
    return document(footprint(load_model(path, scenario=scenario, **kw)))


def test_base_is_the_model_as_written(bd, model, unit):
    e, s, a = unit["e"], unit["s"], unit["a"]
    for name in (None, "base"):
        r = total(model, name)
        assert r["scenario"] is None
        assert r["total_kg_co2e"] == pytest.approx(3 * s + 3 * a + 11 * e, rel=1e-6)
        assert r["stages"]["production"] == pytest.approx(10 * e, rel=1e-6)
        assert r["per_declared_unit_kg_co2e"] == pytest.approx((3 * s + 3 * a + 11 * e) / 500, rel=1e-6)


def test_parameter_override(bd, model, unit):
    e, s, a = unit["e"], unit["s"], unit["a"]
    r = total(model, "more_power")
    assert r["total_kg_co2e"] == pytest.approx(3 * s + 3 * a + 15 * e, rel=1e-6)  # + 4 kWh
    assert r["parameters"]["kwh"] == 14
    assert r["scenario"] == {"name": "more_power", "description": "assembly uses 14 kWh",
                             "parameters": {"kwh": 14.0}, "replaced": [], "transport": [], "locations": []}
    # a batch override wins over the scenario's value: kwh 20 -> 3 s + 3 a + 21 e
    r = total(model, "more_power", overrides={"kwh": 20})
    assert r["total_kg_co2e"] == pytest.approx(3 * s + 3 * a + 21 * e, rel=1e-6)


def test_input_swap_elec_to_steel(bd, model, unit):
    e, s, a = unit["e"], unit["s"], unit["a"]
    r = total(model, "steel_for_power")
    assert r["stages"]["production"] == pytest.approx(3 * s, rel=1e-6)  # 3 kg steel, no elec
    assert r["total_kg_co2e"] == pytest.approx(6 * s + 3 * a + e, rel=1e-6)
    [swap] = r["scenario"]["replaced"]
    assert swap == {"process": "assembly", "input": 1, "from": "background: elec, kwh kWh",
                    "to": "background: steel, 3 kg"}


def test_a_new_target_drops_the_old_targets_data_quality(bd, write_model, unit):
    """The assembly's kWh are declared primary data with a primary (supplier) factor and a
    model DQR and electricity statement; swapped for steel, the factor claim, the DQR and the
    statement went with the old activity
    (steel: secondary, the database's rating 1/1/1/1), the amount's claim with the old amount.
    Swapped for 1 kg more frame (a foreground process), the ratings are dropped too:
    total = 3 kg frame = 4.5 s + 1.5 e + 4.5 a."""
    text = MODEL.replace("{id: assembly_power, background: elec, amount: kwh, unit: kWh}",
                         "{id: assembly_power, background: elec, amount: kwh, unit: kWh, data: primary, "
                         "emission_factor: primary, dqr: {ter: 2, ger: 2, tir: 2, p: 2}, "
                         "electricity: {source: grid, region: CN, year: 2023}}")
    text = text.replace("  longer_life:\n", "  more_frame:\n    replace:\n      - {input: assembly_power, with: "
                        "{process: frame, amount: 1, unit: kg}}\n  longer_life:\n")
    path = write_model(text)
    [base] = [i for i in total(path)["data_quality"]["items"] if i["process"] == "assembly" and i["index"] == 1]
    assert (base["background"], base["data"], base["emission_factor"], base["primary_share"]) == ("elec", "primary", "primary", 1.0)
    assert base["dqr"]["dqr"] == 2 and base["dqr_source"] == "model"
    [steel] = [i for i in total(path, "steel_for_power")["data_quality"]["items"]
               if i["process"] == "assembly" and i["index"] == 1]
    assert (steel["background"], steel["data"], steel["emission_factor"], steel["primary_share"]) == \
        ("steel", "secondary", "secondary", 0.0)
    assert steel["dqr_source"] == "database" and steel["dqr"]["dqr"] == 1
    # the electricity statement went with the kWh (kept, it would be refused on kg of steel)
    assert [e["stated"] for e in total(path)["electricity"] if e["process"] == "assembly"] == [True]
    assert [e for e in total(path, "steel_for_power")["electricity"] if e["process"] == "assembly"] == []
    r = total(path, "more_frame")
    assert r["total_kg_co2e"] == pytest.approx(4.5 * unit["s"] + 1.5 * unit["e"] + 4.5 * unit["a"], rel=1e-6)


def test_swap_every_match(bd, model, unit):
    s, a = unit["s"], unit["a"]
    r = total(model, "no_grid")
    assert r["total_kg_co2e"] == pytest.approx(3.75 * s + 3 * a, rel=1e-6)
    assert [x["process"] for x in r["scenario"]["replaced"]] == ["assembly", "frame"]
    assert not any(d["background"] == "elec" for d in r["data_sources"])


def test_service_life_changes_per_declared_unit_only(bd, model, unit):
    e, s, a = unit["e"], unit["s"], unit["a"]
    r = total(model, "longer_life")
    assert r["total_kg_co2e"] == pytest.approx(3 * s + 3 * a + 11 * e, rel=1e-6)
    assert r["product"]["declared_unit"]["per_reference_flow"] == 1000
    assert r["per_declared_unit_kg_co2e"] == pytest.approx((3 * s + 3 * a + 11 * e) / 1000, rel=1e-6)


def test_transport_leg_swap(bd, model, unit):
    e, s, a = unit["e"], unit["s"], unit["a"]
    r = total(model, "shorter_leg")
    assert r["total_kg_co2e"] == pytest.approx(3 * s + 1.5 * a + 11 * e, rel=1e-6)
    [leg] = r["transport"]
    assert leg["distance_km"] == 500 and leg["tkm"] == pytest.approx(1.5)  # 0.75 tkm per kg x 2 kg frame
    assert r["scenario"]["transport"] == [{"process": "frame", "leg": 0,
                                           "from": "air_longhaul 1000 km, 1.5 kg via air",
                                           "to": "air_longhaul 500 km, 1.5 kg via air"}]


def test_transport_mode_swap_takes_the_new_modes_activity(open_default, write_model, cf):
    """1 t over 100 km = 100 tkm; by lorry in the base, by rail in the scenario. The lorry
    leg's own activity is dropped with its mode: the open default's rail activity is used."""
    text = """\
format: pcf-model/1
product: {id: LEG, name: Leg, process: p, reference_flow: {amount: 1, unit: item}}
processes:
  - id: p
    name: P
    stage: distribution
    output: {amount: 1, unit: item}
    transport:
      - {name: to port, mode: lorry, distance: 100, mass: 1, mass_unit: t, activity: {background: transport_lorry_wtw}}
scenarios:
  by_rail:
    transport:
      - {leg: to port, with: {mode: rail}}
"""
    path = write_model(text)
    lorry, rail = (_open_default_kg_co2e(k, cf) for k in ("transport_lorry_wtw", "transport_rail_wtw"))
    assert total(path)["total_kg_co2e"] == pytest.approx(100 * lorry, rel=1e-6)
    r = total(path, "by_rail")
    assert r["transport"][0]["activity"] == "transport_rail_wtw"
    assert r["total_kg_co2e"] == pytest.approx(100 * rail, rel=1e-6)


def test_comparison_table(bd, model, unit, tmp_path):
    e, s, a = unit["e"], unit["s"], unit["a"]
    out = tmp_path / "out"
    base = 3 * s + 3 * a + 11 * e
    run = compare(model, ["steel_for_power", "longer_life"], out_dir=out)
    rows = {r["scenario"]: r for r in run.comparison["scenarios"]}
    assert list(rows) == ["base", "steel_for_power", "longer_life"]
    assert run.comparison["base"] == "base" and run.comparison["stages"] == ["raw_material_acquisition", "production"]
    assert rows["base"]["diff_kg_co2e"] == 0 and rows["base"]["diff_pct"] == 0
    steel = rows["steel_for_power"]
    assert steel["diff_kg_co2e"] == pytest.approx(3 * s - 10 * e, rel=1e-6)
    assert steel["diff_pct"] == pytest.approx(100 * (3 * s - 10 * e) / base, rel=1e-6)
    assert steel["stages"] == {"raw_material_acquisition": pytest.approx(3 * s + 3 * a + e, rel=1e-6),
                               "production": pytest.approx(3 * s, rel=1e-6)}
    life = rows["longer_life"]
    assert life["diff_kg_co2e"] == pytest.approx(0, abs=1e-9)
    assert life["per_declared_unit_diff_kg_co2e"] == pytest.approx(base / 1000 - base / 500, rel=1e-6)
    assert life["per_declared_unit_diff_pct"] == pytest.approx(-50.0, rel=1e-6)
    # the files hold the same numbers
    assert sorted(p.name for p in out.iterdir()) == ["SCN.scenarios.csv", "SCN.scenarios.json"]
    assert json.loads((out / "SCN.scenarios.json").read_text())["scenarios"][1]["diff_kg_co2e"] == \
        pytest.approx(3 * s - 10 * e, rel=1e-6)
    with open(out / "SCN.scenarios.csv", encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    assert [r["scenario"] for r in table] == ["base", "steel_for_power", "longer_life"]
    assert float(table[1]["production_kg_co2e"]) == pytest.approx(3 * s, rel=1e-6)
    assert float(table[2]["per_declared_unit_diff_pct"]) == pytest.approx(-50.0, rel=1e-6)


def test_compare_defaults_to_every_scenario(bd, model):
    run = compare(model)
    assert [r["scenario"] for r in run.comparison["scenarios"]] == \
        ["base", "more_power", "steel_for_power", "no_grid", "longer_life", "shorter_leg"]
    assert run.files == {}


def test_compare_needs_scenarios(bd, write_model):
    path = write_model(MODEL[: MODEL.index("scenarios:")])
    with pytest.raises(ModelError, match="declares no scenarios"):
        compare(path)


def test_result_files_do_not_overwrite(bd, model, tmp_path):
    out = tmp_path / "out"
    run_footprint(model, out)
    run_footprint(model, out, scenario="more_power")
    run_footprint(model, out, scenario="base")  # the base keeps the default name
    assert sorted(p.name for p in out.iterdir()) == ["SCN.more_power.result.json", "SCN.result.json"]
    data = json.loads((out / "SCN.more_power.result.json").read_text())
    assert data["scenario"]["name"] == "more_power" and data["parameters"]["kwh"] == 14
    assert json.loads((out / "SCN.result.json").read_text())["scenario"] is None


# --- errors: file:line of the scenario entry -------------------------------------------

def _line(text: str, needle: str) -> int:
    """1-based line of the first line of ``text`` containing ``needle``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def _with_scenario(body: str) -> str:
    return MODEL[: MODEL.index("scenarios:")] + "scenarios:\n  bad:\n" + body


@pytest.mark.parametrize("body, needle, message", [
    ("    parameters: {watts: 3}\n", "parameters: {watts", "sets parameter 'watts', which the model does not declare"),
    ("    replace:\n      - {process: paint, input: elec, with: {amount: 1}}\n", "process: paint",
     "unknown process 'paint'"),
    ("    replace:\n      - {process: frame, input: copper, with: {amount: 1}}\n", "input: copper",
     "no input of process 'frame' matches 'copper'"),
    ("    replace:\n      - {input: elec, with: {amount: 1}}\n", "input: elec", "'elec' matches 2 inputs"),
    ("    replace:\n      - {input: steel, with: {amount: 1}}\n      - {process: frame, input: steel, with: {amount: 2}}\n",
     "process: frame, input: steel", "is already swapped by the entry on line"),
    ("    replace:\n      - {input: steel, with: {unit: kg}}\n", "with: {unit", "a new unit needs its amount"),
    ("    replace:\n      - {input: steel, with: {}}\n", "with: {}", "'with' names a new target"),
    # a foreground target: the kWh of the swapped input do not convert to the frame's kg
    ("    replace:\n      - {input: assembly_power, with: {process: frame}}\n", "process: frame}",
     "cannot convert"),
    ("    transport:\n      - {leg: outbound, with: {distance: 1}}\n", "leg: outbound",
     "no transport leg of any process matches 'outbound'"),
    ("    transport:\n      - {leg: inbound, with: {mode: lorry}}\n", "mode: lorry",
     "no default 'lorry' activity"),
    ("    description: [not, text]\n", "description: [not", "description"),
    ("    locations: {paint: DE}\n", "locations: {paint", "moves process 'paint', which the model does not define"),
])
def test_scenario_errors_point_at_the_entry(bd, write_model, body, needle, message):
    text = _with_scenario(body)
    path = write_model(text)
    with pytest.raises(ModelError) as info:
        load_model(path, scenario="bad")
    assert f"{path}:{_line(text, needle)}:" in str(info.value)
    assert message in str(info.value)


def test_scenario_moves_a_process(bd, write_model, unit):
    """``locations`` moves a process (a plant in another country); the amounts are unchanged, so
    the total is the base's: 3 s + 3 a + 11 e."""
    path = write_model(_with_scenario("    locations: {frame: DE}\n"))
    system = load_model(path, scenario="bad")
    assert system.processes["frame"].location == "DE" and system.processes["assembly"].location is None
    result = document(footprint(system))
    assert result["scenario"]["locations"] == [{"process": "frame", "from": None, "to": "DE"}]
    assert result["total_kg_co2e"] == pytest.approx(3 * unit["s"] + 3 * unit["a"] + 11 * unit["e"], rel=1e-6)


def test_a_broken_scenario_breaks_every_load(bd, write_model):
    """Scenario references are checked whichever scenario is loaded (base included)."""
    text = _with_scenario("    replace:\n      - {process: paint, input: elec, with: {amount: 1}}\n")
    path = write_model(text)
    with pytest.raises(ModelError, match="unknown process 'paint'") as info:
        load_model(path)
    assert f"{path}:{_line(text, 'process: paint')}:" in str(info.value)


@pytest.mark.parametrize("with_, needle, message", [
    # the swapped input keeps 10 kWh; steel is given per kg
    ("{background: steel}", "with: {background: steel}", "'steel' is given per 'kg'"),
    ("{background: stell, amount: 1, unit: kg}", "background: stell", "background activity 'stell' is not in 'test-bg'"),
])
def test_link_errors_of_a_swap_point_at_the_entry(bd, write_model, unit, with_, needle, message):
    text = _with_scenario(f"    replace:\n      - {{input: assembly_power, with: {with_}}}\n")
    path = write_model(text)
    system = load_model(path, scenario="bad")
    with pytest.raises(ModelError) as info:
        footprint(system)
    assert f"{path}:{_line(text, needle)}:" in str(info.value)
    assert message in str(info.value)
    # the base model does not use the broken swap
    assert total(path)["total_kg_co2e"] == pytest.approx(3 * unit["s"] + 3 * unit["a"] + 11 * unit["e"], rel=1e-6)


@pytest.mark.parametrize("name, message", [
    ("nope", "unknown scenario 'nope'; this model has: base, more_power, steel_for_power"),
    ("all", "`pcf compare MODEL` computes and compares every one"),
])
def test_unknown_scenario(bd, model, name, message):
    with pytest.raises(ModelError) as info:
        load_model(model, scenario=name)
    assert f"{model}:{SCENARIOS_LINE}:" in str(info.value) and message in str(info.value)


@pytest.mark.parametrize("name", ["base", "all"])
def test_reserved_scenario_names(bd, write_model, name):
    text = MODEL.replace("  longer_life:", f"  {name}:")
    path = write_model(text)
    with pytest.raises(ModelError) as info:
        load_model(path)
    assert f"{path}:{_line(text, f'  {name}:')}:" in str(info.value) and "reserved" in str(info.value)


def test_duplicate_input_id(bd, write_model):
    text = MODEL.replace("{background: steel, amount: 1.5", "{id: assembly_power, background: steel, amount: 1.5")
    path = write_model(text)
    with pytest.raises(ModelError) as info:
        load_model(path)
    assert f"{path}:{_line(text, 'id: assembly_power, background: steel')}:" in str(info.value)
    assert "duplicate input id 'assembly_power'" in str(info.value)


# --- the NMC811 example ----------------------------------------------------------------

def _open_default_kg_co2e(key: str, cf: dict) -> float:
    """kg CO2e per unit of an open-default row, from its gas masses [kg] and the method's
    factors (``co2e_unsplit`` is counted as fossil CO2, as in pcf.background.opendefault)."""
    with open(REPO / "databases" / "open-default.csv", encoding="utf-8") as f:
        row = next(r for r in csv.DictReader(f) if r["key"] == key)
    g = {k: float(row[k] or 0) for k in ("co2_fossil", "ch4_fossil", "n2o", "co2e_unsplit")}
    return (g["co2_fossil"] + g["co2e_unsplit"]) * cf["c"] + g["ch4_fossil"] * cf["m"] + g["n2o"] * cf["n"]


@pytest.fixture(scope="module")
def nmc811(open_default):
    return compare(REPO / "examples" / "battery" / "nmc811-pack.yaml")


def test_nmc811_scenarios(nmc811, cf):
    """The example's scenarios against the model as written, by hand from the model's
    amounts and the open-default rows:

    pack 23.5 kWh x 5.030181 kg/kWh; cells 71 %, balance of plant (BoP) 29 % of its mass
    plant kWh = cell mass x (1.2616 [cell production] + (0.3773 cathode + 0.2181 anode)
        x 0.440588 [electrode coating]) = 127.9 kWh, national grid 0.5306 kg CO2/kWh in the base
    grid_east_china: at 0.55 (East China grid): about +2.48 kg CO2e
    ppa_wind: at 0.011 (onshore wind, IPCC AR5 median): about -66.5 kg CO2e
    housing_secondary_aluminium: BoP mass x 0.498121 kg housing aluminium/kg at 1.69 + 0.12
        (ICE secondary) instead of 15.1 (IAI primary) kg CO2e/kg: about -227 kg CO2e
    service_life_10y: same total, 23.5 x 60 x 10 instead of x 8 kWh delivered: -20 % per kWh
    """
    rows = {r["scenario"]: r for r in nmc811.comparison["scenarios"]}
    assert list(rows) == ["base", "grid_east_china", "ppa_wind", "housing_secondary_aluminium", "service_life_10y",
                          "plant_cn_south", "plant_cn_southwest", "plant_cn_northwest", "plant_de", "plant_pl"]
    pack = 23.5 * 5.030181086519114
    cells, bop = pack * 0.71, pack * 0.29
    east, national, wind = (_open_default_kg_co2e(k, cf) for k in (
        "electricity_cn_east_2023", "electricity_cn_national_avg_2023", "electricity_wind_onshore_ipcc_ar5"))
    assert wind < national < east  # the directions: 0.011 < 0.5306 < 0.55 kg CO2(e)/kWh
    plant_kwh = cells * (1.2616 + (0.3773 + 0.2181) * 0.440587837837838)
    base_stages = rows["base"]["stages"]
    for name, factor in (("grid_east_china", east), ("ppa_wind", wind)):
        row = rows[name]
        assert row["diff_kg_co2e"] == pytest.approx(plant_kwh * (factor - national), rel=1e-5)
        # only the production stage changes: supplier electricity stays on the national grid
        assert row["stages"]["raw_material_acquisition"] == pytest.approx(base_stages["raw_material_acquisition"], rel=1e-9)
        assert row["stages"]["production"] - base_stages["production"] == pytest.approx(row["diff_kg_co2e"], rel=1e-6)
    # NMC811 is a literature model: no variant conforms to the EU rule (Annex II point 1 asks for
    # the plant's own data; test_examples checks the reasons), so none is graded
    assert [r["conforms"] for r in rows.values()] == [False] * 10
    assert [r["performance_class"] for r in rows.values()] == [None] * 10
    primary, secondary = (_open_default_kg_co2e(k, cf) for k in ("aluminium_primary_iai_2022", "aluminium_secondary_ice"))
    assert secondary == pytest.approx(1.81, rel=1e-9) and primary == pytest.approx(15.1, rel=1e-9)
    housing = rows["housing_secondary_aluminium"]
    assert housing["diff_kg_co2e"] == pytest.approx(bop * 0.49812105512787785 * (secondary - primary), rel=1e-5)
    assert housing["stages"]["production"] == pytest.approx(base_stages["production"], rel=1e-9)
    life = rows["service_life_10y"]
    assert life["diff_kg_co2e"] == pytest.approx(0, abs=1e-6)
    assert life["declared_units_per_reference_flow"] == pytest.approx(23.5 * 60 * 10)
    assert life["per_declared_unit_diff_pct"] == pytest.approx(100 * (8 / 10 - 1), rel=1e-9)
    # plant sites (examples/battery/skus.csv): the same plant kWh on the site's grid; the EU sites
    # also replace the sea leg, pack mass x 10,600 nmi x 1.852 km/nmi by container ship, with
    # pack mass x 1,000 km by lorry
    ship, lorry = (_open_default_kg_co2e(k, cf) for k in ("transport_container_ship_wtw", "transport_lorry_wtw"))
    sea = pack / 1000 * 10600 * 1.852 * ship
    road = pack / 1000 * 1000 * lorry
    for name, key, delivery in (("plant_cn_southwest", "electricity_cn_southwest_2023", 0.0),
                                ("plant_de", "electricity_de_2024", road - sea)):
        grid = _open_default_kg_co2e(key, cf)
        assert rows[name]["diff_kg_co2e"] == pytest.approx(plant_kwh * (grid - national) + delivery, rel=1e-5)
    # the plant moves with its grid: the EU rule's electricity checks accept a German plant on the
    # German mix, not a Sichuan plant on the regional grid (national_mix mode)
    findings = {(d.result.scenario.name if d.result.scenario else "base"): {f.rule for f in d.assessment.nonconformities}
                for d in nmc811.results}
    assert not any(rule.startswith("electricity") for rule in findings["plant_de"] | findings["base"])
    assert "electricity-grid-level" in findings["plant_cn_southwest"]


# --- command line ----------------------------------------------------------------------

def test_cli_footprint_scenario_with_label_and_report(open_default, tmp_path):
    """The NMC811 pack on the East China grid: files named for the scenario, the report names it."""
    import subprocess

    example = REPO / "examples" / "battery" / "nmc811-pack.yaml"
    result = runner.invoke(cli.app, ["footprint", str(example), "--out", str(tmp_path), "--scenario", "grid_east_china",
                                     "--label", "--report"])
    assert result.exit_code == 0, result.output
    assert "scenario grid_east_china" in flat(result.output)
    stem = "SKU-NMC811-PACK.grid_east_china"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{stem}.{x}" for x in ("result.json", "label.svg", "label.pdf", "report.pdf", "verification.pdf"))
    text = subprocess.run(["pdftotext", str(tmp_path / f"{stem}.report.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Scenario" in text and "grid_east_china" in text and "electricity_cn_east_2023" in text


def test_cli_compare_and_check(bd, model, tmp_path):
    result = runner.invoke(cli.app, ["compare", str(model), "--scenario", "more_power", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "more_power" in result.output and "base" in result.output
    assert (tmp_path / "SCN.scenarios.csv").exists()
    result = runner.invoke(cli.app, ["footprint", str(model), "--out", str(tmp_path / "x"), "--scenario", "nope"])
    assert result.exit_code == 2 and "unknown scenario 'nope'" in flat(result.output)
    assert not (tmp_path / "x").exists()
    result = runner.invoke(cli.app, ["check", str(model), "--scenario", "more_power", "--pcr", "eu-battery-cfb-ev"])
    assert result.exit_code == 1 and "scenario more_power" in flat(result.output)
