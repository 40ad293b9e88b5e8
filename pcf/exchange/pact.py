"""PACT ``ProductFootprint`` documents (WBCSD Partnership for Carbon Transparency), v3.0 and v2.3.

The mapping, field by field, is in ``docs/exchange.md``. What differs between the versions:
v3 states every figure per ``declaredUnitAmount`` declared units (the whole product: a
battery pack is ``1 piece``), v2 per one declared unit with ``unitaryProductAmount`` the
count of declared units in the product (v2 has no ``piece``, so a counted product is
declared per kilogram through ``exchange.product_mass``); v3 writes decimals as strings and
rates data quality on 1..5 (v3.0 ``DataQualityIndicators``: "MUST be between 1 and 5
inclusive"), the PEF scale pcf rates on, so the rating is written unchanged; v2 rates on 1..3
with completeness, which pcf does not rate (the v2 ``dqi`` is therefore left out, the rating
is in ``comment`` on both scales, :func:`pcf.exchange.common.dqr_1_to_3`, and the primary data
share given, as v2 allows for reference periods before 2025).

References
----------
PACT Technical Specifications v3.0.3 and v2.3.3 (OpenAPI, ``../shared/specs/pact-v3``,
``pact-v2``); PACT Methodology v3.0 (2025).
"""

from __future__ import annotations

from ..core import numbers

from ..declaration import Declaration
from ..pcr.assessment import PcrRef
from . import common
from .common import decimal

V3_UNITS = ("piece", "kilogram", "liter", "kilowatt hour", "square meter", "ton kilometer")
V2_UNITS = ("kilogram", "liter", "kilowatt hour", "square meter", "ton kilometer")
CROSS_SECTORAL = {"ISO 14067:2018": ["ISO14067"], "GB/T 24067-2024": ["ISO14067"]}
"""pcf standard -> PACT crossSectoralStandards (GB/T 24067-2024 is the Chinese standard based on
ISO 14067:2018; PACT has no code of its own for it, the comment names it)."""


def pact_v3(declaration: Declaration) -> dict:
    """The declaration as a PACT v3.0 ``ProductFootprint``.

    Parameters
    ----------
    declaration : Declaration
        A footprint result with its assessment (docs/result-json.md).

    Returns
    -------
    dict
        Valid against ``components/schemas/ProductFootprint`` of the PACT v3 OpenAPI document.

    Raises
    ------
    ExchangeError
        The result lacks what v3 requires: ``exchange.company``, ``exchange.reference_period``,
        ``exchange.fossil_carbon_content``, the product mass when the declared unit is not a
        mass (``exchange.product_mass``), or an IPCC method.
    """
    b = common.basis(declaration, "PACT v3", V3_UNITS)
    r = declaration.result
    pcf = _v3_pcf(declaration, b)
    extra = _gate_note(declaration, b.gate, "outboundLogisticsGhgEmissions")
    if b.figures.uptake is None:
        extra.append("The biogenic carbon content of the product is not stated (blank): pcfIncludingBiogenicUptake "
                     "counts no product uptake.")
    doc = {
        "id": common.footprint_id(declaration, "pact-v3"),
        "specVersion": "3.0.0",
        "created": common.timestamp(r.created_at),
        "status": "Active",
        "companyName": b.company["name"],
        "companyIds": list(b.company["ids"]),
        "productDescription": common.product_description(declaration),
        "productIds": common.product_ids(declaration),
        "productNameCompany": r.product.name,
        "comment": common.comment(declaration, b.unit, extra + _standard_note(declaration)),
        "pcf": pcf,
    }
    classes = product_classifications(declaration)
    if classes:
        doc["productClassifications"] = classes
    return doc


