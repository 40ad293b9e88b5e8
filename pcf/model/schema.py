"""The ``pcf-model/1`` product model file, as pydantic models.

Field by field reference: ``docs/model-format.md``. Validation here checks shape and types;
:mod:`pcf.model.loader` adds the cross-checks (references, expressions, units) and turns
every error into ``file:line: message``.
"""

from __future__ import annotations

from typing import Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..core.files import MAX_PRODUCT_ID_BYTES
from ..core.vocabulary import Stage
from .electricity import Electricity
from .exchange import Exchange

Expr = Union[float, int, str]
"""An amount: a number or an arithmetic expression over ``parameters``."""

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Quantity(_Strict):
    """An amount with its unit, e.g. ``{amount: 1, unit: item}``."""

    amount: Expr
    unit: str


class DeclaredUnit(_Strict):
    """Declared (or functional) unit, ISO 14067:2018 3.1.1.5 / 6.3.3.

    ``per_reference_flow`` gives how many declared units one reference flow delivers, e.g.
    ``capacity_kwh * cycles_per_year * service_life_years`` [declared unit / reference flow].
    """

    unit: str
    description: str = ""
    per_reference_flow: Expr


class BiogenicCarbonContent(_Strict):
    """Biogenic carbon contained in the product and in its packaging as they leave the
    system, per reference flow [``unit`` of carbon, a mass, default kg C / reference flow].

    Reported beside the footprint, never added to it (ISO 14067:2018 6.4.9 and 7.3: the
    carbon content is documented separately; its uptake is already among the modelled
    removals). ``source`` says how the content was determined (measured, calculated from
    the mass and carbon fraction of the bio-based materials, ...).
    """

    product: Expr = 0
    packaging: Expr = 0
    unit: str = "kg"
    source: str = ""


class Product(_Strict):
    """The product: its id and name, the process whose output is the reference flow, the
    declared unit, and ``service_life`` (``{amount, unit}`` with a time unit, e.g.
    ``{amount: 30, unit: year}``): the time over which use-stage inputs given ``per: year``
    are counted."""

    id: str = Field(pattern=ID_PATTERN, max_length=MAX_PRODUCT_ID_BYTES)  # ASCII: characters are bytes
    name: str
    process: str
    reference_flow: Quantity
    declared_unit: DeclaredUnit | None = None
    biogenic_carbon_content: BiogenicCarbonContent | None = None
    service_life: Quantity | None = None


class CutOffCriteria(_Strict):
    """Cut-off criteria of the study (ISO 14067:2018 6.3.4.3), as shares [0..1].

    An excluded input may be at most ``mass`` of its process's mass input, ``energy`` of its
    energy input, and ``ghg`` of the total footprint (estimated from its ``proxy``); all
    excluded inputs together at most ``total`` of the footprint. ``source`` says where the
    criteria come from (the PCR clause, or the study's own choice).
    """

    mass: float | None = Field(default=0.01, ge=0, le=1)
    energy: float | None = Field(default=0.01, ge=0, le=1)
    ghg: float | None = Field(default=0.01, ge=0, le=1)
    total: float | None = Field(default=0.05, ge=0, le=1)
    source: str = ""


class Study(_Strict):
    standard: Literal["ISO 14067:2018", "GB/T 24067-2024"] = "ISO 14067:2018"
    boundary: Literal["cradle-to-gate", "cradle-to-grave"] = "cradle-to-gate"
    pcr: str | None = None
    method: str = "ipcc-2021-gwp100"
    background: str = "open-default"
    cut_off: CutOffCriteria | None = None


