"""Impossible product systems are refused before anything is written (issue 14 part 3).

Two foreground processes in a loop, on the ``test-bg`` background (tests/conftest.py):
``a`` makes 1 kg and uses ``x`` kg of ``b`` and 1 kg steel (2.0 kg CO2e / kg); ``b`` makes
1 kg and uses ``y`` kg of ``a`` and 1 kWh electricity (0.5 + 0.001 x 29.8 + 0.0001 x 273 =
0.5571 kg CO2e / kWh, IPCC AR6 GWP100). The input coefficients are ``C = [[0, y], [x, 0]]``
(kg of row per kg of column); the loop a -> b -> a uses ``x y`` kg of a per kg of a made.

- x = 3, y = 0.5: the loop uses 1.5 kg a per kg a made (>= 1). Solving anyway gives
  s_a = 1 / (1 - 1.5) = -2 runs: a negative supply and a negative footprint. Refused.
- x y = 1 (1:1 loops, in any units): I - C is singular. Refused.
- x = y = 0.5: the loop uses 0.25 kg a per kg a; the supply is the geometric series
  s_a = 1 + 0.25 + 0.25^2 + ... = 1 / (1 - 0.25) = 4/3 and s_b = 0.5 s_a = 2/3, which is
  also the first column of (I - C)^-1 = 1 / (1 - 0.25) [[1, 0.5], [0.5, 1]]. Footprint
  4/3 x 2.0 + 2/3 x 0.5571 = 2.666667 + 0.3714 = 3.038067 kg CO2e.
"""

from __future__ import annotations

import csv
import math
import textwrap

import numpy as np
import pytest
from typer.testing import CliRunner

import cli
from builders import declaration
from pcf.core.errors import CalculationError, ModelError
from pcf.declaration import write_declaration
from pcf.lca import footprint
from pcf.lca.feasibility import PRODUCTIVE_MARGIN, refuse_non_finite
from pcf.model import load_model
from pcf.model.loader import MAGNITUDE_RANGE
from tests.conftest import flat

runner = CliRunner()

ELEC = 0.5 + 0.001 * 29.8 + 0.0001 * 273  # [kg CO2e / kWh]
STEEL = 2.0  # [kg CO2e / kg]


def loop_model(product: str, x: str, y: str, unit_x: str = "kg", unit_y: str = "kg",
               reference: str = "1") -> str:
    return textwrap.dedent(f"""\
        format: pcf-model/1
        product:
          id: {product}
          name: Loop
          process: a
          reference_flow: {{amount: {reference}, unit: kg}}
        study: {{background: test-bg, method: ipcc-2021-gwp100}}
        processes:
          - id: a
            name: A
            stage: production
            output: {{amount: 1, unit: kg}}
            inputs:
              - {{process: b, amount: {x}, unit: {unit_x}}}
              - {{background: steel, amount: 1, unit: kg}}
          - id: b
            name: B
            stage: raw_material_acquisition
            output: {{amount: 1, unit: kg}}
            inputs:
              - {{process: a, amount: {y}, unit: {unit_y}}}
              - {{background: elec, amount: 1, unit: kWh}}
        """)


def line(text: str, needle: str) -> int:
    """1-based line of the first line of ``text`` containing ``needle``."""
    return next(i for i, t in enumerate(text.splitlines(), 1) if needle in t)


def test_loop_using_more_than_it_makes_is_refused_by_the_cli(bd, write_model, tmp_path):
    text = loop_model("IMPOSSIBLE-3x05", "3", "0.5")
    model = write_model(text)
    out = tmp_path / "out"
    result = runner.invoke(cli.app, ["footprint", str(model), "--out", str(out), "--label", "--report"])
    message = flat(result.output)
    assert result.exit_code == 2, result.output
    a_uses_b, b_uses_a = line(text, "process: b"), line(text, "process: a,")
    assert f"{model}:{a_uses_b}:" in message.replace(" ", "")
    assert "a → b → a" in message
    assert f"a uses 3 kg of b per kg of a ({model}:{a_uses_b})" in message
    assert f"b uses 0.5 kg of a per kg of b ({model}:{b_uses_a})" in message
    assert "consumes 1.5 kg of a per kg of a made (≥ 1)" in message
    assert f"a ({model}:{line(text, 'id: a')})" in message and f"b ({model}:{line(text, 'id: b')})" in message
    assert "Traceback" not in result.output
    assert not out.exists()  # no result, label or report
    assert "pcf-fg-IMPOSSIBLE-3x05" not in bd.databases  # refused before the foreground is written


