"""Biogenic carbon and dLUC: separate reporting and the declared total.

ISO 14067:2018 includes fossil and biogenic GHG emissions and removals and dLUC emissions in
the CFP and asks for them to be documented separately (7.3; 6.4.9.2 for the -1/+1 treatment
of biogenic CO2, which pcf's methods apply: ``Carbon dioxide, non-fossil`` +1, ``Carbon
dioxide, in air`` -1). A PCR may declare another figure. This module computes both
figures a rule can select, from the categories of ``FootprintResult.ghg``, and picks the
declared one:

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

import math
from dataclasses import asdict, dataclass
from typing import Any

from ..core.vocabulary import GHG_CATEGORIES, GHG_DISPLAY

MOLAR_MASS_C = 12.011
"""Molar mass of carbon [g/mol], CIAAW/IUPAC abridged standard atomic weight."""
MOLAR_MASS_O = 15.999
"""Molar mass of oxygen [g/mol], CIAAW/IUPAC abridged standard atomic weight."""
MOLAR_MASS_CO2 = MOLAR_MASS_C + 2 * MOLAR_MASS_O
"""Molar mass of CO2 [g/mol] = 44.009."""
CO2_PER_C = MOLAR_MASS_CO2 / MOLAR_MASS_C
"""kg CO2 per kg C = 44.009 / 12.011 = 3.66406... [kg CO2 / kg C]."""

BASES: tuple[str, ...] = ("including_biogenic", "excluding_biogenic")
"""Figures a rule can declare (see the module docstring)."""

SHARE_KEYS = GHG_DISPLAY


@dataclass(frozen=True)
class AccountingRule:
    """Which total is declared, and where that rule comes from.

    Attributes
    ----------
    declared_total : str
        One of :data:`BASES`.
    dluc_included : bool
        Whether dLUC emissions count in the declared figure.
    description, clause, confidence : str
        What the rule says, the clause it comes from, and its confidence tag (P, S, W as in
        NOTES.md).
    source : str
        ``ISO 14067:2018 (standard default)`` or ``PCR <id> <version>``.
    note : str or None
        What was not verified, or how the rule was applied.
    """

    declared_total: str
    dluc_included: bool
    description: str
    clause: str
    confidence: str
    source: str
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_ISO = AccountingRule(
    declared_total="including_biogenic",
    dluc_included=True,
    description=("Fossil and biogenic GHG emissions and removals and dLUC emissions are included in the CFP "
                 "(biogenic CO2 +1, its uptake -1) and documented separately in the CFP study report."),
    clause="ISO 14067:2018 6.4.9.2 and 7.3 (numbering after NOTES.md §5; ISO/DIS 14067:2012 6.3.9.2 wording seen)",
    confidence="S",
    source="ISO 14067:2018 (standard default)",
)

STANDARD_RULES: dict[str, AccountingRule] = {
    "ISO 14067:2018": _ISO,
    "GB/T 24067-2024": AccountingRule(
        declared_total="including_biogenic", dluc_included=True, description=_ISO.description,
        clause="GB/T 24067-2024, following ISO 14067:2018 6.4.9.2 and 7.3",
        confidence="W", source="GB/T 24067-2024 (standard default)",
        note="Separate reporting in GB/T 24067-2024 is likely but was not verified (NOTES.md §3a).",
    ),
}
"""Default rule of each study standard, used when no PCR states one."""


def rule_for(pcr: Any = None, standard: str = "ISO 14067:2018") -> AccountingRule:
    """The accounting rule that applies to a study.

    Parameters
    ----------
    pcr : pcf.pcr.PCR or None
        The PCR the result is declared under; its ``ghg_accounting`` section decides. Without
        a PCR, or when the PCR states no rule, the study standard's default applies.
    standard : str
        ``study.standard`` of the model.

    Returns
    -------
    AccountingRule
    """
    default = STANDARD_RULES.get(standard, _ISO)
    section = getattr(pcr, "ghg_accounting", None)
    if section is None:
        if pcr is None:
            return default
        note = f"PCR {pcr.id} states no rule for biogenic carbon and dLUC; the standard's default applies."
        return AccountingRule(**{**default.to_dict(), "note": note})
    return AccountingRule(
        declared_total=section.declared_total, dluc_included=section.dluc == "included",
        description=section.description, clause=section.clause, confidence=section.confidence,
        source=f"PCR {pcr.id} {pcr.version}", note=section.note,
    )


def declared_figures(fossil, emitted, removed, dluc, co2_emitted, rule: AccountingRule) -> dict:
    """The totals a rule can select and the declared one, from the ISO 14067 categories.

    Plain arithmetic: the arguments may be floats or numpy arrays (one value per batch SKU,
    :mod:`pcf.batch`).

    Parameters
    ----------
    fossil, emitted, removed, dluc
        ``fossil, biogenic_emissions, biogenic_removals, dluc`` [kg CO2e / reference flow].
    co2_emitted
        Mass of biogenic CO2 emitted [kg CO2 / reference flow] (GWP 1).
    rule : AccountingRule

    Returns
    -------
    dict
        ``including_biogenic``, ``excluding_biogenic``, ``declared`` [kg CO2e / reference flow].

    Raises
    ------
    ValueError
        ``rule.declared_total`` is not one of :data:`BASES`.
    """
    if rule.declared_total not in BASES:
        raise ValueError(f"unknown declared total {rule.declared_total!r}; use one of {', '.join(BASES)}")
    figures = {"including_biogenic": fossil + emitted + removed + dluc,
               "excluding_biogenic": fossil + (emitted - co2_emitted) + dluc}
    figures["declared"] = figures[rule.declared_total] - (0.0 if rule.dluc_included else dluc)
    return figures


def totals(ghg: dict, biogenic_co2_emissions_kg: float, rule: AccountingRule,
           declared_per_reference_flow: float | None = None) -> dict[str, Any]:
    """Every total a rule can select, and the declared one.

    Parameters
    ----------
    ghg : dict
        ``fossil, biogenic_emissions, biogenic_removals, dluc`` (and ``aircraft``, part of
        fossil) [kg CO2e / reference flow].
    biogenic_co2_emissions_kg : float
        Mass of biogenic CO2 emitted [kg CO2 / reference flow]; its GWP is 1, so it is also
        its share of ``biogenic_emissions`` [kg CO2e].
    rule : AccountingRule
    declared_per_reference_flow : float or None
        Declared units per reference flow; None without a declared unit.

    Returns
    -------
    dict
        ``including_biogenic``, ``excluding_biogenic``, ``declared`` [kg CO2e / reference
        flow]; ``declared_total`` (the basis), ``dluc_included``; ``per_declared_unit`` (the
        same three figures [kg CO2e / declared unit], or None); ``shares`` of each ISO 14067
        category in ``including_biogenic`` [-, None when that total is zero]; ``rule``
        (:meth:`AccountingRule.to_dict`).

    Raises
    ------
    ValueError
        ``rule.declared_total`` is not one of :data:`BASES`.
    """
    fossil, emitted, removed, dluc = (float(ghg.get(k) or 0.0) for k in GHG_CATEGORIES)
    figures = declared_figures(fossil, emitted, removed, dluc, float(biogenic_co2_emissions_kg), rule)
    base = figures["including_biogenic"]
    per_du = None
    if declared_per_reference_flow:
        per_du = {k: v / declared_per_reference_flow for k, v in figures.items()}
    return {
        **figures,
        "declared_total": rule.declared_total,
        "dluc_included": rule.dluc_included,
        "per_declared_unit": per_du,
        "shares": {k: (float(ghg.get(k) or 0.0) / base if base else None) for k in SHARE_KEYS},
        "rule": rule.to_dict(),
    }


def totals_of_result(result: dict, rule: AccountingRule) -> dict[str, Any] | None:
    """:func:`totals` recomputed from a result dict under another rule (e.g. the PCR of an
    assessment); None when the result has no ``ghg`` split."""
    ghg = result.get("ghg")
    if not isinstance(ghg, dict) or not all(_number(ghg.get(k)) for k in GHG_CATEGORIES):
        return None
    co2 = (result.get("biogenic_carbon") or {}).get("co2_emissions_kg")
    co2 = co2 if _number(co2) else 0.0
    declared = (result.get("product") or {}).get("declared_unit") or {}
    per_ref = declared.get("per_reference_flow")
    return totals(ghg, float(co2), rule, float(per_ref) if _number(per_ref) and per_ref > 0 else None)


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
        kg_c = None if content is None else float(getattr(content, f"{part}_kg_c"))
        out[f"content_{part}_kg_c"] = kg_c
        out[f"content_{part}_kg_co2e"] = None if kg_c is None else kg_c * CO2_PER_C
    return out


def result_totals(ghg: dict, biogenic_co2_emissions_kg: float,
                  declared_per_reference_flow: float | None = None) -> dict[str, Any]:
    """Every total a rule can declare, without choosing one (that is the declaration's).

    Parameters
    ----------
    ghg : dict
        ``fossil, biogenic_emissions, biogenic_removals, dluc`` (and ``aircraft``)
        [kg CO2e / reference flow].
    biogenic_co2_emissions_kg : float
        Mass of biogenic CO2 emitted [kg CO2 / reference flow].
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
    figures = totals(ghg, biogenic_co2_emissions_kg, _ISO, declared_per_reference_flow)
    per_du = figures["per_declared_unit"]
    return {"including_biogenic": figures["including_biogenic"], "excluding_biogenic": figures["excluding_biogenic"],
            "per_declared_unit": None if per_du is None else {k: per_du[k] for k in BASES},
            "shares": figures["shares"]}


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
    extended = {**biogenic_carbon, "net_kg_co2e": float(ghg["biogenic_emissions"]) + float(ghg["biogenic_removals"]),
                **carbon_content(system.biogenic_carbon_content)}
    return figures, extended


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
