"""Hostile inputs (issue 19, parts 1-3): strict YAML 1.2, safe expressions, unit strings.

Each reproducer of the issue's red-team report, with its exact input, must give a pcf error
with ``file:line`` (never a traceback, never a hang); a seeded hypothesis property test then
asserts the same over generated expressions and YAML snippets.
"""

from __future__ import annotations

import json
import math
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pcf.core import yamlsrc
from pcf.core.errors import ExpressionError, ModelError, PCFError, PCRError, SourceError, UnitError
from pcf.core.units import MAX_UNIT_LENGTH, conversion_factor, parse_unit
from pcf.core.yamlsrc import load_text
from pcf.model import evaluate, load_model
from pcf.model.exprsyntax import MAX_DEPTH, MAX_LENGTH, names_in
from pcf.pcr import load_pcr

from test_model import GOOD, model_error

AMOUNT = "{process: b, amount: cap * 0.5, unit: t}"
UNIT = "{background: elec, amount: 3.6, unit: MJ}"


def _line_of(text: str, fragment: str) -> int:
    assert text.count(fragment) == 1, fragment
    return text[: text.index(fragment)].count("\n") + 1


def _with_amount(expression: str) -> str:
    """GOOD with the amount of its first input written as the quoted ``expression``."""
    return GOOD.replace(AMOUNT, "{process: b, amount: " + json.dumps(expression) + ", unit: t}")


# ---------------------------------------------------------------- YAML (part 1)

BILLION_LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{b}: &{b} [*{a},*{a},*{a},*{a},*{a},*{a},*{a},*{a},*{a}]\n" for a, b in zip("abcdefghi", "bcdefghij"))


def test_recursive_anchor_is_refused_with_its_line(write_model):
    text = GOOD.replace("processes:\n", "processes: &p [*p]\nunused:\n")
    err = model_error(write_model, text)
    assert err.line == _line_of(text, "processes: &p") and "recursive anchor" in err.message


def test_recursive_anchor_in_a_mapping():
    with pytest.raises(SourceError, match="recursive anchor"):
        load_text("a: &m {b: {c: *m}}\n")


@pytest.mark.parametrize("text", ["a: " + "[" * 10_000 + "]" * 10_000 + "\n",
                                  "a: " + "{b: " * 10_000 + "1" + "}" * 10_000 + "\n",
                                  "a:\n" + "- " * 10_000 + "1\n"])
def test_ten_thousand_deep_nesting_is_refused(text):
    with pytest.raises(SourceError, match=f"nested more than {yamlsrc.MAX_DEPTH} levels deep") as info:
        load_text(text, "deep.yaml")
    assert info.value.line is not None


def test_billion_laughs_is_refused_early():
    # 9 ** 9 = 387 million strings once expanded; refused at MAX_VALUES
    with pytest.raises(SourceError, match="after expanding aliases") as info:
        load_text(BILLION_LAUGHS, "lol.yaml")
    assert info.value.line == 5  # e: [*d, ...] expands to 9 ** 5 = 59,049 strings, past MAX_VALUES


def test_billion_laughs_in_a_model(write_model):
    text = GOOD + BILLION_LAUGHS.replace("a:", "x_a:", 1)
    err = model_error(write_model, text)
    assert "after expanding aliases" in err.message


def test_duplicate_key_names_both_lines(write_model):
    text = GOOD.replace("    stage: production\n", "    stage: production\n    name: Again\n")
    err = model_error(write_model, text)
    first, second = _line_of(text, "name: Assembly"), _line_of(text, "name: Again")
    assert err.line == second and f"first on line {first}" in err.message and "'name'" in err.message


def test_duplicate_key_in_a_flow_mapping():
    with pytest.raises(SourceError, match=r"'cap' is written twice .*first on line 1") as info:
        load_text("parameters: {cap: 1,\n  cap: 2}\n")
    assert info.value.line == 2


def test_yaml_1_1_surprises_cannot_happen(write_model):
    # PyYAML (YAML 1.1) read NO as false and 0151 as 105 (octal)
    text = GOOD.replace("name: Test product", "name: NO").replace("{cap: 10, years: 8}", "{cap: 0151, years: 8}")
    system = load_model(write_model(text))
    assert system.model.product.name == "NO"
    assert system.parameters["cap"] == 151