def test_refused_into_an_existing_folder_leaves_it_empty(bd, write_model, tmp_path):
    model = write_model(loop_model("IMPOSSIBLE-EXISTING", "3", "0.5"))
    out = tmp_path / "out"
    out.mkdir()
    result = runner.invoke(cli.app, ["footprint", str(model), "--out", str(out)])
    assert result.exit_code == 2
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("x, unit_x, y, unit_y", [
    ("1", "kg", "1", "kg"),
    ("1000", "g", "1", "kg"),       # 1000 g = 1 kg of b per kg of a
    ("0.001", "t", "1000", "g"),
    ("2", "kg", "0.5", "kg"),
    ("0.1", "kg", "10", "kg"),
    ("1/3", "kg", "3", "kg"),       # 1/3 x 3 = 1 up to rounding
    ("0.7", "kg", "1/0.7", "kg"),
    ("1e-3", "t", "1e3", "g"),
])
def test_singular_one_to_one_loops_are_refused(bd, write_model, tmp_path, x, unit_x, y, unit_y):
    text = loop_model("IMPOSSIBLE-ONE", x, y, unit_x, unit_y)
    model = write_model(text)
    with pytest.raises(ModelError) as err:
        footprint(load_model(model))
    message = str(err.value)
    assert message.startswith(f"{model}:{line(text, 'process: b')}:")
    assert "loop a → b → a" in message and "the technosphere matrix is singular" in message
    assert "pcf-fg-IMPOSSIBLE-ONE" not in bd.databases


def test_three_process_loop_and_self_loop_are_named(bd, write_model):
    three = textwrap.dedent("""\
        format: pcf-model/1
        product: {id: IMPOSSIBLE-3, name: Three, process: a, reference_flow: {amount: 1, unit: kg}}
        study: {background: test-bg, method: ipcc-2021-gwp100}
        processes:
          - id: a
            name: A
            stage: production
            output: {amount: 1, unit: kg}
            inputs: [{process: b, amount: 2, unit: kg}]
          - id: b
            name: B
            stage: production
            output: {amount: 1, unit: kg}
            inputs: [{process: c, amount: 0.25, unit: kg}, {background: steel, amount: 1, unit: kg}]
          - id: c
            name: C
            stage: production
            output: {amount: 1, unit: kg}
            inputs: [{process: a, amount: 2, unit: kg}]
        """)
    with pytest.raises(ModelError) as err:
        footprint(load_model(write_model(three)))
    assert "loop a → b → c → a" in str(err.value)
    assert "consumes 1 kg of a per kg of a made" in str(err.value)  # 2 x 0.25 x 2

    self_loop = loop_model("IMPOSSIBLE-SELF", "0", "0.5").replace("{process: b, amount: 0", "{process: a, amount: 1.2")
    with pytest.raises(ModelError) as err:
        footprint(load_model(write_model(self_loop, "self.yaml")))
    assert "loop a → a" in str(err.value) and "a uses 1.2 kg of a per kg of a" in str(err.value)


def test_productive_loop_solves_to_the_geometric_series(bd, write_model):
    result = footprint(load_model(write_model(loop_model("POSSIBLE-LOOP", "0.5", "0.5"))))
    s_a = sum(0.25 ** k for k in range(200))  # 1 + 0.25 + 0.25^2 + ... = 4/3
    assert s_a == pytest.approx(4 / 3, rel=1e-15)
    s_b = 0.5 * s_a
    assert result.total_kg_co2e == pytest.approx(s_a * STEEL + s_b * ELEC, rel=1e-6)
    assert result.total_kg_co2e == pytest.approx(3.038067, rel=1e-6)


