"""Our own checker of the Catena-X ``io.catenax.pcf`` 7.0.0, 8.0.0 and 9.0.0 aspect models (not a test module).

Written by hand for pcf from the released models of eclipse-tractusx/sldt-semantic-models at commit
9adcc37defb4b113ef841916a832377e9f941aaa (2026-07-13), read there and not copied:

- ``io.catenax.pcf/7.0.0/Pcf.ttl`` and its generated ``io.catenax.pcf/7.0.0/gen/Pcf-schema.json``
- ``io.catenax.pcf/8.0.0/Pcf.ttl`` and ``io.catenax.pcf/8.0.0/gen/Pcf-schema.json``
- ``io.catenax.pcf/9.0.0/Pcf.ttl`` and ``io.catenax.pcf/9.0.0/gen/Pcf-schema.json``
- ``io.catenax.pcf/RELEASE_NOTES.md`` (9.0.0: the 8.0.0 content in a deeper hierarchy)

Nothing a ``fetch`` brought is committed to pcf and the CI machine reaches neither GitHub nor a
mirror, so the tests cannot read those files: :data:`RULES` states, per version, what they require
of a document as a table of :class:`Rule` rows, each naming the upstream property path (``.``
between properties, ``[]`` for every element of a list, the path of the JSON document, as the
generated schema nests it) and the upstream characteristic or trait (:class:`Trait`, the name in
``Pcf.ttl`` and ``components/schemas``): required or optional, JSON type, enumeration values,
numeric range (inclusive unless ``exclusive_minimum``), string pattern, ``format: uri``,
``minLength``, ``minItems``, ``uniqueItems``. Every property of each released schema is here,
those pcf never writes (attestations, verification shares, land management, the packaging split)
included, so that they are known as properties of the model.

Where the checker differs from the generated JSON schema (documented, and only stricter):

- patterns match the whole value; the schema's are unanchored (JSON Schema ``pattern`` searches),
  so ``GeographyCountryTrait`` ``([A-Z]{2})`` accepts ``"xxDE"`` there and
  ``GeographyCountrySubdivisionTrait`` ``([A-Z]{2}-[A-Z0-9]{1,3}|)`` accepts any text;
- ``Timestamp`` is the xsd:dateTime lexical form (XML Schema 1.1 Part 2, 3.3.7), the meaning of
  the schema's SAMM ``Timestamp`` pattern, written out here;
- ``format: uri`` is an absolute URI (RFC 3986 section 4.3: ``scheme ":" ...``); jsonschema skips
  the format without the ``rfc3987`` package;
- a property the aspect model does not have is an error ("not a property of io.catenax.pcf X");
  the generated schema does not forbid additional properties. This catches a field written under
  another version's name.

``scripts/check-upstream-schemas --catena-x DIR`` validates pcf's exports against the real
schemas of a checkout and compares these tables with them, so a transcription slip shows there.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

UPSTREAM_COMMIT = "9adcc37defb4b113ef841916a832377e9f941aaa"
"""The eclipse-tractusx/sldt-semantic-models commit the tables were written from."""
VERSIONS = ("7.0.0", "8.0.0", "9.0.0")


@dataclass(frozen=True)
class Trait:
    """A characteristic or trait of the aspect model: what a value of it must be."""

    name: str
    kind: str  # "string" | "number" | "boolean" | "array" | "object"
    enum: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    pattern: str | None = None  # whole-value regular expression
    uri: bool = False
    min_length: int = 0
    min_items: int = 0
    unique: bool = False


@dataclass(frozen=True)
class Rule:
    """One property of the aspect model at its upstream path (``a.b[].c``)."""

    path: str
    required: bool
    trait: Trait


# --------------------------------------------------------------------------- traits (gen/Pcf-schema.json components)

XSD_DATETIME = (r"-?([1-9][0-9]{3,}|0[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
                r"T(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?|24:00:00(\.0+)?)"
                r"(Z|[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00))?")
HEX_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
URI = r"[A-Za-z][A-Za-z0-9+.\-]*:\S+"

TEXT = Trait("Text", "string")
BOOLEAN = Trait("Boolean", "boolean")
OBJECT = Trait("(entity)", "object")
LIST = Trait("(collection)", "array")
TIMESTAMP = Trait("Timestamp", "string", pattern=XSD_DATETIME)
UUID = Trait("UuidV4Trait", "string", pattern=f"{HEX_UUID}|urn:uuid:{HEX_UUID}")  # any UUID version, as its pattern
NON_EMPTY = Trait("NonEmptyStringTrait", "string", min_length=1)
URI_STRING = Trait("(uri)", "string", uri=True)
STRING_ITEM = Trait("(string)", "string")
VERSION = Trait("ProductFootprintVersion", "number", minimum=0)
PARTIAL_FULL = Trait("PartialFullPcfCharacteristic", "string", enum=("Cradle-to-gate", "Cradle-to-grave"))
STATUS = Trait("PfStatusCharacteristic", "string", enum=("Active", "Deprecated"))
STRICTLY_POSITIVE = Trait("StrictlyPositiveDecimalTrait", "number", minimum=0.0, exclusive_minimum=True)
MASS = Trait("PositiveDecimalWeightTrait", "number", minimum=0)
PERCENT = Trait("PercentTrait", "number", minimum=0.0, maximum=100.0)
SHARE = Trait("ProgramCertificationShareTrait", "number", minimum=0, maximum=100)
POSITIVE = Trait("PositiveEmissionsTrait", "number", minimum=0.0)
NEGATIVE = Trait("NegativeEmissionsTrait", "number", maximum=0.0)
ANY_SIGN = Trait("PositiveOrNegativeEmission", "number")
NEGATIVE_UNBOUNDED = Trait("NegativeEmission", "number")  # 8.0.0 / 9.0.0 distributionStageBiogenicCO2Uptake: no bound
COUNTRY = Trait("GeographyCountryTrait", "string", pattern=r"[A-Z]{2}")
SUBDIVISION = Trait("GeographyCountrySubdivisionTrait", "string", pattern=r"[A-Z]{2}-[A-Z0-9]{1,3}")
REGION = Trait("GeographyRegionOrSubregionCharacteristic", "string", enum=(
    "Africa", "Americas", "Asia", "Europe", "Oceania", "Australia and New Zealand", "Central Asia", "Eastern Asia",
    "Eastern Europe", "Latin America and the Caribbean", "Melanesia", "Micronesia", "Northern Africa",
    "Northern America", "Northern Europe", "Polynesia", "South-eastern Asia", "Southern Asia", "Southern Europe",
    "Sub-Saharan Africa", "Western Asia", "Western Europe", "Global", "Several"))
UNITS_7 = ("liter", "kilogram", "cubic meter", "kilowatt hour", "megajoule", "ton kilometer", "square meter", "piece")
DQI_1_TO_3 = Trait("DqiNumberTrait", "number", minimum=1, maximum=3)  # 7.0.0
DQI_1_TO_5 = Trait("DqiNumberTrait", "number", minimum=1, maximum=5)  # 8.0.0, 9.0.0 (the .ttl text still says 1..3)
ATTESTATION = (("attestationType", True, TEXT), ("standardName", True, TEXT), ("attestationStandard", True, TEXT),
               ("attestationOfConformanceId", True, TEXT), ("providerName", True, TEXT),
               ("attestationOfConformanceLink", False, TEXT), ("providerId", False, TEXT),
               ("completedAt", False, TIMESTAMP))
"""``AttestationOfConformanceEntity`` (8.0.0, 9.0.0): property, required, trait."""


def _rules(prefix: str, rows) -> list[Rule]:
    """``Rule`` rows under ``prefix`` (``""`` for the document) from ``(name, required, trait)``."""
    return [Rule(f"{prefix}.{name}" if prefix else name, required, trait) for name, required, trait in rows]


# --------------------------------------------------------------------------- 7.0.0

def _v7() -> list[Rule]:
    """io.catenax.pcf 7.0.0: PACT v2 names, ``pcf`` an entity (``CarbonFootprint`` allOf ``PcfEntity``)."""
    ids = Trait("IdsTrait", "array", min_items=1)
    top = _rules("", [
        ("id", True, UUID), ("specVersion", True, TEXT), ("partialFullPcf", True, PARTIAL_FULL),
        ("precedingPfIds", False, Trait("PrecedingPfIdsCharacteristic", "array")),
        ("precedingPfIds[]", True, OBJECT), ("precedingPfIds[].id", True, UUID),
        ("version", True, VERSION), ("created", True, TIMESTAMP), ("extWBCSD_pfStatus", True, STATUS),
        ("validityPeriodStart", False, TIMESTAMP), ("validityPeriodEnd", False, TIMESTAMP), ("comment", False, TEXT),
        ("companyName", True, NON_EMPTY), ("companyIds", True, ids), ("companyIds[]", True, URI_STRING),
        ("productDescription", False, TEXT), ("productIds", True, ids), ("productIds[]", True, URI_STRING),
        ("extWBCSD_productCodeCpc", True, TEXT), ("productName", True, NON_EMPTY),
        ("pcf", True, Trait("CarbonFootprint", "object")), ("pcfLegalStatement", False, TEXT),
    ])
    rules = Trait("ProductOrSectorSpecificRuleSet", "array", unique=True)
    pcf = _rules("pcf", [
        ("declaredUnit", True, Trait("DeclaredUnitCharacteristic", "string", enum=UNITS_7)),
        ("unitaryProductAmount", True, STRICTLY_POSITIVE), ("productMassPerDeclaredUnit", True, MASS),
        ("exemptedEmissionsPercent", True, Trait("ExemptedEmissionsPercentTrait", "number", minimum=0.0, maximum=5.0)),
        ("exemptedEmissionsDescription", False, TEXT), ("boundaryProcessesDescription", False, TEXT),
        ("geographyCountrySubdivision", False, SUBDIVISION), ("geographyCountry", False, COUNTRY),
        ("geographyRegionOrSubregion", True, REGION),
        ("referencePeriodStart", True, TIMESTAMP), ("referencePeriodEnd", True, TIMESTAMP),
        ("crossSectoralStandardsUsed", True, Trait("CrossSectoralStandardSet", "array")),
        ("crossSectoralStandardsUsed[]", True, Trait("CrossSectoralStandard", "object")),
        ("crossSectoralStandardsUsed[].crossSectoralStandard", True, Trait(
            "CrossSectoralStandardsUsedEnumerationCharacteristic", "string", enum=(
                "ISO Standard 14067", "ISO Standard 14044", "Pathfinder v1", "Pathfinder v2", "PAS 2050",
                "ISO Standard 14040", "ISO Standard 14041", "ISO Standard 14042", "ISO Standard 14043", "PEF", "Other",
                "GHG Protocol Product Standard"))),
        ("productOrSectorSpecificRules", True, rules),
        ("productOrSectorSpecificRules[]", True, Trait("ProductOrSectorSpecificRule", "object")),
        ("productOrSectorSpecificRules[].extWBCSD_operator", True, Trait(
            "ProductOrSectorSpecificRuleOperator", "string", enum=("PEF", "EPD International", "Other"))),
        ("productOrSectorSpecificRules[].productOrSectorSpecificRules", True,
         Trait("RuleNamesTrait", "array", min_items=1, unique=True)),
        ("productOrSectorSpecificRules[].productOrSectorSpecificRules[]", True, Trait("RuleName", "object")),
        ("productOrSectorSpecificRules[].productOrSectorSpecificRules[].ruleName", True, NON_EMPTY),
        ("productOrSectorSpecificRules[].extWBCSD_otherOperatorName", False, NON_EMPTY),
        ("extWBCSD_characterizationFactors", True,
         Trait("CharacterizationFactorsCharacteristic", "string", enum=("AR5", "AR6"))),
        ("extWBCSD_allocationRulesDescription", False, TEXT),
        ("extTFS_allocationWasteIncineration", True, Trait(
            "AllocationWasteIncinerationCharacteristic", "string", enum=("cut-off", "reverse cut-off",
                                                                         "system expansion"))),
        ("primaryDataShare", False, PERCENT),
        ("secondaryEmissionFactorSources", True, Trait("EmissionFactorDSSet", "array", unique=True)),
        ("secondaryEmissionFactorSources[]", True, Trait("EmissionFactorDS", "object")),
        ("secondaryEmissionFactorSources[].secondaryEmissionFactorSource", True, TEXT),
        ("dataQualityRating", False, Trait("DataQualityIndicators", "object")),
        ("dataQualityRating.coveragePercent", False, PERCENT),
        *[(f"dataQualityRating.{k}", False, DQI_1_TO_3)
          for k in ("technologicalDQR", "temporalDQR", "geographicalDQR", "completenessDQR", "reliabilityDQR")],
        ("extWBCSD_packagingEmissionsIncluded", True, BOOLEAN),
        ("pcfExcludingBiogenic", True, POSITIVE), ("pcfIncludingBiogenic", False, ANY_SIGN),
        ("fossilGhgEmissions", False, POSITIVE), ("biogenicCarbonEmissionsOtherThanCO2", False, POSITIVE),
        ("biogenicCarbonWithdrawal", False, NEGATIVE), ("dlucGhgEmissions", False, POSITIVE),
        ("extTFS_luGhgEmissions", False, ANY_SIGN), ("aircraftGhgEmissions", False, POSITIVE),
        ("extWBCSD_packagingGhgEmissions", False, POSITIVE),
        ("distributionStagePcfExcludingBiogenic", False, POSITIVE),
        ("distributionStagePcfIncludingBiogenic", False, ANY_SIGN),
        ("distributionStageFossilGhgEmissions", False, POSITIVE),
        ("distributionStageBiogenicCarbonEmissionsOtherThanCO2", False, POSITIVE),
        ("distributionStageBiogenicCarbonWithdrawal", False, NEGATIVE),
        ("extTFS_distributionStageDlucGhgEmissions", False, POSITIVE),
        ("extTFS_distributionStageLuGhgEmissions", False, ANY_SIGN),
        ("carbonContentTotal", False, POSITIVE), ("extWBCSD_fossilCarbonContent", False, POSITIVE),
        ("carbonContentBiogenic", False, POSITIVE), ("distributionStageAircraftGhgEmissions", False, POSITIVE),
    ])
    return top + pcf


# --------------------------------------------------------------------------- 8.0.0 and 9.0.0 leaves

UNITS_8 = UNITS_7 + ("hour", "megabit", "second")
DECLARED_UNIT_8 = Trait("DeclaredUnitOfMeasurementCharacteristic", "string", enum=UNITS_8)
EXEMPTED_8 = Trait("ExemptedEmissionsPercentTrait", "number", minimum=0.0, maximum=10.0)
IPCC_8 = Trait("IpccCharacterizationFactorsCharacteristic", "string", enum=("AR5", "AR6", "AR4", "unspecified"))
WASTE_8 = Trait("AllocationWasteIncinerationCharacteristic", "string",
                enum=("cut-off", "reverse cut-off", "system expansion", "polluter pays principle"))
RECYCLED_8 = Trait("AllocationRecycledCarbonCharacteristic", "string", enum=("upstream system expansion", "cut-off"))
FREE_ATTRIBUTION = Trait("FreeAttributionInMassBalancingCharacteristic", "string",
                         enum=("true", "false", "not applicable"))
PROSPECTIVE = ("Prospective PCF without forerunner", "Prospective PCF of further developed product with forerunner",
               "Prospective PCF for current product for future production date", "Progressive PCF")
RETRO_8 = Trait("RetroOrProspectivePcfTypeCharacteristic", "string",
                enum=("Retrospective PCF, Prospective PCF without forerunner",) + PROSPECTIVE)
RETRO_9 = Trait("RetroOrProspectivePcfTypeCharacteristic", "string", enum=("Retrospective PCF",) + PROSPECTIVE)
ID_SET = Trait("IdSet", "array", unique=True)
STRING_SET = Trait("(set of strings)", "array", unique=True)
STRING_LIST = Trait("CrossSectoralStandardSet", "array")

PRODUCTION_8 = (("pcfExcludingBiogenicUptake", True, POSITIVE), ("pcfIncludingBiogenicUptake", True, ANY_SIGN),
                ("fossilGhgEmissions", False, POSITIVE), ("biogenicNonCO2Emissions", False, POSITIVE),
                ("landUseChangeGhgEmissions", False, POSITIVE), ("aircraftGhgEmissions", False, POSITIVE),
                ("biogenicCO2Uptake", False, NEGATIVE), ("landManagementBiogenicCO2Removals", False, NEGATIVE),
                ("landManagementBiogenicCO2Emissions", False, POSITIVE),
                ("packagingLandManagementBiogenicCO2Emissions", False, POSITIVE))
PACKAGING_8 = (("packagingPcfExcludingBiogenicUptake", False, POSITIVE),
               ("packagingFossilGhgEmissions", False, POSITIVE),
               ("packagingBiogenicNonCO2Emissions", False, POSITIVE),
               ("packagingAircraftGhgEmissions", False, POSITIVE),
               ("packagingLandUseChangeGhgEmissions", False, POSITIVE),
               ("packagingLandManagementBiogenicCO2Removals", False, NEGATIVE),
               ("packagingBiogenicCO2Uptake", False, NEGATIVE))
DISTRIBUTION_8 = (("distributionStageIncluded", True, BOOLEAN),
                  ("distributionStagePcfExcludingBiogenicUptake", False, POSITIVE),
                  ("distributionStagePcfIncludingBiogenicUptake", False, ANY_SIGN),
                  ("distributionStageFossilGhgEmissions", False, POSITIVE),
                  ("distributionStageBiogenicNonCO2Emissions", False, POSITIVE),
                  ("distributionStageLandUseChangeGhgEmissions", False, POSITIVE),
                  ("distributionStageAircraftGhgEmissions", False, POSITIVE),
                  ("distributionStageBiogenicCO2Uptake", False, NEGATIVE_UNBOUNDED),
                  ("distributionStageLandManagementBiogenicCO2Emissions", False, POSITIVE),
                  ("distributionStageLandManagementBiogenicCO2Removals", False, NEGATIVE))
CARBON_CONTENT_8 = (("carbonContentTotal", False, POSITIVE), ("fossilCarbonContent", False, POSITIVE),
                    ("biogenicCarbonContent", False, POSITIVE), ("packagingBiogenicCarbonContent", False, POSITIVE),
                    ("recycledCarbonContent", False, POSITIVE))
SHARES_8 = tuple((k, False, SHARE) for k in ("programCertificationShare", "productVerificationShare3rdParty",
                                              "productVerificationShare2ndParty", "productVerificationShare1stParty"))
DQR_8 = tuple((k, False, DQI_1_TO_5) for k in ("technologicalDQR", "temporalDQR", "geographicalDQR"))


def _v8() -> list[Rule]:
    """io.catenax.pcf 8.0.0: PACT v3 names, ``pcf`` an entity, flat."""
    top = _rules("", [
        ("id", True, UUID), ("specVersion", True, Trait("SpecVersionCharacteristic", "array", unique=True)),
        ("specVersion[]", True, STRING_ITEM), ("partialFullPcf", True, PARTIAL_FULL),
        ("precedingPfIds", False, Trait("PrecedingPfIdsCharacteristic", "array")),
        ("precedingPfIds[]", True, OBJECT), ("precedingPfIds[].id", True, UUID),
        ("version", True, VERSION), ("created", True, TIMESTAMP), ("status", True, STATUS),
        ("validityPeriodStart", False, TIMESTAMP), ("validityPeriodEnd", True, TIMESTAMP),
        ("pcfLegalStatement", False, TEXT), ("companyName", True, NON_EMPTY),
        ("companyIds", True, ID_SET), ("companyIds[]", True, URI_STRING), ("productDescription", False, TEXT),
        ("productIds", True, ID_SET), ("productIds[]", True, URI_STRING), ("productNameCompany", True, NON_EMPTY),
        ("pcf", True, Trait("CarbonFootprint", "object")),
        ("productClassifications", False, Trait("ProductClassificationCharacteristic", "array", unique=True)),
        ("productClassifications[]", True, STRING_ITEM),
        ("retroOrProspectivePcfType", True, RETRO_8), ("ccsTechnologicalCO2CaptureIncluded", True, BOOLEAN),
        ("comment", False, TEXT),
        ("attestationOfConformance", False, Trait("AttestationOfConformanceCollection", "array")),
        ("attestationOfConformance[]", True, Trait("AttestationOfConformanceEntity", "object")),
    ]) + _rules("attestationOfConformance[]", ATTESTATION)
    pcf = _rules("pcf", [
        ("declaredUnitOfMeasurement", True, DECLARED_UNIT_8), ("declaredUnitAmount", True, STRICTLY_POSITIVE),
        ("productMassPerDeclaredUnit", True, MASS), ("exemptedEmissionsPercent", True, EXEMPTED_8),
        ("exemptedEmissionsDescription", False, TEXT), ("boundaryProcessesDescription", False, TEXT),
        ("geographyCountrySubdivision", False, SUBDIVISION), ("geographyCountry", False, COUNTRY),
        ("geographyRegionOrSubregion", True, REGION),
        ("referencePeriodStart", True, TIMESTAMP), ("referencePeriodEnd", True, TIMESTAMP),
        ("crossSectoralStandards", True, STRING_LIST), ("crossSectoralStandards[]", True, STRING_ITEM),
        ("productOrSectorSpecificRules", True, Trait("ProductOrSectorSpecificRuleSet", "array", unique=True)),
        ("productOrSectorSpecificRules[]", True, STRING_ITEM),
        ("ipccCharacterizationFactors", True, IPCC_8), ("allocationRulesDescription", False, TEXT),
        ("allocationWasteIncineration", True, WASTE_8), ("allocationRecycledCarbon", False, RECYCLED_8),
        ("primaryDataShare", False, PERCENT),
        ("secondaryEmissionFactorSources", True, Trait("EmissionFactorDSSet", "array", unique=True)),
        ("secondaryEmissionFactorSources[]", True, STRING_ITEM),
        ("dataQualityRating", False, Trait("DataQualityIndicators", "object")),
        *[(f"dataQualityRating.{k}", r, t) for k, r, t in DQR_8],
        ("packagingEmissionsIncluded", True, BOOLEAN), ("packagingPcfIncludingBiogenicUptake", True, POSITIVE),
        *PRODUCTION_8, *PACKAGING_8, *DISTRIBUTION_8, *CARBON_CONTENT_8, *SHARES_8,
        ("massBalancingUsed", True, BOOLEAN), ("freeAttributionInMassBalancing", False, FREE_ATTRIBUTION),
        ("massBalancingCertificateScheme", False, NON_EMPTY),
    ])
    return top + pcf


# --------------------------------------------------------------------------- 9.0.0

def _node(path: str, required: bool, trait_name: str, rows) -> list[Rule]:
    """A 9.0.0 node: a collection (list) ``path`` of entities with the properties ``rows``."""
    return [Rule(path, required, Trait(f"{trait_name}Collection", "array")),
            Rule(f"{path}[]", True, Trait(f"{trait_name}Entity", "object")), *_rules(f"{path}[]", rows)]


def _v9() -> list[Rule]:
    """io.catenax.pcf 9.0.0: the 8.0.0 content in nodes, each a list of entities (every node required
    except ``companyInformation``, ``productInformation``, ``pcfAssessmentInformation``,
    ``pcfMethodology``, ``verificationAndCertificationShares`` and ``attestationOfConformance``)."""
    cpi, pam = "companyAndProductInformation[]", "pcfAssessmentAndMethodology[]"
    info, method = f"{pam}.pcfAssessmentInformation[]", f"{pam}.pcfMethodology[]"
    stages = "productLifeCycleStagesAndEmissions[]"
    return [
        *_node("scopeOfPcfForm", True, "ScopeOfPCFForm", [("specVersion", True, TEXT),
                                                          ("partialFullPcf", True, PARTIAL_FULL)]),
        *_node("companyAndProductInformation", True, "CompanyAndProductInformation", []),
        *_node(f"{cpi}.companyInformation", False, "CompanyInformation", [
            ("companyName", True, NON_EMPTY), ("companyIds", True, ID_SET), ("companyIds[]", True, URI_STRING)]),
        *_node(f"{cpi}.productInformation", False, "ProductInformation", [
            ("productNameCompany", True, NON_EMPTY), ("productIds", True, ID_SET), ("productIds[]", True, URI_STRING),
            ("declaredUnitOfMeasurement", True, DECLARED_UNIT_8), ("declaredUnitAmount", True, STRICTLY_POSITIVE),
            ("productMassPerDeclaredUnit", True, MASS),
            ("productClassifications", False, Trait("ProductClassificationCharacteristic", "array", unique=True)),
            ("productClassifications[]", True, STRING_ITEM), ("productDescription", False, TEXT)]),
        *_node("pcfAssessmentAndMethodology", True, "pcfAssessmentAndMethodology", []),
        *_node(f"{pam}.dataSourcesAndQuality", True, "DataSourcesAndQuality", [
            ("primaryDataShare", False, PERCENT),
            ("secondaryEmissionFactorSources", False, Trait("EmissionFactorDSSet", "array", unique=True)),
            ("secondaryEmissionFactorSources[]", True, STRING_ITEM), *DQR_8]),
        *_node(f"{pam}.pcfAssessmentInformation", False, "PCFAssessmentInformation", []),
        *_node(f"{info}.technology", True, "Technology", [("ccsTechnologicalCO2CaptureIncluded", True, BOOLEAN),
                                                          ("boundaryProcessesDescription", False, TEXT)]),
        *_node(f"{info}.idAndVersion", True, "IDAndVersion", [
            ("id", True, UUID), ("version", True, VERSION), ("status", True, STATUS),
            ("retroOrProspectivePcfType", True, RETRO_9),
            ("precedingPfIds", False, Trait("PrecedingPfIdsCharacteristic", "array")),
            ("precedingPfIds[]", True, Trait("PrecedingPfId", "object"))]),  # 9.0.0 gives the entity no property
        *_node(f"{info}.boundarySpecifications", True, "BoundarySpecifications", [
            ("exemptedEmissionsPercent", True, EXEMPTED_8), ("exemptedEmissionsDescription", False, TEXT)]),
        *_node(f"{info}.geography", True, "Geography", [
            ("geographyRegionOrSubregion", True, REGION), ("geographyCountrySubdivision", False, SUBDIVISION),
            ("geographyCountry", False, COUNTRY)]),
        *_node(f"{info}.time", True, "Time", [
            ("referencePeriodStart", True, TIMESTAMP), ("referencePeriodEnd", True, TIMESTAMP),
            ("created", True, TIMESTAMP), ("validityPeriodEnd", True, TIMESTAMP),
            ("validityPeriodStart", False, TIMESTAMP)]),
        *_node(f"{pam}.verificationAndCertificationShares", False, "VerificationAndCertificationShares", SHARES_8),
        *_node(f"{pam}.pcfMethodology", False, "PCFMethodology", []),
        *_node(f"{method}.massBalancingInformation", True, "MassBalancingInformation", [
            ("massBalancingUsed", True, BOOLEAN), ("freeAttributionInMassBalancing", True, FREE_ATTRIBUTION),
            ("massBalancingCertificateScheme", True, NON_EMPTY)]),
        *_node(f"{method}.standards", True, "Standards", [
            ("crossSectoralStandards", True, STRING_LIST), ("crossSectoralStandards[]", True, STRING_ITEM),
            ("productOrSectorSpecificRules", True, Trait("ProductOrSectorSpecificRuleSet", "array", unique=True)),
            ("productOrSectorSpecificRules[]", True, STRING_ITEM)]),
        *_node(f"{method}.gwpCharacterizationFactorDetails", True, "GWPCharacterizationFactorDetails", [
            ("ipccCharacterizationFactors", True, IPCC_8)]),
        *_node(f"{method}.allocationInForeground", True, "AllocationInForeground", [
            ("allocationWasteIncineration", True, WASTE_8), ("allocationRulesDescription", False, TEXT),
            ("allocationRecycledCarbon", False, RECYCLED_8)]),
        *_node("general", True, "General", [("comment", False, TEXT), ("pcfLegalStatement", False, TEXT)]),
        *_node("carbonContent", True, "CarbonContent", CARBON_CONTENT_8),
        *_node("productLifeCycleStagesAndEmissions", True, "ProductLifeCycleStagesAndEmissions", []),
        *_node(f"{stages}.productionStage", True, "ProductionStage", PRODUCTION_8),
        *_node(f"{stages}.distributionStage", True, "DistributionStage", DISTRIBUTION_8),
        *_node(f"{stages}.packagingStage", True, "PackagingStage", [
            ("packagingEmissionsIncluded", True, BOOLEAN),
            ("packagingPcfIncludingBiogenicUptake", False, POSITIVE), *PACKAGING_8,
            ("packagingLandManagementBiogenicCO2Emissions", False, POSITIVE)]),  # 9.0.0: also in productionStage
        *_node("attestationOfConformance", False, "AttestationOfConformance", ATTESTATION),
    ]


RULES: dict[str, tuple[Rule, ...]] = {"7.0.0": tuple(_v7()), "8.0.0": tuple(_v8()), "9.0.0": tuple(_v9())}
"""Version -> every property of its aspect model, parents before their children."""


# --------------------------------------------------------------------------- the checker

def _tokens(path: str) -> list[str]:
    """``a.b[].c`` -> ``["a", "b", "[]", "c"]``."""
    out: list[str] = []
    for part in path.split("."):
        if part.endswith("[]"):
            out += [part[:-2], "[]"]
        else:
            out.append(part)
    return out


def _nodes(doc, tokens: list[str]) -> list[tuple[str, object]]:
    """Every ``(concrete path, value)`` the tokens reach (absent properties and wrong types reach nothing)."""
    found: list[tuple[str, object]] = [("", doc)]
    for token in tokens:
        step: list[tuple[str, object]] = []
        for where, value in found:
            if token == "[]" and isinstance(value, list):
                step += [(f"{where}/{i}".lstrip("/"), item) for i, item in enumerate(value)]
            elif token != "[]" and isinstance(value, dict) and token in value:
                step.append((f"{where}/{token}".lstrip("/"), value[token]))
        found = step
    return found


def _type_ok(kind: str, value) -> bool:
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return isinstance(value, {"string": str, "boolean": bool, "array": list, "object": dict}[kind])


def _problems(trait: Trait, value) -> list[str]:
    """What is wrong with ``value`` as a value of ``trait`` ([] when nothing)."""
    if not _type_ok(trait.kind, value):
        text = json.dumps(value)
        text = text if len(text) <= 60 else text[:57] + "..."
        return [f"{text} is not {'an' if trait.kind in ('array', 'object') else 'a'} {trait.kind}"]
    out = []
    if trait.enum and value not in trait.enum:
        out.append(f"{value!r} is not one of the values of {trait.name}")
    if trait.minimum is not None and (value <= trait.minimum if trait.exclusive_minimum else value < trait.minimum):
        out.append(f"{value} is below the {'exclusive ' if trait.exclusive_minimum else ''}minimum {trait.minimum} "
                   f"of {trait.name}")
    if trait.maximum is not None and value > trait.maximum:
        out.append(f"{value} is above the maximum {trait.maximum} of {trait.name}")
    if trait.pattern is not None and not re.fullmatch(trait.pattern, value):
        out.append(f"{value!r} does not match the pattern of {trait.name}")
    if trait.uri and not re.fullmatch(URI, value):
        out.append(f"{value!r} is not an absolute URI (format uri)")
    if trait.kind == "string" and len(value) < trait.min_length:
        out.append(f"shorter than {trait.min_length} ({trait.name})")
    if trait.kind == "array":
        if len(value) < trait.min_items:
            out.append(f"fewer than {trait.min_items} items ({trait.name})")
        seen = [json.dumps(v, sort_keys=True) for v in value]
        if trait.unique and len(set(seen)) != len(seen):
            out.append(f"items are not unique ({trait.name})")
    return out


def errors(doc, version: str) -> list[str]:
    """Every departure of ``doc`` from io.catenax.pcf ``version`` as ``path: what is wrong (upstream path)``.

    Parameters
    ----------
    doc : dict
        A Catena-X PCF aspect (a parsed JSON document).
    version : {"7.0.0", "8.0.0", "9.0.0"}

    Returns
    -------
    list of str
        Empty when the document satisfies every rule of :data:`RULES` and has no property the
        aspect model lacks. Paths are ``/``-separated with list indices (``pcf/dataQualityRating/
        technologicalDQR``, ``scopeOfPcfForm/0/specVersion``).
    """
    rules = RULES[version]
    if not isinstance(doc, dict):
        return [": the aspect is not a JSON object"]
    out: list[str] = []
    children: dict[str, set[str]] = {}
    for rule in rules:
        tokens = _tokens(rule.path)
        parent, last = tokens[:-1], tokens[-1]
        if last != "[]":
            children.setdefault(".".join(parent), set()).add(last)
        for where, value in _nodes(doc, parent):
            if last == "[]":
                items = [(f"{where}/{i}", v) for i, v in enumerate(value)] if isinstance(value, list) else []
            elif isinstance(value, dict) and last in value:
                items = [(f"{where}/{last}".lstrip("/"), value[last])]
            else:
                if rule.required and isinstance(value, dict):
                    out.append(f"{f'{where}/{last}'.lstrip('/')}: missing (required, {rule.path})")
                items = []
            out += [f"{at}: {p} ({rule.path})" for at, v in items for p in _problems(rule.trait, v)]
    for parent, names in children.items():
        for where, value in _nodes(doc, parent.split(".") if parent else []):
            if isinstance(value, dict):
                out += [f"{f'{where}/{k}'.lstrip('/')}: not a property of io.catenax.pcf {version}"
                        for k in value if k not in names]
    return out
