"""Catena-X product carbon footprint, aspect model ``io.catenax.pcf`` 7.0.0, 8.0.0 and 9.0.0:
the format the automotive data space exchanges (:func:`catena_x`, default the newest).

- **7.0.0** (Catena-X PCF Rulebook v3, aligned with PACT Technical Specifications v2): PACT v2
  with Catena-X additions: ``piece`` as declared unit, ``extWBCSD_`` / ``extTFS_`` prefixed
  fields, figures per one declared unit (``unitaryProductAmount`` the declared units in the
  product), data quality on the PACT v2 scale 1..3 (:func:`pcf.exchange.common.dqr_1_to_3`),
  exempted emissions at most 5 %.
- **8.0.0** (Rulebook v4, field names aligned with PACT v3): ``declaredUnitOfMeasurement`` /
  ``declaredUnitAmount`` with figures per the declared unit amount (= one reference flow, as
  PACT v3), data quality 1..5 (the PEF rating as it is), exempted emissions at most 10 %, and
  the new mandatory statements: ``status``, ``validityPeriodEnd``, ``retroOrProspectivePcfType``,
  ``ccsTechnologicalCO2CaptureIncluded``, ``massBalancingUsed``, ``packagingEmissionsIncluded``
  with ``packagingPcfIncludingBiogenicUptake``, ``distributionStageIncluded``.
- **9.0.0** (R25.09): the content of 8.0.0 in a deeper hierarchy of one-element lists
  (``scopeOfPcfForm``, ``companyAndProductInformation``, ``pcfAssessmentAndMethodology``, ...;
  its release notes: "otherwise no change in content").

Every version: a mandatory region (``geographyRegionOrSubregion``, from the country through the
UN geoscheme), the ``partialFullPcf`` boundary (pcf exports the cradle-to-gate figures,
``Cradle-to-gate``, with the distribution stage in the ``distributionStage`` fields), numbers as
JSON numbers. Field by field: ``docs/exchange.md``.

References
----------
eclipse-tractusx/sldt-semantic-models, ``io.catenax.pcf/<version>/Pcf.ttl``, its generated JSON
schema ``gen/Pcf-schema.json`` (transcribed for the tests in ``tests/catenax_rules.py``; the real
files: ``scripts/check-upstream-schemas``) and ``io.catenax.pcf/RELEASE_NOTES.md``; UN Statistics Division, Standard country or area codes for
statistical use (M49), geographic regions.
"""

from __future__ import annotations

from ..core import numbers

from dataclasses import dataclass
from datetime import datetime

from ..declaration import Declaration
from ..core.errors import ExchangeError
from . import common
from .pact import pcr_name, pcr_operator, product_classifications

VERSIONS = ("7.0.0", "8.0.0", "9.0.0")
"""Released ``io.catenax.pcf`` versions pcf writes, oldest first."""
LATEST = VERSIONS[-1]
EXEMPTED_MAX = {"7.0.0": 5.0, "8.0.0": 10.0, "9.0.0": 10.0}
"""Largest ``exemptedEmissionsPercent`` each version's schema accepts [%]."""

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



STANDARDS_V8 = {"ISO 14067:2018": "ISO 14067", "GB/T 24067-2024": "ISO 14067"}
"""pcf standard -> 8.0.0 / 9.0.0 ``crossSectoralStandards`` entry (the models' example value)."""

RETROSPECTIVE = {"8.0.0": "Retrospective PCF, Prospective PCF without forerunner", "9.0.0": "Retrospective PCF"}
"""``retroOrProspectivePcfType`` of a footprint of a product in series (pcf computes from the
inventory of a reference period). 8.0.0 has no value "Retrospective PCF" on its own: its first
enumeration value joins it with the prospective type without forerunner (``Pcf.ttl``
``RetroOrProspectivePcfTypeCharacteristic``); 9.0.0 separates them."""

NOT_APPLICABLE = "not applicable"


