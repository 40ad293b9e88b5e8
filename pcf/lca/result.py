"""The footprint result: a tree of frozen records (``pcf-result/1``, docs/result-json.md).

:class:`FootprintResult` is what :mod:`pcf.lca` computes: every total, per life-cycle stage and
ISO 14067 GHG category, with contributions and provenance. It holds no PCR verdict and no
declared figure: the assessment (:class:`pcf.pcr.assessment.Assessment`) and the figure a PCR
declares belong to :class:`pcf.declaration.Declaration`, which also owns the JSON codec of the
whole ``pcf-result/1`` document.

All GHG masses are per reference flow [kg CO2e / reference flow] unless a name says otherwise.
"""

from __future__ import annotations

from typing import Any

from ..core.codec import ABSENT, from_json, key, record, to_json
from ..core.vocabulary import GHG_CATEGORIES
from ..model.finding import LintFinding  # a lint finding is its own result record


@record
class Quantity:
    """An amount with its unit.

    Attributes
    ----------
    amount : float
        The amount [unit].
    unit : str
        Its unit, e.g. ``item``, ``kg``, ``kWp``.
    """

    amount: float
    unit: str


@record
class DeclaredUnit:
    """The declared unit results are also reported per (ISO 14067:2018 3.1.1.8).

    Attributes
    ----------
    unit : str
        E.g. ``kWh``.
    description : str
        What one unit is, e.g. "kWh of total energy delivered over the service life".
    per_reference_flow : float
        Declared units per reference flow [declared unit / reference flow].
    """

    unit: str
    description: str
    per_reference_flow: float


@record
class Product:
    """The product studied.

    Attributes
    ----------
    id : str
        The manufacturer's product id (names the output files).
    name : str
        Product name.
    reference_flow : Quantity
        The reference flow every figure is per (ISO 14067:2018 3.1.1.9).
    declared_unit : DeclaredUnit or None
        None when the model has none.
    """

    id: str
    name: str
    reference_flow: Quantity
    declared_unit: DeclaredUnit | None


@record
class CutOffCriteria:
    """Cut-off criteria of the study (ISO 14067:2018 6.3.4.3) [-, shares 0..1].

    Attributes
    ----------
    mass, energy : float or None
        Largest share of its process's mass / energy input an excluded input may have.
    ghg : float or None
        Largest share of the footprint an excluded input may have (estimated from its proxy).
    total : float or None
        Largest share of the footprint all excluded inputs together may have.
    source : str
        Where the criteria come from.
    """

    mass: float | None = None
    energy: float | None = None
    ghg: float | None = None
    total: float | None = None
    source: str = ""


@record
class Study:
    """The model's study block.

    Attributes
    ----------
    standard : str
        ``ISO 14067:2018`` or ``GB/T 24067-2024``.
    boundary : str
        System boundary: ``cradle-to-gate`` or ``cradle-to-grave``.
    pcr : str or None
        The PCR the result was assessed against.
    method : str
        Characterisation method id, e.g. ``ipcc-2021-gwp100``.
    background : str
        Background name, e.g. ``open-default``.
    cut_off : CutOffCriteria or None
        The study's cut-off criteria.
    model_pcr : str or None or ABSENT
        The model's own ``study.pcr`` when the result was assessed against another
        (``pcf footprint --pcr ID``); the key is absent otherwise.
    """

    standard: str
    boundary: str
    pcr: str | None
    method: str
    background: str
    cut_off: CutOffCriteria | None = None
    model_pcr: str | None = ABSENT


@record
class GhgSplit:
    """ISO 14067:2018 7.3 separate reporting [kg CO2e / reference flow].

    Attributes
    ----------
    fossil : float
        Fossil GHG emissions and removals (aircraft included).
    biogenic_emissions : float
        Biogenic CO2 (CF +1) and biogenic CH4.
    biogenic_removals : float
        Biogenic CO2 uptake (CF -1), <= 0.
    dluc : float
        Direct land-use change.
    aircraft : float
        Of which from aircraft (already inside ``fossil``).
    """

    fossil: float
    biogenic_emissions: float
    biogenic_removals: float
    dluc: float
    aircraft: float

    @property
    def total(self) -> float:
        """fossil + biogenic emissions + biogenic removals + dLUC [kg CO2e / reference flow]."""
        return self.fossil + self.biogenic_emissions + self.biogenic_removals + self.dluc


@record
class StageGhg(GhgSplit):
    """The ISO 14067 split of one life-cycle stage, and its biogenic CO2 masses.

    Attributes
    ----------
    co2_emissions_kg, co2_removals_kg : float
        Masses of biogenic CO2 emitted and taken up in the stage [kg CO2 / reference flow].
    """

    co2_emissions_kg: float
    co2_removals_kg: float


@record
class Shares:
    """Shares of each ISO 14067 category in the total including biogenic CO2 [-];
    None when that total is zero."""

    fossil: float | None
    aircraft: float | None
    biogenic_emissions: float | None
    biogenic_removals: float | None
    dluc: float | None


@record
class TotalsPerDeclaredUnit:
    """The two totals per declared unit [kg CO2e / declared unit].

    Attributes
    ----------
    including_biogenic, excluding_biogenic : float
        As :class:`Totals`, divided by the declared units per reference flow.
    """

    including_biogenic: float
    excluding_biogenic: float