def _v3_pcf(declaration: Declaration, b: common.Basis) -> dict:
    """The ``pcf`` object of a v3 ``ProductFootprint`` (figures per ``declaredUnitAmount``
    declared units = per reference flow)."""
    r = declaration.result
    unit, f, ex = b.unit, b.figures, b.exchange
    per = 1.0  # v3: figures per declaredUnitAmount declared units = per reference flow
    if unit.unit == "kilogram":
        mass = unit.per_reference_flow
    elif unit.product_mass_kg is not None:
        mass = unit.product_mass_kg
    else:
        mass = common.require(declaration, "product_mass_kg", b.fmt, "the product mass (productMassPerDeclaredUnit)")
    pcf: dict = {
        "declaredUnitOfMeasurement": unit.unit,
        "declaredUnitAmount": decimal(unit.per_reference_flow),
        "productMassPerDeclaredUnit": decimal(mass),
        "referencePeriodStart": b.start,
        "referencePeriodEnd": b.end,
        **common.geography(declaration),
        "boundaryProcessesDescription": common.boundary_description(declaration, b.gate),
        "pcfExcludingBiogenicUptake": decimal(f.excluding * per),
        "fossilGhgEmissions": decimal(f.fossil * per),
        "fossilCarbonContent": decimal(b.fossil_carbon_kg_c * per),
        "landUseChangeGhgEmissions": decimal(f.dluc * per),
        "biogenicNonCO2Emissions": decimal(f.biogenic_non_co2 * per),
        "aircraftGhgEmissions": decimal(f.aircraft * per),
        "ipccCharacterizationFactors": common.ipcc_reports(declaration),
        "crossSectoralStandards": CROSS_SECTORAL.get(r.study.standard, ["ISO14067"]),
    }
    if f.uptake is not None:
        pcf["pcfIncludingBiogenicUptake"] = decimal(f.including * per)
        pcf["biogenicCO2Uptake"] = decimal(min(f.uptake, 0.0) * per)
        pcf["biogenicCarbonContent"] = decimal(f.biogenic_content_kg_c * per)
    else:
        # the product's carbon content is not stated: PACT's "blank if unknown"; the including figure is
        # then the excluding one (no product uptake counted), said in the comment
        pcf["pcfIncludingBiogenicUptake"] = decimal(f.excluding * per)
    if f.packaging_biogenic_content_kg_c is not None:
        pcf["packagingBiogenicCarbonContent"] = decimal(f.packaging_biogenic_content_kg_c * per)
    if ex.packaging_included is not None:
        pcf["packagingEmissionsIncluded"] = bool(ex.packaging_included)
    if "distribution" in r.stages:
        pcf["outboundLogisticsGhgEmissions"] = decimal(common.figures(declaration, ["distribution"]).excluding * per)
    rules = product_rules(declaration)
    if rules:
        pcf["productOrSectorSpecificRules"] = rules
    exemption = common.exempted(declaration, b.gate)
    pcf["exemptedEmissionsPercent"] = decimal(exemption.percent)
    pcf["exemptedEmissionsDescription"] = exemption.description
    pcf["allocationRulesDescription"] = common.allocation_description(declaration)
    sources = common.secondary_sources(declaration)
    if sources:
        pcf["secondaryEmissionFactorSources"] = sources
    dq = r.data_quality
    if dq is not None and dq.primary_data_share_percent is not None:
        pcf["primaryDataShare"] = decimal(dq.primary_data_share_percent)
    if dq is not None and dq.dqr:
        # v3.0 rates 1..5 ("The value MUST be between 1 and 5 inclusive", changelog 3.0.0: "DQR ratings ... now
        # range between 1 and 5"): the PEF rating as it is, no conversion (docs/exchange.md, "Data quality")
        pcf["dqi"] = {"technologicalDQR": decimal(dq.dqr.ter, 4), "geographicalDQR": decimal(dq.dqr.ger, 4),
                      "temporalDQR": decimal(dq.dqr.tir, 4)}
    if ex.verification:
        pcf["verification"] = _verification(ex.verification)
    return pcf