@dataclass(frozen=True)
class _Shared:
    """What every version reads from the result (:func:`_shared`)."""

    basis: common.Basis
    mass_kg: float
    exemption: common.Exemption
    geography: dict
    content_kg_c: float


def catena_x(declaration: Declaration, version: str = LATEST) -> dict:
    """The declaration as a Catena-X ``io.catenax.pcf`` aspect of ``version``.

    Parameters
    ----------
    declaration : Declaration
    version : {"7.0.0", "8.0.0", "9.0.0"}
        Default the newest.

    Returns
    -------
    dict
        Valid against that version's released ``gen/Pcf-schema.json`` (tests/test_exchange.py through
        tests/catenax_rules.py; scripts/check-upstream-schemas against the schema itself).

    Raises
    ------
    ExchangeError
        An unknown version; as :func:`pcf.exchange.pact.pact_v2` (company, reference period,
        fossil carbon content; 7.0.0: the CPC), and: the product mass for a counted product, a
        region for the geography, the biogenic carbon content of a system with biogenic CO2
        flows, exempted emissions above the version's limit (5 % / 10 %); 8.0.0 and 9.0.0: the
        packaging statement, and a packaging statement ``true`` (pcf has no packaging split
        for ``packagingPcfIncludingBiogenicUptake``).
    """
    if version not in VERSIONS:
        raise ExchangeError(f"unknown Catena-X version {version!r}; pcf writes io.catenax.pcf {', '.join(VERSIONS)}")
    c = _shared(declaration, version)
    if version == "7.0.0":
        return _v7(declaration, c)
    doc = _v8(declaration, c, version)
    return doc if version == "8.0.0" else _v9(doc)


def _shared(declaration: Declaration, version: str) -> _Shared:
    """Checks and values every version needs, in the order the errors are reported."""
    b = common.basis(declaration, "Catena-X", UNITS, cpc_field="extWBCSD_productCodeCpc" if version == "7.0.0" else None)
    unit = b.unit
    mass = unit.per_reference_flow if unit.unit == "kilogram" else unit.product_mass_kg
    if mass is None:
        mass = common.require(declaration, "product_mass_kg", b.fmt, "the product mass (productMassPerDeclaredUnit)")
    if b.figures.uptake is None:
        raise ExchangeError("Catena-X needs the biogenic carbon content of the product (the system has biogenic CO2 "
                            "flows): add product.biogenic_carbon_content to the model")
    exemption = common.exempted(declaration, b.gate)
    limit = EXEMPTED_MAX[version]
    if exemption.percent > limit:
        raise ExchangeError(f"Catena-X {version} allows at most {limit:g} % exempted emissions (PCF Rulebook: 3 %); the "
                            f"cut-off inputs are estimated at {exemption.percent:.2f} %")
    geo = dict(common.geography(declaration))
    if "geographyRegionOrSubregion" not in geo:
        country = (geo.get("geographyCountry") or geo.get("geographyCountrySubdivision", "")[:2]) if geo else ""
        region = M49_SUBREGION.get(country) if country else "Global"
        if region is None:
            raise ExchangeError(f"Catena-X needs a region for {country}: set exchange.geography to a UN region "
                                "(e.g. Western Europe)")
        geo["geographyRegionOrSubregion"] = region
    content = b.figures.biogenic_content_kg_c + b.fossil_carbon_kg_c
    return _Shared(b, mass, exemption, geo, content)


