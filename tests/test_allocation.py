"""Multi-output processes: partition (mass, energy, economic, factors) and system expansion
(ISO 14067:2018 6.4.6), on a case solved by hand.

``refinery`` makes 1 kg of ``main`` and 3 kg of co-product ``by`` per run, from 10 kWh of
``elec`` (test-bg, 0.5571 kg CO2e/kWh under AR6: 0.5 + 0.001 * 29.8 + 0.0001 * 273) and a
direct emission of 2 kg fossil CO2:

    burdens per run = 10 * 0.5571 + 2 = 7.571 kg CO2e

    method            main share                       kg CO2e per kg main
    mass              1 / (1 + 3)          = 0.25      1.89275
    energy            40 / (40 + 3 * 10)   = 4/7       4.326285714...
    economic          6 / (6 + 3 * 0.5)    = 0.8       6.0568
    factors           0.9                              6.8139
    system expansion  3 kg by displaces 3 kg steel (2.0 kg CO2e/kg): 7.571 - 6 = 1.571
"""

from __future__ import annotations

import pytest

from pcf.core.errors import ModelError
from pcf.lca import footprint
from pcf.model import load_model
from builders import document

BASE = """\
format: pcf-model/1
product: {{id: ALLOC, name: Main product, process: {product}, reference_flow: {{amount: 1, unit: kg}}}}
study: {{background: test-bg}}
processes:
  - id: refinery
    name: Refinery
    stage: production
    output: {{amount: 1, unit: kg{main}}}
    coproducts:
      - {{name: by-product, amount: 3, unit: kg{co}}}
    allocation: {{method: {method}, justification: test case}}
    inputs:
      - {{background: elec, amount: 10, unit: kWh}}
    emissions:
      - {{substance: carbon dioxide, amount: 2, unit: kg}}
    excluded:
      - {{name: glue, amount: 1, unit: kg, reason: below 1 % of mass}}
"""


def model(method, main="", co="", product="refinery"):
    return BASE.format(method=method, main=main, co=co, product=product)


@pytest.mark.parametrize("method, main, co, share", [
    ("mass", "", "", 0.25),
    ("energy", ", energy: 40", ", energy: 10", 4 / 7),
    ("economic", ", price: 6", ", price: 0.5", 0.8),
    ("factors", ", allocation_factor: 0.9", ", allocation_factor: 0.1", 0.9),
])
def test_partition_hand_checked(bd, write_model, method, main, co, share):
    result = document(footprint(load_model(write_model(model(method, main, co)))))
    assert result["total_kg_co2e"] == pytest.approx(7.571 * share, rel=1e-6)
    [entry] = result["allocation"]
    assert entry["process"] == "refinery" and entry["method"] == method
    assert entry["justification"] == "test case"
    factors = {p["name"]: p["factor"] for p in entry["products"]}
    assert factors == pytest.approx({"Refinery": share, "by-product": 1 - share})
    # the excluded glue is counted with the main product's share of the process
    assert result["cut_off"][0]["amount"] == pytest.approx(share)


def test_mass_basis_values(bd, write_model):
    result = document(footprint(load_model(write_model(model("mass")))))
    [entry] = result["allocation"]
    assert entry["basis_unit"] == "kg"
    assert [p["basis"] for p in entry["products"]] == pytest.approx([1.0, 3.0])


def test_mass_of_a_product_counted_in_items(bd, write_model):
    """An item output with ``mass: 0.5`` [kg/item]: 2 items = 1 kg against 3 kg -> 0.25."""
    text = model("mass").replace("output: {amount: 1, unit: kg}", "output: {amount: 2, unit: item, mass: 0.5}")
    text = text.replace("reference_flow: {amount: 1, unit: kg}", "reference_flow: {amount: 2, unit: item}")
    result = document(footprint(load_model(write_model(text))))
    assert result["total_kg_co2e"] == pytest.approx(7.571 * 0.25, rel=1e-6)


def test_coproduct_used_by_another_process_carries_its_share(bd, write_model):
    """``user`` takes 2 kg of ``by``: 2 * 7.571 * 0.75 / 3 = 3.7855."""
    text = model("mass", product="user").replace("- {name: by-product,", "- {id: by, name: by-product,")
    text += ("  - id: user\n"
             "    name: User\n"
             "    stage: production\n"
             "    output: {amount: 1, unit: kg}\n"
             "    inputs:\n"
             "      - {process: by, amount: 2000, unit: g}\n")
    result = document(footprint(load_model(write_model(text))))
    assert result["total_kg_co2e"] == pytest.approx(3.7855, rel=1e-6)


def test_system_expansion_credits_the_displaced_product(bd, write_model):
    text = model("system_expansion").replace(
        "unit: kg}\n    allocation", "unit: kg, avoided: {background: steel, amount: 3, unit: kg}}\n    allocation")
    result = document(footprint(load_model(write_model(text))))
    assert result["total_kg_co2e"] == pytest.approx(1.571, rel=1e-6)
    [entry] = result["allocation"]
    assert entry["method"] == "system_expansion"
    [credit] = entry["credits"]
    assert credit["avoided"] == "steel"
    assert credit["amount"] == pytest.approx(3.0)
    assert credit["kg_co2e"] == pytest.approx(-6.0, rel=1e-6)
    steel = [c for c in result["contributions"] if c.get("background") == "steel"]
    assert steel[0]["kg_co2e"] == pytest.approx(-6.0, rel=1e-6)
    # under system expansion the process keeps all its burdens: glue counted in full
    assert result["cut_off"][0]["amount"] == pytest.approx(1.0)


@pytest.mark.parametrize("edit, line, message", [
    (lambda t: t.replace("    allocation: {method: mass, justification: test case}\n", ""), 9,
     "has co-products: state allocation"),
    (lambda t: t.replace("    coproducts:\n      - {name: by-product, amount: 3, unit: kg}\n", ""), 9,
     "has no coproducts: drop allocation"),
    (lambda t: t.replace("method: mass", "method: economic"), 8, "economic allocation needs price"),
    (lambda t: t.replace("method: mass", "method: factors"), 8, "needs allocation_factor"),
    (lambda t: t.replace("method: mass", "method: system_expansion"), 10, "system expansion needs avoided"),
    (lambda t: t.replace("unit: kg}\n    allocation", "unit: MJ}\n    allocation"), 10, "mass allocation needs the mass of 'MJ'"),
    (lambda t: t.replace("unit: kg}\n    allocation", "unit: kg, avoided: {background: steel, amount: 3, unit: kg}}\n    allocation"), 10,
     "avoided goes with method system_expansion"),
])
def test_allocation_errors(bd, write_model, edit, line, message):
    path = write_model(edit(model("mass")))
    with pytest.raises(ModelError) as info:
        load_model(path)
    assert f"{path}:{line}:" in str(info.value)
    assert message in str(info.value)


def test_factors_must_sum_to_one(bd, write_model):
    path = write_model(model("factors", ", allocation_factor: 0.9", ", allocation_factor: 0.2"))
    with pytest.raises(ModelError, match=r":11: allocation factors of 'refinery' sum to 1.1, not 1"):
        load_model(path)
