"""Model loader: validation, errors with file:line, units and safe expressions."""

from __future__ import annotations

import textwrap

import pytest

from pcf.core.errors import ExpressionError, ModelError, UnitError
from pcf.model import conversion_factor, evaluate, load_model

GOOD = textwrap.dedent("""\
    format: pcf-model/1
    product:
      id: P1
      name: Test product
      process: a
      reference_flow: {amount: 2, unit: item}
      declared_unit: {unit: kWh, per_reference_flow: cap * years}
    parameters: {cap: 10, years: 8}
    processes:
      - id: a
        name: Assembly
        stage: production
        output: {amount: 1, unit: item}
        inputs:
          - {process: b, amount: cap * 0.5, unit: t}
          - {background: elec, amount: 3.6, unit: MJ}
        emissions:
          - {substance: carbon dioxide, origin: fossil, amount: 500, unit: g}
        excluded:
          - {name: glue, amount: 0.01, unit: kg, reason: no factor}
      - id: b
        name: Material
        stage: raw_material_acquisition
        output: {amount: 1, unit: kg}
    """)


def test_good_model_resolves_amounts_and_units(write_model):
    system = load_model(write_model(GOOD))
    a = system.processes["a"]
    # cap * 0.5 t = 5 t = 5000 kg, converted to b's output unit (kg)
    assert a.inputs[0].amount == pytest.approx(5000.0)
    assert a.inputs[0].unit == "kg"
    # background inputs keep their unit until linked
    assert (a.inputs[1].amount, a.inputs[1].unit) == (3.6, "MJ")
    assert a.emissions[0].amount == pytest.approx(0.5)  # 500 g = 0.5 kg
    assert system.reference_amount == 2.0
    assert system.declared_per_reference_flow == 80.0  # 10 * 8
    assert len(system.sha256) == 64


def test_overrides_replace_parameters(write_model):
    system = load_model(write_model(GOOD), overrides={"cap": 20})
    assert system.processes["a"].inputs[0].amount == pytest.approx(10000.0)
    assert system.declared_per_reference_flow == 160.0


def model_error(write_model, text: str) -> ModelError:
    """The ModelError of loading ``text`` (written with the ``write_model`` fixture); its message
    starts with the file's path (also used by tests/test_strict_inputs.py)."""
    path = write_model(text)
    with pytest.raises(ModelError) as info:
        load_model(path)
    assert str(info.value).startswith(f"{path}:")
    return info.value


def test_unknown_field_is_reported_at_its_line(write_model):
    err = model_error(write_model, GOOD.replace("    stage: production\n", "    stage: production\n    colour: red\n"))
    assert err.line == 13
    assert "colour" in err.message


def test_bad_stage_names_the_allowed_stages(write_model):
    err = model_error(write_model, GOOD.replace("stage: raw_material_acquisition", "stage: mining"))
    assert err.line == GOOD.splitlines().index("    stage: raw_material_acquisition") + 1
    assert "raw_material_acquisition" in err.message and "mining" in err.message


def test_unknown_process_reference(write_model):
    err = model_error(write_model, GOOD.replace("{process: b,", "{process: bb,"))
    assert err.line == 15
    assert "'bb'" in err.message and "a, b" in err.message


def test_unknown_parameter_in_expression(write_model):
    err = model_error(write_model, GOOD.replace("cap * 0.5", "capacity * 0.5"))
    assert err.line == 15
    assert "unknown parameter 'capacity'" in err.message


def test_dimension_mismatch(write_model):
    err = model_error(write_model, GOOD.replace("amount: cap * 0.5, unit: t", "amount: cap * 0.5, unit: kWh"))
    assert err.line == 15
    assert "cannot convert 'kWh' to 'kg'" in err.message


def test_duplicate_process_id(write_model):
    err = model_error(write_model, GOOD.replace("- id: b", "- id: a"))
    assert "duplicate process id 'a'" in err.message


def test_missing_reference_process(write_model):
    err = model_error(write_model, GOOD.replace("process: a\n", "process: zz\n", 1))
    assert err.line == 5 and "'zz'" in err.message


def test_invalid_yaml_has_parser_line(write_model):
    err = model_error(write_model, GOOD.replace("parameters: {cap: 10, years: 8}", "parameters: {cap: 10, years: 8"))
    assert err.line is not None and "invalid YAML" in err.message


def test_wrong_format_tag(write_model):
    err = model_error(write_model, GOOD.replace("pcf-model/1", "pcf-model/9"))
    assert err.line == 1


def test_negative_removal_is_refused(write_model):
    text = GOOD.replace("    excluded:", "    removals:\n      - {substance: carbon dioxide, origin: biogenic, amount: -1}\n    excluded:")
    err = model_error(write_model, text)
    assert "positive" in err.message


def test_missing_file():
    with pytest.raises(ModelError, match="file not found"):
        load_model("/nonexistent/model.yaml")


def test_unknown_override(write_model):
    with pytest.raises(ModelError, match="unknown parameter 'nope'"):
        load_model(write_model(GOOD), overrides={"nope": 1})


@pytest.mark.parametrize(
    "src, dst, factor",
    [("t", "kg", 1000.0), ("g", "kg", 1e-3), ("MWh", "kWh", 1000.0), ("MJ", "kWh", 1 / 3.6),
     ("kWp", "Wp", 1000.0), ("kg km", "tkm", 1e-3), ("m2", "m2", 1.0), ("item", "item", 1.0), ("GJ", "MJ", 1000.0)],
)
def test_unit_conversion(src, dst, factor):
    assert conversion_factor(src, dst) == pytest.approx(factor, rel=1e-12)


@pytest.mark.parametrize("src, dst", [("kg", "kWh"), ("Wp", "W"), ("item", "kg"), ("tkm", "km")])
def test_unit_dimension_mismatch(src, dst):
    with pytest.raises(UnitError, match="cannot convert"):
        conversion_factor(src, dst)


def test_unknown_unit():
    with pytest.raises(UnitError, match="unknown unit 'blorps'"):
        conversion_factor("blorps", "kg")


def test_expressions_are_arithmetic_only():
    assert evaluate("a * (b + 1) ** 2 / 4", {"a": 2, "b": 3}) == 8.0
    assert evaluate("max(a, 3) - min(1, 2)", {"a": 5}) == 4.0
    for bad in ('__import__("os").system("echo hi")', "a.__class__", "[1][0]", "lambda: 1", "'text'"):
        with pytest.raises(ExpressionError):
            evaluate(bad, {"a": 1})
    with pytest.raises(ExpressionError, match="division by zero"):
        evaluate("1 / (a - 1)", {"a": 1})


def test_unquoted_comma_in_flow_mapping_suggests_quotes(write_model):
    err = model_error(write_model, GOOD.replace("{name: glue,", "{name: glue, epoxy,"))
    assert "'processes[0].excluded[0].epoxy'" in err.message and "quotes" in err.message


def test_a_product_id_longer_than_160_characters_is_refused_at_its_line(write_model):
    """An id names the output files (255 bytes a name, with the file kind added) and is in an issued
    label's QR code: at most 160 characters (pcf.core.files.MAX_PRODUCT_ID_BYTES); 160 load."""
    assert load_model(write_model(GOOD.replace("  id: P1", "  id: " + "P" * 160))).model.product.id == "P" * 160
    err = model_error(write_model, GOOD.replace("  id: P1", "  id: " + "P" * 161))
    assert err.line == 3 and "product.id" in err.message and "at most 160 characters" in err.message
