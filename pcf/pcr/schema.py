"""Shape of a product category rule file (``pcf-pcr/1``), as pydantic models.

Only the shape and the types are checked here (unknown keys are rejected, so a typo is
caught; numbers are not coerced from strings). Checks that relate one part of the file to
another (thresholds ascending, every model stage mapped or excluded, ...) live in
:mod:`pcf.pcr.loader`, which also turns every error into ``file:line: message``.

The file format is documented in ``docs/pcr-format.md``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..core.vocabulary import Stage as ModelStage  # the PCR's own stages are class Stage below

Confidence = Literal["P", "S", "W"]
"""How well a rule is supported (tags of ``pcr-sources/NOTES.md``): P primary text seen,
S reputable secondary source, W weak secondary source."""
Severity = Literal["nonconformity", "observation"]
StudyBoundary = Literal["cradle-to-gate", "cradle-to-grave"]

_ID = r"^[a-z0-9][a-z0-9-]*$"
_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


class _Strict(BaseModel):
    """Base of every part of the file: unknown keys are errors, no type coercion, every number
    finite (``.nan``, ``.inf`` and a float literal beyond the double range such as ``-1e400``,
    which YAML 1.2 reads as -inf, are refused: a threshold or parameter must be a number)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True,
                              allow_inf_nan=False)


class Source(_Strict):
    """A document the rule file cites."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$", description="Short key, e.g. reg-2023-1542.")
    citation: str = Field(description="Full citation: author or body, title, date, part.")
    url: str | None = Field(default=None, description="Where it was read.")
    confidence: Confidence = Field(description="P, S or W (see NOTES.md).")
    note: str | None = Field(default=None, description="What was (not) seen in it.")


class Scope(_Strict):
    """Product categories the rule applies to."""

    description: str
    categories: list[str] = Field(min_length=1)
    clause: str
    confidence: Confidence


class Parameter(_Strict):
    """A model parameter the declared-unit expression needs.

    ``value`` is set when the rule fixes the parameter (e.g. 60 full-equivalent cycles per
    year for M1/N1 vehicles); a model using another value gets a finding of severity
    ``if_different``.
    """

    name: str = Field(pattern=_NAME)
    unit: str = Field(description="Unit the model must state the parameter in, e.g. kWh.")
    description: str
    value: float | None = Field(default=None, description="Value fixed by the rule [unit].")
    if_different: Severity = "nonconformity"
    alternative: str | None = Field(
        default=None, description="What the rule allows instead of the fixed value (goes into the fix)."
    )
    clause: str
    confidence: Confidence


class DeclaredUnit(_Strict):
    """The declared unit and how many of them one reference flow provides.

    A generic rule (GB/T 24067) leaves the unit to the study (``unit: null``); a rule whose
    sources give the unit but not how it is computed leaves ``per_reference_flow`` null, and
    its ``note`` (what is not known) becomes an observation. ``if_missing`` is the severity of
    a result without a declared unit.
    """

    unit: str | None
    description: str
    per_reference_flow: str | None = Field(
        default=None, description="Expression over model parameters: declared units per reference flow."
    )
    parameters: list[Parameter] = []
    if_missing: Severity = "nonconformity"
    clause: str
    confidence: Confidence
    note: str | None = Field(default=None, description="What the sources leave open (an observation).")
    label_zh: str | None = Field(default=None, min_length=1, description=(
        "What the declared unit means, in Chinese words short enough for a label, e.g. 按全生命周期交付电量计."))
    label_en: str | None = Field(default=None, min_length=1, description=(
        "The same in English, e.g. per kWh delivered over the service life."))


class Method(_Strict):
    """The characterisation method a study must use."""

    id: str = Field(description="pcf method id, e.g. ipcc-2021-gwp100.")
    clause: str
    confidence: Confidence
    observation: str | None = Field(
        default=None,
        description="Reported with every assessment when the PCR's own method differs.",
    )


class Boundary(_Strict):
    """The system boundary, and which model ``study.boundary`` values express it."""

    description: str
    study_boundary: list[StudyBoundary] = Field(min_length=1)
    clause: str
    confidence: Confidence


class Stage(_Strict):
    """A life-cycle stage as the PCR names it, and the model stages summed into it."""

    name: str
    model_stages: list[ModelStage] = Field(min_length=1)
    clause: str
    confidence: Confidence


class StageRule(_Strict):
    """A list of model stages that must be present (required) or absent (excluded)."""

    stages: list[ModelStage]
    clause: str
    confidence: Confidence


class Threshold(_Strict):
    """Upper bound of one performance class [unit of the class set]; None: open-ended."""

    class_: str = Field(alias="class", min_length=1)
    max: float | None


class PerformanceClasses(_Strict):
    """Performance classes over the footprint per declared unit.

    A value gets the class of the first threshold whose ``max`` is >= the value (> the value
    when ``strict``); a value above every threshold gets the last class.
    """

    unit: str = Field(description="kg CO2e/<declared unit>.")
    thresholds: list[Threshold] = Field(min_length=1)
    strict: bool = Field(default=False, description="True: a class needs value < max.")
    source: str
    clause: str
    confidence: Confidence
    illustrative: bool = Field(description="True: thresholds are pcf's, not the rule-maker's.")
    rationale: str | None = Field(default=None, description="Required when illustrative.")
    note: str | None = Field(default=None, description="Reported as an observation.")


SourceVerdict = Literal["accepted", "not_accepted", "unknown"]
"""What a PCR says about an electricity source: it counts, it does not (nonconformity), or its
sources do not say (observation)."""
EvidenceField = Literal["ids", "issuer", "period", "volume_mwh", "retired", "generator"]
"""Parts of a contractual instrument's evidence a mode can require (model ``electricity.evidence``;
``generator`` is the generating plant's technology)."""
Instrument = Literal["ppa", "green_certificate", "guarantee_of_origin", "rec", "i_rec",
                     "green_electricity_trade", "green_tariff"]


