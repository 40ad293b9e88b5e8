"""The CFP study report's issue-5 parts: system-boundary diagram from the product graph,
contribution chart, contents checklists (PCR / ISO 14067 clause 7), limitations, the one-page
verification statement template; rendered for both examples with numbers read back from the PDF.

Hand-made graph (``graph_result``): pack (production, the reference) <- cells (raw material
acquisition) and <- ship (distribution); background: steel drawn by cells (6 kg CO2e) and by
ship (1), electricity by pack (3); one input of cells excluded; total 100 kg CO2e.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess

import pytest

from pcf.api import compute
from pcf.declaration import Declaration, build_declaration
from pcf.lca.result import (Contribution, CutOffItem, DataQuality, Dqr, FootprintResult, Histogram, Link,
                            ProductSystem, ProductSystemProcess, Uncertainty)
from pcf.render import fmt, render_report
from pcf.render.boundary import TOP_BACKGROUND, boundary_context, boundary_graph
from pcf.render.report import contribution_rows
from pcf.render.report_checklist import checklists, limitations
from pcf.render.verification import GENERAL_CHECKS, render_verification, verification_context
from tests.conftest import REPO
from tests.test_labels import page_size_pt, pages, pdf_text
from tests.test_pcr import battery_result
from tests.test_render import embedded_cjk_fonts, make_result

EXAMPLES = {"nmc811": REPO / "examples" / "battery" / "nmc811-pack.yaml",
            "pv": REPO / "examples" / "pv" / "mono-si-module-cn.yaml"}


def graph_result(n_background: int = 2) -> FootprintResult:
    system = ProductSystem(reference="pack", processes=(
        ProductSystemProcess(id="pack", name="Pack assembly", stage="production", location="CN"),
        ProductSystemProcess(id="cells", name="Cells", stage="raw_material_acquisition", location="CN"),
        ProductSystemProcess(id="ship", name="Shipping", stage="distribution", location=None)),
        links=(Link(from_="cells", to="pack"), Link(from_="ship", to="pack")))

    def background(key, name, process, stage, kg):
        return Contribution(background=key, name=name, process=process, stage=stage, kind="background",
                            kg_co2e=kg, share=kg / 100.0)

    contributions = [background("steel", "Steel", "cells", "raw_material_acquisition", 6.0),
                     background("steel", "Steel", "ship", "distribution", 1.0),
                     background("elec", "Electricity", "pack", "production", 3.0)]
    for i in range(n_background - 2):  # small extra activities drawn by cells, 0.1 kg each
        contributions.append(background(f"extra{i}", f"Extra {i}", "cells", "raw_material_acquisition", 0.1))
    cut_off = (CutOffItem(process="cells", name="label sticker", amount=0.002, unit="kg", reason="tiny",
                          amount_per_process_output=0.002, process_output="item", mass_share=None,
                          energy_share=None, proxy=None, kg_co2e_estimate=None, ghg_share=None),)
    return make_result(product_system=system, contributions=tuple(contributions), cut_off=cut_off).result


def with_assessment(pcr_id: str) -> Declaration:
    """The fixture declaration with the assessment of the hand-made battery result under a PCR."""
    return make_result().replace(assessment=build_declaration(battery_result(), pcr_id).assessment)


# --------------------------------------------------------------------------- boundary diagram


def test_boundary_graph_by_hand():
    """Steel (6 kg CO2e into cells, 1 into ship) is drawn in the stage of cells, the process
    that draws most of it, with one edge there; electricity in production, beside pack."""
    g = boundary_graph(graph_result())
    stages = {n: d["stage"] for n, d in g.nodes(data=True)}
    assert stages == {"p:pack": "production", "p:cells": "raw_material_acquisition", "p:ship": "distribution",
                      "b:steel": "raw_material_acquisition", "b:elec": "production"}
    assert g.nodes["b:steel"]["kg"] == pytest.approx(7.0)             # 6 (cells) + 1 (ship)
    assert g.nodes["b:steel"]["users"] == 2 and g.nodes["b:steel"]["beside"] == "p:cells"
    assert set(g.edges) == {("p:cells", "p:pack"), ("p:ship", "p:pack"), ("b:steel", "p:cells"), ("b:elec", "p:pack")}
    assert g.nodes["p:pack"]["reference"] is True and g.nodes["p:cells"]["reference"] is False


def test_boundary_columns_labels_and_excluded_list_by_hand():
    """Columns: raw-material background | raw-material processes | production background |
    production | the later stages; labels wrapped, with kg CO2e and share of the 100 kg total."""
    from pcf.render.boundary import _columns, _node_lines

    r = graph_result()
    g = boundary_graph(r)
    assert r.total_kg_co2e == pytest.approx(100.0)
    assert _columns(g, ["raw_material_acquisition", "production", "distribution"]) == [
        ["b:steel"], ["p:cells"], ["b:elec"], ["p:pack"], ["p:ship"]]
    assert _node_lines(g.nodes["b:steel"], 100.0) == ["Steel", "7.000 kg CO2e · 7.0 %", "(into 2 processes)"]
    assert _node_lines(g.nodes["b:elec"], 100.0) == ["Electricity", "3.000 kg CO2e · 3.0 %"]
    c = boundary_context(r)
    assert c["counts"] == {"processes": 3, "background": 2, "drawn": 2, "excluded": 1, "links": 4}
    assert c["excluded"] == [{"name": "label sticker", "processes": "Cells"}]
    assert c["svg"].startswith("<svg") and "Pack assembly" in c["svg"] and "label sticker" not in c["svg"]


def test_boundary_groups_the_small_background_activities():
    """12 activities: the 10 largest drawn one by one, the 2 others (0.1 kg each, drawn by cells)
    as one node of their stage: "2 other inputs, 0.2 % of the total"."""
    from pcf.render.boundary import _node_lines

    g = boundary_graph(graph_result(n_background=12))
    background = [n for n, d in g.nodes(data=True) if d["kind"] == "background"]
    assert len(background) == TOP_BACKGROUND
    other = g.nodes["o:raw_material_acquisition"]
    assert other["n"] == 2 and other["kg"] == pytest.approx(0.2) and other["beside"] == "p:cells"
    assert _node_lines(other, 100.0) == ["2 other inputs,", "0.2 % of the total"]  # 21 > 20 widths


def test_boundary_without_product_system_uses_the_contributions():
    r = dataclasses.replace(graph_result(), product_system=None)
    g = boundary_graph(r)
    assert {n for n, d in g.nodes(data=True) if d["kind"] == "process"} == {"p:pack", "p:cells", "p:ship"}
    assert not any(d["kind"] == "foreground" for *_, d in g.edges(data=True))


def test_contribution_chart_rows():
    rows = contribution_rows(graph_result(), n=2)
    assert [r["kg"] for r in rows] == [6.0, 3.0]
    assert rows[0]["en"] == "Raw materials · cells" and rows[0]["share_text"] == "6.0 %"   # 6 / 100


# --------------------------------------------------------------------------- checklists, limitations


def test_report_checklist_follows_the_pcr_and_names_sections():
    k = checklists(with_assessment("gbt-24067-generic"))
    assert k["report_source"] == "pcr"
    sections = {r["item"]: (r["section"], r["status"]) for r in k["report"] if r["item"] != "other"}
    assert sections["separate_ghg"] == ("2.2", "present")
    assert sections["uncertainty"] == ("2.5", "missing")
    assert sections["system_boundary"] == ("1.3", "present")
    assert sections["limitations"] == ("7", "present")
    assert [r["status"] for r in k["report"] if r["item"] == "other"] == ["verifier", "verifier"]


def test_declaration_checklist_names_the_stages_and_writes_the_figure_by_the_number_policy():
    # make_result: stages raw_material_acquisition 60 + production 40 = 100 kg CO2e per
    # reference flow of 40 kWh -> 2.5 kg CO2e/kWh, 4 significant figures "2.500" (pcf.core.numbers);
    # 6.4 names the stages as the stage table of 2.1 does, not by their keys
    k = checklists(with_assessment("eu-battery-cfb-ev"))
    found = {r["item"]: r["found"] for r in k["declaration"]}
    assert found["stage_breakdown"] == "Raw material acquisition, Production"
    assert found["footprint_per_declared_unit"] == "2.500 kg CO2e/kWh"
    assert not any("raw_material_acquisition" in r["found"] for r in k["declaration"] + k["report"])


def test_report_checklist_without_pcr_is_iso_14067_clause_7():
    k = checklists(make_result(assessed=False))
    assert k["report_source"] == "iso" and k["declaration"] is None
    assert [r["item"] for r in k["report"]][:3] == ["functional_unit", "reference_flow", "system_boundary"]
    assert all(r["confidence"] == "W" for r in k["report"])


def test_limitations_are_stated_from_the_result():
    r = make_result(data_quality=DataQuality(  # cradle-to-gate, nonconforming (1 nonconformity), illustrative classes
        primary_data_share=0.0, primary_data_share_percent=0.0, primary_kg_co2e=0.0, abs_kg_co2e=100.0, basis="",
        dqr=Dqr(ter=2.5, ger=2.5, tir=2.5, p=2.5, dqr=2.5), level="good", coverage=0.9, unrated_significant=(),
        items=()))
    en = [e for _, e in limitations(r)]
    assert any("partial CFP" in e for e in en)
    assert any(e.startswith("All activity data and emission factors are secondary") for e in en)
    assert any("DQR 2.50 (good), rated data cover 90.0 %" in e for e in en)
    assert any("1 nonconformities" in e and "not graded" in e for e in en)
    assert any("illustrative" in e for e in en)
    assert any("No uncertainty analysis" in e for e in en)
    u = Uncertainty(iterations=100, requested=100, failed=0, seed=1, deterministic_kg_co2e=100.0, unit="kg CO2e",
                    mean=100.0, median=100.0, sd=5.0, se_mean=0.5, p2_5=90.0, p97_5=115.0, per_declared_unit=None,
                    sampled={}, drivers=(), histogram=Histogram(edges=(), counts=()), background_note="",
                    method_note="")
    r = r.replace(result=dataclasses.replace(r.result, uncertainty=u))
    assert any("95 % interval 90.00–115.0 kg CO2e" in e for e in (e for _, e in limitations(r)))


def test_verification_context_lists_what_the_verifier_confirms():
    v = verification_context(with_assessment("eu-battery-cfb-ev"))
    assert v["conforms"] is True and v["n_nonconformities"] == 0
    assert "cathode materials" in v["checks"][0][1] and "Annex II point 1" in v["checks"][0][2]
    assert [c[:2] for c in v["checks"][1:]] == list(GENERAL_CHECKS)
    assert v["state"]["number_zh"] == "待签发"


# --------------------------------------------------------------------------- both examples, rendered


@pytest.fixture(scope="module")
def reports(open_default, tmp_path_factory):
    out = tmp_path_factory.mktemp("study")
    rendered = {}
    for name, path in EXAMPLES.items():
        declaration = compute(path)
        rendered[name] = (declaration, render_report(declaration, out / name),
                          render_verification(declaration, out / name))
    return rendered


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_report_numbers_equal_the_result(reports, name):
    declaration, report, _ = reports[name]
    result = declaration.result
    assert embedded_cjk_fonts(report)
    text = pdf_text(report)
    assert fmt.sig(result.total_kg_co2e) in text
    assert fmt.sig(result.per_declared_unit_kg_co2e) in text
    total = result.total_kg_co2e
    for stage, kg in result.stages.items():
        assert f"{fmt.sig(kg)} · {fmt.pct(kg / total)}" in text, stage      # the stage chart's bar label
    for row in contribution_rows(result):                                  # Figure 4's bar labels
        assert f"{row['kg_text']} · {row['share_text']}" in text, row["zh"]
    for pcr_stage, value in declaration.assessment.stages.items():
        assert fmt.sig(value) in text, pcr_stage
    for heading in ("1.3 系统边界", "图 1 系统边界", "图 2 各生命周期阶段碳足迹", "图 4 最大的 10 项贡献",
                    "6.5 报告内容", "7 局限性", "8 来源追溯", "9 核查声明"):
        assert heading in text, heading
    counts = boundary_context(result)["counts"]
    assert f"{counts['processes']} foreground processes" in text
    assert f"{counts['excluded']} excluded inputs" in text


def test_report_boundary_counts_match_the_models(reports):
    """The NMC811 model has 19 processes, the PV model 11 (their `processes:` lists); the NMC811
    study excludes 60 inputs (section 5 lists them)."""
    nmc811, pv = reports["nmc811"][0].result, reports["pv"][0].result
    assert boundary_context(nmc811)["counts"]["processes"] == 19
    assert boundary_context(pv)["counts"]["processes"] == 11
    assert boundary_context(nmc811)["counts"]["excluded"] == len(nmc811.cut_off) == 60


def test_nmc811_report_states_why_it_fails_and_pv_its_two_gradings(reports):
    nmc = pdf_text(reports["nmc811"][1])
    assert "6.4 声明内容" in nmc and "Reg. (EU) 2023/1542 Art. 7(1)(a)" in nmc
    assert "Annex II point 1" in nmc and "primary-data" in nmc
    assert "does not conform to its PCR" in nmc
    pv = pdf_text(reports["pv"][1])
    assert "Alternative grading: CRE simplified carbon assessment (ECS), PPE2 method — ECS>=550" in pv
    assert "6.4 声明内容" not in pv        # pv-module sets no declaration contents


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_verification_statement_is_one_a4_page(reports, name):
    declaration, _, statement = reports[name]
    result = declaration.result
    assert statement.name == f"{result.product.id}.verification.pdf"
    assert pages(statement) == 1
    assert page_size_pt(statement) == pytest.approx((595.276, 841.89), abs=0.05)   # A4: 210 x 297 mm
    assert embedded_cjk_fonts(statement)
    text = pdf_text(statement)
    assert "产品碳足迹核查声明（模板）" in text and result.product.id in text
    assert fmt.sig(result.per_declared_unit_kg_co2e) in text
    assert "待签发" in text and "ISO 14064-3:2019" in text
    verdict = "符合 conforms" if declaration.assessment.conforms else "不符合 does not conform"
    assert verdict in text


def test_cli_report_writes_the_statement_too(tmp_path):
    import json

    from typer.testing import CliRunner

    import cli

    path = tmp_path / "TEST-1.result.json"
    path.write_text(json.dumps(make_result().to_json()), encoding="utf-8")
    r = CliRunner().invoke(cli.app, ["report", str(path), "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["TEST-1.report.pdf", "TEST-1.verification.pdf"]
    assert re.search(r"产品碳足迹核查声明", subprocess.run(["pdftotext", str(tmp_path / "out" / "TEST-1.verification.pdf"), "-"],
                                                   capture_output=True, text=True).stdout)


@pytest.mark.parametrize("share, text", [
    (0.0025, "0.25 %"), (0.00004, "< 0.01 %"), (0.00005, "0.01 %"), (0.0, "0.00 %"), (None, "–"),
    (-0.00001, "> -0.01 %"),
])
def test_cut_off_shares_never_read_nothing_when_not_zero(share, text):
    """Cut-off table shares (section 5): two decimals of a percent; 0.004 % (an input cut off
    for being that small) reads "< 0.01 %", not "0.00 %" as if it weighed nothing."""
    from pcf.render.report import _percent

    assert _percent(share) == text
