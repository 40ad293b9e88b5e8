"""Catena-X product carbon footprint, aspect model ``io.catenax.pcf`` 7.0.0 (Catena-X PCF
Rulebook v3, aligned with PACT Technical Specifications v2): the format the automotive data
space exchanges today.

It is PACT v2 with Catena-X additions: ``piece`` as declared unit, a mandatory region
(``geographyRegionOrSubregion``, from the country through the UN geoscheme), the
``partialFullPcf`` boundary (pcf exports the cradle-to-gate figures, ``Cradle-to-gate``, with the
distribution stage in the ``distributionStage`` fields), ``extWBCSD_`` / ``extTFS_`` prefixed fields, data quality on the
PACT 1..3 scale, numbers as JSON numbers and exempted emissions at most 5 %. Figures are per
one declared unit, ``unitaryProductAmount`` the declared units in the product. Field by field:
``docs/exchange.md``.

References
----------
eclipse-tractusx/sldt-semantic-models, ``io.catenax.pcf/7.0.0/Pcf.ttl`` and its generated
JSON schema (required fields and enumerations); UN Statistics Division, Standard country or
area codes for statistical use (M49), geographic regions.
"""

from __future__ import annotations

from ..declaration import Declaration
from ..core.errors import ExchangeError
from . import common
from .pact import pcr_name, pcr_operator

UNITS = ("piece", "kilogram", "liter", "kilowatt hour", "square meter", "ton kilometer")

M49_SUBREGION = {
    **dict.fromkeys(["CN", "JP", "KR", "KP", "TW", "HK", "MO", "MN"], "Eastern Asia"),
    **dict.fromkeys(["VN", "TH", "MY", "ID", "PH", "SG", "KH", "LA", "MM", "BN", "TL"], "South-eastern Asia"),
    **dict.fromkeys(["IN", "PK", "BD", "LK", "NP", "BT", "MV", "IR", "AF"], "Southern Asia"),
    **dict.fromkeys(["KZ", "UZ", "TM", "KG", "TJ"], "Central Asia"),
    **dict.fromkeys(["TR", "SA", "AE", "IL", "QA", "KW", "OM", "BH", "JO", "LB", "IQ", "SY", "YE", "GE", "AM", "AZ", "CY"],
                    "Western Asia"),
    **dict.fromkeys(["DE", "FR", "NL", "BE", "AT", "CH", "LU", "LI", "MC"], "Western Europe"),
    **dict.fromkeys(["PL", "CZ", "HU", "SK", "RO", "BG", "RU", "UA", "BY", "MD"], "Eastern Europe"),
    **dict.fromkeys(["IT", "ES", "PT", "GR", "SI", "HR", "BA", "RS", "ME", "MK", "AL", "MT", "AD", "SM", "VA"],
                    "Southern Europe"),
    **dict.fromkeys(["GB", "IE", "SE", "NO", "FI", "DK", "IS", "EE", "LV", "LT"], "Northern Europe"),
    **dict.fromkeys(["US", "CA"], "Northern America"),
    **dict.fromkeys(["MX", "BR", "AR", "CL", "CO", "PE", "VE", "EC", "UY", "PY", "BO", "CR", "PA", "CU", "DO", "GT"],
                    "Latin America and the Caribbean"),
    **dict.fromkeys(["AU", "NZ"], "Australia and New Zealand"),
    **dict.fromkeys(["MA", "DZ", "TN", "EG", "LY", "SD"], "Northern Africa"),
    **dict.fromkeys(["ZA", "NG", "KE", "ET", "GH", "CD", "TZ", "UG", "ZM", "ZW", "MZ", "AO"], "Sub-Saharan Africa"),
}
"""ISO 3166-1 country -> UN M49 sub-region (the countries where batteries, PV and their materials
are commonly made; others need ``exchange.geography`` set to a region)."""

STANDARDS = {"ISO 14067:2018": "ISO Standard 14067", "GB/T 24067-2024": "ISO Standard 14067"}


