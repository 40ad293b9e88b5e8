"""What the CFP study report shows on biogenic carbon, dLUC and the declared total.

Rows for ``label_templates/report_biogenic.html.j2`` (section 2.4), computed from the
result's ``totals`` and ``biogenic_carbon`` (see :mod:`pcf.lca.biogenic`). A result written
before these fields existed gives None, and the section is left out.

References
----------
ISO 14067:2018 7.3 (separate documentation of biogenic emissions and removals, dLUC,
aircraft emissions; biogenic carbon content); PACT v3 ``pcfIncludingBiogenicUptake``,
``pcfExcludingBiogenicUptake``, ``biogenicCarbonContent``, ``packagingBiogenicCarbonContent``.
"""

from __future__ import annotations

from pcf.declaration import Declaration
from pcf.render import fmt

#: The totals a rule can declare: key -> (Chinese, English).
TOTAL_NAMES: dict[str, tuple[str, str]] = {
    "including_biogenic": ("含生物源排放与清除", "Including biogenic emissions and removals"),
    "excluding_biogenic": ("不含生物源 CO2 排放与清除", "Excluding biogenic CO2 emissions and removals"),
}


def _du_text(value: float | None, per_ref: float | None) -> str:
    return fmt.DASH if value is None or not per_ref else fmt.sig(value / per_ref)


def context(declaration: Declaration) -> dict | None:
    """Rows of the biogenic-carbon section of the report.

    Returns
    -------
    dict or None
        ``totals``: rows ``{key, zh, en, kg_text, kg_du_text, declared}`` of the two totals
        [kg CO2e per reference flow / per declared unit]; ``declared``: ``{zh, en, kg_text,
        kg_du_text, basis, dluc_included}`` (the figure of the rule, with or without dLUC,
        :meth:`Declaration.declared_value`); ``rule``: ``{source, description, clause,
        confidence, note}``; ``carbon``: rows ``{zh, en, value_text, unit}`` (biogenic CO2
        emitted and taken up [kg CO2], net biogenic [kg CO2e], carbon content of product and
        packaging [kg C and kg CO2e]); ``content_source``, ``content_stated`` (bool),
        ``dluc_share_text``, ``aircraft_text``; ``sub_indicators``: rows ``{indicator, kg_text,
        kg_du_text, share_text}`` of the method's sub-indicators (EF 3.1, empty for the IPCC
        methods). None when the result has no ``totals``.
    """
    result = declaration.result
    totals = result.totals
    if totals is None:
        return None
    declared_unit = result.product.declared_unit
    per_ref = float(declared_unit.per_reference_flow) if declared_unit else None
    basis = declaration.accounting.declared_total
    dluc_included = declaration.accounting.dluc_included
    declared_kg = declaration.declared_value("reference_flow")
    rows = [{"key": key, "zh": zh, "en": en, "kg_text": fmt.sig(getattr(totals, key)),
             "kg_du_text": _du_text(getattr(totals, key), per_ref), "declared": key == basis}
            for key, (zh, en) in TOTAL_NAMES.items()]
    zh, en = TOTAL_NAMES[basis]
    declared = {"zh": "声明值 " + zh + ("" if dluc_included else "，不含 dLUC"),
                "en": "Declared: " + en[0].lower() + en[1:] + ("" if dluc_included else ", without dLUC"),
                "kg_text": fmt.sig(declared_kg), "kg_du_text": _du_text(declared_kg, per_ref),
                "basis": basis, "dluc_included": dluc_included}
    bio = result.biogenic_carbon

    def value(key: str) -> str:
        v = getattr(bio, key, None)
        return fmt.DASH if v is None else fmt.sig(v)

    carbon = [
        {"zh": "生物源 CO2 排放", "en": "Biogenic CO2 emitted", "value_text": value("co2_emissions_kg"), "unit": "kg CO2"},
        {"zh": "生物源 CO2 吸收", "en": "Biogenic CO2 taken up", "value_text": value("co2_removals_kg"), "unit": "kg CO2"},
        {"zh": "生物源净值（排放 + 清除）", "en": "Net biogenic (emissions + removals)",
         "value_text": _net_text(bio), "unit": "kg CO2e"},
        {"zh": "产品生物源碳含量", "en": "Biogenic carbon content of the product",
         "value_text": value("content_product_kg_c"), "unit": "kg C"},
        {"zh": "", "en": "= as CO2", "value_text": value("content_product_kg_co2e"), "unit": "kg CO2e"},
        {"zh": "包装生物源碳含量", "en": "Biogenic carbon content of the packaging",
         "value_text": value("content_packaging_kg_c"), "unit": "kg C"},
        {"zh": "", "en": "= as CO2", "value_text": value("content_packaging_kg_co2e"), "unit": "kg CO2e"},
    ]
    shares = totals.shares
    return {
        "totals": rows, "declared": declared, "rule": declaration.accounting.to_dict(), "carbon": carbon,
        "content_stated": bio.content_product_kg_c is not None,
        "content_source": bio.content_source or None,
        "co2_per_c_text": fmt.sig(bio.content_co2_per_c, 6) if bio.content_co2_per_c else fmt.DASH,
        "dluc_text": fmt.sig(result.ghg.dluc), "dluc_share_text": fmt.pct(shares.dluc),
        "aircraft_text": fmt.sig(result.ghg.aircraft), "aircraft_share_text": fmt.pct(shares.aircraft),
        "sub_indicators": [{"indicator": s.indicator, "kg_text": fmt.sig(s.kg_co2e),
                            "kg_du_text": _du_text(s.kg_co2e, per_ref), "share_text": fmt.pct(s.share)}
                           for s in result.sub_indicators or ()],
        "method_label": fmt.method_label(result),
    }


def _net_text(bio) -> str:
    """The net biogenic figure; ``≈ 0`` when it is below a millionth of the gross flows (the
    rounding left by subtracting two equal amounts, -0.00000001958 kg CO2e against 1.669 kg
    emitted and taken up: issue 20), ``0`` when exactly zero."""
    net = getattr(bio, "net_kg_co2e", None)
    if net is None:
        return fmt.DASH
    gross = max(abs(float(getattr(bio, "co2_emissions_kg", None) or 0.0)),
                abs(float(getattr(bio, "co2_removals_kg", None) or 0.0)))
    if net != 0 and abs(float(net)) <= 1e-6 * gross:
        return "≈ 0"
    return fmt.sig(net)