class Uncertainty(_Strict):
    """Uncertainty of an amount (ISO 14067:2018 6.4.5, 7.3), for ``pcf footprint --monte-carlo``.

    One of: ``{distribution: lognormal, gsd: G}`` (the amount is the median, ``gsd`` the
    geometric standard deviation [-], > 1); ``{distribution: normal, sd: S}`` (the amount is
    the mean, ``sd`` [unit of the amount]); ``{distribution: triangular, min: A, max: B}``
    (the amount is the mode; bounds [unit of the amount]); ``{distribution: uniform, min: A,
    max: B}``; or ``{pedigree: [reliability, completeness, temporal, geographical,
    technological], basic_gsd: G}``, scores 1 (best) .. 5 turned into a lognormal GSD by the
    ecoinvent v3 pedigree matrix (:mod:`pcf.model.distributions`). ``sd``, ``min`` and
    ``max`` may be expressions over ``parameters``.
    """

    distribution: Literal["lognormal", "normal", "triangular", "uniform"] | None = None
    gsd: float | None = None
    sd: Expr | None = None
    min: Expr | None = None
    max: Expr | None = None
    pedigree: list[int] | None = None
    basic_gsd: float | None = None
    comment: str | None = None

    @field_validator("gsd")
    @classmethod
    def _gsd(cls, v: float | None) -> float | None:
        if v is not None and not v > 1:
            raise ValueError(f"gsd is a geometric standard deviation and must be > 1 (1.1 = about +-20 % at 95 %), "
                             f"got {v}; drop 'uncertainty' for an exact amount")
        return v

    @field_validator("basic_gsd")
    @classmethod
    def _basic(cls, v: float | None) -> float | None:
        if v is not None and not v >= 1:
            raise ValueError(f"basic_gsd must be >= 1 (1 = no basic uncertainty), got {v}")
        return v

    @field_validator("pedigree")
    @classmethod
    def _pedigree(cls, v: list[int] | None) -> list[int] | None:
        if v is None:
            return v
        if len(v) != 5:
            raise ValueError("pedigree lists 5 scores: [reliability, completeness, temporal, geographical, "
                             f"technological], got {len(v)}")
        bad = [s for s in v if not 1 <= s <= 5]
        if bad:
            raise ValueError(f"pedigree scores are integers 1 (best) .. 5, got {bad[0]}")
        return v

    @model_validator(mode="after")
    def _one_kind(self) -> "Uncertainty":
        given = {k for k in ("gsd", "sd", "min", "max") if getattr(self, k) is not None}
        if self.pedigree is not None:
            if self.distribution not in (None, "lognormal") or given:
                raise ValueError("pedigree scores define a lognormal GSD: give either pedigree + basic_gsd "
                                 "or a distribution with its parameters, not both")
            if self.basic_gsd is None:
                raise ValueError("pedigree needs basic_gsd, the GSD of the basic uncertainty (e.g. 1.05; "
                                 "1 = none), see docs/model-format.md")
            return self
        if self.basic_gsd is not None:
            raise ValueError("basic_gsd goes with pedigree scores")
        needs = {"lognormal": {"gsd"}, "normal": {"sd"}, "triangular": {"min", "max"}, "uniform": {"min", "max"}}
        if self.distribution is None:
            raise ValueError("name the distribution (lognormal, normal, triangular, uniform) or give pedigree scores")
        missing = needs[self.distribution] - given
        extra = given - needs[self.distribution]
        if missing:
            raise ValueError(f"a {self.distribution} distribution needs {' and '.join(sorted(missing))}")
        if extra:
            raise ValueError(f"{', '.join(sorted(extra))} do not go with a {self.distribution} distribution "
                             f"(it takes {' and '.join(sorted(needs[self.distribution]))})")
        return self


class ActivityRef(_Strict):
    """An activity outside the foreground: ``background: KEY`` (the study's background) or
    ``database: NAME`` with ``code``, or with ``name`` plus ``location`` / ``reference_product``
    when the name alone is ambiguous."""

    background: str | None = None
    database: str | None = None
    code: str | None = None
    name: str | None = None
    location: str | None = None
    reference_product: str | None = None

    def _check_target(self, what: str, targets: tuple[str, ...] = ("background", "database")) -> None:
        """Exactly one target, and lookup fields only with ``database`` (raises ValueError)."""
        named = [k for k in targets if getattr(self, k) is not None]
        if len(named) != 1:
            quoted = [f"'{t}'" for t in targets]
            raise ValueError(f"{what} names exactly one of {', '.join(quoted[:-1])} or {quoted[-1]}")
        lookup = [k for k in ("code", "name", "location", "reference_product") if getattr(self, k) is not None]
        if self.database is None:
            if lookup:
                raise ValueError(f"{', '.join(lookup)} only go with 'database: NAME'")
        elif (self.code is None) == (self.name is None):
            raise ValueError("with 'database', name the activity by exactly one of 'code' or 'name'")
        elif self.code is not None and len(lookup) > 1:
            raise ValueError("with 'code' the activity is already unique: drop location / reference_product")