class ElectricitySources(_Strict):
    """Verdict on each kind of electricity supply (model ``electricity.source``)."""

    grid: SourceVerdict
    direct: SourceVerdict
    contractual: SourceVerdict


class ElectricityMode(_Strict):
    """One reading of the electricity rules, where the PCR's sources disagree.

    ``grid_level: national`` asks for a country's mix (an ISO 3166-1 alpha-2 region), not a
    province, a regional grid or a multi-country mix; ``same_country`` asks that country to be
    the one the process is located in. ``instruments`` gives a verdict per contractual
    instrument (unlisted ones are not accepted); ``evidence`` lists what a contractual
    instrument must document, citing ``evidence_clause``.
    """

    id: str = Field(pattern=_NAME)
    description: str
    sources: ElectricitySources
    grid_level: Literal["national", "any"] = "any"
    same_country: bool = False
    instruments: dict[Instrument, SourceVerdict] | None = None
    evidence: list[EvidenceField] = []
    evidence_clause: str | None = None
    fix: str | None = Field(default=None, description="Added to the fix of every finding of this mode.")
    clause: str
    confidence: Confidence


class ElectricityRules(_Strict):
    """Which electricity sources count (``electricity:`` of a rule file).

    ``modes`` are the readings a study may choose (``pcf check --electricity-mode ID``);
    ``default_mode`` applies otherwise. ``stages`` limits the rules to the inputs of processes of
    those model stages (default: every stage). ``max_age_years`` (with ``age_clause``): a grid
    factor's year may be at most that many years before the year the result was computed.
    """

    default_mode: str = Field(pattern=_NAME)
    modes: list[ElectricityMode] = Field(min_length=1)
    stages: list[ModelStage] | None = None
    max_age_years: int | None = Field(default=None, ge=0)
    age_clause: str | None = None
    clause: str
    confidence: Confidence
    note: str | None = Field(default=None, description="Shown with the mode in the assessment.")