def test_nearly_singular_loop_is_refused_and_a_margin_away_solves(bd, write_model):
    """The threshold: a loop gain within PRODUCTIVE_MARGIN of 1 is refused; 1 - 10 x margin
    solves to s_a = 1 / (1 - g)."""
    near = 1 - PRODUCTIVE_MARGIN / 10
    with pytest.raises(ModelError, match="ill-conditioned|singular"):
        footprint(load_model(write_model(loop_model("NEAR-LOOP", repr(near), "1"))))
    g = 1 - 1e-3
    result = footprint(load_model(write_model(loop_model("FAR-LOOP", repr(g), "1"), "far.yaml")))
    s_a = 1 / (1 - g)
    assert result.total_kg_co2e == pytest.approx(s_a * STEEL + g * s_a * ELEC, rel=1e-6)


def test_negative_supply_is_refused(bd, write_model):
    """a uses -1 kg of b: b would run -1 times (backwards), no loop involved."""
    text = loop_model("NEGATIVE-SUPPLY", "-1", "0")
    model = write_model(text)
    with pytest.raises(ModelError) as err:
        footprint(load_model(model))
    message = str(err.value)
    assert message.startswith(f"{model}:{line(text, 'id: b')}:")
    assert "negative supply of b" in message and "-1 kg" in message
    assert f"a uses -1 kg of b ({model}:{line(text, 'process: b')})" in message
    assert "pcf-fg-NEGATIVE-SUPPLY" not in bd.databases


@pytest.mark.parametrize("reference", ["1e-320", "1e-16", "1e16", "-1e-320"])
def test_reference_flow_outside_the_magnitude_range_is_refused(bd, write_model, tmp_path, reference):
    text = loop_model("TINY-REF", "0.5", "0.5", reference=reference)
    model = write_model(text)
    out = tmp_path / "out"
    result = runner.invoke(cli.app, ["footprint", str(model), "--out", str(out)])
    assert result.exit_code == 2
    message = flat(result.output)
    assert f"{model}:{line(text, 'reference_flow')}:" in message
    assert "outside the magnitudes pcf computes with" in message
    assert not out.exists()


@pytest.mark.parametrize("amount", ["1e308", "-1e308", "1e15 * 10", "1e-300"])
def test_amount_outside_the_magnitude_range_is_refused(bd, write_model, amount):
    text = loop_model("HUGE", "0.5", "0.5").replace("{background: elec, amount: 1,", f"{{background: elec, amount: {amount},")
    model = write_model(text)
    with pytest.raises(ModelError) as err:
        load_model(model)
    assert str(err.value).startswith(f"{model}:{line(text, 'background: elec')}:")
    assert "0 or 1e-15 <= |value| <= 1e+15" in str(err.value)


def test_magnitude_range_edges_and_zero_are_accepted(bd, write_model):
    low, high = MAGNITUDE_RANGE
    assert (low, high) == (1e-15, 1e15)
    for amount in (repr(low), repr(high), "0", repr(-high)):
        text = loop_model("EDGE", "0.5", "0.5").replace("{background: elec, amount: 1,", f"{{background: elec, amount: {amount},")
        system = load_model(write_model(text))
        assert system.processes["b"].inputs[1].amount == float(amount)


def test_non_finite_number_in_a_result_is_refused_with_the_process(bd, write_model):
    text = loop_model("NAN", "0.5", "0.5")
    model = write_model(text)
    system = load_model(model)
    document = {"total_kg_co2e": 1.0, "contributions": [
        {"process": "a", "kg_co2e": 1.0}, {"process": "b", "kg_co2e": math.inf}]}
    with pytest.raises(ModelError) as err:
        refuse_non_finite(system, document)
    assert str(err.value).startswith(f"{model}:{line(text, 'id: b')}:")
    assert "$.contributions[1].kg_co2e" in str(err.value) and "(inf)" in str(err.value)
    refuse_non_finite(system, {"total_kg_co2e": 1.0, "contributions": [{"process": "a", "kg_co2e": 1.0}]})


