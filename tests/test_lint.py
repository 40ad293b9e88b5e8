"""Model lint (issue 14 part 4): unreachable processes, mass balance, duplicated background
inputs, input-level stage, the PCR's required stages; ``pcf lint`` and what ``pcf footprint``
does with the findings. Expected numbers are worked out by hand in each test.

The ``test-bg`` background (tests/conftest.py), per unit: steel [kg] 2.0 kg CO2 fossil;
elec [kWh] 0.5 CO2 + 0.001 CH4 fossil (29.8) + 0.0001 N2O (273) = 0.5571 kg CO2e / kWh
(IPCC AR6 GWP100); wood [kg] 0.1 CO2 fossil + 1.5 CO2 non-fossil + 0.2 CO2 from soil.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from pcf import api
from pcf.core.errors import ModelError
from pcf.model import load_model
from pcf.model.lint import MASS_BALANCE_TOLERANCE, bill_mass, lint_model
from pcf.pcr.assess import resolve_pcr
from pcf.pcr.lint import lint_stages
from tests.conftest import flat

runner = CliRunner()
REPO = Path(__file__).resolve().parents[1]

HEAD = """\
format: pcf-model/1
product:
  id: LINT
  name: Lint product
  process: assembly
  reference_flow: {amount: 1, unit: item}
study: {background: test-bg, method: ipcc-2021-gwp100}
"""

# assembly uses 1 item of part; orphan (end of life) is used by nobody.
ORPHAN = HEAD + """\
processes:
  - id: assembly
    name: Assembly
    stage: production
    output: {amount: 1, unit: item}
    inputs:
      - {process: part, amount: 1, unit: item}
      - {background: elec, amount: 10, unit: kWh}
  - id: part
    name: Part
    stage: raw_material_acquisition
    output: {amount: 1, unit: item}
    inputs:
      - {background: steel, amount: 2, unit: kg}
  - id: orphan
    name: Forgotten end of life
    stage: end_of_life
    output: {amount: 1, unit: item}
    inputs:
      - {background: steel, amount: 1, unit: kg}
"""


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line of ``text`` containing ``needle`` (counted in the test)."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def by_check(findings, check: str) -> list:
    return [f for f in findings if f.check == check]


# ------------------------------------------------------------------ reachability

def test_unreachable_process_is_an_error_at_its_line(write_model):
    path = write_model(ORPHAN)
    found = by_check(lint_model(load_model(path)), "unreachable-process")
    assert len(found) == 1
    f = found[0]
    assert (f.severity, f.process, f.file, f.line) == ("error", "orphan", str(path), line_of(ORPHAN, "id: orphan"))
    assert "not reachable from the reference process 'assembly'" in f.message
    assert "kept_because" in f.fix and "{process: orphan" in f.fix


def test_a_process_that_says_why_it_stays_is_accepted(write_model):
    text = ORPHAN.replace("    name: Forgotten end of life\n",
                          "    name: Forgotten end of life\n    kept_because: used by a scenario only\n")
    found = by_check(lint_model(load_model(write_model(text))), "unreachable-process")
    assert [(f.severity, f.process) for f in found] == [("info", "orphan")]
    assert "accepted: used by a scenario only" in found[0].message


def test_kept_because_on_a_reachable_process_is_a_warning(write_model):
    text = ORPHAN.replace("    name: Part\n", "    name: Part\n    kept_because: not needed\n")
    found = by_check(lint_model(load_model(write_model(text))), "unreachable-process")
    assert sorted((f.severity, f.process) for f in found) == [("error", "orphan"), ("warning", "part")]


def test_a_process_kept_for_a_scenario_is_reached_by_it_without_a_finding(write_model):
    text = ORPHAN.replace("    name: Forgotten end of life\n",
                          "    name: Forgotten end of life\n    kept_because: used by scenario with_eol\n")
    text += """\