def catena_x(declaration: Declaration) -> dict:
    """The declaration as a Catena-X ``io.catenax.pcf`` 7.0.0 aspect.

    Raises
    ------
    ExchangeError
        As :func:`pcf.exchange.pact.pact_v2` (company, reference period, fossil carbon content,
        CPC, packaging statement), and: the product mass for a counted product, a region for
        the geography, exempted emissions above 5 %.
    """
    b = common.basis(declaration, "Catena-X", UNITS, cpc_field="extWBCSD_productCodeCpc")
    r = declaration.result
    fmt, unit, gate, f, company, start, end = b.fmt, b.unit, b.gate, b.figures, b.company, b.start, b.end
    per = 1.0 / unit.per_reference_flow
    fossil_c, cpc, packaging = b.fossil_carbon_kg_c, b.cpc, b.packaging_included
    mass = unit.per_reference_flow if unit.unit == "kilogram" else unit.product_mass_kg
    if mass is None:
        common.require(declaration, "product_mass_kg", fmt, "the product mass (productMassPerDeclaredUnit)")
    if f.uptake is None:
        raise ExchangeError("Catena-X needs the biogenic carbon content of the product (the system has biogenic CO2 "
                            "flows): add product.biogenic_carbon_content to the model")
    percent, description = common.exempted(declaration)
    if percent > 5:
        raise ExchangeError(f"Catena-X allows at most 5 % exempted emissions (PCF Rulebook v3: < 3 %); the cut-off "
                            f"inputs are estimated at {percent:.2f} %")
    geo = common.geography(declaration)
    region = geo.get("geographyRegionOrSubregion")
    if region is None:
        country = (geo.get("geographyCountry") or geo.get("geographyCountrySubdivision", "")[:2]) if geo else ""
        region = M49_SUBREGION.get(country) if country else "Global"
        if region is None:
            raise ExchangeError(f"Catena-X needs a region for {country}: set exchange.geography to a UN region "
                                "(e.g. Western Europe)")
    dq = r.data_quality
    content = f.biogenic_content_kg_c + fossil_c
    pcf = {
        "declaredUnit": unit.unit,
        "unitaryProductAmount": common.rounded(unit.per_reference_flow),
        "productMassPerDeclaredUnit": common.rounded(mass * per),
        "exemptedEmissionsPercent": common.rounded(percent),
        "exemptedEmissionsDescription": description,
        "boundaryProcessesDescription": common.boundary_description(declaration, gate),
        **geo,
        "geographyRegionOrSubregion": region,
        "referencePeriodStart": start,
        "referencePeriodEnd": end,
        "crossSectoralStandardsUsed": [{"crossSectoralStandard": STANDARDS.get(r.study.standard,
                                                                            "ISO Standard 14067")}],
        "productOrSectorSpecificRules": _rules(declaration),
        "extWBCSD_characterizationFactors": common.ipcc_reports(declaration)[-1],
        "extWBCSD_allocationRulesDescription": common.allocation_description(declaration),
        "extTFS_allocationWasteIncineration": "cut-off",
        "secondaryEmissionFactorSources": [{"secondaryEmissionFactorSource": f"{s['name']} {s['version']}"}
                                           for s in common.secondary_sources(declaration)],
        "extWBCSD_packagingEmissionsIncluded": bool(packaging),
        "pcfExcludingBiogenic": common.rounded(f.excluding * per),
        "pcfIncludingBiogenic": common.rounded(f.including * per),
        "fossilGhgEmissions": common.rounded(f.fossil * per),
        "biogenicCarbonEmissionsOtherThanCO2": common.rounded(f.biogenic_non_co2 * per),
        "biogenicCarbonWithdrawal": common.rounded(min(f.uptake, 0.0) * per),
        "dlucGhgEmissions": common.rounded(f.dluc * per),
        "aircraftGhgEmissions": common.rounded(f.aircraft * per),
        "carbonContentTotal": common.rounded(content * per),
        "extWBCSD_fossilCarbonContent": common.rounded(fossil_c * per),
        "carbonContentBiogenic": common.rounded(f.biogenic_content_kg_c * per),
    }
    if "distribution" in r.stages:
        pcf.update(_distribution_stage(declaration, per))
    if dq is not None and dq.primary_data_share_percent is not None:
        pcf["primaryDataShare"] = common.rounded(dq.primary_data_share_percent)
    if dq is not None and dq.dqr:
        # PEF 1..5 -> PACT 1..3
        to3 = {k: common.rounded((getattr(dq.dqr, k) + 1) / 2, 4) for k in ("ter", "ger", "tir", "p")}
        pcf["dataQualityRating"] = {"coveragePercent": common.rounded(100 * (dq.coverage or 0.0)),
                                    "technologicalDQR": to3["ter"], "geographicalDQR": to3["ger"],
                                    "temporalDQR": to3["tir"], "reliabilityDQR": to3["p"]}
    return {
        "id": common.footprint_id(declaration, "catena-x"),
        "specVersion": "urn:io.catenax.pcf:datamodel:version:7.0.0",
        "partialFullPcf": "Cradle-to-gate",
        "version": 0,
        "created": common.timestamp(r.created_at),
        "extWBCSD_pfStatus": "Active",
        "companyName": company["name"],
        "companyIds": list(company["ids"]),
        "productDescription": common.product_description(declaration),
        "productIds": common.product_ids(declaration),
        "extWBCSD_productCodeCpc": cpc,
        "productName": r.product.name,
        "comment": common.comment(declaration, unit, _later_stages(declaration, gate)),
        "pcf": pcf,
    }


def _distribution_stage(declaration: Declaration, per: float) -> dict:
    """The ``distributionStage`` fields [kg CO2e / declared unit]; ``per`` is 1 / the declared
    units per reference flow [reference flow / declared unit]."""
    d = common.figures(declaration, ["distribution"])
    return {
        "distributionStagePcfExcludingBiogenic": common.rounded(d.excluding * per),
        "distributionStagePcfIncludingBiogenic": common.rounded(d.excluding * per),
        "distributionStageFossilGhgEmissions": common.rounded(d.fossil * per),
        "distributionStageBiogenicCarbonEmissionsOtherThanCO2": common.rounded(d.biogenic_non_co2 * per),
        "distributionStageBiogenicCarbonWithdrawal": 0.0,
        "extTFS_distributionStageDlucGhgEmissions": common.rounded(d.dluc * per),
        "distributionStageAircraftGhgEmissions": common.rounded(d.aircraft * per),
    }


def _later_stages(declaration: Declaration, gate: list[str]) -> list[str]:
    stages = declaration.result.stages
    left = [s for s in stages if s not in gate]
    if not left:
        return []
    text = ", ".join(f"{common.STAGE_NAMES.get(s, s)} {stages[s]:.6g} kg CO2e" for s in left)
    return [f"Cradle-to-gate figures; the study's later stages are not in them: {text} per reference flow "
            "(distribution in the distributionStage fields)."]


def _rules(declaration: Declaration) -> list[dict]:
    pcr = declaration.assessment.pcr if declaration.assessment is not None else None
    if not pcr:
        return []
    return [{"extWBCSD_operator": "Other", "productOrSectorSpecificRules": [{"ruleName": pcr_name(pcr)}],
             "extWBCSD_otherOperatorName": pcr_operator(pcr)}]
