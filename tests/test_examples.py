"""The two real example products: published ranges, stage sums, label and report.

Published ranges (a check on the modelling, not a target):
- NMC EV battery pack: 60-130 kg CO2e per kWh of pack capacity (Xu 2022; Hao et al. 2017,
  Sustainability 9(4):504, China-made packs), the range issue 2 gives.
- Mono-Si glass-backsheet PV module made in China: 0.45-1.0 kg CO2e per Wp
  (Mueller et al. 2021, Sol. Energy Mater. Sol. Cells 230:111277: 0.81 kg CO2e/Wp).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pcf.api import compute, run_footprint

REPO = Path(__file__).resolve().parent.parent
BATTERY = REPO / "examples" / "battery" / "nmc811-pack.yaml"
PV = REPO / "examples" / "pv" / "mono-si-module-cn.yaml"


@pytest.fixture(scope="module")
def battery(open_default):
    return compute(BATTERY)


@pytest.fixture(scope="module")
def pv(open_default):
    return compute(PV)


def test_battery_pack_in_published_range(battery):
    assert battery["product"]["reference_flow"] == {"amount": 1.0, "unit": "item"}
    per_kwh_capacity = battery["total_kg_co2e"] / battery["parameters"]["capacity_kwh"]
    assert 60.0 <= per_kwh_capacity <= 130.0


def test_battery_declared_unit_is_lifetime_energy(battery):
    p = battery["parameters"]
    lifetime_kwh = p["capacity_kwh"] * p["cycles_per_year"] * p["service_life_years"]
    assert battery["product"]["declared_unit"]["per_reference_flow"] == pytest.approx(lifetime_kwh, rel=1e-12)
    assert battery["per_declared_unit_kg_co2e"] == pytest.approx(battery["total_kg_co2e"] / lifetime_kwh, rel=1e-12)


def test_pv_module_in_published_range(pv):
    assert pv["product"]["declared_unit"]["unit"] == "kWp"
    per_wp = pv["per_declared_unit_kg_co2e"] / 1000.0
    assert 0.45 <= per_wp <= 1.0


@pytest.mark.parametrize("name", ["battery", "pv"])
def test_stages_sum_and_every_source_is_cited(name, request):
    result = request.getfixturevalue(name)
    assert sum(result["stages"].values()) == pytest.approx(result["total_kg_co2e"], rel=1e-9)
    assert len(result["stages"]) >= 2
    assert result["data_sources"], "no background used"
    for source in result["data_sources"]:
        assert source["source"], f"{source['background']} has no citation"
    assert result["assessment"] is not None  # both examples name their PCR
    assert result["assessment"]["performance_class"] is not None


def test_method_switch_changes_the_battery_result(open_default, battery):
    ar5 = compute(BATTERY, method="ipcc-2013-gwp100")
    assert ar5["total_kg_co2e"] != pytest.approx(battery["total_kg_co2e"], rel=1e-6)
    # CO2 dominates, so AR5 and AR6 differ by well under 5 %
    assert ar5["total_kg_co2e"] == pytest.approx(battery["total_kg_co2e"], rel=0.05)


def test_pv_label_and_report_render(open_default, tmp_path):
    run = run_footprint(PV, tmp_path, label=True, report=True)
    pid = run.result["product"]["id"]
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted([f"{pid}.result.json", f"{pid}.label.svg", f"{pid}.label.pdf", f"{pid}.report.pdf"])
    for pdf in (tmp_path / f"{pid}.label.pdf", tmp_path / f"{pid}.report.pdf"):
        assert pdf.read_bytes()[:5] == b"%PDF-"
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert "CJK" in fonts, fonts
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "产品碳足迹" in text
        per_kwp = run.result["per_declared_unit_kg_co2e"]
        assert f"{per_kwp:,.0f}" in text  # e.g. "812": three significant figures of a value in the hundreds