DataKind = Literal["primary", "secondary"]
"""Primary data (site- or supplier-specific, measured or calculated from measurements) or
secondary data (databases, literature, averages), ISO 14067:2018 3.1.6.1 / 3.1.6.2 and
6.3.5."""


class DataQualityRating(_Strict):
    """PEF data quality rating of data the model states itself (Commission Recommendation (EU)
    2021/2279, Annex I, 4.6.5): technological (``ter``), geographical (``ger``) and
    time-related (``tir``) representativeness and precision (``p``), each 1 (very good) .. 5
    (very poor) [-]. DQR = (TeR + GeR + TiR + P) / 4."""

    ter: float
    ger: float
    tir: float
    p: float

    @field_validator("ter", "ger", "tir", "p")
    @classmethod
    def _one_to_five(cls, value: float) -> float:
        if not 1 <= value <= 5:
            raise ValueError(f"a PEF rating is between 1 (very good) and 5 (very poor), got {value:g}")
        return value


class Input(ActivityRef):
    """A technosphere input: a foreground ``process``, an activity outside the foreground
    (:class:`ActivityRef`: ``background: KEY`` or ``database`` + ``code`` / ``name``), or a
    supplier's footprint of a purchased component, ``supplier_pcf: FILE`` (a PACT v2 / v3
    ``ProductFootprint`` JSON file, path relative to the model file; :mod:`pcf.model.supplier`).
    A supplier footprint's factor is primary (``emission_factor`` defaults to ``primary``) and
    counts toward the primary data share with the supplier's own share.

    ``data`` says whether the amount is primary activity data (default: the process's
    ``data``); ``emission_factor`` whether the activity's factor is primary (supplier- or
    site-specific) or secondary (default, a database); ``dqr`` rates this input's data and
    replaces the rating the database gives the activity. All three rate data taken from
    outside the foreground, so they are refused on ``{process: ID}`` inputs (rate that
    process instead).

    ``electricity`` (optional) states where an electricity input comes from
    (:class:`pcf.model.electricity.Electricity`); the input's unit is then an energy.

    ``per`` (a time unit such as ``year``; use-stage processes only): ``amount`` is per that
    time, e.g. kWh per year, and pcf counts it over ``product.service_life``.
    ``uncertainty`` (:class:`Uncertainty`) is that of ``amount``, in ``unit``.

    ``stage`` (optional, not on ``{process: ID}`` inputs): the life-cycle stage this input's
    burden is reported in, e.g. ``raw_material_acquisition`` for a material bought by a
    ``production`` process (ISO 14067:2018 6.3.4.2). Without it the input's burden is reported
    in its process's stage.
    """

    process: str | None = None
    supplier_pcf: str | None = None
    amount: Expr
    unit: str
    stage: Stage | None = None
    data: DataKind | None = None
    emission_factor: DataKind | None = None
    dqr: DataQualityRating | None = None
    electricity: Electricity | None = None
    id: str | None = Field(default=None, pattern=ID_PATTERN)
    per: str | None = None
    comment: str | None = None
    uncertainty: Uncertainty | None = None

    @model_validator(mode="after")
    def _one_target(self) -> "Input":
        self._check_target("an input", ("process", "background", "database", "supplier_pcf"))
        if self.supplier_pcf is not None and self.electricity is not None:
            raise ValueError("electricity: describes a grid or generator, not a supplier footprint: drop it")
        rated = [k for k in ("data", "emission_factor", "dqr") if getattr(self, k) is not None]
        if self.process is not None and rated:
            raise ValueError(f"{', '.join(rated)} on an input from foreground process {self.process!r} has no "
                             f"effect: its data quality is that of process {self.process!r}; set it there")
        if self.process is not None and self.stage is not None:
            raise ValueError(f"stage on an input from foreground process {self.process!r} has no effect: its "
                             f"burdens are reported in the stage of process {self.process!r}; set it there")
        return self