def test_core_schema_values():
    data, _ = load_text("a: yes\nb: off\nc: 0o17\nd: 0x1F\ne: 1.5e3\nf: null\ng: true\nh: '0151'\n")
    assert data == {"a": "yes", "b": "off", "c": 15, "d": 31, "e": 1500.0, "f": None, "g": True, "h": "0151"}


def test_integer_of_more_than_4300_digits_in_yaml(write_model):
    text = GOOD.replace("{cap: 10, years: 8}", "{cap: " + "1" * 5000 + ", years: 8}")
    err = model_error(write_model, text)
    assert err.line == _line_of(text, "parameters:") and "4,300 digits" in err.message


def test_thirty_megabytes_of_comments_is_refused_by_size(write_model):
    text = GOOD + ("# " + "x" * 998 + "\n") * 30_000
    err = model_error(write_model, text)
    assert "characters" in err.message and f"{yamlsrc.MAX_CHARS:,}" in err.message


def test_many_values_are_refused(monkeypatch):
    monkeypatch.setattr(yamlsrc, "MAX_VALUES", 1000)  # the limit's logic, at a size quick to parse
    load_text("a: [" + "1," * 997 + "]\n")  # 1000 values: the mapping, its key, the list, 997 items
    with pytest.raises(SourceError, match="more than 1,000 values in one file"):
        load_text("a: [" + "1," * 998 + "]\n")


@pytest.mark.parametrize("text, message", [
    ("a: &a {x: 1}\nb:\n  <<: *a\n", "merge keys"),
    ("x: !!python/object/apply:os.system [ls]\n", "not allowed"),
    ("x: !local 1\n", "not allowed"),
    ("a: !!set {x, y}\n", "not allowed"),
    ("? [a]\n: 1\n", "a key must be a plain value"),
    ("a: 1\n---\nb: 2\n", "single document"),
    ("a: *nowhere\n", "undefined alias"),
    ("a: \"\x01\"\n", re.escape("U+0001")),
    ("d: 2024-13-45\n", "month"),
])
def test_other_refusals_have_a_line(text, message):
    with pytest.raises(SourceError, match=message) as info:
        load_text(text, "x.yaml")
    assert info.value.line is not None


def test_a_yaml_1_1_directive_is_refused_on_its_line_without_a_warning():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # ruamel warns about 1e-11 under 1.1; nothing may reach the user
        with pytest.raises(SourceError, match="declares %YAML 1.1; pcf reads YAML 1.2") as info:
            load_text("# a comment\n%YAML 1.1\n---\na: 1e-11\n", "x.yaml")
        assert info.value.line == 2
        assert load_text("%YAML 1.2\n---\na: 1e-11\nb: |\n  %YAML 1.1 is text here\n", "x.yaml")[0] == {
            "a": 1e-11, "b": "%YAML 1.1 is text here\n"}


def test_a_folder_where_the_model_should_be(tmp_path):
    with pytest.raises(ModelError, match="is a folder"):
        load_model(tmp_path)


def test_a_nul_character_in_the_model_name(tmp_path):
    with pytest.raises(ModelError, match="not a file name"):  # was a ValueError from open()
        load_model(f"{tmp_path}/a\0b.yaml")


def test_aliases_still_work_within_bounds():
    data, lines = load_text("base: &b {unit: kg, amount: 2}\nuse: [*b, *b]\n")
    assert data["use"] == [{"unit": "kg", "amount": 2}] * 2
    assert data["use"][0] is not data["use"][1]  # every use is its own copy
    # the alias's value is on the alias's line; what is inside it, where the anchor wrote it
    assert lines.line_of(("use", 1)) == 2 and lines.line_of(("use", 1, "unit")) == 1


def test_pcr_reproducers(tmp_path):
    from test_pcr import write_variant

    path, line = write_variant(tmp_path, "format: pcf-pcr/1\n", "format: pcf-pcr/1\nloop: &p [*p]\n")
    with pytest.raises(PCRError, match=rf"^{path}:{line + 1}: invalid YAML: a recursive anchor"):
        load_pcr(path)
    path, _ = write_variant(tmp_path, "format: pcf-pcr/1\n", "format: pcf-pcr/1\n" + BILLION_LAUGHS)
    with pytest.raises(PCRError, match="after expanding aliases"):
        load_pcr(path)
    path, line = write_variant(tmp_path, "format: pcf-pcr/1\n", "format: pcf-pcr/1\nbig: " + "9" * 5000 + "\n")
    with pytest.raises(PCRError, match=rf"^{path}:{line + 1}: .*4,300 digits"):
        load_pcr(path)


