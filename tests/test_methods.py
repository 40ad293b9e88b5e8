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
