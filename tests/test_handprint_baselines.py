"""Handprints against real baselines (issue 21 part 3): a cited value with its unit and source,
the weighted average of several results, the functional unit converted when it can be
(g CO2e/Wh, t CO2e/GWh, kg CO2e/MJ against kWh; MWh results against kWh) and refused when it
cannot (kg against kWh); ``pcf compare PRODUCT --claim handprint --baseline-value ... |
--baseline R --weight W``. Every expected number is worked out by hand in the test.

The product throughout: 12 kg CO2e per module, 400 kWh generated per module = 0.03 kg CO2e/kWh.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from pcf.compare.claims import CitedBaseline, handprint_against
from pcf.core.errors import ComparisonRefused
from tests.builders import declaration, document, result
from tests.conftest import flat

runner = CliRunner()
WHY = "each kWh the module generates replaces a kWh of grid electricity"
MEE = "MEE & NBS China, 2022 national average grid CO2 factor (2024-12-20)"


def product(**kw):
    return declaration(result(fossil=12.0, declared_per_reference_flow=400.0, declared_unit="kWh",
                              product_id="PV", **kw))


def alternative(kg_per_unit: float, name: str, unit: str = "kWh", per: float = 1000.0, **kw):
    """A baseline result of ``kg_per_unit`` kg CO2e per ``unit`` (``per`` units per reference flow)."""
    return declaration(result(fossil=kg_per_unit * per, declared_per_reference_flow=per, declared_unit=unit,
                              product_id=name, model_sha256=name.encode().hex().ljust(64, "0")[:64], **kw))


def test_handprint_against_a_cited_value_by_hand():
    c = handprint_against(product(), cited=CitedBaseline(0.5703, "kg CO2e/kWh", MEE), justification=WHY)
    # 0.5703 - 12 / 400 = 0.5703 - 0.03 = 0.5403 kg CO2e/kWh; 0.5403 / 0.5703 = 94.74 %
    assert c["total"]["baseline"] == pytest.approx(0.5703, rel=1e-12)
    assert c["total"]["product"] == pytest.approx(0.03, rel=1e-12)
    assert c["total"]["reduction"] == pytest.approx(0.5403, rel=1e-12)
    assert c["total"]["reduction_pct"] == pytest.approx(100 * 0.5403 / 0.5703, rel=1e-12)
    assert c["supported"] is True and c["claim"] == "handprint" and c["unit"] == "kg CO2e/kWh"
    b = c["baseline"]
    assert (b["kind"], b["value"], b["unit"], b["source"], b["basis"]) == ("cited", 0.5703, "kg CO2e/kWh", MEE, "CO2e")
    assert "0.5403 kg CO2e/kWh" in c["statement"]
    assert c["pcr"] == {"id": None, "version": None, "title": None} and c["stages"] == []


@pytest.mark.parametrize(("value", "unit", "expected"), [
    (570.3, "g CO2e/kWh", 0.5703),        # 570.3 g = 0.5703 kg
    (0.5703, "g CO2e/Wh", 0.5703),        # 0.5703 g per Wh = 570.3 g per kWh
    (570.3, "t CO2e/GWh", 0.5703),        # 570.3 t = 570,300 kg per 1,000,000 kWh
    (0.1, "kg CO2e/MJ", 0.36),            # 1 kWh = 3.6 MJ
    (0.5703, "kg CO2-eq/kWh", 0.5703),
])
def test_the_cited_unit_is_converted_to_the_declared_unit(value, unit, expected):
    c = handprint_against(product(), cited=CitedBaseline(value, unit, MEE), justification=WHY)
    assert c["baseline"]["per_declared_unit"] == pytest.approx(expected, rel=1e-12)
    assert c["total"]["reduction"] == pytest.approx(expected - 0.03, rel=1e-12)


def test_a_co2_only_baseline_is_said_to_understate_the_handprint():
    c = handprint_against(product(), cited=CitedBaseline(0.5366, "kg CO2/kWh", MEE), justification=WHY)
    [gases] = [x for x in c["conditions"] if "greenhouse gases" in x["condition"]]
    assert gases["met"] is None and "CO2 only" in gases["note"] and "understated" in gases["note"]
    assert c["baseline"]["basis"] == "CO2" and c["supported"] is True


@pytest.mark.parametrize(("unit", "declared", "needle"), [
    ("kg CO2e/kg", "kWh", "'kg' is mass"),           # per kg against per kWh
    ("kg CO2e/kWh", "kg", "'kWh' is energy"),        # per kWh against per kg
    ("kg CO2e/km", "kWh", "cannot convert"),
])
def test_a_functional_unit_that_does_not_convert_is_refused(unit, declared, needle):
    p = declaration(result(fossil=12.0, declared_per_reference_flow=400.0, declared_unit=declared))
    with pytest.raises(ComparisonRefused) as err:
        handprint_against(p, cited=CitedBaseline(1.0, unit, MEE), justification=WHY)
    assert needle in str(err.value) and "same function" in str(err.value)
    assert err.value.option == "baseline_unit"


@pytest.mark.parametrize(("cited", "option", "needle"), [
    (CitedBaseline(0.5, "kg/kWh", MEE), "baseline_unit", "'<mass> CO2e/<unit>'"),
    (CitedBaseline(0.5, "kWh CO2e/kWh", MEE), "baseline_unit", "does not fit"),      # not a mass
    (CitedBaseline(-0.1, "kg CO2e/kWh", MEE), "baseline_value", "at least 0"),
    (CitedBaseline(float("nan"), "kg CO2e/kWh", MEE), "baseline_value", "finite"),
    (CitedBaseline(0.5, "kg CO2e/kWh", "  "), "baseline_source", "needs its source"),
])
def test_a_bad_cited_baseline_is_refused(cited, option, needle):
    with pytest.raises(ComparisonRefused) as err:
        handprint_against(product(), cited=cited, justification=WHY)
    assert needle in str(err.value) and err.value.option == option


def test_a_handprint_needs_a_justification_and_exactly_one_kind_of_baseline():
    cited = CitedBaseline(0.5, "kg CO2e/kWh", MEE)
    with pytest.raises(ComparisonRefused, match="justified baseline"):
        handprint_against(product(), cited=cited, justification=" ")
    with pytest.raises(ComparisonRefused, match="not both"):
        handprint_against(product(), cited=cited, results=[alternative(0.5, "GRID")], justification=WHY)
    with pytest.raises(ComparisonRefused, match="needs a baseline"):
        handprint_against(product(), justification=WHY)
    with pytest.raises(ComparisonRefused, match="weights go with baseline results"):
        handprint_against(product(), cited=cited, weights=[1.0], justification=WHY)


def test_averaged_baseline_with_weights_by_hand():
    """Three alternatives: coal-heavy 0.8 kg CO2e/kWh (weight 0.5), a mix 600 kg CO2e/MWh =
    0.6 kg CO2e/kWh (0.3, converted from MWh), gas 0.4 (0.2): baseline 0.5 x 0.8 + 0.3 x 0.6 +
    0.2 x 0.4 = 0.4 + 0.18 + 0.08 = 0.66 kg CO2e/kWh; handprint 0.66 - 0.03 = 0.63 (95.45 %)."""
    results = [alternative(0.8, "COAL"), alternative(600.0, "MIX", unit="MWh", per=2.0), alternative(0.4, "GAS")]
    c = handprint_against(product(), results=results, weights=[0.5, 0.3, 0.2], justification=WHY)
    assert c["total"]["baseline"] == pytest.approx(0.66, rel=1e-12)
    assert c["total"]["reduction"] == pytest.approx(0.63, rel=1e-12)
    assert c["total"]["reduction_pct"] == pytest.approx(100 * 0.63 / 0.66, rel=1e-12)
    b = c["baseline"]
    assert b["kind"] == "results" and b["id"] == "weighted-average"
    assert [(m["id"], m["weight"]) for m in b["members"]] == [("COAL", 0.5), ("MIX", 0.3), ("GAS", 0.2)]
    assert [m["per_declared_unit"] for m in b["members"]] == pytest.approx([0.8, 0.6, 0.4], rel=1e-12)
    assert b["members"][1]["declared_unit_factor"] == pytest.approx(1000.0)      # 1 MWh = 1000 kWh
    # the fossil category averaged the same way: every figure here is fossil
    [fossil] = [r for r in c["ghg"] if r["name"] == "fossil"]
    assert fossil["baseline"] == pytest.approx(0.66, rel=1e-12) and fossil["product"] == pytest.approx(0.03)


def test_one_baseline_result_needs_no_weight():
    c = handprint_against(product(), results=[alternative(0.5, "GRID")], justification=WHY)
    assert c["baseline"]["id"] == "GRID" and c["total"]["reduction"] == pytest.approx(0.47, rel=1e-12)


@pytest.mark.parametrize(("weights", "needle"), [
    (None, "2 baseline results need 2 weights"),
    ([1.0], "need 2 weights"),
    ([0.5, 0.3], "sum to 0.8, not 1"),
    ([1.0, 0.0], "above 0"),
    ([1.2, -0.2], "above 0"),
])
def test_weights_must_be_stated_positive_and_sum_to_one(weights, needle):
    with pytest.raises(ComparisonRefused) as err:
        handprint_against(product(), results=[alternative(0.5, "A"), alternative(0.7, "B")], weights=weights,
                          justification=WHY)
    assert needle in str(err.value) and err.value.option == "weight"


def test_baseline_results_of_another_function_or_method_are_refused():
    with pytest.raises(ComparisonRefused, match="different functions"):
        handprint_against(product(), results=[alternative(2.0, "STEEL", unit="kg")], justification=WHY)
    with pytest.raises(ComparisonRefused, match="different characterisation methods"):
        handprint_against(product(), results=[alternative(0.5, "EF", method="ef-3.1-climate-change")],
                          justification=WHY)
    with pytest.raises(ComparisonRefused, match="the product itself"):
        handprint_against(product(), results=[product()], justification=WHY)


def _write(tmp_path: Path, name: str, d) -> Path:
    path = tmp_path / f"{name}.result.json"
    path.write_text(json.dumps(document(d.result)), encoding="utf-8")
    return path


def test_cli_handprint_against_a_cited_value(tmp_path):
    p = _write(tmp_path, "PV", product())
    out = runner.invoke(cli.app, ["compare", str(p), "--claim", "handprint", "--baseline-value", "570.3",
                                  "--baseline-unit", "g CO2e/kWh", "--baseline-source", MEE, "--justification", WHY,
                                  "--out", str(tmp_path / "out")])
    assert out.exit_code == 0, out.output
    assert "claim supported" in flat(out.output) and "0.5403" in out.output
    written = json.loads((tmp_path / "out/PV.vs.cited-baseline.handprint.json").read_text(encoding="utf-8"))
    assert written["total"]["reduction"] == pytest.approx(0.5403, rel=1e-12)
    assert (tmp_path / "out/PV.vs.cited-baseline.handprint.pdf").stat().st_size > 0
    # issue 20 (seen as PNG): a cited value has no GHG categories, so no empty table of them, and
    # the PDF names no project issue and no command as a condition's source or note; one page
    pdf = tmp_path / "out/PV.vs.cited-baseline.handprint.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "By GHG category" not in text and "issue 5" not in text and "pcf check" not in text, text
    assert "compared only under the same PCR" in " ".join(text.split())
    assert text.count("\f") == 1  # pages end with a form feed


def test_cli_handprint_against_weighted_results(tmp_path):
    p = _write(tmp_path, "PV", product())
    a, b = _write(tmp_path, "COAL", alternative(0.8, "COAL")), _write(tmp_path, "GAS", alternative(0.4, "GAS"))
    out = runner.invoke(cli.app, ["compare", str(p), "--claim", "handprint", "--baseline", str(a), "--weight", "0.75",
                                  "--baseline", str(b), "--weight", "0.25", "--justification", WHY,
                                  "--out", str(tmp_path / "out")])
    # 0.75 x 0.8 + 0.25 x 0.4 = 0.7; 0.7 - 0.03 = 0.67
    assert out.exit_code == 0, out.output
    assert "0.67" in out.output and "weight 0.75" in flat(out.output)
    assert (tmp_path / "out/PV.vs.weighted-average.handprint.pdf").stat().st_size > 0
    single = runner.invoke(cli.app, ["compare", str(p), "--claim", "handprint", "--baseline", str(a),
                                     "--justification", WHY, "--out", str(tmp_path / "one")])
    assert single.exit_code == 0, single.output      # 0.8 - 0.03 = 0.77
    assert "0.77" in single.output and (tmp_path / "one/PV.vs.COAL.handprint.pdf").stat().st_size > 0


@pytest.mark.parametrize(("args", "needle"), [
    (["--baseline-value", "1", "--baseline-unit", "kg CO2e/kg", "--baseline-source", MEE], "--baseline-unit"),
    (["--baseline-value", "1", "--baseline-unit", "kg CO2e/kWh"], "--baseline-source"),
    (["--baseline", "BASE", "--baseline", "BASE2"], "--weight"),
])
def test_cli_refusals_exit_2_naming_the_option(tmp_path, args, needle):
    p = _write(tmp_path, "PV", product())
    _write(tmp_path, "A", alternative(0.5, "A"))
    _write(tmp_path, "B", alternative(0.7, "B"))
    args = [a.replace("BASE2", str(tmp_path / "B.result.json")).replace("BASE", str(tmp_path / "A.result.json"))
            for a in args]
    out = runner.invoke(cli.app, ["compare", str(p), "--claim", "handprint", *args, "--justification", WHY,
                                  "--out", str(tmp_path / "out")])
    assert out.exit_code == 2, out.output
    assert needle in flat(out.output) and "Traceback" not in out.output
    assert not (tmp_path / "out").exists()


def test_cli_a_baseline_option_with_two_results_or_a_reduction_is_refused(tmp_path):
    p = _write(tmp_path, "PV", product())
    a = _write(tmp_path, "A", alternative(0.5, "A"))
    for args in ([str(a), str(p), "--baseline-value", "1"], [str(p), "--claim", "reduction", "--baseline", str(a)]):
        out = runner.invoke(cli.app, ["compare", *args, "--justification", WHY])
        assert out.exit_code == 2 and "handprint of ONE result" in flat(out.output)