@record
class Totals:
    """Every total a rule can declare (:mod:`pcf.lca.biogenic`) [kg CO2e / reference flow].

    Which of them is declared is not decided here but by the
    :class:`pcf.declaration.Declaration` (its PCR's ``ghg_accounting``).

    Attributes
    ----------
    including_biogenic : float
        The ISO 14067 CFP (biogenic CO2 +1, its uptake -1) = ``total_kg_co2e``.
    excluding_biogenic : float
        Biogenic CO2 emissions and removals left out, biogenic CH4 kept ("0/0").
    per_declared_unit : TotalsPerDeclaredUnit or None
        None without a declared unit.
    shares : Shares
        Of ``including_biogenic``.
    """

    including_biogenic: float
    excluding_biogenic: float
    per_declared_unit: TotalsPerDeclaredUnit | None
    shares: Shares


@record
class BiogenicCarbon:
    """Biogenic carbon masses and content (ISO 14067:2018 6.4.9, 7.3); the content is
    reported, never added to a total.

    Attributes
    ----------
    co2_emissions_kg, co2_removals_kg : float
        Masses of biogenic CO2 emitted and taken up [kg CO2 / reference flow].
    net_kg_co2e : float
        Biogenic emissions + removals [kg CO2e / reference flow].
    content_product_kg_c, content_packaging_kg_c : float or None
        Biogenic carbon content of product and packaging [kg C / reference flow]; None when
        the model does not state it.
    content_product_kg_co2e, content_packaging_kg_co2e : float or None
        The CO2 the content corresponds to [kg CO2 / reference flow].
    content_co2_per_c : float
        44.009 / 12.011 [kg CO2 / kg C] (CIAAW/IUPAC atomic weights).
    content_source : str or None
        Where the content figure comes from.
    """

    co2_emissions_kg: float
    co2_removals_kg: float
    net_kg_co2e: float
    content_product_kg_c: float | None
    content_packaging_kg_c: float | None
    content_product_kg_co2e: float | None
    content_packaging_kg_co2e: float | None
    content_co2_per_c: float
    content_source: str | None


@record
class Contribution:
    """One foreground process's direct emissions, or one background activity it draws.

    Attributes
    ----------
    process : str
        The foreground process.
    name : str
        Process or background activity name.
    stage : str
        Life-cycle stage of the process.
    kind : str
        ``direct`` or ``background``.
    kg_co2e : float
        [kg CO2e / reference flow].
    share : float
        Of the total [-].
    background, database : str or ABSENT
        The background activity code and its database (``kind`` background only).
    """

    process: str
    name: str
    stage: str
    kind: str
    kg_co2e: float
    share: float
    background: str = ABSENT
    database: str = ABSENT


@record
class CutOffItem:
    """An input excluded from the system (ISO 14067:2018 6.3.4.3).

    Attributes
    ----------
    process, name : str
        The process it is excluded from, and the input's name.
    amount : float
        Per reference flow [unit].
    unit : str
    amount_per_process_output : float
        As the model states it, per run of the process [unit].
    process_output : str
        The process's output, e.g. ``1 item``.
    reason : str
    mass_share, energy_share : float or None
        Of the process's mass / energy input [0..1]; None when not that dimension.
    proxy : str or None
        Background key that estimates it.
    kg_co2e_estimate : float or None
        From the proxy [kg CO2e / reference flow].
    ghg_share : float or None
        Estimate / total [-].
    """

    process: str
    name: str
    amount: float
    unit: str
    amount_per_process_output: float
    process_output: str
    reason: str
    mass_share: float | None
    energy_share: float | None
    proxy: str | None
    kg_co2e_estimate: float | None
    ghg_share: float | None


@record
class SimpleFinding:
    """A finding of a check made while computing (e.g. the cut-off criteria).

    Attributes
    ----------
    severity : str
        ``nonconformity`` or ``observation``.
    item : str or None
        What it is about.
    message, fix : str
    """

    severity: str
    item: str | None
    message: str
    fix: str


@record
class CutOffSummary:
    """The exclusions against the study's cut-off criteria.

    Attributes
    ----------
    criteria : CutOffCriteria or None
    estimated_kg_co2e : float
        Sum of the estimates [kg CO2e / reference flow].
    estimated_share : float or None
        Of the total [-].
    not_estimated : int
        Excluded inputs without a proxy.
    findings : tuple of SimpleFinding
    """

    criteria: CutOffCriteria | None = None
    estimated_kg_co2e: float = 0.0
    estimated_share: float | None = None
    not_estimated: int = 0
    findings: tuple[SimpleFinding, ...] = ()


@record
class Dqr:
    """PEF data quality rating (2021/2279 Annex I 4.6.5) [1..5, lower is better].

    Attributes
    ----------
    ter, ger, tir, p : float
        Time, geographical and technological representativeness, precision.
    dqr : float
        The rating.
    """

    ter: float
    ger: float
    tir: float
    p: float
    dqr: float


@record
class GwpBasis:
    """How the CO2e of a data source was made (:mod:`pcf.lca.gwpbasis`).

    Attributes
    ----------
    gases : str or None
        ``masses`` (gas masses the method characterises), ``co2_only`` (the source gives CO2
        only), None when the source has no gas part (pre-aggregated CO2e only).
    co2e_gwp : str or None
        GWP vintage of its pre-aggregated CO2e: ``AR4``, ``AR5``, ``AR6``, ``unknown``; None
        without pre-aggregated CO2e.
    note : str or None
        The database's words (``gwp_note``).
    kg_co2e : dict of str to float
        Its contribution by basis (``per_gas``, ``co2e_AR6``, ``co2e_AR5``, ``co2e_AR4``,
        ``co2e_unknown``, ``co2_only``) [kg CO2e / reference flow]; sums to the source's kg CO2e.
    other_basis_kg_co2e : float
        The part on another basis than the study method's [kg CO2e / reference flow].
    """

    gases: str | None
    co2e_gwp: str | None
    note: str | None
    kg_co2e: dict[str, float]
    other_basis_kg_co2e: float