def _v7(declaration: Declaration, c: _Shared) -> dict:
    """The 7.0.0 aspect: figures per one declared unit."""
    b, r = c.basis, declaration.result
    unit, f = b.unit, b.figures
    per = 1.0 / unit.per_reference_flow
    dq = r.data_quality
    pcf = {
        "declaredUnit": unit.unit,
        "unitaryProductAmount": common.rounded(unit.per_reference_flow),
        "productMassPerDeclaredUnit": common.rounded(c.mass_kg * per),
        "exemptedEmissionsPercent": common.rounded(c.exemption.percent),
        "exemptedEmissionsDescription": c.exemption.description,
        "boundaryProcessesDescription": common.boundary_description(declaration, b.gate),
        **c.geography,
        "referencePeriodStart": b.start,
        "referencePeriodEnd": b.end,
        "crossSectoralStandardsUsed": [{"crossSectoralStandard": STANDARDS.get(r.study.standard,
                                                                            "ISO Standard 14067")}],
        "productOrSectorSpecificRules": _rules(declaration),
        "extWBCSD_characterizationFactors": common.ipcc_reports(declaration)[-1],
        "extWBCSD_allocationRulesDescription": common.allocation_description(declaration),
        "extTFS_allocationWasteIncineration": "cut-off",
        "secondaryEmissionFactorSources": [{"secondaryEmissionFactorSource": s} for s in _sources(declaration)],
        "extWBCSD_packagingEmissionsIncluded": bool(b.packaging_included),
        "pcfExcludingBiogenic": common.rounded(f.excluding * per),
        "pcfIncludingBiogenic": common.rounded(f.including * per),
        "fossilGhgEmissions": common.rounded(f.fossil * per),
        "biogenicCarbonEmissionsOtherThanCO2": common.rounded(f.biogenic_non_co2 * per),
        "biogenicCarbonWithdrawal": common.rounded(min(f.uptake, 0.0) * per),
        "dlucGhgEmissions": common.rounded(f.dluc * per),
        "aircraftGhgEmissions": common.rounded(f.aircraft * per),
        "carbonContentTotal": common.rounded(c.content_kg_c * per),
        "extWBCSD_fossilCarbonContent": common.rounded(b.fossil_carbon_kg_c * per),
        "carbonContentBiogenic": common.rounded(f.biogenic_content_kg_c * per),
    }
    if "distribution" in r.stages:
        pcf.update(_distribution_stage(declaration, per))
    if dq is not None and dq.primary_data_share_percent is not None:
        pcf["primaryDataShare"] = common.rounded(dq.primary_data_share_percent)
    if dq is not None and dq.dqr:
        q, to3 = dq.dqr, common.dqr_1_to_3  # PEF 1..5 -> the 7.0.0 scale 1..3, P as reliability
        pcf["dataQualityRating"] = {"coveragePercent": common.rounded(100 * (dq.coverage or 0.0)),
                                    "technologicalDQR": to3(q.ter), "geographicalDQR": to3(q.ger),
                                    "temporalDQR": to3(q.tir), "reliabilityDQR": to3(q.p)}
    return {
        "id": common.footprint_id(declaration, "catena-x"),
        "specVersion": "urn:io.catenax.pcf:datamodel:version:7.0.0",
        "partialFullPcf": "Cradle-to-gate",
        "version": 0,
        "created": common.timestamp(r.created_at),
        "extWBCSD_pfStatus": "Active",
        "companyName": b.company["name"],
        "companyIds": list(b.company["ids"]),
        "productDescription": common.product_description(declaration),
        "productIds": common.product_ids(declaration),
        "extWBCSD_productCodeCpc": b.cpc,
        "productName": r.product.name,
        "comment": common.comment(declaration, unit, _later_stages(declaration, b.gate)),
        "pcf": pcf,
    }