def test_result_with_nan_is_not_written(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(CalculationError, match=r"not finite \(nan\) at \$\.total_kg_co2e"):
        write_declaration(declaration(fossil=math.nan), out)
    assert list(out.iterdir()) == []


def test_sixty_eight_one_to_one_loops_are_all_refused(bd, write_model):
    """The report: 27 of 68 singular 1:1 loops were solved. Here 68 loops x y = 1 written with
    rounded decimals, expressions and unit conversions (gain 1 up to rounding) are refused."""
    cases = []
    for k in ("0.1", "0.3", "0.7", "1.1", "3", "7", "1/3", "1/7", "2/3", "9.81", "0.001", "1000", "1e-6",
              "1e6", "0.35", "17"):
        cases += [(k, "kg", f"1/({k})", "kg"), (f"({k}) * 1000", "g", f"1/({k})", "kg"),
                  (f"({k}) / 1000", "t", f"1000/({k})", "g"), (f"1/({k})", "kg", k, "kg")]
    cases += [("0.5", "kg", "2", "kg"), ("500", "g", "2", "kg"), ("0.0005", "t", "2000", "g"), ("4", "kg", "0.25", "kg")]
    assert len(cases) == 68
    refused = 0
    for n, (x, unit_x, y, unit_y) in enumerate(cases):
        model = write_model(loop_model(f"ONE-{n}", x, y, unit_x, unit_y), f"one-{n}.yaml")
        with pytest.raises(ModelError, match="loop a → b → a.*(singular|more than it makes)"):
            footprint(load_model(model))
        refused += 1
    assert refused == 68


def test_output_amounts_normalise_the_loop(bd, write_model):
    """a makes 2 kg and uses 6 kg b (3 kg per kg), b makes 4 kg and uses 2 kg a (0.5 per kg):
    the 3 x 0.5 loop again, however the runs are written."""
    text = loop_model("NORMALISED", "6", "2").replace("output: {amount: 1, unit: kg}\n    inputs:\n      - {process: b",
                                                      "output: {amount: 2, unit: kg}\n    inputs:\n      - {process: b")
    text = text.replace("output: {amount: 1, unit: kg}\n    inputs:\n      - {process: a",
                        "output: {amount: 4, unit: kg}\n    inputs:\n      - {process: a")
    assert "amount: 2, unit: kg}" in text and "amount: 4, unit: kg}" in text
    with pytest.raises(ModelError) as err:
        footprint(load_model(write_model(text)))
    assert "a uses 3 kg of b per kg of a" in str(err.value) and "b uses 0.5 kg of a per kg of b" in str(err.value)
    assert "consumes 1.5 kg of a per kg of a made" in str(err.value)


def test_loops_refused_together_when_each_alone_would_run(bd, write_model):
    """a <-> b with gain 0.6 and a <-> c with gain 0.6: each loop alone is productive, but a
    feeds both, C = [[0, 1, 1], [0.6, 0, 0], [0.6, 0, 0]] has rho^2 = 0.6 + 0.6 = 1.2 >= 1:
    s_a = 1 / (1 - 1.2) < 0."""
    text = textwrap.dedent("""\
        format: pcf-model/1
        product: {id: TWO-LOOPS, name: Two loops, process: a, reference_flow: {amount: 1, unit: kg}}
        study: {background: test-bg, method: ipcc-2021-gwp100}
        processes:
          - id: a
            name: A
            stage: production
            output: {amount: 1, unit: kg}
            inputs: [{process: b, amount: 1, unit: kg}, {process: c, amount: 1, unit: kg}]
          - id: b
            name: B
            stage: production
            output: {amount: 1, unit: kg}
            inputs: [{process: a, amount: 0.6, unit: kg}, {background: steel, amount: 1, unit: kg}]
          - id: c
            name: C
            stage: production
            output: {amount: 1, unit: kg}
            inputs: [{process: a, amount: 0.6, unit: kg}]
        """)
    with pytest.raises(ModelError) as err:
        footprint(load_model(write_model(text)))
    message = str(err.value)
    assert "together with the other loops through a, b, c" in message
    assert f"spectral radius of their input coefficients {math.sqrt(1.2):.6g}" in message


def test_batch_row_with_an_impossible_loop_is_an_error_record(bd, write_model, tmp_path):
    from pcf.batch import run_batch

    text = loop_model("BATCH-LOOP", "x", "0.5").replace("study:", "parameters: {x: 1}\nstudy:")
    model = write_model(text)
    table = tmp_path / "skus.csv"
    table.write_text("id,x\nOK,1\nBAD,3\n", encoding="utf-8")
    out = tmp_path / "out"
    report = run_batch(table, out, model, json_per_sku=True)  # one result file per SKU, so the failed row's absence shows
    assert (report.computed, report.failed) == (1, 1)
    with open(out / "summary.csv", newline="", encoding="utf-8") as fh:
        rows = {r["id"]: r for r in csv.DictReader(fh)}
    assert rows["BAD"]["status"] == "error"
    assert "loop a → b → a" in rows["BAD"]["error"] and f"{model}:{line(text, 'process: b')}" in rows["BAD"]["error"]
    # OK: x = 1, y = 0.5: gain 0.5, s_a = 1 / (1 - 0.5) = 2, s_b = x s_a = 2
    assert rows["OK"]["status"] == "ok"
    assert float(rows["OK"]["total_kg_co2e"]) == pytest.approx(2 * STEEL + 2 * ELEC, rel=1e-6)
    assert sorted(p.name for p in out.glob("*.result.json")) == ["OK.result.json"]


def test_scenario_making_the_loop_impossible_writes_no_comparison(bd, write_model, tmp_path):
    from pcf.api import compare

    text = loop_model("SCN-LOOP", "0.5", "0.5") + textwrap.dedent("""\
        scenarios:
          worse:
            description: b needs 3 kg of a per kg
            replace:
              - {process: b, input: back, with: {process: a, amount: 3, unit: kg}}
        """)
    text = text.replace("{process: a, amount: 0.5, unit: kg}", "{id: back, process: a, amount: 0.5, unit: kg}")
    model = write_model(text)
    out = tmp_path / "out"
    with pytest.raises(ModelError) as err:
        compare(model, ["worse"], out)
    assert "loop a → b → a" in str(err.value) and "1.5" in str(err.value)
    assert not out.exists() or list(out.iterdir()) == []


def test_monte_carlo_of_a_loop_with_a_large_multiplier(bd, write_model):
    """Gain 0.999 (multiplier 1000): bw2calc's float32 amounts (0.999 -> 0.99900001) move its
    solution by about 1000 x 1.3e-8 = 1.3e-5 from the float64 footprint; the footprint and the
    Monte Carlo check allow 1e-6 x the multiplier instead of failing with "please report this"."""
    from pcf.api import compute

    g = 0.999
    declaration = compute(write_model(loop_model("MC-LOOP", repr(g), "1")), monte_carlo=20, seed=1)
    s_a = 1 / (1 - g)
    assert declaration.result.total_kg_co2e == pytest.approx(s_a * STEEL + g * s_a * ELEC, rel=1e-6)
    assert declaration.result.uncertainty.iterations == 20


def test_matrix_multiplier_is_the_geometric_series_sum():
    from pcf.lca.feasibility import matrix_multiplier

    # a uses 0.5 of b, b uses 0.5 of a: gain 0.25; C = [[0, 0.5], [0.5, 0]] has eigenvalues
    # +-0.5 = +-sqrt(0.25), min |1 - lambda| = 0.5: M = 1 / (1 - rho) = 2 (>= 1 / (1 - 0.25))
    assert matrix_multiplier(np.array([[1.0, -0.5], [-0.5, 1.0]])) == pytest.approx(2.0, rel=1e-12)
    assert matrix_multiplier(np.array([[1.0, -0.5], [0.0, 1.0]])) == 1.0  # no loop


def test_result_file_with_nan_is_not_read(tmp_path):
    """Python's json module reads NaN and Infinity; a result file holding one is refused."""
    from pcf.core.errors import SourceError
    from pcf.declaration import read_declaration

    out = tmp_path / "out"
    path = write_declaration(declaration(fossil=2.0), out)
    path.write_text(path.read_text(encoding="utf-8").replace('"total_kg_co2e": 2.0', '"total_kg_co2e": NaN'),
                    encoding="utf-8")
    with pytest.raises(SourceError, match=r"\$\.total_kg_co2e: nan is not a finite number"):
        read_declaration(path)