@record
class BasisPart:
    """One GWP basis in :class:`GwpBasisSummary`.

    Attributes
    ----------
    kg_co2e : float
        [kg CO2e / reference flow].
    share : float
        Its share of the sum of |parts| [-].
    on_basis : bool
        On the study method's GWP basis.
    """

    kg_co2e: float
    share: float
    on_basis: bool


@record
class GwpBasisSummary:
    """The GWP basis of the footprint's figures (:func:`pcf.lca.gwpbasis.summarise`).

    Attributes
    ----------
    method : str
        The study's method id.
    method_gwp_vintage : str
        Its GWP vintage (``AR6``, ``AR5``).
    other_basis_kg_co2e : float
        From figures on another basis [kg CO2e / reference flow].
    other_basis_share : float
        Share of the total from figures on another basis [-] (sum of |off-basis parts| / sum
        of |parts|; off-basis kg CO2e / total when nothing is negative).
    by_basis : dict of str to BasisPart
        Every basis present, in :data:`pcf.lca.gwpbasis.BASES` order.
    """

    method: str
    method_gwp_vintage: str
    other_basis_kg_co2e: float
    other_basis_share: float
    by_basis: dict[str, BasisPart]


@record
class DataSource:
    """A background activity drawn directly by the foreground.

    Attributes
    ----------
    background, database : str
        Activity code and database.
    model_reference, name, reference_product, unit, location, year, source, note, factor_ids : str
        What the database states.
    dqr : Dqr or None
    kg_co2e_per_unit : float
        [kg CO2e / unit].
    amount : float
        Per reference flow [unit].
    kg_co2e : float
        [kg CO2e / reference flow].
    gwp_basis : GwpBasis or ABSENT
        How its CO2e was made and its part on another GWP basis (ABSENT in results written
        before issue 14).
    """

    background: str
    database: str
    model_reference: str | None
    name: str
    reference_product: str | None
    unit: str | None
    location: str | None
    year: str | int | None
    source: str | None
    note: str | None
    factor_ids: str | None
    dqr: Dqr | None
    kg_co2e_per_unit: float
    amount: float
    kg_co2e: float
    gwp_basis: GwpBasis = ABSENT


@record
class TransportLeg:
    """A transport leg (ISO 14067:2018 7.3 e for aircraft).

    Attributes
    ----------
    process, name, mode : str
    distance_km : float
        [km].
    mass_kg : float or None
        Chargeable mass per run [kg].
    volume_m3 : float or None
        [m3].
    tkm : float
        Per reference flow [t km].
    activity, database : str
        The transport activity.
    aircraft : bool
    kg_co2e : float
        [kg CO2e / reference flow].
    """

    process: str
    name: str
    mode: str
    distance_km: float | None
    mass_kg: float | None
    volume_m3: float | None
    tkm: float
    activity: str
    database: str
    aircraft: bool
    kg_co2e: float


@record
class AllocatedProduct:
    """A product of a multi-output process.

    Attributes
    ----------
    id, name : str
    amount : float
        Per run [unit].
    unit : str
    basis : float or None
        Allocation basis per unit of product [basis unit].
    factor : float or None
        Share of the process's burdens the product carries [-].
    main : bool
        The process's own output.
    """

    id: str | None
    name: str
    amount: float
    unit: str
    basis: float | None
    factor: float | None
    main: bool


@record
class AllocationCredit:
    """An avoided burden credited by system expansion.

    Attributes
    ----------
    coproduct, avoided : str
        The co-product and the background activity it replaces.
    amount : float
        Per reference flow [unit].
    unit : str or None
    kg_co2e : float
        [kg CO2e / reference flow, negative].
    """

    coproduct: str
    avoided: str
    amount: float
    unit: str | None
    kg_co2e: float


@record
class Allocation:
    """How a multi-output process shared its burdens (ISO 14067:2018 6.4.6).

    Attributes
    ----------
    process, name, method, justification : str
    basis_unit : str or None
        ``kg``, ``MJ``, ``currency`` or None.
    products : tuple of AllocatedProduct
    credits : tuple of AllocationCredit
    """

    process: str
    name: str
    method: str
    justification: str | None
    basis_unit: str | None
    products: tuple[AllocatedProduct, ...]
    credits: tuple[AllocationCredit, ...]


@record
class DataQualityItem:
    """One weighted item of the primary data share and the DQR.

    Attributes
    ----------
    process, kind : str
    index : int, tuple of int or None
    background, database, reference : str or None
    name, data, emission_factor : str
        ``data`` / ``emission_factor``: ``primary`` or ``secondary``.
    primary_share : float
        [0..1].
    dqr : Dqr or None
    dqr_source : str or None
    kg_co2e : float
        [kg CO2e / reference flow].
    weight : float
        |kg CO2e| share [-].
    supplier : dict or ABSENT
        The supplier footprint an input reads (``supplier_pcf``): its file, SHA-256, figures.
    """

    process: str
    kind: str
    index: int | tuple[int, ...] | None
    background: str | None
    database: str | None
    reference: str | None
    name: str
    data: str
    emission_factor: str
    primary_share: float
    dqr: Dqr | None
    dqr_source: str | None
    kg_co2e: float
    weight: float
    supplier: dict[str, Any] = ABSENT


@record
class DataQuality:
    """Primary data share (PACT Pathfinder v2.0 4.2.2) and data quality rating (PEF 4.6.5).

    Attributes
    ----------
    primary_data_share : float or None
        [0..1].
    primary_data_share_percent : float or None
        [%].
    primary_kg_co2e, abs_kg_co2e : float
        [kg CO2e / reference flow].
    basis : str
    dqr : Dqr or None
    level : str
    coverage : float
        Share of |kg CO2e| that is rated [0..1].
    unrated_significant : tuple of str
    items : tuple of DataQualityItem
    """

    primary_data_share: float | None
    primary_data_share_percent: float | None
    primary_kg_co2e: float
    abs_kg_co2e: float
    basis: str
    dqr: Dqr | None
    level: str | None
    coverage: float
    unrated_significant: tuple[str, ...]
    items: tuple[DataQualityItem, ...]