# ---------------------------------------------------------------- expressions (part 2)

@pytest.mark.parametrize("expression, value", [
    ("round(2.345, 2)", 2.35),      # 2.345 is 2.34500000000000019984 as a double
    ("round(1234, -2)", 1200.0),
    ("round(2.5)", 2.0),            # Python's round: half to even
    ("round(1e300, 400)", 1e300),   # the PCR mutant: more decimals than a double has
    ("max(1)", 1.0),
    ("min(7)", 7.0),
    ("max(1, 5, 3)", 5.0),
    ("abs(-3)", 3.0),
])
def test_documented_functions_and_arities(expression, value):
    assert evaluate(expression, {}) == value


def test_round_in_a_model_amount(write_model):
    system = load_model(write_model(GOOD.replace("per_reference_flow: cap * years", 'per_reference_flow: "round(cap / 3, 2)"')))
    assert system.declared_per_reference_flow == 3.33


@pytest.mark.parametrize("expression, message", [
    ("max()", r"max\(\) takes 1 or more argument"),
    ("abs(1, 2)", r"abs\(\) takes 1 argument"),
    ("round(1, 2, 3)", r"round\(\) takes 1 or 2 argument"),
    ("round(1.5, 0.5)", "whole number"),
    ("max(x=1)", "plain arguments"),
    ("(-8)**(1/3)", "not a real number"),
    ("10**400", "too large"),
    ("1" * 400, "too large"),
    ("1e308 * 10", "not a finite number"),
    ("1 / (1e308 * 10)", "not a finite number"),
    ("0 ** -1", "division by zero"),
])
def test_expression_failures_are_expression_errors(expression, message):
    with pytest.raises(ExpressionError, match=message):
        evaluate(expression, {})


@pytest.mark.parametrize("expression, message", [
    ("max(1)", None),
    ("(-8)**(1/3)", "not a real number"),
    ("10**400", "too large"),
    ("1" * 5000, "characters"),                           # more than 4,300 digits (a ValueError)
    ("-" * 10_000 + "1", "characters"),                   # RecursionError before
    ("+".join(["1"] * 100_000), "characters"),            # RecursionError before
    ("-" * (MAX_DEPTH + 1) + "1", "levels deep"),
    ("+".join(["cap"] * (MAX_DEPTH + 2)), "levels deep"),
    ("round(cap, 1.5)", "whole number"),
])
def test_expression_reproducers_in_a_model_have_file_and_line(write_model, expression, message):
    text = _with_amount(expression)
    if message is None:
        load_model(write_model(text))
        return
    err = model_error(write_model, text)
    assert err.line == _line_of(text, "{process: b, amount:") and message in err.message


def test_huge_integer_amount_in_yaml(write_model):
    text = _with_amount("1" + "0" * 400)  # a YAML integer, no expression
    err = model_error(write_model, text)
    assert err.line == _line_of(text, "{process: b, amount:") and "too large" in err.message


def test_length_and_depth_bounds_apply_to_names_in():
    with pytest.raises(ExpressionError, match="characters"):
        names_in("a" * (MAX_LENGTH + 1))
    with pytest.raises(ExpressionError, match="levels deep"):
        names_in("+".join(["a"] * (MAX_DEPTH + 2)))
    assert names_in("round(a, n) + max(b)") == {"a", "n", "b"}


# ---------------------------------------------------------------- units (part 3)

@pytest.mark.parametrize("unit", ["\x80", "\u00a1", "\u20ac", "@", "d^0", "g/0", "{", "\u00b2"])
def test_pint_internal_errors_are_unit_errors(unit):
    # pint raised AssertionError ("\x80", "¡", "€", "@"), KeyError ("d^0"), ZeroDivisionError ("g/0"),
    # tokenize.TokenError ("{") for these
    with pytest.raises(UnitError, match="unknown unit"):
        parse_unit(unit)


def test_hundred_thousand_character_unit_is_refused_before_pint():
    with pytest.raises(UnitError, match=f"at most {MAX_UNIT_LENGTH}"):
        conversion_factor("k" * 100_000, "kg")


