"""Inputs from any installed database (``{database: NAME, name|code: ...}``) and the
provenance a result gives for every background activity it used.

The test writes its own Brightway database ``ref-db`` (units as bw2io names them), per unit
[kg gas]:

    code   name             location  ref. product      unit           emissions
    al-de  aluminium        DE        aluminium         kilogram       8.0 CO2 fossil
    al-cn  aluminium        CN        aluminium         kilogram       16.0 CO2 fossil
    lorry  transport, lorry RER       transport         ton kilometer  0.1 CO2 fossil
    mix    mix              GLO       mix               kilogram       0.5 kg al-de input, 1.0 CO2

with the hand-made ``test-bg`` (tests/conftest.py): steel 2.0 kg CO2 / kg.

Model: one item of ``part`` takes
    2 kg  aluminium [DE]              by name + location   2 * 8.0          = 16.0
    500 kg km = 0.5 tkm lorry         by code              0.5 * 0.1        =  0.05
    3 kg  mix                         by name              3 * (0.5*8 + 1)  = 15.0
    1 kg  steel                       {background: steel}  1 * 2.0          =  2.0
    total = 33.05 kg CO2e (CO2 only, characterisation factor 1)
"""

from __future__ import annotations

import textwrap

import pytest

from pcf.core.errors import ModelError
from pcf.lca import footprint
from pcf.model import load_model
from builders import document

MODEL = textwrap.dedent("""\
    format: pcf-model/1
    product: {id: REF, name: Part, process: part, reference_flow: {amount: 1, unit: item}}
    study: {background: test-bg}
    processes:
      - id: part
        name: Part
        stage: production
        output: {amount: 1, unit: item}
        inputs:
          - {database: ref-db, name: aluminium, location: DE, amount: 2, unit: kg}
          - {database: ref-db, code: lorry, amount: 500, unit: kg km}
          - {database: ref-db, name: MIX, amount: 3000, unit: g}
          - {background: steel, amount: 1, unit: kg}
    """)


@pytest.fixture(scope="module")
def ref_db(bd):
    co2 = bd.get_node(database="biosphere3", name="Carbon dioxide, fossil", categories=("air",)).key

    def act(code, name, location, unit, co2_kg, inputs=()):
        exchanges = [{"input": ("ref-db", code), "amount": 1.0, "type": "production"},
                     {"input": co2, "amount": co2_kg, "type": "biosphere"}]
        exchanges += [{"input": ("ref-db", c), "amount": a, "type": "technosphere"} for c, a in inputs]
        return ("ref-db", code), {"name": name, "location": location, "unit": unit, "type": "process",
                                   "reference product": name if name != "transport, lorry" else "transport",
                                   "exchanges": exchanges}

    data = dict([
        act("al-de", "aluminium", "DE", "kilogram", 8.0),
        act("al-cn", "aluminium", "CN", "kilogram", 16.0),
        act("lorry", "transport, lorry", "RER", "ton kilometer", 0.1),
        act("mix", "mix", "GLO", "kilogram", 1.0, [("al-de", 0.5)]),
    ])
    db = bd.Database("ref-db")
    db.register(description="test database written by tests/test_references.py")
    db.write(data)
    return bd


def test_inputs_from_another_database_hand_checked(ref_db, write_model):
    result = document(footprint(load_model(write_model(MODEL))))
    assert result["total_kg_co2e"] == pytest.approx(33.05, rel=1e-6)
    by_key = {(d["database"], d["background"]): d for d in result["data_sources"]}
    assert set(by_key) == {("ref-db", "al-de"), ("ref-db", "lorry"), ("ref-db", "mix"), ("test-bg", "steel")}
    al = by_key[("ref-db", "al-de")]
    assert al["amount"] == pytest.approx(2.0, rel=1e-6)  # in the activity's unit, kilogram
    assert al["kg_co2e"] == pytest.approx(16.0, rel=1e-6)
    assert al["kg_co2e_per_unit"] == pytest.approx(8.0, rel=1e-6)
    assert al["model_reference"] == "ref-db: 'aluminium' [DE]"
    assert by_key[("ref-db", "lorry")]["amount"] == pytest.approx(0.5, rel=1e-6)  # tkm
    assert by_key[("ref-db", "mix")]["kg_co2e_per_unit"] == pytest.approx(5.0, rel=1e-6)
    assert by_key[("ref-db", "mix")]["model_reference"] == "ref-db: 'MIX'"
    # per-activity results add up to the total (the foreground emits nothing directly)
    assert sum(d["kg_co2e"] for d in result["data_sources"]) == pytest.approx(33.05, rel=1e-6)
    # contributions say which database each background activity is from
    contrib = {(c.get("database"), c.get("background")): c["kg_co2e"] for c in result["contributions"]}
    assert contrib[("ref-db", "lorry")] == pytest.approx(0.05, rel=1e-6)