@record
class ElectricityActivity:
    """The background activity an electricity input links.

    Attributes
    ----------
    key, database, model_reference, name, location, unit : str
    year : int or None
    """

    key: str
    database: str
    model_reference: str | None
    name: str
    location: str | None
    year: int | str | None
    unit: str | None


@record
class ElectricityInput:
    """An electricity input and its source (model ``electricity:``).

    Attributes
    ----------
    process, process_location, stage, name : str
    line : int or None
        Model file line.
    kwh : float
        [kWh / reference flow].
    source : str
        ``grid``, ``direct`` or ``contractual``.
    stated : bool
        Whether the model states the source.
    region : str or None
    year : int or None
    mix, instrument, connection : str or None
    generator, evidence : dict or None
        The model's statements as written.
    activity : ElectricityActivity
    kg_co2e_per_kwh : float
        [kg CO2e / kWh].
    kg_co2e : float
        [kg CO2e / reference flow].
    share : float
        Of the total [-].
    """

    process: str
    process_location: str | None
    stage: str
    line: int | None
    name: str
    kwh: float
    source: str
    stated: bool
    region: str | None
    year: int | None
    mix: Any
    instrument: str | None
    generator: dict[str, Any] | None
    connection: str | None
    evidence: dict[str, Any] | None
    activity: ElectricityActivity
    kg_co2e_per_kwh: float
    kg_co2e: float
    share: float | None


@record
class EnergyAndGhg:
    """[kWh / reference flow] and [kg CO2e / reference flow]."""

    kwh: float
    kg_co2e: float


@record
class ElectricitySummary:
    """All electricity inputs together.

    Attributes
    ----------
    total_kwh : float
        [kWh / reference flow].
    kg_co2e : float
        [kg CO2e / reference flow].
    share : float or None
        Of the total [-].
    kg_co2e_per_kwh : float or None
        [kg CO2e / kWh].
    by_source : dict of str to EnergyAndGhg
        ``grid``, ``direct``, ``contractual``.
    not_stated : int
        Inputs whose source the model does not state.
    """

    total_kwh: float = 0.0
    kg_co2e: float = 0.0
    share: float | None = None
    kg_co2e_per_kwh: float | None = None
    by_source: dict[str, EnergyAndGhg] | None = None
    not_stated: int = 0


@record
class ScenarioChange:
    """A replacement a scenario made.

    Attributes
    ----------
    process : str
    input, leg : int or ABSENT
        Index of the input / transport leg (one of them).
    from_, to : str
        JSON ``from`` / ``to``.
    """

    process: str
    from_: str | None = key("from")
    to: str | None
    input: int = ABSENT
    leg: int = ABSENT


@record
class Scenario:
    """The scenario computed (model ``scenarios:``).

    Attributes
    ----------
    name, description : str
    parameters : dict of str to float
        The values it sets.
    replaced, transport, locations : tuple of ScenarioChange
    """

    name: str
    description: str | None
    parameters: dict[str, Any]
    replaced: tuple[ScenarioChange, ...] = ()
    transport: tuple[ScenarioChange, ...] = ()
    locations: tuple[ScenarioChange, ...] = ()


@record
class UseInput:
    """A use-stage input given per a time.

    Attributes
    ----------
    process, activity, database, per, unit : str
    amount_per : float
        As stated [unit / per].
    amount : float
        Over the service life [unit / reference flow].
    kg_co2e : float
        [kg CO2e / reference flow].
    """

    process: str
    activity: str
    database: str
    per: str
    amount_per: float
    unit: str
    amount: float
    kg_co2e: float


@record
class UseEmission:
    """A use-stage emission given per a time.

    Attributes
    ----------
    process, substance, origin, per, unit : str
    amount_per : float
        As stated [kg / per].
    amount : float
        Over the service life [kg / reference flow].
    """

    process: str
    substance: str
    origin: str
    per: str
    amount_per: float
    unit: str
    amount: float


@record
class UseStage:
    """Service life and use-stage amounts.

    Attributes
    ----------
    service_life : Quantity or None
    inputs : tuple of UseInput
    emissions : tuple of UseEmission
    """

    service_life: Quantity | None
    inputs: tuple[UseInput, ...] = ()
    emissions: tuple[UseEmission, ...] = ()


@record
class EndOfLifeTerm:
    """A term of the cut-off approach or the Circular Footprint Formula.

    Attributes
    ----------
    term, side, activity, database, unit : str
    factor : float
        Its CFF factor [-].
    amount : float
        [unit / reference flow].
    kg_co2e : float
        [kg CO2e / reference flow]; credits negative.
    """

    term: str
    side: str
    activity: str
    database: str
    factor: float
    amount: float
    unit: str
    kg_co2e: float


@record
class EndOfLife:
    """One end-of-life material (:mod:`pcf.model.endoflife`).

    Attributes
    ----------
    process, stage, material, approach : str
        ``approach``: ``cut_off`` or ``cff``.
    mass_kg : float
        [kg / reference flow].
    parameters : dict of str to float or None
        A, B, R1, R2, R3, Qsin/Qp, Qsout/Qp, LHV, XER,heat, XER,elec.
    terms : tuple of EndOfLifeTerm
    kg_co2e : float
        [kg CO2e / reference flow].
    """

    process: str
    stage: str
    material: str
    mass_kg: float
    approach: str
    parameters: dict[str, float | None]
    terms: tuple[EndOfLifeTerm, ...]
    kg_co2e: float