def test_unit_reproducers_in_a_model_have_file_and_line(write_model):
    for unit in ["\u00a1", "\u20ac", "\u20ac" * 100_000]:
        text = GOOD.replace(UNIT, "{background: elec, amount: 3.6, unit: \"" + unit + "\"}")
        err = model_error(write_model, text)
        assert err.line == _line_of(text, "{background: elec") and "unit" in err.message


def test_a_unit_that_overflows_a_conversion():
    with pytest.raises(UnitError, match="not a finite"):
        conversion_factor("kg**400", "g**400")


# ---------------------------------------------------------------- properties

NAMES = {"a": 2.0, "b": -3.5, "c": 1e-9}
_atoms = st.one_of(st.sampled_from(["a", "b", "c", "0", "1", "-1", "1e308", "1e-308", "0.5", "400", "3",
                                    "10**400", "x", "'s'", "True"]),
                   st.floats(allow_nan=False, allow_infinity=False).map(repr),
                   st.integers(-10**12, 10**12).map(str))


def _grow(children):
    binary = st.tuples(children, st.sampled_from(["+", "-", "*", "/", "//", "%", "**"]), children).map(
        lambda t: f"({t[0]} {t[1]} {t[2]})")
    unary = st.tuples(st.sampled_from(["-", "+", "--"]), children).map("".join)
    call = st.tuples(st.sampled_from(["min", "max", "abs", "round", "pow", "eval"]),
                     st.lists(children, max_size=4)).map(lambda t: f"{t[0]}({', '.join(t[1])})")
    return st.one_of(binary, unary, call)


EXPRESSIONS = st.one_of(st.recursive(_atoms, _grow, max_leaves=12), st.text(max_size=60))


@settings(max_examples=400, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(EXPRESSIONS)
def test_any_expression_gives_a_finite_value_or_an_expression_error(expression):
    try:
        value = evaluate(expression, NAMES)
    except ExpressionError:
        return
    assert isinstance(value, float) and math.isfinite(value)


_YAML_TOKENS = st.sampled_from(["a", "b: ", "- ", "[", "]", "{", "}", ", ", ": ", "\n", "  ", "&x ", "*x", "&y ", "*y",
                                "!!int ", "!!str ", "!foo ", "<<: ", "? ", "|\n  ", "'", '"', "#", "NO", "0151", "1e400",
                                ".nan", "9" * 4400, "---\n", "%YAML 1.2\n", "\t", "\x80", "\ufeff", "~", "2024-02-30"])
YAML_SNIPPETS = st.one_of(st.lists(_YAML_TOKENS, max_size=40).map("".join), st.text(max_size=200))


@settings(max_examples=400, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(YAML_SNIPPETS)
def test_any_yaml_snippet_loads_or_gives_a_source_error(text):
    try:
        load_text(text, "fuzz.yaml")
    except SourceError as exc:
        assert str(exc).startswith("fuzz.yaml")


@settings(max_examples=60, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(GOOD.split("\n")[1:]), YAML_SNIPPETS, st.one_of(EXPRESSIONS, st.text(max_size=30)))
def test_any_mutated_model_gives_a_pcf_error_or_a_system(tmp_path_factory, line, snippet, expression):
    text = GOOD.replace(line, line + snippet, 1).replace("cap * 0.5", expression.replace("\n", " ") or "1", 1)
    path = tmp_path_factory.mktemp("fuzz") / "model.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load_model(path)
    except PCFError:
        pass


@settings(max_examples=200, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(max_size=80))
def test_any_unit_string_parses_or_gives_a_unit_error(unit):
    try:
        parse_unit(unit)
    except UnitError:
        pass


def test_writers_quote_what_yaml_1_2_would_read_as_numbers():
    # PyYAML (a YAML 1.1 writer) leaves 1e3 and 0o17 plain; pcf's 1.2 reader would read numbers
    from types import SimpleNamespace

    from pcf.background.search import yaml_scalar
    from pcf.importers.premise import model_yaml

    names = ["1e3", "0o17", "NO", "null", "2024-01-01", "steel, virgin", "plain"]
    report = SimpleNamespace(source="x.xlsx", product="p", reference_unit="kg", linked_mass_share=1.0,
                             unlinked_ghg_share=0.0)
    data, _ = load_text(model_yaml({"names": names}, report))
    assert data == {"names": names}
    assert [load_text("a: " + yaml_scalar(n))[0]["a"] for n in names] == names
    assert not yamlsrc.plain_is_text("1e3") and yamlsrc.plain_is_text("NO")
