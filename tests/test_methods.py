"""The pcf GWP100 methods: biogenic CO2 -1/+1 in every compartment (ISO 14067:2018 6.4.9.2).

Imported databases (ecoinvent, US LCI) report biogenic CO2 in air sub-compartments (urban
air close to ground, non-urban air or from high stacks, ...). Each must count +1 kg CO2e / kg,
or a biomass product's emissions would count 0 while its uptake counts -1.
"""

from __future__ import annotations

import pytest


def _cfs(bd, method_id):
    from pcf.background import method_spec

    spec = method_spec(method_id)
    bio = {f.key: f for f in bd.Database("biosphere3")}
    bio.update({f.id: f for f in bio.values()})  # Method.load() gives node ids or keys
    return {(bio[_k(k)]["name"], tuple(bio[_k(k)]["categories"])): cf for k, cf in bd.Method(spec.name).load()}


def _k(key):
    return tuple(key) if isinstance(key, list) else key


@pytest.mark.parametrize("method_id", ["ipcc-2021-gwp100", "ipcc-2013-gwp100"])
def test_biogenic_co2_counts_in_every_air_compartment(bd, method_id):
    cfs = _cfs(bd, method_id)
    non_fossil = {cats: cf for (name, cats), cf in cfs.items() if name == "Carbon dioxide, non-fossil"}
    # biosphere3 (ecoinvent 3.9) has five air compartments for it: air and four sub-compartments
    assert set(non_fossil) == {("air",), ("air", "urban air close to ground"), ("air", "non-urban air or from high stacks"),
                               ("air", "lower stratosphere + upper troposphere"), ("air", "low population density, long-term")}
    assert set(non_fossil.values()) == {1.0}
    assert cfs[("Carbon dioxide, in air", ("natural resource", "in air"))] == -1.0
    assert cfs[("Carbon dioxide, non-fossil, resource correction", ("natural resource", "in air"))] == -1.0
    # the source method's own factors are kept: fossil CO2 1 everywhere, stored carbon -1
    assert cfs[("Carbon dioxide, fossil", ("air", "urban air close to ground"))] == 1.0
    assert cfs[("Carbon dioxide, to soil or biomass stock", ("soil",))] == -1.0


def test_flow_categories_of_biogenic_and_land_use_flows(bd):
    from pcf.lca import flow_category

    def cat(name, cats):
        return flow_category({"name": name, "categories": cats})

    assert cat("Carbon dioxide, non-fossil", ("air", "non-urban air or from high stacks")) == "biogenic_emissions"
    assert cat("Carbon dioxide, in air", ("natural resource", "in air")) == "biogenic_removals"
    assert cat("Carbon dioxide, non-fossil, resource correction", ("natural resource", "in air")) == "biogenic_removals"
    assert cat("Carbon dioxide, from soil or biomass stock", ("air",)) == "dluc"
    assert cat("Carbon dioxide, to soil or biomass stock", ("soil", "forestry")) == "dluc"
    assert cat("Carbon dioxide, fossil", ("air",)) == "fossil"


def test_setup_rewrites_methods_of_an_older_version(open_default):
    from pcf.background import method_spec, setup
    from pcf.background.methods import METHODS_VERSION

    bd = open_default
    spec = method_spec("ipcc-2021-gwp100")
    meta = dict(bd.methods[spec.name])
    meta["pcf_methods_version"] = METHODS_VERSION - 1
    bd.methods[spec.name] = meta
    bd.methods.flush()
    done = setup()
    assert done["methods"] == "built"
    assert bd.methods[spec.name]["pcf_methods_version"] == METHODS_VERSION
    assert setup()["methods"] == "present"


def test_setup_adds_the_supplement_gases_to_an_existing_home(open_default):
    """A PCF_HOME whose biosphere3 predates pcf's supplement flows (removed here) gets them, and
    their AR6 GWP100 (Table 7.SM.7: HFC-245fa 962, HFC-143 364) in the IPCC 2021 method only,
    on its next ``pcf setup``; a further setup changes nothing."""
    from pcf.background import method_spec, setup
    from pcf.background.supplement import SUPPLEMENT, flow_code, supplement_present, write_supplement

    bd = open_default
    for f in SUPPLEMENT:
        bd.get_node(database="biosphere3", code=flow_code(f)).delete()
    assert not supplement_present(bd)
    assert setup()["methods"] == "built"
    assert supplement_present(bd)
    assert setup()["methods"] == "present" and write_supplement(bd) == 0
    ids = {bd.get_node(database="biosphere3", code=flow_code(f)).id: f.name for f in SUPPLEMENT}
    for method_id, expected in (("ipcc-2021-gwp100", {"Propane, 1,1,1,3,3-pentafluoro-, HFC-245fa": 962.0,
                                                       "Ethane, 1,1,2-trifluoro-, HFC-143": 364.0}),
                                ("ipcc-2013-gwp100", {}), ("ef-3.1-climate-change", {})):
        cfs = {ids[k]: cf for k, cf in bd.Method(method_spec(method_id).name).load() if k in ids}
        assert cfs == expected, method_id
    node = bd.get_node(database="biosphere3", code=flow_code(SUPPLEMENT[0]))
    assert (node["categories"], node["unit"], node["CAS number"]) == (("air",), "kilogram", "460-73-1")
    assert "Table 7.SM.7" in bd.methods[method_spec("ipcc-2021-gwp100").name]["description"]
