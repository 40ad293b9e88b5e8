"""Transport legs -> tonne-kilometres (issue 4.4), aircraft reported apart (ISO 14067:2018 7.3 e).

test-bg ``air`` [tkm]: 1.0 kg CO2 fossil, flagged aircraft.

    50 kg over 1000 km by air                      -> 0.05 t * 1000 km = 50 tkm  -> 50 kg CO2e
    50 kg in 0.6 m3 by air: chargeable mass is max(50, 0.6 * 166.67) = 100 kg (IATA 6000 cm3/kg)
                                                   -> 100 tkm -> 100 kg CO2e
"""

from __future__ import annotations

import csv

import pytest

from pcf.core.errors import ModelError
from pcf.lca import footprint
from pcf.model import load_model
from tests.conftest import REPO
from builders import document

MODEL = """\
format: pcf-model/1
product: {{id: FREIGHT, name: Freight test, process: p, reference_flow: {{amount: 1, unit: item}}}}
study: {{background: {background}}}
processes:
  - id: p
    name: P
    stage: distribution
    output: {{amount: 1, unit: item}}
    transport:
      - {leg}
"""


def run(write_model, leg, background="test-bg"):
    return document(footprint(load_model(write_model(MODEL.format(background=background, leg=leg)))))


def test_air_leg_by_mass(bd, write_model):
    d = run(write_model, "{name: to customer, mode: air_longhaul, distance: 1000, mass: 50, activity: {background: air}}")
    assert d["total_kg_co2e"] == pytest.approx(50.0, rel=1e-6)
    assert d["ghg"]["aircraft"] == pytest.approx(50.0, rel=1e-6)
    [leg] = d["transport"]
    assert leg["tkm"] == pytest.approx(50.0) and leg["mass_kg"] == 50 and leg["aircraft"] is True
    assert leg["kg_co2e"] == pytest.approx(50.0, rel=1e-6)
    assert d["stages"] == {"distribution": pytest.approx(50.0, rel=1e-6)}


def test_volumetric_weight(bd, write_model):
    d = run(write_model, "{mode: air_longhaul, distance: 1, distance_unit: Mm, mass: 50, volume: 0.6, activity: {background: air}}")
    [leg] = d["transport"]
    assert leg["mass_kg"] == pytest.approx(100.0)
    assert leg["distance_km"] == pytest.approx(1000.0)
    assert d["total_kg_co2e"] == pytest.approx(100.0, rel=1e-6)


def test_default_activity_of_the_mode_in_the_open_default(open_default, write_model):
    """1 t over 100 km by lorry = 100 tkm of transport_lorry_wtw; its AR6 factor is worked out here
    from the table's gas masses (CH4 fossil 29.8, N2O 273; IPCC AR6 WG1 Table 7.15)."""
    with open(REPO / "databases" / "open-default.csv", encoding="utf-8") as f:
        row = next(r for r in csv.DictReader(f) if r["key"] == "transport_lorry_wtw")
    g = {k: float(row[k] or 0) for k in ("co2_fossil", "ch4_fossil", "n2o", "co2e_unsplit")}
    per_tkm = g["co2_fossil"] + 29.8 * g["ch4_fossil"] + 273 * g["n2o"] + g["co2e_unsplit"]
    d = run(write_model, "{mode: lorry, distance: 100, mass: 1, mass_unit: t}", background="open-default")
    assert d["transport"][0]["activity"] == "transport_lorry_wtw"
    assert d["total_kg_co2e"] == pytest.approx(100 * per_tkm, rel=1e-6)
    assert d["ghg"]["aircraft"] == 0


@pytest.mark.parametrize("leg, message", [
    ("{mode: air_longhaul, distance: 10}", "a transport leg carries a mass or a volume"),
    ("{mode: rocket, distance: 10, mass: 1}", "mode"),
    ("{mode: lorry, distance: 10, mass: 1}", "the study background 'test-bg' has no default 'lorry' activity"),
    ("{mode: lorry, distance: -10, mass: 1, activity: {background: air}}", "distance must be >= 0"),
    ("{mode: lorry, distance: 10, mass: 1, activity: {background: nope}}", "background activity 'nope' is not in 'test-bg'"),
    ("{mode: lorry, distance: 10, mass: 1, activity: {database: test-bg}}", "with 'database', name the activity by exactly one of 'code' or 'name'"),
    ("{mode: lorry, distance: 10, mass: 1, activity: {background: air, database: test-bg, code: air}}", "an activity names exactly one of 'background' or 'database'"),
    ("{mode: lorry, distance: 10, mass: 1, activity: {database: test-bg, code: air}}", None),
])
def test_leg_errors_point_at_the_line(bd, write_model, leg, message):
    path = write_model(MODEL.format(background="test-bg", leg=leg))
    if message is None:  # the same leg named by database + code computes: 0.01 t * 10 km * 1.0
        assert document(footprint(load_model(path)))["total_kg_co2e"] == pytest.approx(0.01, rel=1e-6)
        return
    with pytest.raises(ModelError) as info:
        footprint(load_model(path))
    assert f"{path}:10:" in str(info.value)
    assert message in str(info.value)