@record
class Statistics:
    """Sample statistics [kg CO2e per reference flow or per declared unit].

    Attributes
    ----------
    mean, median, sd, se_mean, p2_5, p97_5 : float
    """

    mean: float
    median: float
    sd: float
    se_mean: float
    p2_5: float
    p97_5: float


@record
class Driver:
    """An uncertain input ranked by its share of the output variance.

    Attributes
    ----------
    kind : str
        ``foreground`` or ``background``.
    input, process, field, distribution : str
    index : int or None
    database : str or None
    spearman : float
        Rank correlation with the total [-].
    share : float
        Normalised squared correlation [-].
    """

    kind: str
    input: str
    process: str
    field: str
    index: int | tuple[int, ...] | None
    database: str | None
    distribution: str
    spearman: float
    share: float


@record
class Histogram:
    """Histogram of the sampled totals.

    Attributes
    ----------
    edges : tuple of float
        Bin edges [kg CO2e / reference flow].
    counts : tuple of int
    """

    edges: tuple[float, ...]
    counts: tuple[int, ...]


@record
class DefaultAmount:
    """A model amount without ``uncertainty:`` that the Monte Carlo sampled with a default
    lognormal from its data quality (:func:`pcf.model.distributions.default_distribution`).

    Attributes
    ----------
    process, field : str
        Process id and ``inputs`` / ``transport`` / ``emissions`` / ``removals`` / ``coproducts``.
    index : int
        Position in that list of the process.
    input : str
        What the model names (background key, substance, leg name).
    distribution : str
        E.g. ``lognormal, GSD 1.122 (pedigree 3,3,3,3,3, basic GSD 1.025)``.
    gsd : float
        Geometric standard deviation exp(sigma) [-]; sigma^2 = basic_variance + pedigree variances.
    pedigree : tuple of int
        Reliability, completeness, temporal, geographical, further technological correlation [1..5].
    basic_variance : float
        Variance of ln(amount) of the basic uncertainty [-].
    source : str
        ``dqr of the input``, ``dqr of the process``, ``primary data default`` or
        ``secondary data default``.
    """

    process: str
    field: str
    index: int
    input: str
    distribution: str
    gsd: float
    pedigree: tuple[int, ...]
    basic_variance: float
    source: str


@record
class DefaultUncertainty:
    """Default uncertainty of the amounts without ``uncertainty:`` (issue 14 part 5).

    Attributes
    ----------
    applied : bool
        False when switched off (the amounts were held fixed).
    unannotated : int
        Amounts without ``uncertainty:`` that take a default (sampled only when ``applied``).
    amounts : tuple of DefaultAmount
        The defaults sampled (empty when not applied).
    variance_share : float or None
        Share of the variance of the total from the defaults [0..1]: 1 - var(total with the
        defaults held at their amounts, same draws) / var(total); None when not applied or the
        total does not vary.
    without_defaults : Statistics or None
        Statistics of the same draws with the defaults held [kg CO2e / reference flow].
    note : str
        How the defaults were derived, in plain words.
    """

    applied: bool
    unannotated: int
    amounts: tuple[DefaultAmount, ...]
    variance_share: float | None
    without_defaults: Statistics | None
    note: str


@record
class Uncertainty:
    """Monte Carlo uncertainty assessment (ISO 14067:2018 6.4.5, :mod:`pcf.lca.uncertainty`).

    Attributes
    ----------
    iterations, requested, failed : int
    seed : int
    deterministic_kg_co2e : float
        [kg CO2e / reference flow].
    unit : str
    mean, median, sd, se_mean, p2_5, p97_5 : float
        [kg CO2e / reference flow].
    per_declared_unit : Statistics or None
        [kg CO2e / declared unit].
    sampled : dict
        ``{foreground_amounts, foreground_exchanges, background_exchanges: {database: n},
        background_ranked}``.
    drivers : tuple of Driver
    histogram : Histogram
    background_note, method_note : str
    defaults : DefaultUncertainty or ABSENT
        Absent in results written before issue 14.
    solver : dict or ABSENT
        How the sampled technosphere systems were solved (:mod:`pcf.lca.mcsolve`):
        ``{method, tolerance, preconditioner_nnz, samples, mean_iterations, max_iterations,
        fallbacks, singular}`` (fewer keys when A was not sampled); absent in results written
        before issue 18.
    """

    iterations: int
    requested: int
    failed: int
    seed: int | None
    deterministic_kg_co2e: float
    unit: str
    mean: float
    median: float
    sd: float
    se_mean: float
    p2_5: float
    p97_5: float
    per_declared_unit: Statistics | None
    sampled: dict[str, Any]
    drivers: tuple[Driver, ...]
    histogram: Histogram
    background_note: str
    method_note: str
    defaults: DefaultUncertainty = ABSENT
    solver: dict[str, Any] = ABSENT


@record
class ProductSystemProcess:
    """A foreground process of the product system map.

    Attributes
    ----------
    id, name, stage : str
    location : str or None
    """

    id: str
    name: str
    stage: str
    location: str | None


@record
class Link:
    """A foreground link: ``from`` supplies ``to``."""

    from_: str = key("from")
    to: str


@record
class ProductSystem:
    """The foreground as a graph (:mod:`pcf.lca.system_map`).

    Attributes
    ----------
    reference : str
        The process whose output is the reference flow.
    processes : tuple of ProductSystemProcess
    links : tuple of Link
    """

    reference: str
    processes: tuple[ProductSystemProcess, ...]
    links: tuple[Link, ...]


