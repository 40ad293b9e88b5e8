"""EF 3.1 climate change (``ef-3.1-climate-change``, issue 14 part 1): a hand case with each gas.

Factors [kg CO2e / kg], typed from the method's source: the ``EF v3.1`` climate-change methods
of the ecoinvent 3.9 LCIA implementation that bw2io 0.9.17 ships (``lcia_39_ecoinvent.zip``,
the only machine-readable EF 3.1 source here; the JRC package itself, Andreasi Bassi et al.
2023, EUR 31414 EN, doi:10.2760/798894, was not seen). Cross-checked against IPCC AR6 WG1
(2021) Table 7.15 (CO2 1, CH4 fossil 29.8, CH4 non-fossil 27.0, N2O 273) and Table 7.SM.7
(SF6 25 200, NF3 17 400, HCFC-31 79.4, n-C5F12 9 220), whose GWP100 EF 3.1 adopts; the EF
biogenic CH4 27 and fossil 29.8 are also quoted in an openLCA forum answer
(ask.openlca.org/10387, "the EF fossil is 29.8 and biogenic one is 27"). Land use: CO2 from
soil or biomass stock 1, to soil or biomass stock -1, CH4 from soil or biomass stock 29.8.
Biogenic CO2 and its uptake from air have no EF factor (0). Perfluoropentane has none either
(IPCC 2021 of the same file gives it 9 220).

One item of ``making`` (production), per item:

    direct, to air                 EF sub-indicator       kg CO2e
    CO2 fossil 1.0                 fossil                 1.0
    CH4 fossil 0.1                 fossil                 2.98
    CH4 biogenic 0.1               biogenic               2.7
    N2O 0.01                       fossil                 2.73
    N2O 0.001, origin land_use     fossil (by flow)       0.273   (ISO split: dLUC, by origin)
    SF6 0.001                      fossil                 25.2
    NF3 0.001                      fossil                 17.4
    CO2 biogenic 2.0               biogenic               0       (ISO +1: 2.0)
    CO2 land_use 0.5               land use               0.5
    removal CO2 2.5                biogenic               0       (ISO -1: -2.5)
    1 kg ``forestry`` (hand-written database ``ef31-bg``):
    CO2 to soil or biomass stock 0.2 (soil, forestry)     land use    -0.2
    CH4 from soil or biomass stock 0.01 (non-urban air)   land use     0.298
    CH4 fossil 0.01 (urban air close to ground)           fossil       0.298
    CH4 non-fossil 0.01 (lower stratosphere)              biogenic     0.27
    CO2 non-fossil 1.0 (non-urban air or high stacks)     biogenic     0          (ISO +1)
    HCFC-31 0.001 (low population density, long-term)     fossil       0.0794     (filled)
    Perfluoropentane 0.001 (air)                          -            0          (IPCC 2021: 9.22)

EF 3.1: fossil 1 + 2.98 + 2.73 + 0.273 + 25.2 + 17.4 + 0.298 + 0.0794 = 49.9604, biogenic
2.7 + 0.27 = 2.97, land use 0.5 - 0.2 + 0.298 = 0.598, total 53.5284.

ISO 14067 split (pcf's method: EF factors, biogenic CO2 +1 / uptake -1, origins as stated):
fossil 49.9604 - 0.273 = 49.6874, biogenic emissions 2.97 + 2 + 1 = 5.97, removals -2.5, dLUC
0.598 + 0.273 = 0.871; total 54.0284; excluding biogenic CO2 = 54.0284 - 3 + 2.5 = 53.5284
(= the EF total). IPCC 2021: 54.0284 + 9.22 = 63.2484, fossil 58.9074.

The source methods leave HCFC-31 out of ``low population density, long-term``: scored by
bw2calc with them, total 53.5284 - 0.0794 = 53.449 and fossil 49.881.
"""

from __future__ import annotations

import json
import textwrap
import zipfile

import pytest