scenarios:
  with_eol:
    replace:
      - {process: assembly, input: elec, with: {process: orphan, amount: 1, unit: item}}
"""
    path = write_model(text)
    assert [f.severity for f in by_check(lint_model(load_model(path)), "unreachable-process")] == ["info"]
    assert by_check(lint_model(load_model(path, scenario="with_eol")), "unreachable-process") == []


def test_reached_through_a_coproduct_id_counts(write_model):
    text = ORPHAN.replace("      - {process: part, amount: 1, unit: item}\n",
                          "      - {process: part, amount: 1, unit: item}\n      - {process: scrap, amount: 1, unit: kg}\n")
    text = text.replace("""  - id: orphan
    name: Forgotten end of life
    stage: end_of_life
    output: {amount: 1, unit: item}
""", """  - id: orphan
    name: Maker of scrap
    stage: production
    output: {amount: 1, unit: item, mass: 1}
    coproducts:
      - {id: scrap, name: scrap, amount: 1, unit: kg}
    allocation: {method: mass}
""")
    assert by_check(lint_model(load_model(write_model(text))), "unreachable-process") == []


def test_kept_because_must_not_be_empty(write_model):
    text = ORPHAN.replace("    name: Forgotten end of life\n", "    name: Forgotten end of life\n    kept_because: ''\n")
    with pytest.raises(ModelError) as exc:
        load_model(write_model(text))
    assert f":{line_of(text, 'kept_because')}:" in str(exc.value) and "kept_because" in str(exc.value)


# ------------------------------------------------------------------ CLI and footprint

def test_cli_lint_exits_1_on_an_error_and_prints_file_line(write_model):
    path = write_model(ORPHAN)
    result = runner.invoke(cli.app, ["lint", str(path)])
    assert result.exit_code == 1, result.output
    assert f"error {path}:{line_of(ORPHAN, 'id: orphan')}: unreachable-process" in " ".join(result.output.split())
    assert "fix:" in result.output and "1 error," in flat(result.output)   # one orphan: singular


def test_cli_lint_exits_0_without_errors_and_1_with_strict_on_warnings(write_model):
    # accepted orphan (info) and a duplicated background input (warning)
    text = ORPHAN.replace("    name: Forgotten end of life\n", "    name: Forgotten end of life\n    kept_because: kept\n")
    text = text.replace("      - {background: steel, amount: 2, unit: kg}\n",
                        "      - {background: steel, amount: 2, unit: kg}\n      - {background: steel, amount: 1, unit: kg}\n")
    path = write_model(text)
    assert runner.invoke(cli.app, ["lint", str(path)]).exit_code == 0
    strict = runner.invoke(cli.app, ["lint", str(path), "--strict"])
    assert strict.exit_code == 1 and "duplicate-input" in strict.output


def test_cli_footprint_prints_the_lint_warnings(bd, write_model, tmp_path):
    result = runner.invoke(cli.app, ["footprint", str(write_model(MASS)), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "warning" in text and "mass-balance" in text and "1 lint warning " in text


def test_cli_lint_of_an_invalid_model_exits_2(write_model):
    text = ORPHAN.replace("process: part, amount: 1", "process: nowhere, amount: 1")
    result = runner.invoke(cli.app, ["lint", str(write_model(text))])
    assert result.exit_code == 2 and "unknown process 'nowhere'" in flat(result.output)
    assert "Traceback" not in result.output


def test_footprint_refuses_an_unreachable_process_and_writes_nothing(bd, write_model, tmp_path):
    path = write_model(ORPHAN)
    out = tmp_path / "out"
    result = runner.invoke(cli.app, ["footprint", str(path), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert f"{path}:{line_of(ORPHAN, 'id: orphan')}:" in " ".join(result.output.split())
    assert not out.exists()
    with pytest.raises(ModelError, match="not reachable"):
        api.compute(path)


def test_batch_refuses_a_model_with_an_unreachable_process(bd, write_model, tmp_path):
    from pcf.batch import run_batch
    from pcf.core.errors import PCFError

    path = write_model(ORPHAN)
    table = tmp_path / "skus.csv"
    table.write_text("id,name\nA,first\nB,second\n", encoding="utf-8")
    with pytest.raises(PCFError) as exc:  # the model itself is invalid: the whole batch is refused
        run_batch(table, tmp_path / "out", path)
    assert f"{path}:{line_of(ORPHAN, 'id: orphan')}:" in str(exc.value) and "not reachable" in str(exc.value)
    assert not list(tmp_path.glob("out/*.result.json"))


# ------------------------------------------------------------------ mass balance

# exchange.product_mass 10 kg; assembly: 3 kg steel + 2 items of part (2 kg steel + 500 g wood
# each) + 5 kWh (not a mass) + a 100 kg lorry leg (not a material); ship (distribution) buys
# 50 kg of steel packaging: not part of the product.
# Bill = 3 + 2 x (2 + 0.5) = 8 kg; difference 8 - 10 = -2 kg = -20 % of the declared mass.
MASS = HEAD + """\
exchange:
  product_mass: {amount: 10, unit: kg}