class GhgAccounting(_Strict):
    """Which total the PCR declares, with respect to biogenic carbon and dLUC.

    ``declared_total``: ``including_biogenic`` (fossil + biogenic emissions + biogenic
    removals + dLUC, the ISO 14067 CFP) or ``excluding_biogenic`` (biogenic CO2 emissions and
    removals both left out, biogenic CH4 and other non-CO2 gases kept); ``dluc``: whether dLUC
    emissions count in it. Whatever is declared, every category is reported separately
    (:mod:`pcf.lca.biogenic`).
    """

    declared_total: Literal["including_biogenic", "excluding_biogenic"]
    dluc: Literal["included", "excluded"]
    description: str
    clause: str
    confidence: Confidence
    note: str | None = Field(default=None, description="What was not verified; shown with the declared total.")


class EndOfLifeRule(_Strict):
    """How the PCR models recycled content and end of life (:mod:`pcf.model.endoflife`).

    ``approach`` is ``cut_off`` or ``cff`` (Circular Footprint Formula, Commission
    Recommendation (EU) 2021/2279 Annex I 4.4.8); ``A`` maps a material name (as the model's
    ``end_of_life[].material``, compared case-insensitively) to the allocation factor the PCR
    fixes for it [0..1].
    """

    approach: Literal["cut_off", "cff"]
    A: dict[str, float] = Field(default_factory=dict, description="Material -> CFF allocation factor A.")
    clause: str
    confidence: Confidence
    note: str | None = Field(default=None, description="What the rule does not fix (reported with findings).")
class AlternativeClasses(PerformanceClasses):
    """A second class set a product is also graded against (e.g. the French CRE ECS tiers for
    PV modules next to the PCR's own classes); ``id`` names it in the assessment."""

    id: str = Field(pattern=_NAME)
    title: str


AllocationMethod = Literal["system_expansion", "mass", "energy", "economic", "factors"]
"""Allocation methods of the model (``processes[].allocation.method``)."""
AllocationVerdict = Literal["accepted", "justify", "not_accepted"]
"""accepted; justify (accepted with an observation that the study must justify it); not
accepted (nonconformity)."""


class AllocationRules(_Strict):
    """Which allocation methods a multi-output process may use (``allocation:``).

    ``methods`` gives a verdict per model method; an unlisted method is not accepted.
    ``justification_required``: a multi-output process without ``allocation.justification``
    is a nonconformity.
    """

    methods: dict[AllocationMethod, AllocationVerdict] = Field(min_length=1)
    justification_required: bool = True
    clause: str
    confidence: Confidence
    note: str | None = None


class PrimaryDataRules(_Strict):
    """Primary (company-specific) data the PCR asks for (``primary_data:``).

    ``stages``: the activity data of the processes of these model stages must be primary
    (every item of ``result.data_quality.items`` drawn by such a process has ``data:
    primary``); ``min_share``: lowest primary data share (PACT 4.2.2) [0..1]. An
    ``illustrative`` threshold (pcf's, not the rule-maker's) needs a ``rationale`` and may
    only give observations.
    """

    stages: list[ModelStage] = []
    min_share: float | None = Field(default=None, ge=0, le=1)
    severity: Severity = "nonconformity"
    illustrative: bool = False
    rationale: str | None = None
    clause: str
    confidence: Confidence
    note: str | None = None


class DataQualityRules(_Strict):
    """Data-quality thresholds (``data_quality:``) on ``result.data_quality``.

    ``max_dqr``: highest contribution-weighted PEF data quality rating [1..5] (Commission
    Recommendation (EU) 2021/2279 Annex I 4.6.5, 1 best); ``min_coverage``: lowest share of
    |kg CO2e| carried by rated data [0..1]. Illustrative thresholds as in
    :class:`PrimaryDataRules`.
    """

    max_dqr: float | None = Field(default=None, ge=1, le=5)
    min_coverage: float | None = Field(default=None, ge=0, le=1)
    severity: Severity = "nonconformity"
    illustrative: bool = False
    rationale: str | None = None
    clause: str
    confidence: Confidence
    note: str | None = None