class Output(Quantity):
    """The reference product of a process, ``{amount, unit}``, with the properties that
    partition its burdens when the process has co-products (ISO 14067:2018 6.4.6.3):
    ``mass`` [kg / unit] (only when ``unit`` is not a mass), ``energy`` [MJ / unit] (e.g. lower
    heating value), ``price`` [currency / unit, the same currency for every product],
    ``allocation_factor`` [share 0..1] for method ``factors``."""

    mass: Expr | None = None
    energy: Expr | None = None
    price: Expr | None = None
    allocation_factor: Expr | None = None


class Coproduct(Output):
    """A further output of a multi-output process.

    ``id`` (optional) makes the co-product usable as ``{process: ID}`` by other processes,
    with its allocated share of the burdens. ``avoided`` names what the co-product displaces
    under system expansion (ISO 14067:2018 6.4.6.2), e.g.
    ``{background: steel_world_avg_ice, amount: 3, unit: kg}`` per run of the process.
    """

    id: str | None = Field(default=None, pattern=ID_PATTERN)
    name: str
    avoided: Input | None = None


class Allocation(_Strict):
    """How a multi-output process shares its burdens (ISO 14067:2018 6.4.6; ISO 14044 4.3.4.2).

    ``method``: ``system_expansion`` (avoid allocation: credit the displaced products),
    ``mass`` or ``energy`` (physical relationship), ``economic`` (relative value), or
    ``factors`` (explicit shares, e.g. from a PCR). ``justification`` says why this step of
    the hierarchy was chosen; the result and report repeat it.
    """

    method: Literal["system_expansion", "mass", "energy", "economic", "factors"]
    justification: str = ""


class Emission(_Strict):
    """An elementary flow to air (or, under ``removals``, a biogenic uptake from air).

    ``per`` (a time unit, use-stage processes only): ``amount`` is per that time and is
    counted over ``product.service_life``.
    ``uncertainty`` (:class:`Uncertainty`) is that of ``amount``, in ``unit``."""

    substance: str
    origin: Literal["fossil", "biogenic", "land_use"] = "fossil"
    amount: Expr
    unit: str = "kg"
    per: str | None = None
    comment: str | None = None
    uncertainty: Uncertainty | None = None


class Activity(ActivityRef):
    """An activity named on its own, e.g. the ``proxy`` of an excluded input or the
    ``activity`` of a transport leg: ``{background: KEY}`` or ``{database: NAME, code|name:
    ..., location, reference_product}``."""

    @model_validator(mode="after")
    def _one_target(self) -> "Activity":
        self._check_target("an activity")
        return self


TransportMode = Literal["lorry", "van", "rail", "container_ship", "bulk_carrier", "general_cargo_ship",
                        "air_longhaul", "air_shorthaul"]


class TransportLeg(_Strict):
    """One transport leg of a process's inputs, per run of the process.

    ``distance`` [``distance_unit``, default km] and the ``mass`` [``mass_unit``, default kg]
    and/or ``volume`` [m3] carried; pcf turns them into tonne-kilometres of the mode's open-default
    activity (or of ``background`` / ``database`` + ``name`` / ``code`` when given). With a
    volume, the chargeable mass is the larger of the mass and the volume times the mode's
    volumetric factor (air 166.67 kg/m3, IATA 6000 cm3/kg; road 333 kg/m3; sea and rail
    1000 kg/m3, the W/M rule). ``uncertainty`` (:class:`Uncertainty`) is that of ``distance``,
    in ``distance_unit``.
    """

    name: str = ""
    mode: TransportMode
    distance: Expr
    distance_unit: str = "km"
    mass: Expr | None = None
    mass_unit: str = "kg"
    volume: Expr | None = None
    activity: Activity | None = None
    comment: str | None = None
    uncertainty: Uncertainty | None = None

    @model_validator(mode="after")
    def _what(self) -> "TransportLeg":
        if self.mass is None and self.volume is None:
            raise ValueError("a transport leg carries a mass or a volume (or both)")
        return self