def _v8(declaration: Declaration, c: _Shared, version: str) -> dict:
    """The 8.0.0 aspect (also the content of 9.0.0): figures per ``declaredUnitAmount`` declared
    units = per reference flow, as PACT v3."""
    b, r = c.basis, declaration.result
    packaging = b.exchange.packaging_included
    if packaging is None:
        common.require(declaration, "packaging_included", b.fmt, "whether packaging emissions are included")
    if packaging:
        raise ExchangeError(f"Catena-X {version} requires the packaging emissions apart "
                            "(packagingPcfIncludingBiogenicUptake) when they are included; pcf does not split them "
                            "out of the production figures: export io.catenax.pcf 7.0.0 (catena-x@7.0.0) or PACT, "
                            "or model the packaging outside the system (exchange.packaging_included: false)")
    pcf = {
        "declaredUnitOfMeasurement": b.unit.unit,
        "declaredUnitAmount": common.rounded(b.unit.per_reference_flow),
        "productMassPerDeclaredUnit": common.rounded(c.mass_kg),
        "exemptedEmissionsPercent": common.rounded(c.exemption.percent),
        "exemptedEmissionsDescription": c.exemption.description,
        "boundaryProcessesDescription": common.boundary_description(declaration, b.gate),
        **c.geography,
        "referencePeriodStart": b.start,
        "referencePeriodEnd": b.end,
        "crossSectoralStandards": [STANDARDS_V8.get(r.study.standard, "ISO 14067")],
        "productOrSectorSpecificRules": _rule_names(declaration),
        "ipccCharacterizationFactors": common.ipcc_reports(declaration)[-1],
        "allocationRulesDescription": common.allocation_description(declaration),
        "allocationWasteIncineration": "cut-off",
        "secondaryEmissionFactorSources": _sources(declaration),
        **_v8_quality(declaration),
        **_v8_emissions(declaration, c),
        "massBalancingUsed": False,
        "freeAttributionInMassBalancing": NOT_APPLICABLE,
    }
    start, end = _validity(b.end)
    doc = {
        "id": common.footprint_id(declaration, f"catena-x@{version}"),
        "specVersion": [f"urn:io.catenax.pcf:datamodel:version:{version}"],
        "partialFullPcf": "Cradle-to-gate",
        "version": 0,
        "created": common.timestamp(r.created_at),
        "status": "Active",
        "validityPeriodStart": start,
        "validityPeriodEnd": end,
        "companyName": b.company["name"],
        "companyIds": list(b.company["ids"]),
        "productDescription": common.product_description(declaration),
        "productIds": common.product_ids(declaration),
        "productNameCompany": r.product.name,
        "pcf": pcf,
        "retroOrProspectivePcfType": RETROSPECTIVE[version],
        "ccsTechnologicalCO2CaptureIncluded": False,
        "comment": common.comment(declaration, b.unit, _later_stages(declaration, b.gate)),
    }
    classes = product_classifications(declaration)
    if classes:
        doc["productClassifications"] = classes
    return doc


def _v8_quality(declaration: Declaration) -> dict:
    """``primaryDataShare`` [%] and ``dataQualityRating`` (TeR, TiR, GeR on 1..5: the PEF rating
    unchanged; 8.0.0 / 9.0.0 ``DqiNumberTrait`` minimum 1, maximum 5, "Table 5.14 ... of v3.0
    of TFS Guideline for the rating (1-5)")."""
    dq = declaration.result.data_quality
    out: dict = {}
    if dq is not None and dq.primary_data_share_percent is not None:
        out["primaryDataShare"] = common.rounded(dq.primary_data_share_percent)
    if dq is not None and dq.dqr:
        q = dq.dqr
        out["dataQualityRating"] = {"technologicalDQR": round(q.ter, 4), "temporalDQR": round(q.tir, 4),
                                    "geographicalDQR": round(q.ger, 4)}
    return out