@record
class Provenance:
    """Where the numbers come from.

    Attributes
    ----------
    method_label, method_description : str
    method_source : tuple of str
    background_database, background_version, background_sha256 : str
    background_activities : int
    databases : tuple of dict
        ``{database, kind, format, source, sha256, activities}`` of each database used.
    brightway : dict of str to str
        Versions of bw2calc, bw2data, bw2io, bw_processing.
    bw2calc_score : float or None
        bw2calc's score [kg CO2e / reference flow], the cross-check of the total; None in
        ``pcf batch`` results.
    supplier_footprints : tuple of dict
        Supplier PCF files read (file, SHA-256, figures per unit, PDS, DQI).
    method_sha256 : str
        Content hash of the method's characterisation factors
        (:func:`pcf.background.methods.method_sha256`); absent in results written before
        issue 14, which then recompute without a method check (``pcf recompute``).
    """

    method_label: str
    method_source: tuple[str, ...]
    method_description: str
    background_database: str
    background_version: str
    background_sha256: str
    background_activities: int
    databases: tuple[dict[str, Any], ...]
    brightway: dict[str, str]
    bw2calc_score: float | None
    supplier_footprints: tuple[dict[str, Any], ...] = ()
    method_sha256: str = ABSENT


@record
class ExchangeFacts:
    """What the exchange formats need besides the footprint (model ``exchange:``).

    Attributes
    ----------
    company : dict or None
        ``{name, ids}``.
    product_ids, classifications : tuple of str
    cpc, description : str or None
    product_mass_kg : float or None
        [kg / reference flow].
    fossil_carbon_content_kg_c : float or None
        [kg C / reference flow].
    fossil_carbon_content_source : str or None
    packaging_included : bool or None
    reference_period : dict or None
        ``{start, end}`` (ISO dates).
    geography, geography_source, study_url : str or None
    verification : dict or None
        PACT v3 ``Verification``.
    """

    company: dict[str, Any] | None = None
    product_ids: tuple[str, ...] = ()
    classifications: tuple[str, ...] = ()
    cpc: str | None = None
    description: str | None = None
    product_mass_kg: float | None = None
    fossil_carbon_content_kg_c: float | None = None
    fossil_carbon_content_source: str | None = None
    packaging_included: bool | None = None
    reference_period: dict[str, Any] | None = None
    geography: str | None = None
    geography_source: str | None = None
    study_url: str | None = None
    verification: dict[str, Any] | None = None


@record
class SubIndicator:
    """A sub-indicator of the characterisation method (EF 3.1 climate change and its fossil,
    biogenic and land-use parts), :func:`pcf.lca.biogenic.sub_indicators`.

    Attributes
    ----------
    indicator : str
        The method's name for it, e.g. ``climate change: fossil``.
    method : tuple of str
        The Brightway name of the source method that scores it alone (written by ``pcf setup``).
    kg_co2e : float
        [kg CO2e / reference flow].
    per_declared_unit : float or None
        [kg CO2e / declared unit]; None without a declared unit.
    share : float or None
        Of the method's own total (the first sub-indicator) [-]; None when that is zero.
    """

    indicator: str
    method: tuple[str, ...]
    kg_co2e: float
    per_declared_unit: float | None
    share: float | None


