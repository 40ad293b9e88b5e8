"""The two real example products: published ranges, stage sums, label and report.

Published ranges (a check on the modelling, not a target):
- NMC EV battery pack: 60-130 kg CO2e per kWh of pack capacity (Xu 2022; Hao et al. 2017,
  Sustainability 9(4):504, China-made packs), the range issue 2 gives. Used for NMC811 and NMC622.
- EV battery pack production, any chemistry: 70-175 kg CO2e per kWh of capacity, the interquartile
  range of 50 LCAs (median 120; Aichberger C., Jungmeier G. (2020) Energies 13(23):6345, abstract).
  Used for LFP and NMC622. Chemistry-specific figures quoted for context: Hao et al. 2017 (China, 28 kWh
  packs) LFP 3061 kg / 28 kWh = 109.3, NMC 2912 / 28 = 104.0 kg CO2e/kWh; Peiseler et al. 2024 (Nat.
  Commun. 15, doi:10.1038/s41467-024-54634-y, abstract) 5th/50th/95th percentiles LFP 54/62/69,
  NMC811 59/74/115; Emilsson & Dahllöf 2019 (IVL C444) NMC 61-106.
- Mono-Si glass-backsheet PV module made in China: 0.45-1.0 kg CO2e per Wp
  (Mueller et al. 2021, Sol. Energy Mater. Sol. Cells 230:111277: 0.81 kg CO2e/Wp).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from pcf.api import compute, run_footprint

REPO = Path(__file__).resolve().parent.parent
BATTERY = REPO / "examples" / "battery" / "nmc811-pack.yaml"
PV = REPO / "examples" / "pv" / "mono-si-module-cn.yaml"
LFP = REPO / "examples" / "battery" / "lfp-pack.yaml"
NMC622 = REPO / "examples" / "battery" / "nmc622-pack.yaml"


@pytest.fixture(scope="module")
def battery(open_default):
    return compute(BATTERY).to_json()


@pytest.fixture(scope="module")
def pv(open_default):
    return compute(PV).to_json()


@pytest.fixture(scope="module")
def lfp(open_default):
    return compute(LFP).to_json()


@pytest.fixture(scope="module")
def nmc622(open_default):
    return compute(NMC622).to_json()


def per_kwh_capacity(result: dict) -> float:
    """Footprint per kWh of pack capacity [kg CO2e / kWh], the basis of the published ranges."""
    return result["total_kg_co2e"] / result["parameters"]["capacity_kwh"]


def per_kg_pack(result: dict) -> float:
    """Footprint per kg of pack [kg CO2e / kg]."""
    p = result["parameters"]
    return result["total_kg_co2e"] / (p["capacity_kwh"] * p["pack_mass_per_kwh"])


def background_per_kwh(result: dict, key: str, process: str | None = None) -> float:
    """Contributions of one background activity (optionally of one process) [kg CO2e / kWh capacity]."""
    total = sum(c["kg_co2e"] for c in result["contributions"]
                if c.get("background") == key and (process is None or c.get("process") == process))
    return total / result["parameters"]["capacity_kwh"]


def test_battery_pack_in_published_range(battery):
    assert battery["product"]["reference_flow"] == {"amount": 1.0, "unit": "item"}
    assert 60.0 <= per_kwh_capacity(battery) <= 130.0


def test_lfp_pack_in_published_range(lfp):
    """LFP pack: within the review's interquartile range 70-175 (Aichberger & Jungmeier 2020). The model
    (about 111) is near the one China-made LFP pack figure found (Hao et al. 2017: 109.3) and above
    Peiseler et al. 2024 (54-69): older cell energy density and cell energy data, see the model header."""
    assert lfp["product"]["reference_flow"] == {"amount": 1.0, "unit": "item"}
    assert 70.0 <= per_kwh_capacity(lfp) <= 175.0


def test_nmc622_pack_in_published_range(nmc622):
    """NMC622 pack: within the NMC range of issue 2 (60-130) and the review's interquartile range
    (70-175); about 120, above IVL's 61-106 for NMC (spodumene lithium carbonate, Istrate synthetic
    graphite and a CO2-only CN grid: see the model header)."""
    assert 60.0 <= per_kwh_capacity(nmc622) <= 130.0
    assert 70.0 <= per_kwh_capacity(nmc622) <= 175.0


def test_lfp_largest_contributions_by_hand(lfp):
    """Per kWh of capacity, from the premise inventories (rows in the model) and the open-default
    factors under IPCC 2021 GWP100 (CH4 fossil 29.8, N2O 273):

    pack 1/(0.16 x 0.73) = 8.56164 kg/kWh; cells x 0.73 = 6.25 kg; cathode paste x 0.389156 =
    2.43222 kg; LFP x 0.87 = 2.11603 kg; anode paste 6.25 x 0.131503 = 0.821894 kg; anode x 0.9 =
    0.739705 kg.

    - cam_lfp_greet (8.84047 + 0.0187950 x 29.8 + 0.000164815 x 273 = 9.44556 kg CO2e/kg):
      2.11603 x 9.44556 = 19.9871
    - synthetic graphite 0.739705 x 0.6204 x 43.8715 = 20.1332
    - cell electricity 6.25 x 4 kWh x 0.5306 (China national average, MEE/NBS 2023) = 13.265
    - aluminium (IAI 15.1/kg): collector 6.25 x 0.0560055 + container 6.25 x 0.0312972 x (0.4 + 0.22)
      + BoP 8.56164 x 0.27 x (0.498121 + 0.200299 x 0.796909 + 0.3 x 0.0884381 x 0.12) = 1.99913 kg
      -> 30.1869
    """
    assert background_per_kwh(lfp, "cam_lfp_greet") == pytest.approx(19.9871, rel=1e-4)
    assert background_per_kwh(lfp, "graphite_synthetic_battery_cn") == pytest.approx(20.1332, rel=1e-4)
    assert background_per_kwh(lfp, "electricity_cn_national_avg_2023", "cell_production") == pytest.approx(13.265, rel=1e-4)
    assert background_per_kwh(lfp, "aluminium_primary_iai_2022") == pytest.approx(30.1869, rel=1e-4)


def test_nmc622_largest_contributions_by_hand(nmc622):
    """Per kWh of capacity (rows in the model): pack 1/(0.24 x 0.73) = 5.70776 kg/kWh; cells x 0.72591
    = 4.14332 kg; cathode x 0.41 = 1.69876 kg; CAM x 0.95 = 1.61382 kg; pCAM x 0.949 = 1.53152 kg;
    anode 4.14332 x 0.2 = 0.828664 kg.

    - lithium carbonate 1.61382 x 0.383 x 24.1051 = 14.8993
    - nickel sulfate 1.53152 x 0.978 x 262.84/154.75 x 5.47906 = 13.9389
    - cobalt sulfate 1.53152 x 0.326 x 281.10/154.99 x 14.9909 = 13.5745
    - synthetic graphite 0.828664 x 0.6204 x 43.8715 = 22.5545
    - direct CO2 of calcination 1.61382 x 0.207 = 0.334061
    """
    assert background_per_kwh(nmc622, "lithium_carbonate_spodumene_cn") == pytest.approx(14.8993, rel=1e-4)
    assert background_per_kwh(nmc622, "nickel_sulfate_hexahydrate_glo_excl_cn") == pytest.approx(13.9389, rel=1e-4)
    assert background_per_kwh(nmc622, "cobalt_sulfate_heptahydrate_cn") == pytest.approx(13.5745, rel=1e-4)
    assert background_per_kwh(nmc622, "graphite_synthetic_battery_cn") == pytest.approx(22.5545, rel=1e-4)
    direct = [c for c in nmc622["contributions"] if c.get("kind") == "direct" and c["process"] == "cam_nmc622"]
    assert sum(c["kg_co2e"] for c in direct) / nmc622["parameters"]["capacity_kwh"] == pytest.approx(0.334061, rel=1e-4)


def test_chemistries_relate_plausibly(battery, lfp, nmc622):
    """What we expect, and why:

    1. Per kg of pack, LFP is the lowest: no nickel or cobalt salts, and the cathode material dominates
       pack GHG (Hao et al. 2017: cathode materials and wrought aluminium about three quarters). GREET 2024
       as processed by Busch et al. (factors.csv) gives LFP materials 41.8 vs NMC622 50.5 and NMC811 50.0
       kg CO2e per kWh even though LFP needs more mass per kWh.
    2. Per kWh of capacity, LFP is within 25 % of NMC811: lower burden per kg is offset by lower
       specific energy. Same-method comparisons put LFP from -16 % to +5 % of NMC (Peiseler et al. 2024
       medians 62 vs 74; Busch/GREET 2024 (41.8 + 12.9) vs (50.0 + 12.9) = 0.87; Hao et al. 2017 109.3 vs
       104.0 = 1.05). The premise parameters give LFP 1.70 times NMC811's pack mass per kWh (8.56 vs
       5.03 kg) and Crenna's LFP cell 8 kWh of energy per kg, so the upper end of that spread or a little
       above it is expected; a gap beyond 25 % either way would point to a modelling error.
    3. Per kWh, NMC622 is at least NMC811 and at most 1.35 times it: 13.5 % more pack mass per kWh
       ([C] 5.708 vs 5.030 kg), twice the cobalt sulfate per kg of precursor (0.326 vs 0.161 kg) and
       lithium carbonate from spodumene (0.383 x 24.1 = 9.2 kg CO2e per kg CAM) instead of lithium
       hydroxide (0.431 x 17.2 = 7.4); nickel sulfate per kWh is about equal (1.50 vs 1.56 kg anhydrous).
       By hand, cobalt adds 13.57 - 5.32 = 8.3 and lithium 14.90 - 9.51 = 5.4 kg CO2e/kWh (15 % of
       NMC811's 96), and nmc811-pack.yaml leaves out sodium hydroxide (about 2.6, 3 %): 1.135 x 1.18 =
       1.34, hence the upper bound 1.35.
    """
    assert per_kg_pack(lfp) < per_kg_pack(battery)
    assert per_kg_pack(lfp) < per_kg_pack(nmc622)
    assert 0.75 <= per_kwh_capacity(lfp) / per_kwh_capacity(battery) <= 1.25
    assert 1.0 <= per_kwh_capacity(nmc622) / per_kwh_capacity(battery) <= 1.35


def literature_model_nonconformities(result: dict) -> list[tuple[str, str]]:
    """(rule, clause) of the nonconformities of a battery example against eu-battery-cfb-ev."""
    return [(f["rule"], f["clause"]) for f in result["assessment"]["findings"] if f["severity"] == "nonconformity"]


@pytest.mark.parametrize("name", ["battery", "lfp", "nmc622"])
def test_battery_examples_fail_their_pcr_for_stated_reasons(name, request):
    """The packs are literature models (Dai / Crenna via premise, secondary data) without a
    manufacturer: the EU rule finds exactly two kinds of nonconformity, each naming its clause.

    - primary-data: Annex II point 1 asks for the bill of materials, energy and ancillary
      materials of the specific plant; the production-stage activity data are secondary;
    - declaration-content: Art. 7(1)(c) plant location, (f) EU declaration of conformity
      number and (g) link to the public study are not stated, and for LFP and NMC622 also (a)
      the manufacturer ((a) of NMC811 is its exchange section's placeholder company; (b) the
      model is the product id, (d) and (e) are computed).

    A nonconforming result is not graded: the class is None, the thresholds stay.
    """
    result = request.getfixturevalue(name)
    a = result["assessment"]
    assert a["conforms"] is False
    found = literature_model_nonconformities(result)
    assert sorted({rule for rule, _ in found}) == ["declaration-content", "primary-data"]
    [(_, primary)] = [x for x in found if x[0] == "primary-data"]
    assert "Annex II point 1" in primary
    [message] = [f["message"] for f in a["findings"] if f["rule"] == "primary-data"]
    assert "cell_production" in message and "secondary" in message
    clauses = [c for rule, c in found if rule == "declaration-content"]
    points = [re.match(r"Reg\. \(EU\) 2023/1542 Art\. 7\(1\)\(([a-g])\)", c).group(1) for c in clauses]
    assert points == (["c", "f", "g"] if name == "battery" else ["a", "c", "f", "g"])
    pc = a["performance_class"]
    assert pc["class"] is None and pc["graded"] is False and pc["value"] == pytest.approx(
        result["per_declared_unit_kg_co2e"], rel=1e-12)


def test_pv_example_passes_its_pcr_and_is_graded(pv):
    """The PV module meets every rule of pv-module (observations only) and is graded: 585 kg
    CO2e/kWp (as computed) lies in (450, 600], class B of the illustrative scale, and is not
    below 550, so 'ECS>=550' on the CRE ECS PPE2 tiers."""
    a = pv["assessment"]
    assert a["conforms"] is True
    assert {f["severity"] for f in a["findings"]} == {"observation"}
    value = pv["per_declared_unit_kg_co2e"]
    assert 450 < value <= 600 and value >= 550
    assert a["performance_class"]["class"] == "B" and a["performance_class"]["graded"] is True
    assert a["performance_class"]["illustrative"] is True
    [ecs] = a["alternative_classes"]
    assert (ecs["id"], ecs["class"], ecs["illustrative"]) == ("cre_ecs_ppe2", "ECS>=550", False)


@pytest.mark.parametrize("name", ["lfp", "nmc622"])
def test_new_packs_meet_their_cut_off(name, request):
    """Both name the EU battery PCR and declare cut-off criteria (1 % GHG per excluded input, 5 % in all);
    the excluded inputs with a proxy are estimated below them, so no cut-off finding is a nonconformity."""
    result = request.getfixturevalue(name)
    assert not [f for f in result["assessment"]["findings"] if f["rule"] == "cut-off" and f["severity"] == "nonconformity"]
    summary = result["cut_off_summary"]
    assert summary["criteria"]["ghg"] == 0.01 and summary["criteria"]["total"] == 0.05
    assert 0.0 < summary["estimated_share"] < 0.05
    p = result["parameters"]
    assert result["per_declared_unit_kg_co2e"] == pytest.approx(
        result["total_kg_co2e"] / (p["capacity_kwh"] * p["cycles_per_year"] * p["service_life_years"]), rel=1e-12)
    # the shipment to the EU is a transport leg: pack mass x 10,600 nmi x 1.852 km/nmi
    (leg,) = result["transport"]
    assert leg["mode"] == "container_ship"
    assert leg["tkm"] == pytest.approx(p["capacity_kwh"] * p["pack_mass_per_kwh"] / 1000 * 10600 * 1.852, rel=1e-9)


def test_battery_declared_unit_is_lifetime_energy(battery):
    p = battery["parameters"]
    lifetime_kwh = p["capacity_kwh"] * p["cycles_per_year"] * p["service_life_years"]
    assert battery["product"]["declared_unit"]["per_reference_flow"] == pytest.approx(lifetime_kwh, rel=1e-12)
    assert battery["per_declared_unit_kg_co2e"] == pytest.approx(battery["total_kg_co2e"] / lifetime_kwh, rel=1e-12)


def test_pv_module_in_published_range(pv):
    assert pv["product"]["declared_unit"]["unit"] == "kWp"
    per_wp = pv["per_declared_unit_kg_co2e"] / 1000.0
    assert 0.45 <= per_wp <= 1.0


@pytest.mark.parametrize("name", ["battery", "pv", "lfp", "nmc622"])
def test_stages_sum_and_every_source_is_cited(name, request):
    result = request.getfixturevalue(name)
    assert sum(result["stages"].values()) == pytest.approx(result["total_kg_co2e"], rel=1e-9)
    assert len(result["stages"]) >= 2
    assert result["data_sources"], "no background used"
    for source in result["data_sources"]:
        assert source["source"], f"{source['background']} has no citation"
    assert result["assessment"] is not None  # every example names its PCR
    assert result["assessment"]["performance_class"] is not None


def test_method_switch_changes_the_battery_result(open_default, battery):
    ar5 = compute(BATTERY, method="ipcc-2013-gwp100").to_json()
    assert ar5["total_kg_co2e"] != pytest.approx(battery["total_kg_co2e"], rel=1e-6)
    # CO2 dominates, so AR5 and AR6 differ by well under 5 %
    assert ar5["total_kg_co2e"] == pytest.approx(battery["total_kg_co2e"], rel=0.05)


@pytest.mark.parametrize("name", ["battery", "lfp", "nmc622"])
def test_battery_examples_declare_the_ef_31_value(name, request, open_default):
    """Issue 14 part 1: the battery examples use the method their PCR requires (eu-battery-cfb-ev
    0.4: EF 3.1 climate change) and declare its total, biogenic CO2 0/0 (excluding_biogenic), the
    figure the class, the Art. 7 declaration and the Battery Pass export take.

    With ``--method ipcc-2021-gwp100`` the PCR finds the method nonconforming. The declared
    figure is the same to the last digit: the packs emit no biogenic CO2 and none of the gases
    EF 3.1 leaves out, and EF 3.1 has the AR6 GWP100 of IPCC 2021 for every other gas
    (tests/test_ef31.py: a model with biogenic CO2 or perfluoropentane differs)."""
    result = request.getfixturevalue(name)
    model = {"battery": BATTERY, "lfp": LFP, "nmc622": NMC622}[name]
    assert result["method"] == result["study"]["method"] == "ef-3.1-climate-change"
    a = result["assessment"]
    rules = [f["rule"] for f in a["findings"]]
    assert "method" not in rules and "method-characterisation" not in rules
    assert result["totals"]["declared_total"] == "excluding_biogenic"
    [ef_total] = [s for s in result["sub_indicators"] if s["indicator"] == "climate change"]
    assert a["declared_total"]["per_declared_unit"] == pytest.approx(ef_total["per_declared_unit"], rel=1e-12)
    assert a["performance_class"]["value"] == pytest.approx(ef_total["per_declared_unit"], rel=1e-12)
    ipcc = compute(model, method="ipcc-2021-gwp100").to_json()
    assert [f["rule"] for f in ipcc["assessment"]["findings"] if f["severity"] == "nonconformity"].count("method") == 1
    assert ipcc["totals"]["per_declared_unit"]["declared"] == pytest.approx(
        result["totals"]["per_declared_unit"]["declared"], rel=1e-12)
    assert "sub_indicators" not in ipcc


def test_pv_label_and_report_render(open_default, tmp_path):
    run = run_footprint(PV, tmp_path, label=True, report=True)
    pid = run.declaration.result.product.id
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted([f"{pid}.result.json", f"{pid}.label.svg", f"{pid}.label.pdf", f"{pid}.report.pdf",
                            f"{pid}.verification.pdf"])
    for pdf in (tmp_path / f"{pid}.label.pdf", tmp_path / f"{pid}.report.pdf"):
        assert pdf.read_bytes()[:5] == b"%PDF-"
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert "CJK" in fonts, fonts
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "产品碳足迹" in text
        per_kwp = run.declaration.result.per_declared_unit_kg_co2e
        assert f"{per_kwp:,.0f}" in text  # e.g. "812": three significant figures of a value in the hundreds
    # issue 14 part 2: the report states the share of the total from factors on other GWP bases
    report = subprocess.run(["pdftotext", str(tmp_path / f"{pid}.report.pdf"), "-"], capture_output=True, text=True,
                            check=True).stdout
    share = run.declaration.result.gwp_basis_summary.other_basis_share
    assert re.search(rf"{100 * share:.1f} %\s+of\s+the\s+total\s+from\s+factors\s+on\s+other\s+GWP\s+bases", report)


@pytest.mark.parametrize("name", ["battery", "pv"])
def test_examples_state_their_gwp_basis_share(name, request):
    """Issue 14 part 2: the share from other GWP bases, recomputed here from the data sources'
    own parts (sum |off-basis parts| / sum |parts|, the foreground's own flows per gas), is the
    summary's and is in the report's limitations. The China grid factors (MEE/NBS) are CO2 only."""
    from pcf.declaration import Declaration
    from pcf.render.report_checklist import limitations

    result = request.getfixturevalue(name)
    sources = [d["gwp_basis"] for d in result["data_sources"]]
    parts = [(b, v) for s in sources for b, v in s["kg_co2e"].items()]
    own = result["total_kg_co2e"] - sum(d["kg_co2e"] for d in result["data_sources"])
    vintage = "AR6"  # ipcc-2021-gwp100
    off = sum(abs(v) for b, v in parts if b not in ("per_gas", f"co2e_{vintage}"))
    summary = result["gwp_basis_summary"]
    assert summary["method_gwp_vintage"] == vintage
    assert summary["other_basis_share"] == pytest.approx(off / (sum(abs(v) for _, v in parts) + abs(own)), rel=1e-9)
    grid = [d for d in result["data_sources"] if d["background"].startswith("electricity_cn_")
            and d["background"].endswith("_2023")]
    assert grid and all(d["gwp_basis"]["kg_co2e"] == {"co2_only": pytest.approx(d["kg_co2e"])} for d in grid)
    decl = Declaration.from_json(result)
    text = " ".join(en for _, en in limitations(decl))
    assert f"{100 * summary['other_basis_share']:.1f} % of the total from factors on other GWP bases" in text