class Excluded(_Strict):
    """An input cut off from the product system (ISO 14067:2018 6.3.4.3), listed for
    transparency; ``proxy`` lets pcf estimate its GHG share."""

    name: str
    amount: Expr
    unit: str
    reason: str
    proxy: Activity | None = None


class EndOfLifeMaterial(_Strict):
    """One material of a product at its end of life, with its recycled content, under the
    cut-off approach or the Circular Footprint Formula (CFF).

    ``mass`` [``unit``, a mass] per run of the process. Shares [0..1]: ``R1`` recycled content
    of the material input, ``R2`` share recycled at end of life, ``R3`` share sent to energy
    recovery; the rest, ``1 - R2 - R3``, is disposed of. CFF parameters: ``A`` (burdens and
    credits shared between supplier and user of recycled material), ``B`` (energy recovery,
    default 0), ``Qsin_Qp`` / ``Qsout_Qp`` (quality of the secondary material in / out over
    the primary), ``LHV`` [MJ / kg], ``X_heat`` / ``X_elec`` (efficiencies of energy recovery).
    Activities (``{background: KEY}`` or ``{database: NAME, code|name: ...}``), per kg of
    material (MJ for the substituted heat and electricity): ``virgin`` (Ev), ``recycled``
    (Erecycled), ``recycling`` (ErecyclingEoL), ``virgin_substituted`` (E*v, default
    ``virgin``), ``energy_recovery`` (EER), ``heat_substituted`` / ``electricity_substituted``
    (ESE), ``disposal`` (ED). With ``virgin`` the entry models the material input (R1 terms);
    with any end-of-life field it models the end of life; pcf turns each term into an input of
    the process (credits negative). Formulas: :mod:`pcf.model.endoflife`.
    """

    material: str
    mass: Expr
    unit: str = "kg"
    approach: Literal["cut_off", "cff"] = "cut_off"
    R1: Expr = 0
    R2: Expr | None = None
    R3: Expr | None = None
    A: Expr | None = None
    B: Expr = 0
    Qsin_Qp: Expr | None = None
    Qsout_Qp: Expr | None = None
    LHV: Expr | None = None
    X_heat: Expr | None = None
    X_elec: Expr | None = None
    virgin: Activity | None = None
    recycled: Activity | None = None
    recycling: Activity | None = None
    virgin_substituted: Activity | None = None
    energy_recovery: Activity | None = None
    heat_substituted: Activity | None = None
    electricity_substituted: Activity | None = None
    disposal: Activity | None = None
    comment: str | None = None


class Process(_Strict):
    """A foreground unit process.

    ``data`` says whether the process's own data (the amounts of its inputs and its direct
    emissions and removals) are primary or secondary; unstated means secondary, so a model
    never claims primary data it did not declare. ``dqr`` rates the process's own data (its
    direct emissions); inputs keep the rating of their activity or their own ``dqr``.

    ``kept_because`` says why a process that the reference flow does not reach stays in the
    model (e.g. "kept for the scenario recycled_housing"); without it ``pcf lint`` and
    ``pcf footprint`` refuse such a process (:mod:`pcf.model.lint`), since it counts 0.
    """

    id: str = Field(pattern=ID_PATTERN)
    name: str
    stage: Stage
    location: str | None = None
    output: Output
    coproducts: list[Coproduct] = []
    allocation: Allocation | None = None
    inputs: list[Input] = []
    transport: list[TransportLeg] = []
    emissions: list[Emission] = []
    removals: list[Emission] = []
    excluded: list[Excluded] = []
    data: DataKind | None = None
    dqr: DataQualityRating | None = None
    end_of_life: list[EndOfLifeMaterial] = []
    kept_because: str | None = Field(default=None, min_length=1)
    comment: str | None = None