processes:
  - id: assembly
    name: Assembly
    stage: production
    output: {amount: 1, unit: item}
    inputs:
      - {background: steel, amount: 3, unit: kg}
      - {process: part, amount: 2, unit: item}
      - {background: elec, amount: 5, unit: kWh}
      - {process: ship, amount: 1, unit: item}
    transport:
      - {mode: lorry, distance: 10, mass: 100, activity: {background: air}}
    excluded:
      - {name: glue, amount: 0.25, unit: kg, reason: no factor}
  - id: part
    name: Part
    stage: raw_material_acquisition
    output: {amount: 1, unit: item}
    inputs:
      - {background: steel, amount: 2, unit: kg}
      - {background: wood, amount: 500, unit: g}
  - id: ship
    name: Shipping
    stage: distribution
    output: {amount: 1, unit: item}
    inputs:
      - {background: steel, amount: 50, unit: kg}
"""


def test_mass_balance_gap_is_found_with_its_difference(write_model):
    text = MASS
    system = load_model(write_model(text))
    bill = bill_mass(system)
    assert bill.kg == pytest.approx(8.0)
    assert bill.excluded_kg == pytest.approx(0.25)
    found = by_check(lint_model(system), "mass-balance")
    assert len(found) == 1
    f = found[0]
    assert f.severity == "warning" and f.line == line_of(text, "product_mass:")
    # the one number policy (pcf.core.numbers, issue 20 part 1): 4 significant figures
    assert "product mass 10.00 kg" in f.message.lower() and "8.000 kg of materials" in f.message
    assert "difference -2.000 kg (-20.0 % of the declared mass)" in f.message
    assert "weigh 0.2500 kg more (not counted)" in f.message and "the 5 % tolerance" in f.message


def test_mass_balance_message_follows_the_number_policy(write_model):
    # declared 1180.209 kg against the 8 kg bill: difference 8 - 1180.209 = -1172.209 kg
    # = -99.32 % of the declared mass; 4 significant figures with thousands separators, never
    # the 6 of '%g' ("1180.21 kg", "-1172.21 kg")
    system = load_model(write_model(MASS.replace("amount: 10, unit: kg}", "amount: 1180.209, unit: kg}")))
    f = by_check(lint_model(system), "mass-balance")[0]
    assert "product mass 1,180 kg" in f.message.lower() and "8.000 kg of materials" in f.message
    assert "difference -1,172 kg (-99.3 % of the declared mass)" in f.message
    assert "1180.21" not in f.message and "1172.21" not in f.message


def test_mass_balance_within_the_tolerance_is_info(write_model):
    # declared 8.2 kg: difference -0.2 kg = -2.44 %, inside 5 %
    assert MASS_BALANCE_TOLERANCE == 0.05
    system = load_model(write_model(MASS.replace("amount: 10, unit: kg}", "amount: 8.2, unit: kg}")))
    f = by_check(lint_model(system), "mass-balance")[0]
    assert f.severity == "info" and "-0.2000 kg (-2.4 %" in f.message


def test_mass_balance_of_a_product_in_kg_and_of_a_stated_output_mass(write_model):
    # reference flow 2 kg of 'assembly' (output 1 kg): inputs 0.6 kg steel + 300 g wood per kg -> 1.8 kg
    # for 2 kg: -0.2 kg = -10 %
    text = HEAD.replace("reference_flow: {amount: 1, unit: item}", "reference_flow: {amount: 2, unit: kg}") + """\
