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

import math
import textwrap

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
    message = result.output.replace("\n", " ")
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
    message = result.output.replace("\n", "")
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