def test_result_names_every_database_with_its_kind_and_hash(ref_db, write_model):
    result = document(footprint(load_model(write_model(MODEL))))
    dbs = {d["database"]: d for d in result["provenance"]["databases"]}
    assert set(dbs) == {"ref-db", "test-bg"}
    assert dbs["test-bg"]["kind"] == "table"
    assert len(dbs["test-bg"]["sha256"]) == 64
    assert dbs["test-bg"]["activities"] == 4
    # written by other tools than pcf: no content hash is claimed
    assert dbs["ref-db"]["kind"] == "brightway" and dbs["ref-db"]["sha256"] is None
    assert dbs["ref-db"]["activities"] == 4
    # an activity without a citation of its own points at its database
    src = {d["background"]: d["source"] for d in result["data_sources"]}
    assert src["al-de"].startswith("ref-db (")
    assert src["steel"] == "test table written by hand"


@pytest.mark.parametrize("line, message", [
    ("- {database: nope-db, name: aluminium, amount: 1, unit: kg}", "database 'nope-db' is not installed"),
    ("- {database: ref-db, name: aluminum, amount: 1, unit: kg}", "did you mean 'aluminium'"),
    ("- {database: ref-db, name: aluminium, amount: 1, unit: kg}", "2 activities in 'ref-db' are named 'aluminium'"),
    ("- {database: ref-db, name: aluminium, location: FR, amount: 1, unit: kg}", "it has: 'CN', 'DE'"),
    ("- {database: ref-db, code: zzz, amount: 1, unit: kg}", "no activity with code 'zzz'"),
    ("- {database: ref-db, code: lorry, amount: 1, unit: kWh}", "cannot convert 'kWh' to 'ton kilometer'"),
])
def test_reference_errors_point_at_the_line(ref_db, write_model, line, message):
    text = MODEL.replace("      - {background: steel, amount: 1, unit: kg}\n", f"      {line}\n")
    path = write_model(text)
    with pytest.raises(ModelError) as info:
        footprint(load_model(path))
    assert f"{path}:13:" in str(info.value)
    assert message in str(info.value)


def test_a_biosphere_flow_is_not_an_input(ref_db, write_model):
    code = ref_db.get_node(database="biosphere3", name="Carbon dioxide, fossil", categories=("air",))["code"]
    text = MODEL.replace("      - {background: steel, amount: 1, unit: kg}\n",
                         f"      - {{database: biosphere3, code: {code}, amount: 1, unit: kg}}\n")
    path = write_model(text)
    with pytest.raises(ModelError, match=r":13: .*is not a process \(node type 'emission'\): elementary flows go under emissions"):
        footprint(load_model(path))


@pytest.mark.parametrize("line, message", [
    ("- {background: steel, database: ref-db, code: lorry, amount: 1, unit: kg}", "exactly one of 'process', 'background', 'database' or 'supplier_pcf'"),
    ("- {database: ref-db, name: mix, code: mix, amount: 1, unit: kg}", "exactly one of 'code' or 'name'"),
    ("- {database: ref-db, amount: 1, unit: kg}", "exactly one of 'code' or 'name'"),
    ("- {background: steel, location: DE, amount: 1, unit: kg}", "location only go with 'database: NAME'"),
    ("- {database: ref-db, code: mix, location: GLO, amount: 1, unit: kg}", "drop location"),
])
def test_reference_shape_errors(write_model, line, message):
    text = MODEL.replace("      - {background: steel, amount: 1, unit: kg}\n", f"      {line}\n")
    path = write_model(text)
    with pytest.raises(ModelError) as info:
        load_model(path)
    assert f"{path}:13:" in str(info.value)
    assert message in str(info.value)


def test_ton_is_the_metric_tonne(ref_db, write_model):
    """1 ton of aluminium [DE] = 1000 kg * 8.0 = 8000 kg CO2e (pint alone would read a US short
    ton, 907.18474 kg, and give 7257.5)."""
    text = MODEL.split("    inputs:\n")[0] + "    inputs:\n      - {database: ref-db, name: aluminium, location: DE, amount: 1, unit: ton}\n"
    result = document(footprint(load_model(write_model(text))))
    assert result["total_kg_co2e"] == pytest.approx(8000.0, rel=1e-6)