@record
class FootprintResult:
    """Carbon footprint of a product system: what :func:`pcf.lca.footprint` computes.

    The record tree of the ``pcf-result/1`` fields (docs/result-json.md) except those of the
    :class:`pcf.declaration.Declaration` (``format``, ``assessment``, the declared figure in
    ``totals`` and ``batch``). Every field below is a record or a tuple of records, documented
    in its own class with units.

    Attributes
    ----------
    product : dict
        ``{id, name, reference_flow: {amount, unit}, declared_unit: {unit, description,
        per_reference_flow} or None}``.
    study : dict
        ``{standard, boundary, pcr, method, background}`` of the model.
    parameters : dict of str to float
        Parameter values used.
    total_kg_co2e : float
        GHG emissions and removals per reference flow [kg CO2e].
    per_declared_unit_kg_co2e : float or None
        Total per declared unit [kg CO2e / declared unit].
    stages : dict of str to float
        Per life-cycle stage [kg CO2e / reference flow]; sums to the total.
    ghg : dict of str to float
        ``fossil, biogenic_emissions, biogenic_removals, dluc`` (summing to the total) and
        ``aircraft`` (part of fossil) [kg CO2e / reference flow], ISO 14067:2018 7.3.
    biogenic_carbon : dict
        ``co2_emissions_kg``, ``co2_removals_kg``: masses of biogenic CO2 emitted and taken up
        [kg CO2 / reference flow]; ``net_kg_co2e``: biogenic emissions + removals [kg CO2e /
        reference flow]; ``content_product_kg_c``, ``content_packaging_kg_c``: biogenic carbon
        content of the product and its packaging [kg C / reference flow, None when the model
        does not state it] and ``content_product_kg_co2e``, ``content_packaging_kg_co2e``, the
        CO2 they correspond to (x ``content_co2_per_c`` = 44.009 / 12.011 [kg CO2 / kg C]);
        ``content_source``. The content is reported, never added to a total (ISO 14067:2018
        6.4.9, 7.3).
    totals : Totals
        ``including_biogenic`` (= ``total_kg_co2e``) and ``excluding_biogenic`` (biogenic CO2
        emissions and removals left out) [kg CO2e / reference flow], the same per declared
        unit, and the ``shares`` of each category. Which figure is declared is decided by
        :meth:`pcf.declaration.Declaration.declared_value`, not here.
    contributions : list of dict
        ``{process|background, name, stage, kind, kg_co2e, share}``, largest magnitude first;
        sums to the total.
    cut_off : list of dict
        Inputs excluded from the system: ``{process, name, amount, unit, reason,
        amount_per_process_output, process_output, mass_share, energy_share, proxy,
        kg_co2e_estimate, ghg_share}``; ``amount`` is per reference flow (the model's amount
        times the process's activity level and allocated share); ``mass_share`` /
        ``energy_share`` are of the process's mass / energy input [0..1, None when not that
        dimension]; ``kg_co2e_estimate`` [kg CO2e / reference flow] and ``ghg_share`` come from
        the proxy (None without one).
    data_sources : list of dict
        Every background activity drawn directly by the foreground: ``{background (code),
        database, model_reference, name, reference_product, unit, location, year, source,
        note, factor_ids, dqr, kg_co2e_per_unit, amount, kg_co2e}``; ``amount`` [unit] and
        ``kg_co2e`` are per reference flow; ``dqr`` is the PEF rating ``{ter, ger, tir, p,
        dqr}`` when the database states one, else None; ``gwp_basis`` (:class:`GwpBasis`).
    gwp_basis_summary : GwpBasisSummary or ABSENT
        The method's GWP vintage and the share of the total from figures on another GWP basis
        (:mod:`pcf.lca.gwpbasis`); ABSENT in results written before issue 14.
    method, method_name, background : str, list, str
        Characterisation method id and Brightway name; background name.
    provenance : dict
        Background version and hash, Brightway versions, method description.
    software_version, model_sha256, model_file, created_at : str
    cut_off_summary : dict
        ``{criteria, estimated_kg_co2e, estimated_share, not_estimated, findings: [{severity,
        item, message, fix}]}``: the study's cut-off criteria (ISO 14067:2018 6.3.4.3) and
        where the exclusions break them.
    transport : list of dict
        Transport legs: ``{process, name, mode, distance_km, mass_kg (chargeable, per run),
        volume_m3, tkm, activity, database, aircraft, kg_co2e}``; ``tkm`` and ``kg_co2e`` per
        reference flow. They are also inside ``contributions``; aircraft legs are in
        ``ghg.aircraft`` (ISO 14067:2018 7.3 e).
    allocation : list of dict
        One entry per multi-output process (ISO 14067:2018 6.4.6): ``{process, name, method,
        justification, basis_unit, products: [{id, name, amount, unit, basis, factor}],
        credits: [{coproduct, avoided, amount, unit, kg_co2e}]}``; ``factor`` is the share of
        the process's burdens a product carries; ``credits`` (system expansion) are per
        reference flow [kg CO2e, negative].
    data_quality : dict
        Primary data share and data quality rating (:mod:`pcf.lca.dataquality`):
        ``{primary_data_share [0..1], primary_data_share_percent [%], primary_kg_co2e,
        abs_kg_co2e, basis, dqr: {ter, ger, tir, p, dqr} or None, level, coverage [0..1],
        unrated_significant, items: [{process, kind, index, background, database, reference,
        name, data, emission_factor, primary_share, dqr, dqr_source, kg_co2e, weight}]}``;
        the PDS follows the PACT Methodology (Pathfinder Framework v2.0) 4.2.2 with items
        weighted by |kg CO2e|; the DQR is the |kg CO2e|-weighted PEF rating (2021/2279 Annex I
        4.6.5) of the rated items; masses per reference flow [kg CO2e].
    electricity : list of dict
        Every electricity input with its source (model ``electricity:``, issue 4.3):
        ``{process, process_location, stage, line, name, kwh, source (grid | direct |
        contractual), stated, region, year, mix, instrument, generator, connection, evidence,
        activity: {key, database, model_reference, name, location, year, unit},
        kg_co2e_per_kwh, kg_co2e, share}``; ``kwh`` [kWh] and ``kg_co2e`` per reference flow,
        ``kg_co2e_per_kwh`` [kg CO2e / kWh] of the linked activity. Inputs without a statement
        that link an ``electricity_*`` activity are listed as ``grid`` with ``stated: false``.
        They are also inside ``contributions``. Which sources a PCR accepts is in
        ``assessment.electricity``.
    electricity_summary : dict
        ``{total_kwh, kg_co2e, share, kg_co2e_per_kwh, by_source: {grid|direct|contractual:
        {kwh, kg_co2e}}, not_stated}`` [kWh, kg CO2e per reference flow].
    scenario : dict or None
        The scenario computed (model ``scenarios:``), None for the model as written
        (``base``): ``{name, description, parameters (the values it sets), replaced:
        [{process, input (index), from, to}], transport: [{process, leg (index), from, to}],
        locations: [{process, from, to}]}``.
        The model file and its ``model_sha256`` are the same for every scenario; the name
        tells the variants apart (and names the output files).
    use_stage : dict or None
        ``{service_life: {amount, unit}, inputs: [{process, activity, database, per, amount_per,
        unit, amount, kg_co2e}], emissions: [{process, substance, origin, per, amount_per, unit,
        amount}]}``: the product's service life and the use-stage amounts given ``per`` a time
        (``amount_per`` as stated, ``amount`` and ``kg_co2e`` per reference flow over the service
        life); None when the model states neither.
    end_of_life : list of dict
        One entry per end-of-life material (:mod:`pcf.model.endoflife`): ``{process, stage,
        material, mass_kg, approach (cut_off | cff), parameters {A, B, R1, R2, R3, Qsin/Qp,
        Qsout/Qp, LHV, XER,heat, XER,elec}, terms [{term, side, activity, database, factor,
        amount, unit, kg_co2e}], kg_co2e}``, per reference flow; credits are negative. The
        terms are inputs of their process, so they are also in ``stages`` and ``contributions``.
    uncertainty : dict or None
        Monte Carlo uncertainty assessment (ISO 14067:2018 6.4.5, 7.3), None unless
        ``pcf footprint --monte-carlo N`` ran: ``{iterations, requested, failed, seed,
        deterministic_kg_co2e, unit, mean, median, sd, se_mean, p2_5, p97_5 [kg CO2e / reference
        flow], per_declared_unit: {mean, median, sd, se_mean, p2_5, p97_5} [kg CO2e / declared
        unit] or None, sampled: {foreground_amounts, foreground_exchanges, background_exchanges:
        {database: n}, background_ranked}, drivers: [{kind, input, process, field, index,
        database, distribution, spearman, share}] (largest share first), histogram: {edges,
        counts}, background_note, method_note}`` (:mod:`pcf.lca.uncertainty`).
    declaration : dict or None
        The model's ``declaration:`` (administrative facts of a carbon-footprint declaration,
        Regulation (EU) 2023/1542 Art. 7(1)): ``{manufacturer: {name, address, contact},
        product_model, plant: {name, location, country}, conformity_declaration_id,
        study_url}``, None when the model has none.
    ghg_by_stage : dict
        ``{stage: {fossil, biogenic_emissions, biogenic_removals, dluc, aircraft [kg CO2e],
        co2_emissions_kg, co2_removals_kg [kg CO2]}}`` per reference flow: the ISO 14067 split
        and the biogenic CO2 masses of each life-cycle stage (the categories of a stage sum to
        ``stages[stage]``); the exporters use it to report cradle-to-gate figures of a
        cradle-to-grave study and the distribution stage apart.
    exchange : dict
        What the exchange formats need besides the footprint (model ``exchange:``,
        :func:`pcf.model.exchange.resolve_exchange`): ``{company: {name, ids} or None,
        product_ids, classifications, cpc, description, product_mass_kg [kg / reference flow],
        fossil_carbon_content_kg_c [kg C / reference flow], fossil_carbon_content_source,
        packaging_included, reference_period: {start, end}, geography, geography_source,
        study_url, verification}``; None where the model does not state it. Supplier
        footprints read as inputs are in ``provenance.supplier_footprints`` (file, SHA-256,
        figures per unit, primary data share, DQI).
    batch : dict (only in results of ``pcf batch``; not a field of this class)
        ``{row, sku, model_product: {id, name}, overrides, input_sha256}``: the SKU table row,
        the SKU id (also ``product.id``), the model's own product, the parameter values of the
        row, and the hash a re-run compares (docs/batch.md). ``provenance.bw2calc_score`` is
        None in these results.
    product_system : dict
        The foreground as a graph (:mod:`pcf.lca.system_map`): ``{reference, processes: [{id,
        name, stage, location}], links: [{from, to}]}``; drawn in the report's system-boundary
        diagram with the background activities of ``contributions`` and the excluded inputs
        of ``cut_off``.
    lint : tuple of LintFinding or ABSENT
        Model lint findings of ``pcf footprint`` and ``pcf batch`` (:class:`LintFinding`); the
        key is absent in results made without lint (older results).
    sub_indicators : tuple of SubIndicator or ABSENT
        Only for a method with sub-indicators (``ef-3.1-climate-change``): the method's own
        total and its parts (:class:`SubIndicator`), each with biogenic CO2 and its uptake 0 as
        the method counts them: ``climate change`` (= ``totals.excluding_biogenic``),
        ``climate change: fossil``, ``climate change: biogenic`` (biogenic CH4) and ``climate
        change: land use and land use change`` [kg CO2e / reference flow], from the split by
        each flow's own class (``ghg.fossil``, ``ghg.biogenic_emissions`` -
        ``biogenic_carbon.co2_emissions_kg``, ``ghg.dluc`` unless the model states another
        ``origin`` for a direct flow, e.g. N2O from land use, which EF counts as fossil). The
        key is absent for the IPCC methods and in older results.
    """

    product: Product
    study: Study
    parameters: dict[str, Any]
    total_kg_co2e: float
    per_declared_unit_kg_co2e: float | None
    stages: dict[str, float]
    ghg: GhgSplit
    biogenic_carbon: BiogenicCarbon
    contributions: tuple[Contribution, ...]
    cut_off: tuple[CutOffItem, ...]
    data_sources: tuple[DataSource, ...]
    method: str
    method_name: tuple[str, ...]
    background: str
    provenance: Provenance
    software_version: str
    model_sha256: str
    model_file: str
    created_at: str
    allocation: tuple[Allocation, ...] = ()
    cut_off_summary: CutOffSummary = CutOffSummary()
    transport: tuple[TransportLeg, ...] = ()
    data_quality: DataQuality | None = None
    electricity: tuple[ElectricityInput, ...] = ()
    electricity_summary: ElectricitySummary = ElectricitySummary()
    totals: Totals | None = None
    scenario: Scenario | None = None
    use_stage: UseStage | None = None
    end_of_life: tuple[EndOfLife, ...] = ()
    uncertainty: Uncertainty | None = None
    declaration: dict[str, Any] | None = None
    exchange: ExchangeFacts = ExchangeFacts()
    ghg_by_stage: dict[str, StageGhg] | None = None
    product_system: ProductSystem | None = None
    gwp_basis_summary: GwpBasisSummary = ABSENT
    lint: tuple[LintFinding, ...] = ABSENT
    sub_indicators: tuple[SubIndicator, ...] = ABSENT

    def to_json(self) -> dict[str, Any]:
        """The result's fields as JSON values (without the declaration's parts)."""
        return to_json(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "FootprintResult":
        """Build from JSON values (see :func:`pcf.core.codec.from_json`).

        Raises
        ------
        pcf.core.codec.CodecError
        """
        return from_json(cls, data)