from pcf.api import compute
from pcf.background import method_spec
from pcf.background.methods import SUBCOMPARTMENT_FILL, _lcia_zip
from pcf.declaration import build_declaration
from pcf.lca import flow_category, footprint
from pcf.model import load_model
from pcf.pcr import load_pcr

REL = 1e-6  # bw_processing stores amounts as float32
EF = "ef-3.1-climate-change"
SOURCE = "global warming potential (GWP100)"

MODEL = textwrap.dedent("""\
    format: pcf-model/1
    product:
      id: EF31-HAND
      name: Hand case with every gas
      process: making
      reference_flow: {amount: 1, unit: item}
      declared_unit: {unit: kWh, description: test, per_reference_flow: 100}
    study: {background: test-bg, method: ef-3.1-climate-change}
    processes:
      - id: making
        name: Making
        stage: production
        output: {amount: 1, unit: item}
        inputs:
          - {database: ef31-bg, code: forestry, amount: 1, unit: kg}
        emissions:
          - {substance: carbon dioxide, origin: fossil, amount: 1.0, unit: kg}
          - {substance: methane, origin: fossil, amount: 0.1, unit: kg}
          - {substance: methane, origin: biogenic, amount: 0.1, unit: kg}
          - {substance: nitrous oxide, amount: 0.01, unit: kg}
          - {substance: nitrous oxide, origin: land_use, amount: 0.001, unit: kg}
          - {substance: sf6, amount: 0.001, unit: kg}
          - {substance: nf3, amount: 0.001, unit: kg}
          - {substance: carbon dioxide, origin: biogenic, amount: 2.0, unit: kg}
          - {substance: carbon dioxide, origin: land_use, amount: 0.5, unit: kg}
        removals:
          - {substance: carbon dioxide, origin: biogenic, amount: 2.5, unit: kg}
    """)

BACKGROUND = [  # (flow name, categories, kg per kg of forestry)
    ("Carbon dioxide, to soil or biomass stock", ("soil", "forestry"), 0.2),
    ("Methane, from soil or biomass stock", ("air", "non-urban air or from high stacks"), 0.01),
    ("Methane, fossil", ("air", "urban air close to ground"), 0.01),
    ("Methane, non-fossil", ("air", "lower stratosphere + upper troposphere"), 0.01),
    ("Carbon dioxide, non-fossil", ("air", "non-urban air or from high stacks"), 1.0),
    ("Methane, chloro-fluoro-, HCFC-31", ("air", "low population density, long-term"), 0.001),
    ("Perfluoropentane", ("air",), 0.001),
]

EF_HAND = {"climate change": 53.5284, "climate change: fossil": 49.9604, "climate change: biogenic": 2.97,
           "climate change: land use and land use change": 0.598}
ISO_HAND = {"fossil": 49.6874, "biogenic_emissions": 5.97, "biogenic_removals": -2.5, "dluc": 0.871}
ISO_TOTAL = 54.0284
IPCC_TOTAL = 63.2484


@pytest.fixture(scope="module")
def ef31_bg(bd):
    """The ``ef31-bg`` database: one activity ``forestry`` with the flows of :data:`BACKGROUND`."""
    from pcf.core.bw import quiet

    bio = {(f["name"], tuple(f["categories"])): f.key for f in bd.Database("biosphere3")}
    exchanges = [{"input": ("ef31-bg", "forestry"), "amount": 1.0, "type": "production"}]
    exchanges += [{"input": bio[(name, cats)], "amount": amount, "type": "biosphere"} for name, cats, amount in BACKGROUND]
    db = bd.Database("ef31-bg")
    with quiet():
        db.register(description="tests/test_ef31.py hand case")
        db.write({("ef31-bg", "forestry"): {"name": "forestry", "reference product": "forestry", "unit": "kg",
                                             "location": "GLO", "type": "process", "exchanges": exchanges}})
    return bd