def _v8_emissions(declaration: Declaration, c: _Shared) -> dict:
    """Figures of 8.0.0 [kg CO2e, kg C per reference flow]: production (the gate stages),
    packaging (none inside: 0), distribution, carbon content."""
    b, r = c.basis, declaration.result
    f = b.figures
    out = {
        "packagingEmissionsIncluded": False,
        "pcfExcludingBiogenicUptake": common.rounded(f.excluding),
        "pcfIncludingBiogenicUptake": common.rounded(f.including),
        "fossilGhgEmissions": common.rounded(f.fossil),
        "biogenicNonCO2Emissions": common.rounded(f.biogenic_non_co2),
        "landUseChangeGhgEmissions": common.rounded(f.dluc),
        "aircraftGhgEmissions": common.rounded(f.aircraft),
        "biogenicCO2Uptake": common.rounded(min(f.uptake, 0.0)) + 0.0,  # + 0.0: no -0.0
        "packagingPcfIncludingBiogenicUptake": 0.0,
        "packagingPcfExcludingBiogenicUptake": 0.0,
        "carbonContentTotal": common.rounded(c.content_kg_c),
        "fossilCarbonContent": common.rounded(b.fossil_carbon_kg_c),
        "biogenicCarbonContent": common.rounded(f.biogenic_content_kg_c),
        "distributionStageIncluded": "distribution" in r.stages,
    }
    if f.packaging_biogenic_content_kg_c is not None:
        out["packagingBiogenicCarbonContent"] = common.rounded(f.packaging_biogenic_content_kg_c)
    if "distribution" in r.stages:
        d = common.figures(declaration, ["distribution"])
        out.update({
            "distributionStagePcfExcludingBiogenicUptake": common.rounded(d.excluding),
            "distributionStagePcfIncludingBiogenicUptake": common.rounded(d.excluding),
            "distributionStageFossilGhgEmissions": common.rounded(d.fossil),
            "distributionStageBiogenicNonCO2Emissions": common.rounded(d.biogenic_non_co2),
            "distributionStageLandUseChangeGhgEmissions": common.rounded(d.dluc),
            "distributionStageAircraftGhgEmissions": common.rounded(d.aircraft),
            "distributionStageBiogenicCO2Uptake": 0.0,
        })
    return out


V9_NODES = {
    "companyInformation": ("companyName", "companyIds"),
    "productInformation": ("productNameCompany", "productIds", "declaredUnitOfMeasurement", "declaredUnitAmount",
                           "productMassPerDeclaredUnit", "productClassifications", "productDescription"),
    "dataSourcesAndQuality": ("primaryDataShare", "secondaryEmissionFactorSources", "technologicalDQR", "temporalDQR",
                              "geographicalDQR"),
    "technology": ("ccsTechnologicalCO2CaptureIncluded", "boundaryProcessesDescription"),
    "idAndVersion": ("id", "version", "status", "retroOrProspectivePcfType", "precedingPfIds"),
    "boundarySpecifications": ("exemptedEmissionsPercent", "exemptedEmissionsDescription"),
    "geography": ("geographyRegionOrSubregion", "geographyCountrySubdivision", "geographyCountry"),
    "time": ("referencePeriodStart", "referencePeriodEnd", "created", "validityPeriodStart", "validityPeriodEnd"),
    "massBalancingInformation": ("massBalancingUsed", "freeAttributionInMassBalancing", "massBalancingCertificateScheme"),
    "standards": ("crossSectoralStandards", "productOrSectorSpecificRules"),
    "gwpCharacterizationFactorDetails": ("ipccCharacterizationFactors",),
    "allocationInForeground": ("allocationWasteIncineration", "allocationRulesDescription", "allocationRecycledCarbon"),
    "general": ("comment", "pcfLegalStatement"),
    "carbonContent": ("carbonContentTotal", "fossilCarbonContent", "biogenicCarbonContent",
                      "packagingBiogenicCarbonContent", "recycledCarbonContent"),
    "productionStage": ("pcfIncludingBiogenicUptake", "pcfExcludingBiogenicUptake", "fossilGhgEmissions",
                        "biogenicNonCO2Emissions", "biogenicCO2Uptake", "landUseChangeGhgEmissions",
                        "aircraftGhgEmissions"),
    "packagingStage": ("packagingEmissionsIncluded", "packagingPcfIncludingBiogenicUptake",
                       "packagingPcfExcludingBiogenicUptake"),
    "distributionStage": ("distributionStageIncluded", "distributionStagePcfIncludingBiogenicUptake",
                          "distributionStagePcfExcludingBiogenicUptake", "distributionStageFossilGhgEmissions",
                          "distributionStageBiogenicNonCO2Emissions", "distributionStageBiogenicCO2Uptake",
                          "distributionStageLandUseChangeGhgEmissions", "distributionStageAircraftGhgEmissions"),
}
"""9.0.0 node -> the 8.0.0 fields it holds (``io.catenax.pcf/9.0.0/Pcf.ttl``; release notes 9.0.0:
"Hierarchy of the data structure has been deepened ... otherwise no change in content")."""