class GwpBasisRules(_Strict):
    """How much of the total may come from figures on another GWP basis than the method's
    (``gwp_basis:``), on ``result.gwp_basis_summary`` (:mod:`pcf.lca.gwpbasis`: pre-aggregated
    CO2e of another or an unstated GWP vintage, CO2-only figures).

    ``max_other_basis_share`` [0..1]: above it the finding has severity ``above``
    (``observation`` or ``nonconformity``). An ``illustrative`` threshold (pcf's, not the
    rule-maker's) needs a ``rationale`` and may only give observations.
    """

    max_other_basis_share: float = Field(ge=0, le=1)
    above: Severity = "observation"
    illustrative: bool = False
    rationale: str | None = None
    clause: str
    confidence: Confidence
    note: str | None = None


ContentId = Literal[
    "manufacturer", "product_model", "plant_location", "footprint_per_declared_unit",
    "stage_breakdown", "conformity_declaration_id", "public_study_link",
    "functional_unit", "reference_flow", "system_boundary", "separate_ghg",
    "biogenic_carbon_content", "gwp_values", "allocation", "data_quality", "primary_data_share",
    "cut_off_criteria", "electricity_sources", "data_sources", "unit_processes", "uncertainty",
    "limitations", "other",
]
"""Contents of a declaration or report that pcf knows how to look for in a result
(:mod:`pcf.pcr.contents`); ``other`` is a requirement pcf cannot check (its ``text`` says
what the verifier confirms)."""


class ContentItem(_Strict):
    """One thing a declaration or CFP study report must contain."""

    item: ContentId
    text: str | None = Field(default=None, description="What is required; needed for item: other.")
    severity: Severity = "nonconformity"
    clause: str
    confidence: Confidence


class Contents(_Strict):
    """What a carbon-footprint declaration (``declaration:``) or a CFP study report
    (``report:``) must contain."""

    items: list[ContentItem] = Field(min_length=1)
    clause: str
    confidence: Confidence
    note: str | None = None


class LowCarbonLimit(_Strict):
    """The limit below which a label carries the low-carbon mark (低碳产品 Low-carbon product)."""

    value: float = Field(gt=0, description="Limit [kg CO2e / declared unit]; the declared figure must be below it.")
    unit: str = Field(description="kg CO2e/<declared unit>.")
    source: str = Field(min_length=1, description="Where the limit comes from.")
    clause: str | None = None
    illustrative: bool = Field(description="True: the limit is pcf's, not the rule-maker's.")
    rationale: str | None = Field(default=None, description="Required when illustrative.")


class LabelRules(_Strict):
    """The label a programme issues under the PCR (``label:``): validity of an issued label and
    the low-carbon limit."""

    validity_years: float | None = Field(default=None, gt=0, description="Years an issued label is valid.")
    low_carbon_limit: LowCarbonLimit | None = Field(default=None, description="Low-carbon mark below this.")
    clause: str
    confidence: Confidence
    note: str | None = None


Statistic = Literal["mean", "median"]
"""The reference of a peer group: the arithmetic mean or the median of its declared figures."""


class PeerLevel(_Strict):
    """One level of a peer grading: ratio to the peer reference at most ``max_ratio`` (below it
    when the grading is ``strict``); ``max_ratio: null`` is the open-ended last level."""

    level: int = Field(ge=1, description="1 = lowest ratio (best); numbered 1..n in order.")
    max_ratio: float | None = Field(gt=0, description="Upper bound of the ratio [-]; null: open-ended.")


class PeerMinimum(_Strict):
    """The fewest peers a group may hold to be a reference."""

    size: int = Field(ge=2, description="Minimum number of peers (the graded result counts when it is one).")
    source: str = Field(min_length=1)
    illustrative: bool = Field(description="True: pcf's number, not the rule-maker's.")
    rationale: str | None = Field(default=None, description="Required when illustrative.")