@pytest.fixture(scope="module")
def hand(ef31_bg, tmp_path_factory):
    path = tmp_path_factory.mktemp("ef31") / "model.yaml"
    path.write_text(MODEL, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def ef_result(hand):
    return footprint(load_model(hand))


def _cfs(bd, name: tuple) -> dict:
    """``(flow name, categories) -> factor`` of a written Brightway method."""
    nodes = {f.id: f for f in bd.Database("biosphere3")}
    return {(nodes[k]["name"], tuple(nodes[k]["categories"])): cf for k, cf in bd.Method(name).load()}


def test_factors_of_each_gas_typed_from_the_source(bd):
    cfs = _cfs(bd, method_spec(EF).name)
    air = ("air",)
    assert cfs[("Carbon dioxide, fossil", air)] == 1.0
    assert cfs[("Methane, fossil", air)] == pytest.approx(29.8)
    assert cfs[("Methane, non-fossil", air)] == pytest.approx(27.0)
    assert cfs[("Dinitrogen monoxide", air)] == pytest.approx(273.0)
    assert cfs[("Sulfur hexafluoride", air)] == pytest.approx(25200.0)
    assert cfs[("Nitrogen fluoride", air)] == pytest.approx(17400.0)
    assert cfs[("Carbon dioxide, from soil or biomass stock", air)] == 1.0
    assert cfs[("Carbon dioxide, to soil or biomass stock", ("soil", "forestry"))] == -1.0
    assert cfs[("Methane, from soil or biomass stock", air)] == pytest.approx(29.8)
    # ISO 14067 -1/+1 added by pcf; the source has no factor for them (EF: 0)
    assert cfs[("Carbon dioxide, non-fossil", ("air", "urban air close to ground"))] == 1.0
    assert cfs[("Carbon dioxide, in air", ("natural resource", "in air"))] == -1.0
    source = _cfs(bd, ("EF v3.1", "climate change", SOURCE))
    assert not [k for k in source if k[0] in ("Carbon dioxide, non-fossil", "Carbon dioxide, in air")]
    assert ("Perfluoropentane", air) not in cfs and ("Perfluoropentane", air) not in source


def test_every_subcompartment_of_each_characterised_gas_has_a_factor(bd):
    """Every biosphere3 flow whose gas and compartment the method characterises somewhere has a
    factor (the source leaves out two; pcf fills them, documented in the method)."""
    cfs = _cfs(bd, method_spec(EF).name)
    gases = {(name, cats[:1]) for name, cats in cfs}
    flows = {(f["name"], tuple(f["categories"])) for f in bd.Database("biosphere3")}
    assert sorted(f for f in flows if (f[0], f[1][:1]) in gases and f not in cfs) == []
    source = _cfs(bd, ("EF v3.1", "climate change", SOURCE))
    assert sorted(f for f in flows if (f[0], f[1][:1]) in {(n, c[:1]) for n, c in source} and f not in source) == \
        sorted(SUBCOMPARTMENT_FILL)
    assert cfs[SUBCOMPARTMENT_FILL[0]] == pytest.approx(79.4) and cfs[SUBCOMPARTMENT_FILL[1]] == pytest.approx(0.481)
    assert "Monochloroethane" in bd.methods[method_spec(EF).name]["description"]


def test_source_has_223_factors_and_its_sub_indicators_add_up():
    data = {tuple(m["name"]): m for m in json.load(zipfile.ZipFile(_lcia_zip()).open("data.json"))}
    total = data[("EF v3.1", "climate change", SOURCE)]["exchanges"]
    assert len(total) == 223
    parts = [data[("EF v3.1", f"climate change: {p}", SOURCE)]["exchanges"]
             for p in ("fossil", "biogenic", "land use and land use change")]
    assert [len(p) for p in parts] == [204, 5, 14]
    assert sorted((tuple(e["input"]), e["amount"]) for p in parts for e in p) == \
        sorted((tuple(e["input"]), e["amount"]) for e in total)


@pytest.mark.parametrize(("indicator", "category"), [
    ("climate change: fossil", {"fossil"}),
    ("climate change: biogenic", {"biogenic_emissions"}),
    ("climate change: land use and land use change", {"dluc"}),
])
def test_each_sub_indicator_is_one_pcf_flow_category(bd, indicator, category):
    """What lets pcf report the sub-indicators from its split by flow (pcf.lca.biogenic)."""
    nodes = {f.id: f for f in bd.Database("biosphere3")}
    found = {flow_category(nodes[k]) for k, _ in bd.Method(("EF v3.1", indicator, SOURCE)).load()}
    assert found == category


def test_hand_case_sub_indicators(ef_result):
    got = {s.indicator: s for s in ef_result.sub_indicators}
    assert list(got) == list(EF_HAND)
    for indicator, value in EF_HAND.items():
        assert got[indicator].kg_co2e == pytest.approx(value, rel=REL), indicator
        assert got[indicator].per_declared_unit == pytest.approx(value / 100, rel=REL)
        assert got[indicator].share == pytest.approx(value / 53.5284, rel=REL)
        assert got[indicator].method == ("EF v3.1", indicator, SOURCE)


def test_hand_case_keeps_the_iso_14067_split(ef_result):
    g = ef_result.ghg
    for category, value in ISO_HAND.items():
        assert getattr(g, category) == pytest.approx(value, rel=REL), category
    assert ef_result.total_kg_co2e == pytest.approx(ISO_TOTAL, rel=REL)
    assert ef_result.biogenic_carbon.co2_emissions_kg == pytest.approx(3.0, rel=REL)
    assert ef_result.biogenic_carbon.co2_removals_kg == pytest.approx(2.5, rel=REL)
    assert ef_result.totals.excluding_biogenic == pytest.approx(EF_HAND["climate change"], rel=REL)
    assert ef_result.method == EF and ef_result.provenance.method_label == "EF 3.1 climate change (GWP100)"


def test_source_methods_score_the_same_system_in_bw2calc(ef_result, bd):
    """bw2calc with the source methods on the foreground pcf wrote: the hand figures, less the
    filled HCFC-31 factor in the total and fossil part."""
    import bw2calc as bc

    node = bd.get_node(database="pcf-fg-EF31-HAND", code="making")
    expected = {**EF_HAND, "climate change": 53.449, "climate change: fossil": 49.881}
    for indicator, value in expected.items():
        fu, data_objs, _ = bd.prepare_lca_inputs(demand={node: 1.0}, method=("EF v3.1", indicator, SOURCE))
        lca = bc.LCA(demand=fu, data_objs=data_objs)
        lca.lci()
        lca.lcia()
        assert lca.score == pytest.approx(value, rel=REL), indicator


def test_ipcc_2021_differs_by_the_gas_ef_leaves_out(hand):
    ipcc = compute(hand, method="ipcc-2021-gwp100").result
    assert ipcc.total_kg_co2e == pytest.approx(IPCC_TOTAL, rel=REL)
    assert ipcc.ghg.fossil == pytest.approx(58.9074, rel=REL)
    assert not ipcc.sub_indicators  # ABSENT: the IPCC methods have none
    assert "sub_indicators" not in ipcc.to_json()


def test_battery_pcr_declares_the_ef_total(ef_result):
    """eu-battery-cfb-ev 0.4 declares ef-3.1-climate-change with biogenic CO2 0/0
    (excluding_biogenic), dLUC included: the EF 3.1 total."""
    pcr = load_pcr("eu-battery-cfb-ev")
    assert pcr.method.id == EF and pcr.method.observation is None
    doc = build_declaration(ef_result, pcr).to_json()
    assert doc["totals"]["declared"] == pytest.approx(EF_HAND["climate change"], rel=REL)
    assert doc["totals"]["per_declared_unit"]["declared"] == pytest.approx(0.535284, rel=REL)
    rules = [f["rule"] for f in doc["assessment"]["findings"]]
    assert "method" not in rules and "method-characterisation" not in rules
    assert "ghg-accounting" in rules  # declared figure is not the ISO 14067 total (54.0284)
    assert doc["sub_indicators"][0]["kg_co2e"] == pytest.approx(doc["totals"]["declared"], rel=1e-12)


def test_battery_pcr_refuses_another_method(hand):
    doc = compute(hand, pcr_id="eu-battery-cfb-ev", method="ipcc-2021-gwp100").to_json()
    [finding] = [f for f in doc["assessment"]["findings"] if f["rule"] == "method"]
    assert finding["severity"] == "nonconformity" and "'ef-3.1-climate-change'" in finding["message"]
    assert doc["assessment"]["conforms"] is False


def test_cli_footprint_with_the_ef_method(hand, tmp_path):
    from typer.testing import CliRunner

    import cli

    out = tmp_path / "out"
    result = CliRunner().invoke(cli.app, ["footprint", str(hand), "--method", EF, "--out", str(out)])
    assert result.exit_code == 0, result.output
    [written] = out.glob("*.result.json")
    doc = json.loads(written.read_text(encoding="utf-8"))
    assert doc["method"] == EF
    assert doc["total_kg_co2e"] == pytest.approx(ISO_TOTAL, rel=REL)
    assert doc["sub_indicators"][1]["indicator"] == "climate change: fossil"
    from pcf.declaration import read_declaration  # the written file reads back (its figures hang together)

    assert read_declaration(written).result.sub_indicators[0].kg_co2e == pytest.approx(EF_HAND["climate change"],
                                                                                         rel=REL)


def test_unknown_method_is_refused(hand):
    from pcf.core.errors import BackgroundError

    with pytest.raises(BackgroundError, match="ef-3.1-climate-change"):
        compute(hand, method="ef-3.0-climate-change")


def test_setup_refuses_a_source_with_other_gaps_or_mixed_factors():
    """``pcf setup`` stops (BackgroundError) when the LCIA file and biosphere3 disagree other than
    in the two documented gaps, or a gas to fill has two factors (synthetic flows)."""
    from pcf.background.methods import _subcompartment_fill
    from pcf.core.errors import BackgroundError

    spec = method_spec(EF)
    urban = ("air", "urban air close to ground")
    bio = {("Gas X", ("air",)): ("b", "x1"), ("Gas X", urban): ("b", "x2")}
    with pytest.raises(BackgroundError, match=r"sub-compartments without a factor \[\('Gas X'"):
        _subcompartment_fill(bio, [(("b", "x1"), 5.0)], spec)
    (hcfc, long_term), (chloroethane, _) = SUBCOMPARTMENT_FILL
    bio = {(hcfc, ("air",)): ("b", "h1"), (hcfc, urban): ("b", "h2"), (hcfc, long_term): ("b", "h3"),
           (chloroethane, ("air",)): ("b", "c1"), (chloroethane, long_term): ("b", "c3")}
    cfs = [(("b", "h1"), 79.4), (("b", "h2"), 80.0), (("b", "c1"), 0.481)]
    with pytest.raises(BackgroundError, match="several factors"):
        _subcompartment_fill(bio, cfs, spec)
    assert _subcompartment_fill(bio, [(("b", "h1"), 79.4), (("b", "h2"), 79.4), (("b", "c1"), 0.481)], spec) == \
        [(("b", "h3"), 79.4), (("b", "c3"), 0.481)]


def test_cli_check_takes_the_method(hand):
    """``pcf check --method``: the PCR judges the method the run used."""
    from typer.testing import CliRunner

    import cli

    def method_nonconformity(*extra):
        result = CliRunner().invoke(cli.app, ["check", str(hand), "--pcr", "eu-battery-cfb-ev", *extra])
        assert result.exit_code in (0, 1), result.output
        return "● nonconformity method (" in " ".join(result.output.split())

    assert method_nonconformity("--method", "ipcc-2021-gwp100")
    assert not method_nonconformity()  # the model's own: ef-3.1-climate-change