processes:
  - id: assembly
    name: Assembly
    stage: production
    output: {amount: 1, unit: kg}
    inputs:
      - {background: steel, amount: 0.6, unit: kg}
      - {background: wood, amount: 300, unit: g}
"""
    f = by_check(lint_model(load_model(write_model(text))), "mass-balance")[0]
    assert f.severity == "warning" and "product mass 2.000 kg (the reference flow)" in f.message.lower()
    assert "difference -0.2000 kg (-10.0 %" in f.message
    # output.mass 0.9 kg per item x 2 items = 1.8 kg declared; bill 2 x 0.9 kg = 1.8 kg: balanced
    text2 = text.replace("reference_flow: {amount: 2, unit: kg}", "reference_flow: {amount: 2, unit: item}") \
        .replace("output: {amount: 1, unit: kg}", "output: {amount: 1, unit: item, mass: 0.9}")
    f2 = by_check(lint_model(load_model(write_model(text2, "m2.yaml"))), "mass-balance")[0]
    assert f2.severity == "info" and "difference 0 kg" in f2.message


def test_no_declared_mass_is_an_info(write_model):
    f = by_check(lint_model(load_model(write_model(ORPHAN))), "mass-balance")[0]
    assert f.severity == "info" and "no product mass" in f.message


# ------------------------------------------------------------------ duplicates

def test_same_background_input_twice_in_one_process(write_model):
    text = ORPHAN.replace("      - {background: elec, amount: 10, unit: kWh}\n",
                          "      - {background: elec, amount: 10, unit: kWh}\n"
                          "      - {background: steel, amount: 1, unit: kg}\n"
                          "      - {background: elec, amount: 4, unit: kWh}\n")
    found = by_check(lint_model(load_model(write_model(text))), "duplicate-input")
    assert [(f.severity, f.process) for f in found] == [("warning", "assembly")]
    first = line_of(text, "background: elec, amount: 10")
    second = line_of(text, "background: elec, amount: 4")
    assert found[0].line == second and f"(lines {first}, {second})" in found[0].message
    assert "'elec' is listed 2 times" in found[0].message
    # steel once in assembly and once in part: different processes, no finding


def test_duplicates_with_their_own_ids_are_accepted(write_model):
    text = ORPHAN.replace("      - {background: elec, amount: 10, unit: kWh}\n",
                          "      - {id: elec_drying, background: elec, amount: 10, unit: kWh}\n"
                          "      - {id: elec_forming, background: elec, amount: 4, unit: kWh}\n")
    found = by_check(lint_model(load_model(write_model(text))), "duplicate-input")
    assert [f.severity for f in found] == ["info"] and "elec_drying, elec_forming" in found[0].message


# ------------------------------------------------------------------ input-level stage

STAGED = HEAD + """\
processes:
  - id: assembly
    name: Assembly
    stage: production
    output: {amount: 1, unit: item}
    inputs:
      - {background: steel, amount: 2, unit: kg, stage: raw_material_acquisition}
      - {background: elec, amount: 10, unit: kWh}
