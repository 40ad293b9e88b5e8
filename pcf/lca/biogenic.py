"""Biogenic carbon and dLUC: separate reporting and the totals a declaration can declare.

ISO 14067:2018 includes fossil and biogenic GHG emissions and removals and dLUC emissions in
the CFP and asks for them to be documented separately (7.3; 6.4.9.2 for the -1/+1 treatment
of biogenic CO2, which pcf's methods apply: ``Carbon dioxide, non-fossil`` +1, ``Carbon
dioxide, in air`` -1). A PCR may declare another figure. This module computes both
figures a rule can select, from the categories of ``FootprintResult.ghg``; the declaration
picks the declared one (:mod:`pcf.declaration.accounting`):

========================  ===============================================================
``including_biogenic``    fossil + biogenic emissions + biogenic removals + dLUC
                          (= ``total_kg_co2e``; the ISO 14067 CFP, -1/+1)
``excluding_biogenic``    fossil + biogenic non-CO2 emissions (biogenic CH4, ...) + dLUC:
                          biogenic CO2 emissions and removals both left out (the "0/0"
                          convention; the formula of PACT v3 ``pcfExcludingBiogenicUptake``,
                          which adds no plain biogenic CO2 emission, and PACT v2
                          ``pCfExcludingBiogenic``, "excluding biogenic CO2 emissions")
========================  ===============================================================

A rule may also leave dLUC out of the declared figure (``dluc_included`` false). PACT v3
``pcfIncludingBiogenicUptake`` is ``excluding_biogenic`` plus ``biogenicCO2Uptake``, the
negative CO2 of the product's carbon content (``-content_product_kg_co2e``).

``excluding_biogenic`` subtracts the *mass* of biogenic CO2 emitted (GWP 1) from the
biogenic emissions; it is exact when every biogenic CO2 flow is characterised +1.

The biogenic carbon content of the product and its packaging is reported in kg C and as
the CO2 it corresponds to, ``kg C x M(CO2) / M(C)``; it is never added to a total (the
uptake is already among the modelled removals).

References
----------
ISO 14067:2018 6.4.9.2, 7.3 (clause numbers as in NOTES.md §5; the 2012 DIS 6.3.9.2 text
"shall be included in the CFP and documented separately" was seen).
CIAAW / IUPAC, Standard atomic weights, abridged to five significant figures: C 12.011,
O 15.999 (Prohaska T. et al. (2022) Pure Appl. Chem. 94(5) 573-600,
doi:10.1515/pac-2019-0603).
PACT Technical Specification v3 (data model, ``pcfExcludingBiogenicUptake``,
``biogenicCarbonContent`` [kg C / declared unit], ``packagingBiogenicCarbonContent``).
"""

from __future__ import annotations

from typing import Any

from ..core.vocabulary import GHG_CATEGORIES, GHG_DISPLAY
from ..model.lanes import num

MOLAR_MASS_C = 12.011
"""Molar mass of carbon [g/mol], CIAAW/IUPAC abridged standard atomic weight."""
MOLAR_MASS_O = 15.999
"""Molar mass of oxygen [g/mol], CIAAW/IUPAC abridged standard atomic weight."""
MOLAR_MASS_CO2 = MOLAR_MASS_C + 2 * MOLAR_MASS_O
"""Molar mass of CO2 [g/mol] = 44.009."""
CO2_PER_C = MOLAR_MASS_CO2 / MOLAR_MASS_C
"""kg CO2 per kg C = 44.009 / 12.011 = 3.66406... [kg CO2 / kg C]."""

SHARE_KEYS = GHG_DISPLAY
"""ISO 14067 categories whose share of ``including_biogenic`` is reported."""


def carbon_content(content: Any) -> dict[str, Any]:
    """Biogenic carbon content of product and packaging, in kg C and as CO2.

    Parameters
    ----------
    content : pcf.model.loader.ResolvedCarbonContent or None
        ``product_kg_c``, ``packaging_kg_c`` [kg C / reference flow], ``source``.

    Returns
    -------
    dict
        ``content_product_kg_c``, ``content_packaging_kg_c`` [kg C / reference flow],
        ``content_product_kg_co2e``, ``content_packaging_kg_co2e`` [kg CO2 / reference flow,
        = kg C x 44.009 / 12.011, GWP 1], ``content_co2_per_c`` [kg CO2 / kg C],
        ``content_source``; the amounts are None when the model does not state them.
    """
    out: dict[str, Any] = {"content_co2_per_c": CO2_PER_C,
                           "content_source": getattr(content, "source", None) or None}
    for part in ("product", "packaging"):
        kg_c = None if content is None else num(getattr(content, f"{part}_kg_c"))
        out[f"content_{part}_kg_c"] = kg_c
        out[f"content_{part}_kg_co2e"] = None if kg_c is None else kg_c * CO2_PER_C
    return out


def both_totals(fossil, emitted, removed, dluc, co2_emitted):
    """The two totals a rule can declare, from the ISO 14067 categories (plain arithmetic:
    floats, or numpy arrays with one value per ``pcf batch`` SKU).

    Parameters
    ----------
    fossil, emitted, removed, dluc
        ``fossil, biogenic_emissions, biogenic_removals, dluc`` [kg CO2e / reference flow].
    co2_emitted
        Mass of biogenic CO2 emitted [kg CO2 / reference flow] (GWP 1).

    Returns
    -------
    tuple
        ``(including_biogenic, excluding_biogenic)`` [kg CO2e / reference flow].
    """
    return fossil + emitted + removed + dluc, fossil + (emitted - co2_emitted) + dluc