class PeerReference(_Strict):
    """A reference value cited in the PCR (``pcf grade --peers pcr``): a published average (or
    median) of the category's declared figures."""

    value: float = Field(gt=0, description="[kg CO2e / declared unit].")
    unit: str = Field(description="kg CO2e/<declared unit>.")
    statistic: Statistic
    group_size: int | None = Field(default=None, ge=1, description="How many products the value summarises, if known.")
    date: str | None = Field(default=None, description="When the value was published, or its data period.")
    source: str = Field(min_length=1)
    clause: str | None = None
    illustrative: bool = Field(description="True: pcf's value, not a published one.")
    rationale: str | None = Field(default=None, description="Required when illustrative.")


class PeerGrading(_Strict):
    """Grading against the peer group (``peer_grading:``, issue 21): the declared figure's ratio
    to the mean or median of peers under the same PCR, declared unit and method, and the level
    that ratio falls in (:mod:`pcf.pcr.peers`)."""

    statistic: Statistic
    levels: list[PeerLevel] = Field(min_length=2)
    strict: bool = Field(default=False, description="True: a level needs ratio < max_ratio.")
    source: str = Field(min_length=1, description="Where the level bounds come from.")
    illustrative: bool = Field(description="True: the level bounds are pcf's, not the rule-maker's.")
    rationale: str | None = Field(default=None, description="Required when illustrative.")
    min_group: PeerMinimum
    reference_value: PeerReference | None = None
    clause: str
    confidence: Confidence
    note: str | None = None


class InventoryFlow(_Strict):
    """An elementary flow the model must report as a direct emission (``inventory.flows[]``),
    e.g. CF4 from the anode effects of aluminium electrolysis."""

    name: str = Field(min_length=1, description="What the rule calls it, e.g. CF4 (tetrafluoromethane, PFC-14).")
    substance: str = Field(min_length=1, description="The biosphere3 name without origin, as a model's "
                                                    "emissions[].substance, e.g. 'methane, tetrafluoro-, r-14'.")
    synonyms: list[str] = Field(default=[], description="Other names a model may give it (compared "
                                                       "case-insensitively), e.g. tetrafluoromethane.")
    cas: str | None = Field(default=None, description="CAS registry number.")
    clause: str
    confidence: Confidence


class InventoryRules(_Strict):
    """Elementary flows the product system's own processes must report (``inventory:``, issue 21):
    each flow in ``flows`` is emitted (amount given, zero allowed) by at least one reachable
    process of the model, in ``stages`` when given. Checked on the model (:mod:`pcf.pcr.lint`,
    ``pcr-inventory``) and, from the result's lint record, in the assessment (rule ``inventory``)."""

    flows: list[InventoryFlow] = Field(min_length=1)
    stages: list[ModelStage] = Field(default=[], description="Only processes of these model stages count; "
                                                             "empty: every stage.")
    severity: Severity = "nonconformity"
    clause: str
    confidence: Confidence
    note: str | None = None


class PCR(_Strict):
    """A product category rule file (``pcf-pcr/1``).

    Attributes are the top-level keys of the file; see ``docs/pcr-format.md``.
    """

    format: Literal["pcf-pcr/1"]
    id: str = Field(pattern=_ID)
    version: str
    title: str
    standard: str | None = Field(default=None, min_length=1, description=(
        "The quantification standard a study under this rule follows, as labels, declarations and "
        "reports print it (e.g. GB/T 24067-2024); default: the study's own ``study.standard``."))
    sources: list[Source] = Field(min_length=1)
    scope: Scope
    declared_unit: DeclaredUnit
    method: Method
    boundary: Boundary
    stages: list[Stage] = Field(min_length=1)
    required_stages: StageRule
    excluded_stages: StageRule
    performance_classes: PerformanceClasses | None = None
    electricity: ElectricityRules | None = None
    ghg_accounting: GhgAccounting | None = None
    end_of_life: EndOfLifeRule | None = None
    alternative_classes: list[AlternativeClasses] = []
    allocation: AllocationRules | None = None
    primary_data: PrimaryDataRules | None = None
    data_quality: DataQualityRules | None = None
    gwp_basis: GwpBasisRules | None = None
    declaration: Contents | None = None
    report: Contents | None = None
    label: LabelRules | None = None
    peer_grading: PeerGrading | None = None
    inventory: InventoryRules | None = None