"""


def test_input_stage_moves_its_burden_and_keeps_the_total(bd, write_model):
    # steel 2 kg x 2.0 = 4.0 kg CO2e; elec 10 kWh x 0.5571 = 5.571 kg CO2e; total 9.571
    staged = api.compute(write_model(STAGED)).result
    assert staged.stages["raw_material_acquisition"] == pytest.approx(4.0, rel=1e-6)
    assert staged.stages["production"] == pytest.approx(5.571, rel=1e-6)
    assert staged.total_kg_co2e == pytest.approx(9.571, rel=1e-6)
    assert staged.ghg_by_stage["raw_material_acquisition"].fossil == pytest.approx(4.0, rel=1e-6)
    steel = next(c for c in staged.contributions if c.background == "steel")
    assert steel.stage == "raw_material_acquisition" and steel.process == "assembly"
    plain = api.compute(write_model(STAGED.replace(", stage: raw_material_acquisition", ""), "plain.yaml")).result
    assert plain.stages.get("raw_material_acquisition", 0.0) == 0.0
    assert plain.stages["production"] == pytest.approx(9.571, rel=1e-6)
    assert plain.total_kg_co2e == pytest.approx(staged.total_kg_co2e, rel=1e-12)


def test_the_same_activity_split_over_two_stages(bd, write_model):
    # 2 kg steel as raw material (4.0) + 1 kg steel in production (2.0) + elec 5.571
    text = STAGED.replace("      - {background: elec, amount: 10, unit: kWh}\n",
                          "      - {background: elec, amount: 10, unit: kWh}\n"
                          "      - {id: tooling_steel, background: steel, amount: 1, unit: kg}\n")
    text = text.replace("{background: steel, amount: 2, unit: kg,", "{id: body_steel, background: steel, amount: 2, unit: kg,")
    r = api.compute(write_model(text)).result
    assert r.stages["raw_material_acquisition"] == pytest.approx(4.0, rel=1e-6)
    assert r.stages["production"] == pytest.approx(7.571, rel=1e-6)
    assert r.total_kg_co2e == pytest.approx(11.571, rel=1e-6)


def test_stage_on_a_foreground_input_is_refused(write_model):
    text = ORPHAN.replace("{process: part, amount: 1, unit: item}",
                          "{process: part, amount: 1, unit: item, stage: raw_material_acquisition}")
    with pytest.raises(ModelError) as exc:
        load_model(write_model(text))
    assert f":{line_of(text, 'stage: raw_material_acquisition}')}:" in str(exc.value)
    assert "set it there" in str(exc.value)


# ------------------------------------------------------------------ PCR required stages

# One production process buys its materials: raw material acquisition stays empty.
INHERIT = HEAD + """\
processes:
  - id: assembly
    name: Assembly
    stage: production
    output: {amount: 1, unit: item}
    inputs:
      - {background: steel, amount: 2, unit: kg}
      - {background: wood, amount: 1, unit: kg}
      - {background: elec, amount: 10, unit: kWh}