def pact_v2(declaration: Declaration) -> dict:
    """The declaration as a PACT v2.3 ``ProductFootprint`` (figures per one declared unit).

    Raises
    ------
    ExchangeError
        As :func:`pact_v3`, and: ``exchange.cpc`` (``productCategoryCpc``) and
        ``exchange.packaging_included`` are required in v2; a counted reference flow needs
        ``exchange.product_mass`` (declared per kilogram); a system with biogenic CO2 flows
        needs ``product.biogenic_carbon_content``.
    """
    b = common.basis(declaration, "PACT v2", V2_UNITS, cpc_field="productCategoryCpc")
    r = declaration.result
    unit, gate, f, ex, company, start, end = b.unit, b.gate, b.figures, b.exchange, b.company, b.start, b.end
    per = 1.0 / unit.per_reference_flow
    fossil_c, cpc, packaging = b.fossil_carbon_kg_c, b.cpc, b.packaging_included
    if f.uptake is None:
        raise common.ExchangeError("PACT v2 needs the biogenic carbon content of the product (the system has biogenic "
                                   "CO2 flows): add product.biogenic_carbon_content to the model")
    report = common.ipcc_reports(declaration)
    pcf: dict = {
        "declaredUnit": unit.unit,
        "unitaryProductAmount": decimal(unit.per_reference_flow),
        "pCfExcludingBiogenic": decimal(f.excluding * per),
        "pCfIncludingBiogenic": decimal(f.including * per),
        "fossilGhgEmissions": decimal(f.fossil * per),
        "fossilCarbonContent": decimal(fossil_c * per),
        "biogenicCarbonContent": decimal(f.biogenic_content_kg_c * per),
        "dLucGhgEmissions": decimal(f.dluc * per),
        "otherBiogenicGhgEmissions": decimal(f.biogenic_non_co2 * per),
        "biogenicCarbonWithdrawal": decimal(min(f.uptake, 0.0) * per),
        "aircraftGhgEmissions": decimal(f.aircraft * per),
        "characterizationFactors": IPCC_V2.get(r.method, report[0]),
        "ipccCharacterizationFactorsSources": report,
        "crossSectoralStandardsUsed": ["ISO Standard 14067"],
        "crossSectoralStandards": CROSS_SECTORAL.get(r.study.standard, ["ISO14067"]),
        "boundaryProcessesDescription": common.boundary_description(declaration, gate),
        "referencePeriodStart": start,
        "referencePeriodEnd": end,
        **common.geography(declaration),
        "packagingEmissionsIncluded": bool(packaging),
        "allocationRulesDescription": common.allocation_description(declaration),
    }
    mass = unit.product_mass_kg
    if mass is not None:
        pcf["productMassPerDeclaredUnit"] = decimal(mass * per)
    rules = product_rules(declaration)
    if rules:
        pcf["productOrSectorSpecificRules"] = rules
    exemption = common.exempted(declaration, gate)
    pcf["exemptedEmissionsPercent"] = common.rounded(exemption.percent)
    pcf["exemptedEmissionsDescription"] = exemption.description
    sources = common.secondary_sources(declaration)
    if sources:
        pcf["secondaryEmissionFactorSources"] = sources
    dq = r.data_quality
    if dq is not None and dq.primary_data_share_percent is not None:
        pcf["primaryDataShare"] = common.rounded(dq.primary_data_share_percent)
    if ex.verification:
        pcf["assurance"] = _assurance(ex.verification, declaration)
    notes = _gate_note(declaration, gate, None)
    if dq is not None and dq.dqr:
        q = dq.dqr
        to3 = common.dqr_1_to_3
        notes.append(f"Data quality (PEF, 1 best .. 5): TeR {q.ter:.2f}, GeR {q.ger:.2f}, TiR {q.tir:.2f}, "
                     f"P {q.p:.2f}, DQR {q.dqr:.2f}; on the PACT 1..3 scale ({common.DQR_PEF_TO_1_3}): TeR "
                     f"{to3(q.ter):.2f}, GeR {to3(q.ger):.2f}, TiR {to3(q.tir):.2f}, reliability (P) {to3(q.p):.2f}; "
                     "the v2 dqi is not given (it requires completenessDQR, which pcf does not rate).")
    doc = {
        "id": common.footprint_id(declaration, "pact-v2"),
        "specVersion": "2.3.0",
        "version": 1,
        "created": common.timestamp(r.created_at),
        "status": "Active",
        "companyName": company["name"],
        "companyIds": list(company["ids"]),
        "productDescription": common.product_description(declaration),
        "productIds": common.product_ids(declaration),
        "productCategoryCpc": cpc,
        "productNameCompany": r.product.name,
        "comment": common.comment(declaration, unit, notes + _standard_note(declaration)),
        "pcf": pcf,
    }
    classes = product_classifications(declaration)
    if classes:
        doc["productClassifications"] = classes
    return doc


