"""pcf's supplement to biosphere3: greenhouse gases with an IPCC AR6 GWP100 that bw2io's
ecoinvent 3.9 elementary-flow list (what ``pcf setup`` writes as ``biosphere3``) lacks.

US LCI (FY17 JSON-LD and FY21 EcoSpold1) reports emissions of HFC-245fa and HFC-143 to air;
biosphere3 has no flow for either, so before this supplement they stayed unlinked and counted 0.
pcf adds one flow per gas to ``biosphere3`` (compartment ``('air',)``, unit kilogram, its CAS
number, a code of pcf's own: :func:`flow_code`) and characterises it in pcf's IPCC 2021 (AR6)
GWP100 method only (:mod:`pcf.background.methods`) with its AR6 GWP100 from

    Smith, C., Z.R.J. Nicholls, K. Armour, W. Collins, P. Forster, M. Meinshausen, M.D. Palmer,
    M. Watanabe (2021): The Earth's Energy Budget, Climate Feedbacks, and Climate Sensitivity
    Supplementary Material. In Climate Change 2021: The Physical Science Basis. Contribution of
    Working Group I to the Sixth Assessment Report of the IPCC, Table 7.SM.7,
    doi:10.1017/9781009157896.009 (supplementary material).

pcf's IPCC 2013 (AR5) method and its EF 3.1 climate-change method do not characterise them (the
EF 3.1 reference package has no factor for either gas, and pcf does not add to it: its
sub-indicators would no longer add up to the EF figure); their emissions count 0 there.

The importer (:func:`pcf.importers.common.link_gases`) finds these flows by CAS number like any
biosphere3 flow.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

BIOSPHERE = "biosphere3"

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:pcf:biosphere3-supplement")
"""Namespace of the codes of pcf's supplement flows (:func:`flow_code`)."""

SOURCE_AR6 = ("IPCC AR6 WG1 Chapter 7 Supplementary Material, Table 7.SM.7 (Smith et al. 2021, "
              "doi:10.1017/9781009157896.009 supplementary material)")
"""Where every factor of :data:`SUPPLEMENT` comes from."""


@dataclass(frozen=True)
class SupplementFlow:
    """A gas pcf adds to biosphere3.

    Attributes
    ----------
    name : str
        Flow name, in the style of biosphere3 (substance, designation last).
    cas : str
        CAS registry number.
    formula : str
        Chemical formula.
    gwp100_ar6 : float
        IPCC AR6 GWP100 [kg CO2e / kg] (:data:`SOURCE_AR6`).
    """

    name: str
    cas: str
    formula: str
    gwp100_ar6: float


SUPPLEMENT: tuple[SupplementFlow, ...] = (
    SupplementFlow("Propane, 1,1,1,3,3-pentafluoro-, HFC-245fa", "460-73-1", "CHF2CH2CF3", 962.0),
    SupplementFlow("Ethane, 1,1,2-trifluoro-, HFC-143", "430-66-0", "CH2FCHF2", 364.0),
)
"""pcf's supplement flows, all emissions to ``('air',)`` in kilogram."""

CATEGORIES = ("air",)


def flow_code(flow: SupplementFlow) -> str:
    """pcf's code of a supplement flow: ``uuid5(NAMESPACE, "name|air|kilogram")`` (the same in
    every ``PCF_HOME``, so results and method hashes agree across installations)."""
    return str(uuid.uuid5(NAMESPACE, f"{flow.name}|{'/'.join(CATEGORIES)}|kilogram"))


def supplement_records() -> dict[tuple[str, tuple[str, ...]], tuple[str, str]]:
    """``(name, categories) -> ("biosphere3", code)`` of every supplement flow (to add to a
    biosphere3 mapping such as :func:`pcf.background.userproject.full_biosphere`)."""
    return {(f.name, CATEGORIES): (BIOSPHERE, flow_code(f)) for f in SUPPLEMENT}


def supplement_factors() -> list[tuple[tuple[str, str], float]]:
    """``[((biosphere3, code), AR6 GWP100 [kg CO2e / kg])]`` for pcf's IPCC 2021 method."""
    return [((BIOSPHERE, flow_code(f)), f.gwp100_ar6) for f in SUPPLEMENT]


def supplement_present(bd) -> bool:
    """Every supplement flow is in the project's biosphere3 (``bd``: ``bw2data``)."""
    from bw2data.backends import ActivityDataset as AD

    codes = {flow_code(f) for f in SUPPLEMENT}
    found = {c for (c,) in AD.select(AD.code).where((AD.database == BIOSPHERE) & AD.code.in_(list(codes))).tuples()}
    return found == codes


def write_supplement(bd) -> int:
    """Add the supplement flows missing from the project's biosphere3 (idempotent).

    Parameters
    ----------
    bd : module
        ``bw2data``, with ``biosphere3`` written.

    Returns
    -------
    int
        Number of flows added (0 when all were there).
    """
    from bw2data.backends import ActivityDataset as AD

    db = bd.Database(BIOSPHERE)
    present = {c for (c,) in AD.select(AD.code).where(AD.database == BIOSPHERE).tuples()}
    added = 0
    for flow in SUPPLEMENT:
        code = flow_code(flow)
        if code in present:
            continue
        node = db.new_node(code=code, name=flow.name, categories=CATEGORIES, unit="kilogram", type="emission",
                           formula=flow.formula, synonyms=[flow.name.rsplit(", ", 1)[-1]],
                           comment=f"Added by pcf (not in the ecoinvent 3.9 elementary flows); AR6 GWP100 "
                                   f"{flow.gwp100_ar6:g} from {SOURCE_AR6}",
                           **{"CAS number": flow.cas})
        node.save()
        added += 1
    if added:
        db.process()
    return added