"""


def test_required_stage_filled_only_by_inheritance_is_found(write_model):
    pcr = resolve_pcr("gbt-24067-generic")
    assert "raw_material_acquisition" in pcr.required_stages.stages
    found = lint_stages(load_model(write_model(INHERIT)), pcr)
    assert [(f.check, f.severity) for f in found] == [("stage-inheritance", "warning")]
    f = found[0]
    assert "'raw_material_acquisition'" in f.message and "2 material (mass) inputs" in f.message
    assert f.line == line_of(INHERIT, "background: steel")
    assert "stage: raw_material_acquisition" in f.fix
    # stating the stage on one input is enough
    fixed = INHERIT.replace("{background: steel, amount: 2, unit: kg}",
                            "{background: steel, amount: 2, unit: kg, stage: raw_material_acquisition}")
    assert lint_stages(load_model(write_model(fixed, "fixed.yaml")), pcr) == []


def test_required_stages_without_candidates_name_no_input(write_model):
    # eu-battery-cfb-ev requires raw material acquisition, production, distribution and end of life
    found = lint_stages(load_model(write_model(INHERIT)), resolve_pcr("eu-battery-cfb-ev"))
    stages = {f.message.split("requires the stage ")[1].split(" ")[0]: f for f in found}
    assert sorted(stages) == ["'distribution'", "'end_of_life'", "'raw_material_acquisition'"]
    assert stages["'distribution'"].process is None and "take" not in stages["'distribution'"].message
    assert "2 material (mass) inputs take the stage of their process" in stages["'raw_material_acquisition'"].message


def test_cli_lint_checks_the_pcr_named(write_model):
    result = runner.invoke(cli.app, ["lint", str(write_model(INHERIT)), "--pcr", "gbt-24067-generic"])
    assert result.exit_code == 0 and "stage-inheritance" in result.output
    assert "PCR gbt-24067-generic" in flat(result.output)


# ------------------------------------------------------------------ result JSON and report

def test_findings_are_in_the_result_json_and_read_back(bd, write_model, tmp_path):
    text = MASS.replace("processes:\n", "processes:\n" + """\
  - id: spare
    name: Spare part kept for a later scenario
    stage: production
    kept_because: kept for a later scenario
    output: {amount: 1, unit: item}
""", 1)
    path = write_model(text)
    run = api.run_footprint(path, tmp_path / "out")
    data = json.loads(run.files["result"].read_text(encoding="utf-8"))
    checks = {(f["check"], f["severity"]) for f in data["lint"]}
    assert checks == {("mass-balance", "warning"), ("unreachable-process", "info")}
    mass = next(f for f in data["lint"] if f["check"] == "mass-balance")
    assert mass["line"] == line_of(text, "product_mass:") and mass["file"] == str(path)
    assert "difference -2.000 kg (-20.0 %" in mass["message"]
    from pcf.declaration import read_declaration

    again = read_declaration(run.files["result"])
    assert {f.check for f in again.result.lint} == {"mass-balance", "unreachable-process"}
    # pcf batch writes the same findings in each row's result
    from pcf.batch import run_batch

    table = tmp_path / "skus.csv"
    table.write_text("id\nA\n", encoding="utf-8")
    run_batch(table, tmp_path / "batch", path)
    row = api.batch_result(tmp_path / "batch", "A")  # rebuilt from the batch store
    assert row["lint"] == data["lint"]


def test_findings_are_in_the_report_context_and_html(bd, write_model):
    from pcf.render.output import render_template
    from pcf.render.label import prepare
    from pcf.render.report import report_context

    d = api.compute(write_model(MASS))
    rows = report_context(d, "Noto Sans CJK SC", "<svg/>")["lint"]
    assert [(r["check"], r["severity_en"], r["where"]) for r in rows] == [
        ("mass-balance", "Warning", f"model.yaml:{line_of(MASS, 'product_mass:')}")]
    font, env, svg = prepare(d, None)
    html = render_template(env, "report.html.j2", R=report_context(d, font, svg), css="")
    assert "1.4 模型检查 <span class=\"en\">Model checks</span>" in html and "difference -2.000 kg (-20.0 %" in html


def test_old_results_without_lint_still_read():
    from builders import result
    from pcf.lca.result import FootprintResult

    r = result()
    data = r.to_json()
    assert "lint" not in data  # made without lint: the key is absent
    assert FootprintResult.from_json(data).lint == r.lint


# ------------------------------------------------------------------ the shipped examples

@pytest.mark.parametrize("model", sorted(str(p.relative_to(REPO)) for p in (REPO / "examples").rglob("*.yaml")))
def test_examples_have_no_error_level_findings(model):
    run = api.lint(REPO / model)
    assert [f for f in run.findings if f.severity == "error"] == []
    assert run.exit_code == 0