class InputSwap(ActivityRef):
    """What a scenario puts in place of an input: a new target (``process``, ``background``
    or ``database`` + ``code`` / ``name``) and / or a new ``amount`` [``unit``], and the data
    quality and source of what is new (``data``, ``emission_factor``, ``dqr``,
    ``electricity`` as on :class:`Input`). What is not given is kept from the input, except
    that a new target drops the input's ``emission_factor``, ``dqr`` and ``electricity`` and a
    new amount its ``data`` (they described the old ones)."""

    process: str | None = None
    supplier_pcf: str | None = None
    amount: Expr | None = None
    unit: str | None = None
    data: DataKind | None = None
    emission_factor: DataKind | None = None
    dqr: DataQualityRating | None = None
    electricity: Electricity | None = None

    @model_validator(mode="after")
    def _what(self) -> "InputSwap":
        targets = ("process", "background", "database", "supplier_pcf")
        if self.unit is not None and self.amount is None:
            raise ValueError("a new unit needs its amount: give 'amount' with 'unit'")
        if any(getattr(self, k) is not None for k in targets):
            self._check_target("'with'", targets)
        elif self.amount is None and not self.model_fields_set & {"data", "emission_factor", "dqr", "electricity"}:
            raise ValueError("'with' names a new target (process, background, database or supplier_pcf) or a new "
                             "amount, or both")
        return self


class InputReplacement(_Strict):
    """One input swap of a scenario: the input(s) named by ``input`` (the input's ``id``, or
    its process id, background key, database code or activity name), in ``process`` (default:
    any process), become ``with``. More than one match is an error unless ``all: true``."""

    process: str | None = None
    input: str
    all: bool = False
    with_: InputSwap = Field(alias="with")
    comment: str | None = None


class LegSwap(_Strict):
    """New values for a transport leg; a new ``mode`` drops the leg's own ``activity`` (the
    mode's default is used unless ``activity`` is given here)."""

    mode: TransportMode | None = None
    distance: Expr | None = None
    distance_unit: str | None = None
    mass: Expr | None = None
    mass_unit: str | None = None
    volume: Expr | None = None
    activity: Activity | None = None

    @model_validator(mode="after")
    def _something(self) -> "LegSwap":
        if not self.model_fields_set:
            raise ValueError("'with' gives at least one of mode, distance, mass, volume or activity")
        return self


class LegReplacement(_Strict):
    """One transport-leg swap of a scenario: the leg(s) named by ``leg`` (its ``name``, or
    its ``mode``) in ``process`` (default: any process) take the values of ``with``."""

    process: str | None = None
    leg: str
    all: bool = False
    with_: LegSwap = Field(alias="with")
    comment: str | None = None


class Scenario(_Strict):
    """A named variant of the model (issue 4.9): parameter values and input or transport
    swaps applied to the model as written (the ``base`` scenario)."""

    description: str = ""
    parameters: dict[str, float] = {}
    replace: list[InputReplacement] = []
    transport: list[LegReplacement] = []
    locations: dict[str, str] = {}
    """Process id -> new ``location`` (e.g. the plant moved to another country: ``{cell_production: DE}``)."""


class Manufacturer(_Strict):
    """The manufacturer (the declaring party) of a carbon-footprint declaration."""

    name: str = Field(min_length=1)
    address: str = ""
    contact: str = ""


class Plant(_Strict):
    """The manufacturing plant a declaration is drawn up for."""

    name: str = ""
    location: str = Field(min_length=1, description="Town and region, or the address.")
    country: str = Field(default="", description="ISO 3166-1 alpha-2, e.g. CN.")


class Declaration(_Strict):
    """Administrative facts a carbon-footprint declaration states (Regulation (EU) 2023/1542
    Art. 7(1)(a), (b), (c), (f), (g)); copied into the result and checked against the PCR's
    ``declaration:`` items. Every field is optional; the PCR says which are required."""

    manufacturer: Manufacturer | None = None
    product_model: str | None = Field(default=None, description="Model identifier; default product.id.")
    plant: Plant | None = None
    conformity_declaration_id: str | None = None
    study_url: str | None = None


class ProductModel(_Strict):
    """A whole ``pcf-model/1`` file."""

    format: Literal["pcf-model/1"]
    product: Product
    study: Study = Study()
    parameters: dict[str, float] = {}
    processes: list[Process] = Field(min_length=1)
    scenarios: dict[str, Scenario] = {}
    declaration: Declaration | None = None
    exchange: Exchange | None = None