def result_totals(ghg: dict, biogenic_co2_emissions_kg: float,
                  declared_per_reference_flow: float | None = None) -> dict[str, Any]:
    """Every total a rule can declare, without choosing one (that is the declaration's,
    :mod:`pcf.declaration.accounting`).

    Plain arithmetic on the categories (see the module docstring).

    Parameters
    ----------
    ghg : dict
        ``fossil, biogenic_emissions, biogenic_removals, dluc`` (and ``aircraft``, part of
        fossil) [kg CO2e / reference flow].
    biogenic_co2_emissions_kg : float
        Mass of biogenic CO2 emitted [kg CO2 / reference flow]; its GWP is 1, so it is also
        its share of ``biogenic_emissions`` [kg CO2e].
    declared_per_reference_flow : float or None
        Declared units per reference flow; None without a declared unit.

    Returns
    -------
    dict
        ``including_biogenic``, ``excluding_biogenic`` [kg CO2e / reference flow],
        ``per_declared_unit`` (the two [kg CO2e / declared unit], or None) and ``shares`` of
        each ISO 14067 category in ``including_biogenic`` [-, None when it is zero]:
        :class:`pcf.lca.result.Totals`.
    """
    fossil, emitted, removed, dluc = (num(ghg.get(k) or 0.0) for k in GHG_CATEGORIES)
    including, excluding = both_totals(fossil, emitted, removed, dluc, num(biogenic_co2_emissions_kg))
    figures = {"including_biogenic": including, "excluding_biogenic": excluding}
    base = figures["including_biogenic"]
    per_du = None
    if declared_per_reference_flow:
        per_du = {k: v / declared_per_reference_flow for k, v in figures.items()}
    return {**figures, "per_declared_unit": per_du,
            "shares": {k: (num(ghg.get(k) or 0.0) / base if base else None) for k in SHARE_KEYS}}


SUB_INDICATOR_PARTS: dict[str, tuple[str, ...]] = {
    "climate change": ("fossil", "biogenic_non_co2", "dluc"),
    "climate change: fossil": ("fossil",),
    "climate change: biogenic": ("biogenic_non_co2",),
    "climate change: land use and land use change": ("dluc",),
}
"""EF climate-change indicator -> the parts of the by-flow split it adds up.

The classes of :func:`pcf.lca.prepare.flow_category` are exactly the EF sub-indicators' flows
(every factor of ``EF v3.1`` fossil / biogenic / land use classifies as fossil / biogenic
emissions / dLUC; tests/test_ef31.py checks it over the whole method). ``biogenic_non_co2`` is
``biogenic_emissions`` less the mass of biogenic CO2 emitted (GWP 1 in pcf's methods), plus
``biogenic_removals`` (uptake from air, -1) plus the mass taken up: the EF method counts
biogenic CO2 and its uptake 0 and characterises biogenic CH4 only."""


def sub_indicators(spec: Any, by_flow: dict, biogenic_co2: dict,
                   declared_per_reference_flow: float | None) -> list[dict[str, Any]]:
    """The method's sub-indicators (:class:`pcf.lca.result.SubIndicator`).

    Parameters
    ----------
    spec : pcf.background.MethodSpec
        Its ``sub_indicators`` (``(indicator, source method)``, the method's total first).
    by_flow : dict
        ``fossil, biogenic_emissions, biogenic_removals, dluc`` by each flow's own category
        (:attr:`pcf.lca.inventory.Solution.ghg_by_flow`) [kg CO2e / reference flow].
    biogenic_co2 : dict
        ``co2_emissions_kg``, ``co2_removals_kg`` [kg CO2 / reference flow].
    declared_per_reference_flow : float or None

    Returns
    -------
    list of dict
        ``{indicator, method, kg_co2e, per_declared_unit, share}``; empty for a method without
        sub-indicators.

    Raises
    ------
    KeyError
        An indicator not in :data:`SUB_INDICATOR_PARTS`.
    """
    co2 = num(biogenic_co2["co2_emissions_kg"]) - num(biogenic_co2["co2_removals_kg"])
    parts = {"fossil": num(by_flow["fossil"]), "dluc": num(by_flow["dluc"]),
             "biogenic_non_co2": num(by_flow["biogenic_emissions"]) + num(by_flow["biogenic_removals"]) - co2}
    out = []
    for indicator, method in spec.sub_indicators:
        value = sum(parts[p] for p in SUB_INDICATOR_PARTS[indicator])
        out.append({"indicator": indicator, "method": list(method), "kg_co2e": value,
                    "per_declared_unit": value / declared_per_reference_flow if declared_per_reference_flow else None})
    base = out[0]["kg_co2e"] if out else 0.0
    for item in out:
        item["share"] = item["kg_co2e"] / base if base else None
    return out


def account(system: Any, ghg: dict, biogenic_carbon: dict) -> tuple[dict, dict]:
    """Every total and the extended ``biogenic_carbon`` of a footprint.

    Parameters
    ----------
    system : pcf.model.ProductSystem
        For the standard, the declared units per reference flow and the carbon content.
    ghg : dict
        The ISO 14067 categories [kg CO2e / reference flow].
    biogenic_carbon : dict
        ``co2_emissions_kg``, ``co2_removals_kg`` [kg CO2 / reference flow].

    Returns
    -------
    tuple of dict
        ``(totals, biogenic_carbon)``: :func:`result_totals`, and ``biogenic_carbon`` plus
        ``net_kg_co2e`` (biogenic emissions + removals [kg CO2e / reference flow]) and
        :func:`carbon_content`.
    """
    figures = result_totals(ghg, biogenic_carbon["co2_emissions_kg"], system.declared_per_reference_flow)
    extended = {**biogenic_carbon, "net_kg_co2e": num(ghg["biogenic_emissions"]) + num(ghg["biogenic_removals"]),
                **carbon_content(system.biogenic_carbon_content)}
    return figures, extended