IPCC_V2 = {"ipcc-2021-gwp100": "AR6", "ipcc-2013-gwp100": "AR5", "ef-3.1-climate-change": "AR6"}


def product_rules(declaration: Declaration) -> list[dict]:
    """``productOrSectorSpecificRules`` from the PCR the result was assessed against."""
    pcr = declaration.assessment.pcr if declaration.assessment is not None else None
    if not pcr:
        return []
    return [{"operator": "Other", "ruleNames": [pcr_name(pcr)], "otherOperatorName": pcr_operator(pcr)}]


def pcr_name(pcr: PcrRef) -> str:
    """The PCR's title (or id) as a rule name."""
    return " ".join((pcr.title or pcr.id).split())


def pcr_operator(pcr: PcrRef) -> str:
    """Who states the rules pcf applied: its machine-readable rule file, and what that file cites."""
    text = f"pcf rule file pcr_rules/{pcr.id}.yaml version {pcr.version}"
    if pcr.source:
        text += f", after: {' '.join(pcr.source.split())}"
    return text[:400]


def product_classifications(declaration: Declaration) -> list[str]:
    """``productClassifications``: ``urn:pact:productclassification:un-cpc:<exchange.cpc>`` and
    ``exchange.classifications``."""
    ex = common.exchange_data(declaration)
    classes = list(ex.classifications)
    if ex.cpc:
        cpc = f"urn:pact:productclassification:un-cpc:{ex.cpc}"
        if cpc not in classes:
            classes.insert(0, cpc)
    return classes


def _gate_note(declaration: Declaration, gate: list[str], outbound: str | None) -> list[str]:
    """What a cradle-to-gate export leaves out of a longer study."""
    r = declaration.result
    left = [s for s in r.stages if s not in gate]
    if not left:
        return []
    per_ref = f"{numbers.amount(r.product.reference_flow.amount)} {r.product.reference_flow.unit}"
    text = ", ".join(f"{common.STAGE_NAMES.get(s, s)} {numbers.figure(r.stages[s])} kg CO2e" for s in left)
    note = (f"Cradle-to-gate figures (PACT Methodology 3.2.3); the study's later stages are not in them: {text} "
            f"per {per_ref}")
    if outbound and "distribution" in left:
        note += f" (distribution is given as {outbound})"
    return [note + "."]


def _standard_note(declaration: Declaration) -> list[str]:
    standard = declaration.result.study.standard
    if standard and standard != "ISO 14067:2018":
        return [f"Study standard: {standard} (declared as ISO14067)."]
    return []


def _verification(v: dict) -> dict:
    out = {}
    if v.get("coverage"):
        out["coverage"] = v["coverage"]
    if v.get("provider"):
        out["providerName"] = v["provider"]
    if v.get("completed"):
        out["completedAt"] = common.timestamp(v["completed"])
    if v.get("standard"):
        out["standardName"] = v["standard"]
    if v.get("comments"):
        out["comments"] = v["comments"]
    return out


def _assurance(v: dict, declaration: Declaration) -> dict:
    coverage = {"PCF calculation model": "PCF system", "PCF program": "PCF system", "product level": "product level"}
    out = {"assurance": True, "providerName": v.get("provider") or ""}
    if v.get("coverage"):
        out["coverage"] = coverage[v["coverage"]]
    if declaration.result.study.boundary == "cradle-to-gate":
        out["boundary"] = "Cradle-to-Gate"
    if v.get("completed"):
        out["completedAt"] = common.timestamp(v["completed"])
    if v.get("standard"):
        out["standardName"] = v["standard"]
    if v.get("comments"):
        out["comments"] = v["comments"]
    return out