def _v9(doc8: dict) -> dict:
    """The 8.0.0 document (built for 9.0.0) in the 9.0.0 hierarchy: every node a one-element list."""
    flat = {**{k: v for k, v in doc8.items() if k not in ("pcf", "specVersion")}, **doc8["pcf"],
            **doc8["pcf"].get("dataQualityRating", {})}
    flat["massBalancingCertificateScheme"] = NOT_APPLICABLE  # 9.0.0 requires it (min length 1); none is used

    def node(name: str) -> list[dict]:
        return [{k: flat[k] for k in V9_NODES[name] if k in flat}]

    doc = {
        "scopeOfPcfForm": [{"specVersion": doc8["specVersion"][0], "partialFullPcf": doc8["partialFullPcf"]}],
        "companyAndProductInformation": [{"companyInformation": node("companyInformation"),
                                          "productInformation": node("productInformation")}],
        "pcfAssessmentAndMethodology": [{
            "dataSourcesAndQuality": node("dataSourcesAndQuality"),
            "pcfAssessmentInformation": [{k: node(k) for k in ("technology", "idAndVersion", "boundarySpecifications",
                                                               "geography", "time")}],
            "pcfMethodology": [{k: node(k) for k in ("massBalancingInformation", "standards",
                                                     "gwpCharacterizationFactorDetails", "allocationInForeground")}],
        }],
        "general": node("general"),
        "carbonContent": node("carbonContent"),
        "productLifeCycleStagesAndEmissions": [{k: node(k) for k in ("productionStage", "packagingStage",
                                                                     "distributionStage")}],
    }
    return doc


def _validity(reference_end: str) -> tuple[str, str]:
    """``validityPeriodStart/End``: the PACT default, from the reference period's end to 3 years
    after it (PACT Technical Specifications v3.0 ``validityPeriodStart``: "If no validity period
    is specified, the ProductFootprint is valid for 3 years after the referencePeriodEnd"); the
    Catena-X models ask for "a year or more"."""
    end = datetime.strptime(reference_end, "%Y-%m-%dT%H:%M:%SZ")
    try:
        later = end.replace(year=end.year + 3)
    except ValueError:  # 29 February
        later = end.replace(year=end.year + 3, day=28)
    return reference_end, later.strftime("%Y-%m-%dT%H:%M:%SZ")


def _sources(declaration: Declaration) -> list[str]:
    """Secondary emission factor sources as ``name version`` texts, each once (the lists are sets)."""
    out: list[str] = []
    for s in common.secondary_sources(declaration):
        text = f"{s['name']} {s['version']}"
        if text not in out:
            out.append(text)
    return out


def _rule_names(declaration: Declaration) -> list[str]:
    """8.0.0 / 9.0.0 ``productOrSectorSpecificRules``: the PCR's name and who states it ([] without PCR)."""
    pcr = declaration.assessment.pcr if declaration.assessment is not None else None
    return [f"{pcr_name(pcr)} ({pcr_operator(pcr)})"] if pcr else []


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
    text = ", ".join(f"{common.STAGE_NAMES.get(s, s)} {numbers.figure(stages[s])} kg CO2e" for s in left)
    return [f"Cradle-to-gate figures; the study's later stages are not in them: {text} per reference flow "
            "(distribution in the distributionStage fields)."]


def _rules(declaration: Declaration) -> list[dict]:
    pcr = declaration.assessment.pcr if declaration.assessment is not None else None
    if not pcr:
        return []
    return [{"extWBCSD_operator": "Other", "productOrSectorSpecificRules": [{"ruleName": pcr_name(pcr)}],
             "extWBCSD_otherOperatorName": pcr_operator(pcr)}]
