"""Load and validate a ``pcf-model/1`` file into a :class:`ProductSystem`.

Every error becomes a :class:`pcf.core.errors.ModelError` whose text is
``file:line: what is wrong and how to fix it``. Nothing is written while loading.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from ..core import sources
from ..core.errors import ExchangeError, ExpressionError, ModelError, UnitError
from ..core.units import check_unit, conversion_factor, dimension_name
from ..core.yamlsrc import LineMap, format_loc, load_yaml
from .distributions import Distribution, pedigree_sigma
from .endoflife import ResolvedEndOfLife, per_factor, resolve_end_of_life, resolve_service_life
from .exchange import resolve_exchange
from .expressions import evaluate
from .scenarios import AppliedScenario, apply_scenario, check_scenarios
from .schema import Input, ProductModel
from .supplier import input_factor, read_supplier_pcf
from .variants import is_variants, within


MAGNITUDE_RANGE = (1e-15, 1e15)
"""Every number of a model (amounts, the reference flow, distances, masses, shares, ...) is 0
or of a magnitude in this range, in the unit it is written in. Why: Brightway stores matrix
amounts as float32 (normal range 1.2e-38 .. 3.4e38, about 7 digits) and a footprint multiplies
an amount by unit conversions (up to 1e9 between t and mg), supplies and intensities; within
+-15 decades every such product stays far inside float32 and float64 (1.8e308) and above
their subnormal range, where precision is lost (a reference flow of 1e-320 is subnormal) and
1e308 overflows to infinity. No product-level quantity needs more: 1e15 kg is more than ten
years of the world's material extraction (about 1e14 kg a year), and 1e-15 of a unit is
below what is measured (a femtogram in g); another unit always brings an amount inside."""


@dataclass(frozen=True)
class ResolvedInput:
    """A technosphere input with its amount evaluated.

    ``amount`` is in ``unit`` for background inputs (converted later, against the
    background activity's unit) and already in the target process's output unit for
    foreground inputs.
    """

    kind: str  # "process", "background", "database" or "supplier"
    target: str
    amount: float
    unit: str
    line: int | None
    database: str | None = None
    lookup: tuple = ()  # ((field, value), ...) for kind "database": code, or name/location/reference product
    electricity: Any = None  # the input's ``electricity:`` statement (pcf.model.electricity.Electricity) or None
    per: str | None = None  # use stage: the amount was given per this time (e.g. "year") ...
    amount_per: float | None = None  # ... as this much [unit / per]; ``amount`` is over the service life
    uncertainty: Distribution | None = None  # of ``amount``, in the same unit
    supplier: Any = None  # kind "supplier": the pcf.model.supplier.SupplierFootprint read; amount in its unit
    stage: str | None = None  # the input's own ``stage:`` (its burden is reported there), None: its process's stage

    def describe(self) -> str:
        """The target as a person would write it, e.g. ``uslci: 'Electricity, at grid' [US]``."""
        if self.kind == "supplier":
            return self.supplier.describe()
        if self.kind != "database":
            return self.target
        fields = dict(self.lookup)
        if "code" in fields:
            return f"{self.database}: code {fields['code']!r}"
        extra = "".join(f" [{fields[k]}]" for k in ("location", "reference product") if k in fields)
        return f"{self.database}: {fields['name']!r}{extra}"


@dataclass(frozen=True)
class ResolvedFlow:
    """An emission or removal: ``amount`` [kg] of ``substance`` with its ``origin``; in the use
    stage possibly given ``per`` a time as ``amount_per`` [kg / per]; the ``uncertainty`` of
    ``amount`` [kg] if the model gives one."""

    substance: str
    origin: str
    amount: float
    line: int | None
    per: str | None = None
    amount_per: float | None = None
    uncertainty: Distribution | None = None


@dataclass(frozen=True)
class ResolvedExcluded:
    """A cut-off input: ``amount`` in ``unit``, and why it was excluded."""

    name: str
    amount: float
    unit: str
    reason: str
    proxy: "ResolvedInput | None" = None


#: transport mode -> open-default activity (well-to-wheel where the table has it) and the
#: volumetric factor [kg chargeable mass per m3]: IATA 6000 cm3/kg for air, 3000 cm3/kg for road,
#: 1 t per m3 (W/M) for sea and rail.
TRANSPORT_MODES: dict[str, tuple[str, float]] = {
    "lorry": ("transport_lorry_wtw", 1e6 / 3000),
    "van": ("transport_van_ttw", 1e6 / 3000),
    "rail": ("transport_rail_wtw", 1000.0),
    "container_ship": ("transport_container_ship_wtw", 1000.0),
    "bulk_carrier": ("transport_bulk_carrier_wtw", 1000.0),
    "general_cargo_ship": ("transport_general_cargo_ship_wtw", 1000.0),
    "air_longhaul": ("transport_air_longhaul_wtw", 1e6 / 6000),
    "air_shorthaul": ("transport_air_shorthaul_wtw", 1e6 / 6000),
}


@dataclass(frozen=True)
class ResolvedTransport:
    """A transport leg: ``tkm`` per run of the process, from ``mass_kg`` (chargeable) and
    ``distance_km``; ``input`` is the tkm input it became (one of the process's inputs)."""

    name: str
    mode: str
    distance_km: float
    mass_kg: float
    volume_m3: float | None
    tkm: float
    input: "ResolvedInput"


@dataclass(frozen=True)
class ResolvedCoproduct:
    """A co-product of a multi-output process.

    ``amount`` [``unit``] per run of the process; ``basis`` is its allocation basis per run
    (kg, MJ or currency; None for ``factors`` and ``system_expansion``); ``factor`` its share
    of the burdens (0 under system expansion, where ``avoided`` is credited instead).
    """

    id: str | None
    name: str
    amount: float
    unit: str
    basis: float | None
    factor: float
    avoided: ResolvedInput | None
    line: int | None


@dataclass(frozen=True)
class ResolvedAllocation:
    """Allocation of a multi-output process: ``method``, ``justification``, and the main
    product's ``basis`` (per run) and ``factor`` (share of the burdens, 1 under system
    expansion)."""

    method: str
    justification: str
    basis: float | None
    factor: float


@dataclass
class ResolvedProcess:
    id: str
    name: str
    stage: str
    location: str | None
    output_amount: float
    output_unit: str
    inputs: list[ResolvedInput]
    emissions: list[ResolvedFlow]
    removals: list[ResolvedFlow]
    excluded: list[ResolvedExcluded]
    line: int | None
    coproducts: list[ResolvedCoproduct] = field(default_factory=list)
    allocation: ResolvedAllocation | None = None
    transport: list[ResolvedTransport] = field(default_factory=list)
    end_of_life: list[ResolvedEndOfLife] = field(default_factory=list)


@dataclass(frozen=True)
class ResolvedCarbonContent:
    """Biogenic carbon content per reference flow [kg C / reference flow] of the product and
    of its packaging, and how it was determined (``source``)."""

    product_kg_c: float
    packaging_kg_c: float
    source: str
    line: int | None


@dataclass
class ProductSystem:
    """A validated product system, ready to be written as a foreground graph.

    Attributes
    ----------
    path : Path
        The model file.
    sha256 : str
        SHA-256 of the file's bytes (provenance).
    model : ProductModel
        The parsed file.
    parameters : dict of str to float
        Parameter values after overrides.
    processes : dict of str to ResolvedProcess
        Foreground processes by id, amounts evaluated.
    reference_amount : float
        Reference flow [in the output unit of the reference process].
    declared_per_reference_flow : float or None
        Declared units per reference flow [declared unit / reference flow], None without a
        declared unit.
    lines : LineMap
        Where each value came from, for ``file:line`` errors after loading (swapped inputs
        point at their scenario entry).
    biogenic_carbon_content : ResolvedCarbonContent or None
        ``product.biogenic_carbon_content`` in kg C per reference flow, None when not stated.
    scenario : AppliedScenario or None
        The scenario applied (``model`` already has its swaps, ``parameters`` its values);
        None for the model as written (``base``).
    service_life : tuple of (float, str) or None
        ``product.service_life`` as (amount, time unit), None when the model states none.
    exchange : dict
        The ``exchange:`` section resolved (:func:`pcf.model.exchange.resolve_exchange`): what
        the exporters need besides the footprint (company, product ids, product mass, ...).
    """

    path: Path
    sha256: str
    model: ProductModel
    parameters: dict[str, float]
    processes: dict[str, ResolvedProcess]
    reference_amount: float
    declared_per_reference_flow: float | None
    lines: LineMap = field(repr=False)
    biogenic_carbon_content: ResolvedCarbonContent | None = None
    scenario: AppliedScenario | None = None
    service_life: tuple[float, str] | None = None
    exchange: dict = field(default_factory=dict)

    def error(self, loc: tuple, message: str) -> ModelError:
        """A :class:`ModelError` located at ``loc`` (a key/index path) in the model file."""
        return ModelError(self.path, self.lines.line_of(loc), message + self.lines.note_of(loc))


def _pydantic_errors(exc: ValidationError, path: Path, lines: LineMap) -> ModelError:
    items = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        # drop pydantic's union-member tags such as 'float', 'int', 'str'
        clean = tuple(p for p in loc if p not in ("float", "int", "str", "constrained-str"))
        where = format_loc(clean)
        if err["type"] == "extra_forbidden":
            msg = f"unknown field {where!r}; check its spelling (see docs/model-format.md)"
            if err.get("input") is None:  # `{name: a, b}` makes a key `b` with no value
                msg += "; if it is part of a text value containing a comma, put that value in quotes"
        elif err["type"] == "missing":
            msg = f"missing required field {where!r}"
        elif err["type"] == "literal_error":
            msg = f"{where}: {err['msg']}, got {err.get('input')!r}"
        else:
            msg = f"{where}: {err['msg'].removeprefix('Value error, ')}"
        items.append((lines.line_of(clean), msg))
    # one message per place
    seen, uniq = set(), []
    for item in items:
        key = (item[0], item[1].split(":")[0])
        if key not in seen:
            seen.add(key)
            uniq.append(item)
    first_line, first_msg = uniq[0]
    extra = "".join(f"\n{path}:{ln}: {m}" if ln else f"\n{path}: {m}" for ln, m in uniq[1:])
    return ModelError(path, first_line, first_msg + extra)


_SCENARIOS_CHECKED: set[tuple[str, str]] = set()
"""(model file, content hash) whose scenarios :func:`check_scenarios` accepted (a batch loads
the same model for every SKU; checking ten scenarios costs ~0.2 s)."""


def scenarios_checked(path: str | Path) -> frozenset:
    """The marks of ``path``'s contents whose scenarios this process has checked, for
    :func:`remember_scenarios_checked` in another process (a batch's plan carries them to its
    workers: :mod:`pcf.batch.plan`)."""
    return frozenset(key for key in _SCENARIOS_CHECKED if key[0] == str(path))


def remember_scenarios_checked(marks) -> None:
    """Take marks given by :func:`scenarios_checked`: a file with that content (its hash is in
    the mark) is not checked again; any other content is checked as usual."""
    _SCENARIOS_CHECKED.update(marks)


def _error(path: Path, lines: LineMap, loc: tuple, message: str) -> ModelError:
    """A :class:`ModelError` at ``loc`` (a key/index path) of the model file, with its line's note."""
    return ModelError(path, lines.line_of(loc), message + lines.note_of(loc))


@dataclass
class _LoadContext:
    """What the resolvers of one model file share while it is loaded.

    Attributes
    ----------
    path : Path
        The model file (``supplier_pcf`` paths are relative to its folder).
    lines : LineMap
        Where each value came from (after the scenario's swaps), for ``file:line`` errors.
    params : dict of str to float
        Parameter values after the scenario and the overrides; a value may be a
        :class:`pcf.model.variants.Variants` array (every amount then is one).
    units : dict of str to str
        Output unit of every process and co-product id (an input of ``process: id`` is
        converted to it).
    suppliers : dict of Path to SupplierFootprint
        ``supplier_pcf`` documents read so far (each file is read once per model).
    """

    path: Path
    lines: LineMap
    params: dict[str, Any]
    units: dict[str, str] = field(default_factory=dict)
    suppliers: dict[Path, Any] = field(default_factory=dict)

    def fail(self, loc: tuple, message: str) -> ModelError:
        """A :class:`ModelError` located at ``loc`` in the model file (to be raised)."""
        return _error(self.path, self.lines, loc, message)

    def value(self, expr: Any, loc: tuple) -> float:
        """``expr`` (a number or an expression of the parameters) evaluated [its unit].

        Raises
        ------
        ModelError
            The expression does not evaluate, or its value is neither 0 nor of a magnitude in
            :data:`MAGNITUDE_RANGE` (at ``loc``).
        """
        try:
            value = evaluate(expr, self.params)
        except ExpressionError as exc:
            raise self.fail(loc, str(exc)) from None
        low, high = MAGNITUDE_RANGE
        return within(value, low, high, lambda v: self.fail(
            loc, f"{v!r} is outside the magnitudes pcf computes with: 0 or {low:g} <= |value| <= {high:g} "
                 f"in the unit written; write the amount in a larger or smaller unit (e.g. mg or t "
                 f"instead of kg)"))

    def factor(self, src: str, dst: str, loc: tuple) -> float:
        """Conversion factor from unit ``src`` to unit ``dst`` [dst / src].

        Raises
        ------
        ModelError
            A unit is unknown or the two are of different dimensions (at ``loc``).
        """
        try:
            return conversion_factor(src, dst)
        except UnitError as exc:
            raise self.fail(loc, str(exc)) from None

    def check_unit(self, unit: str, loc: tuple) -> None:
        """Raise a :class:`ModelError` at ``loc`` when ``unit`` is not a known unit."""
        try:
            check_unit(unit)
        except UnitError as exc:
            raise self.fail(loc, str(exc)) from None


def load_model(path: str | Path, overrides: dict[str, float] | None = None,
               scenario: str | None = None) -> ProductSystem:
    """Load, validate and resolve a ``pcf-model/1`` file.

    A driver over the named resolvers of this module: validation (:func:`_validate`,
    :func:`_check_input_ids`), scenario (:func:`_apply_scenario`), parameters
    (:func:`_parameters`), process ids and units (:func:`_index_processes`), each process
    with its inputs, uncertainty, supplier data, transport, allocation, emissions, cut-off and
    end of life (:func:`_resolve_process`), then the reference flow, declared unit, biogenic
    carbon content and exchange data of the product.

    Parameters
    ----------
    path : str or Path
        The YAML model file.
    overrides : dict of str to float, optional
        Parameter values replacing those of the file and of the scenario (batch variants).
        Unknown names are refused. A value may be a :class:`pcf.model.variants.Variants`
        array, inside :func:`pcf.model.variants.vectorised`: every amount then comes out as
        an array (one value per variant).
    scenario : str, optional
        Name of a scenario under ``scenarios:`` to apply (:mod:`pcf.model.scenarios`);
        None or ``"base"`` for the model as written.

    Returns
    -------
    ProductSystem

    Raises
    ------
    ModelError
        ``file:line: message`` for: bad YAML; unknown, missing or mistyped fields; duplicate
        process ids; references to undefined processes; expressions that do not evaluate;
        a number that is neither 0 nor of a magnitude in :data:`MAGNITUDE_RANGE`;
        unknown units and dimension mismatches; non-positive output or reference amounts;
        negative removals; a biogenic carbon content that is negative or not a mass;
        duplicate input ids; an unknown or invalid scenario (pointing at the scenario entry);
        ``per`` outside the use stage or without ``product.service_life``; end-of-life entries
        with a share outside 0..1 or a parameter or activity their approach needs missing
        (:mod:`pcf.model.endoflife`); a ``supplier_pcf`` file that cannot be read, is not an Active cradle-to-gate PACT
        footprint, or whose declared unit the input's unit does not convert to; an
        ``exchange`` mass that is not a mass.
    """
    path = Path(path)
    data, model, lines = _validate(path)
    _check_input_ids(model, path, lines)
    model, lines, applied = _apply_scenario(model, data, scenario, path, lines)
    ctx = _LoadContext(path, lines, _parameters(model, applied, overrides, path, lines))
    ids = _index_processes(ctx, model)
    service_life = resolve_service_life(model.product.service_life, ctx.value, ctx.fail)
    processes = {proc.id: _resolve_process(ctx, i, proc, service_life, model.study.background)
                 for i, proc in enumerate(model.processes)}
    product = model.product
    if product.process not in ids:
        raise ctx.fail(("product", "process"), f"reference process {product.process!r} is not defined; defined processes: {', '.join(ids)}")
    reference_process = model.processes[ids[product.process]]
    ref = _reference_flow(ctx, product, reference_process.output.unit)
    declared = _declared_unit(ctx, product)
    carbon = None
    if product.biogenic_carbon_content is not None:
        carbon = _carbon_content(product.biogenic_carbon_content, ctx.value, ctx.fail, lines)
    exchange = resolve_exchange(model.exchange, reference_process.location, ctx.value, ctx.fail, model.declaration)

    return ProductSystem(
        path=path,
        sha256=hashlib.sha256(sources.read_bytes(path)).hexdigest(),
        model=model,
        parameters=ctx.params,
        processes=processes,
        reference_amount=ref,
        declared_per_reference_flow=declared,
        lines=lines,
        biogenic_carbon_content=carbon,
        scenario=applied,
        service_life=service_life,
        exchange=exchange,
    )


def _validate(path: Path) -> tuple[dict, ProductModel, LineMap]:
    """Read the model file and validate its shape against the ``pcf-model/1`` schema.

    Returns
    -------
    data : dict
        The YAML mapping as read.
    model : ProductModel
        The parsed file.
    lines : LineMap
        Where each value of ``data`` is in the file.

    Raises
    ------
    ModelError
        Bad YAML, a file that is not a mapping, or unknown, missing or mistyped fields (one
        ``file:line`` per place).
    """
    data, lines = load_yaml(path, error=ModelError)
    if not isinstance(data, dict):
        raise ModelError(path, lines.line_of(()), "a model file is a YAML mapping starting with 'format: pcf-model/1'")
    try:
        model = ProductModel.model_validate(data)
    except ValidationError as exc:
        raise _pydantic_errors(exc, path, lines) from None
    return data, model, lines


def _check_input_ids(model: ProductModel, path: Path, lines: LineMap) -> None:
    """Check that input ids (the names scenarios swap inputs by) are unique in the model.

    Raises
    ------
    ModelError
        Two inputs with one id, or an id on a co-product's ``avoided`` input.
    """
    input_ids: dict[str, tuple] = {}
    for i, proc in enumerate(model.processes):
        for k, inp in enumerate(proc.inputs):
            if inp.id is None:
                continue
            if inp.id in input_ids:
                raise _error(path, lines, ("processes", i, "inputs", k, "id"),
                             f"duplicate input id {inp.id!r} (first on line "
                             f"{lines.line_of(input_ids[inp.id])}): an input id names one input of the model")
            input_ids[inp.id] = ("processes", i, "inputs", k, "id")
        for k, co in enumerate(proc.coproducts):
            if co.avoided is not None and co.avoided.id is not None:
                raise _error(path, lines, ("processes", i, "coproducts", k, "avoided", "id"),
                             "id names a process input for scenarios; drop it from avoided")


def _apply_scenario(model: ProductModel, data: dict, scenario: str | None, path: Path,
                    lines: LineMap) -> tuple[ProductModel, LineMap, AppliedScenario | None]:
    """Check every scenario of the file (once per file content) and apply ``scenario``.

    Returns
    -------
    model : ProductModel
        The model with the scenario's swaps.
    lines : LineMap
        Its line map (swapped inputs point at their scenario entry).
    applied : AppliedScenario or None
        The scenario applied, None for the model as written.

    Raises
    ------
    ModelError
        An invalid scenario, or an unknown ``scenario`` name.
    """
    checked = (str(path), hashlib.sha256(repr(data).encode()).hexdigest())
    if checked not in _SCENARIOS_CHECKED:  # every scenario of this file content is valid: check once
        check_scenarios(model, path, lines)
        _SCENARIOS_CHECKED.add(checked)
    return apply_scenario(model, scenario, path, lines)


def _parameters(model: ProductModel, applied: AppliedScenario | None, overrides: dict[str, float] | None,
                path: Path, lines: LineMap) -> dict[str, Any]:
    """Parameter values: the file's, then the scenario's, then the overrides.

    An override stays an array when it is one (batch variants); otherwise it becomes a float.

    Raises
    ------
    ModelError
        An override of a parameter the model does not define.
    """
    params = dict(model.parameters)
    if applied is not None:
        params.update(applied.parameters)
    for name, value in (overrides or {}).items():
        if name not in params:
            raise _error(path, lines, ("parameters",),
                         f"override of unknown parameter {name!r} (known: {', '.join(sorted(params)) or 'none'})")
        params[name] = value if is_variants(value) else float(value)
    return params


def _index_processes(ctx: _LoadContext, model: ProductModel) -> dict[str, int]:
    """Index the processes by id and record every process and co-product output unit in
    ``ctx.units``.

    Returns
    -------
    dict of str to int
        Process id -> its index under ``processes:``.

    Raises
    ------
    ModelError
        A duplicate process id, a co-product id already used by a process or co-product, or
        an unknown output unit.
    """
    ids: dict[str, int] = {}
    units = ctx.units
    for i, proc in enumerate(model.processes):
        if proc.id in units:
            raise ctx.fail(("processes", i, "id"), f"duplicate process id {proc.id!r}")
        ids[proc.id] = i
        units[proc.id] = proc.output.unit
        for k, co in enumerate(proc.coproducts):
            if co.id is None:
                continue
            if co.id in units:
                raise ctx.fail(("processes", i, "coproducts", k, "id"), f"duplicate id {co.id!r}: co-product ids share the process ids' namespace")
            units[co.id] = co.unit
        ctx.check_unit(proc.output.unit, ("processes", i, "output", "unit"))
    return ids


def _resolve_distribution(ctx: _LoadContext, spec, amount: float, loc: tuple) -> Distribution | None:
    """The :class:`Distribution` of ``amount`` from its ``uncertainty:`` statement.

    Parameters
    ----------
    ctx : _LoadContext
    spec : pcf.model.schema.Uncertainty or None
        The statement; None gives None (an exact amount).
    amount : float
        The deterministic amount [its unit]: the median (lognormal), mean (normal) or mode
        (triangular) of the distribution, which is in the same unit.
    loc : tuple
        Where the amount's entry is in the file.

    Raises
    ------
    ModelError
        Pedigree scores that give no spread, a lognormal amount of 0, a normal distribution
        that changes sign in more than 0.13 % of the samples, or a range that does not hold
        the amount or lets it change sign.
    """
    if spec is None:
        return None
    loc = loc + ("uncertainty",)
    if spec.pedigree is not None:
        sigma = pedigree_sigma(spec.pedigree, spec.basic_gsd)
        if sigma == 0:
            raise ctx.fail(loc, "pedigree scores all 1 with basic_gsd 1 give no uncertainty; drop 'uncertainty' "
                                "or give basic_gsd > 1")
        kind, gsd = "lognormal", math.exp(sigma)
    else:
        kind, gsd = spec.distribution, spec.gsd
    if kind == "lognormal":
        if amount == 0:
            raise ctx.fail(loc, "a lognormal amount is its median and cannot be 0: use a triangular or uniform "
                                "distribution (min 0) instead")
        return Distribution("lognormal", amount, gsd=gsd,
                            pedigree=tuple(spec.pedigree) if spec.pedigree is not None else None,
                            basic_gsd=spec.basic_gsd)
    if kind == "normal":
        sd = ctx.value(spec.sd, loc + ("sd",))
        if not sd > 0:
            raise ctx.fail(loc + ("sd",), f"sd must be > 0, got {sd}; drop 'uncertainty' for an exact amount")
        if abs(amount) < 3 * sd:
            raise ctx.fail(loc + ("sd",), f"a normal distribution with mean {amount:g} and sd {sd:g} changes sign in "
                                          f"{100 * 0.5 * math.erfc(abs(amount) / sd / math.sqrt(2)):.2g} % of the samples "
                                          "(more than 0.13 %, sd > |amount| / 3): use lognormal or triangular for a wide "
                                          "spread of a positive amount")
        return Distribution("normal", amount, sd=sd)
    lo, hi = ctx.value(spec.min, loc + ("min",)), ctx.value(spec.max, loc + ("max",))
    if not lo < hi:
        raise ctx.fail(loc + ("min",), f"min ({lo:g}) must be below max ({hi:g})")
    if not lo <= amount <= hi:
        mode = "mode" if kind == "triangular" else "deterministic value"
        raise ctx.fail(loc + ("min",) if amount < lo else loc + ("max",),
                       f"the amount {amount:g} (the {mode}) must lie between min {lo:g} and max {hi:g}")
    if (amount > 0 and lo < 0) or (amount < 0 and hi > 0):
        raise ctx.fail(loc + ("min",) if amount > 0 else loc + ("max",),
                       f"the range {lo:g} .. {hi:g} lets the amount {amount:g} change sign; keep both bounds on "
                       "the side of the amount (0 is allowed)")
    return Distribution(kind, amount, minimum=lo, maximum=hi)


def _resolve_supplier(ctx: _LoadContext, inp, amount: float, loc: tuple,
                      dist: Distribution | None) -> ResolvedInput:
    """A ``supplier_pcf`` input: the supplier's footprint document read (once per file) and
    checked, the amount [input unit] and its uncertainty converted to the document's declared
    unit.

    Raises
    ------
    ModelError
        The document cannot be read or is not a usable PACT footprint, or the input's unit
        does not convert to its declared unit.
    """
    file = sources.resolve(ctx.path.parent / inp.supplier_pcf)
    if file not in ctx.suppliers:
        try:
            ctx.suppliers[file] = read_supplier_pcf(file)
        except ExchangeError as exc:
            raise ctx.fail(loc + ("supplier_pcf",), f"supplier_pcf: {exc}") from None
    supplier = ctx.suppliers[file]
    try:
        f = input_factor(supplier, inp.unit)
    except UnitError as exc:
        raise ctx.fail(loc + ("unit",), f"{exc}; give the input in {supplier.unit}") from None
    return ResolvedInput("supplier", supplier.sha256[:20], amount * f, supplier.unit, ctx.lines.line_of(loc),
                         supplier=supplier, uncertainty=dist.scaled(f) if dist is not None else None)


def _resolve_input(ctx: _LoadContext, inp, loc: tuple, per_scale: float | None = None) -> ResolvedInput:
    """A technosphere input resolved; in the use stage, an amount given ``per`` a time is
    multiplied by ``per_scale`` [-] to the amount over the service life.

    Parameters
    ----------
    ctx : _LoadContext
    inp : pcf.model.schema.Input
        The input as written (or built with ``Input.model_construct``: its amount may be an
        array).
    loc : tuple
        Where the input is in the file.
    per_scale : float, optional
        :func:`pcf.model.endoflife.per_factor` of the input; None where ``per`` is not allowed.

    Raises
    ------
    ModelError
        ``per`` where it is not allowed, and whatever :func:`_resolve_input_target` raises.
    """
    if inp.per is not None and per_scale is None:
        raise ctx.fail(loc + ("per",), "per goes with the inputs of use-stage processes only")
    resolved = _resolve_input_target(ctx, inp, loc)
    stage = getattr(inp, "stage", None)
    if stage is not None:
        resolved = replace(resolved, stage=stage)
    if inp.per is None:
        return resolved
    return replace(resolved, amount=resolved.amount * per_scale, per=inp.per, amount_per=resolved.amount,
                   uncertainty=resolved.uncertainty.scaled(per_scale) if resolved.uncertainty is not None else None)


def _resolve_input_target(ctx: _LoadContext, inp, loc: tuple) -> ResolvedInput:
    """An input's amount, uncertainty and target: a supplier's footprint, a foreground process
    (amount converted to its output unit), a database activity or a background key.

    Raises
    ------
    ModelError
        The amount does not evaluate, an electricity statement on a non-energy input, an
        unknown process, an unknown unit or one that does not convert to the process's output
        unit, an invalid uncertainty, or a supplier document that cannot be used.
    """
    amount = ctx.value(inp.amount, loc + ("amount",))
    elec = inp.electricity
    if elec is not None:
        _check_electricity(ctx, inp, loc)
    dist = _resolve_distribution(ctx, getattr(inp, "uncertainty", None), amount, loc)
    if getattr(inp, "supplier_pcf", None) is not None:
        return _resolve_supplier(ctx, inp, amount, loc, dist)
    line = ctx.lines.line_of(loc)
    if inp.process is not None:
        if inp.process not in ctx.units:
            raise ctx.fail(loc + ("process",), f"unknown process {inp.process!r}; defined processes: {', '.join(ctx.units)}")
        target_unit = ctx.units[inp.process]
        f = ctx.factor(inp.unit, target_unit, loc + ("unit",))
        amount *= f
        return ResolvedInput("process", inp.process, amount, target_unit, line, electricity=elec,
                             uncertainty=dist.scaled(f) if dist is not None else None)
    ctx.check_unit(inp.unit, loc + ("unit",))
    if inp.database is not None:
        lookup = tuple((field.replace("_", " "), getattr(inp, field))
                       for field in ("code", "name", "location", "reference_product")
                       if getattr(inp, field) is not None)
        target = inp.code if inp.code is not None else inp.name
        return ResolvedInput("database", target, amount, inp.unit, line, inp.database, lookup, electricity=elec,
                             uncertainty=dist)
    return ResolvedInput("background", inp.background, amount, inp.unit, line, electricity=elec,
                         uncertainty=dist)


def _make_input(ctx: _LoadContext, activity, amount: float, unit: str, loc: tuple) -> ResolvedInput:
    """An input of ``amount`` [``unit``] of ``activity`` (a ``{background: ...}`` or
    ``{database: ...}`` reference) resolved; ``model_construct`` because the activity is
    validated already and the amount may be an array (batch variants)."""
    return _resolve_input(ctx, Input.model_construct(amount=amount, unit=unit, **activity.model_dump(exclude_none=True)), loc)


def _check_electricity(ctx: _LoadContext, inp, loc: tuple) -> None:
    """An electricity statement goes on a process input given in an energy unit.

    Raises
    ------
    ModelError
        The statement is not on a process input, or the input's unit is not an energy.
    """
    if "inputs" not in loc:
        raise ctx.fail(loc + ("electricity",), "electricity: goes on a process's inputs only")
    try:
        dimension = dimension_name(inp.unit)
    except UnitError as exc:
        raise ctx.fail(loc + ("unit",), str(exc)) from None
    if dimension != "energy":
        raise ctx.fail(loc + ("unit",), f"an input with electricity: is an amount of energy: give its unit as "
                                        f"kWh, MWh, MJ or GJ, not {inp.unit!r} ({dimension})")


def _resolve_leg(ctx: _LoadContext, leg, loc: tuple, background: str) -> ResolvedTransport:
    """A transport leg: chargeable mass [kg] (the larger of the mass and the volume's
    volumetric mass), distance [km], and the tonne-kilometre input [tkm per run] it becomes,
    of the leg's activity or of the open-default activity of its mode.

    Raises
    ------
    ModelError
        A negative distance, mass or volume, or a mode with no default activity in the study
        background and no ``activity:``.
    """
    given = ctx.value(leg.distance, loc + ("distance",))
    dist = _resolve_distribution(ctx, leg.uncertainty, given, loc)  # of the distance [distance_unit]
    km_per_unit = ctx.factor(leg.distance_unit, "km", loc + ("distance_unit",))
    distance = given * km_per_unit
    if distance < 0:
        raise ctx.fail(loc + ("distance",), f"distance must be >= 0, got {distance}")
    mass = 0.0
    if leg.mass is not None:
        mass = ctx.value(leg.mass, loc + ("mass",)) * ctx.factor(leg.mass_unit, "kg", loc + ("mass_unit",))
    volume = None
    default_key, per_m3 = TRANSPORT_MODES[leg.mode]
    if leg.volume is not None:
        volume = ctx.value(leg.volume, loc + ("volume",))
        mass = max(mass, volume * per_m3)
    if mass < 0 or (volume is not None and volume < 0):
        raise ctx.fail(loc, "transported mass and volume must be >= 0")
    tkm = mass / 1000.0 * distance
    line = ctx.lines.line_of(loc)
    tkm_dist = dist.scaled(mass / 1000.0 * km_per_unit) if dist is not None and mass > 0 else None
    if leg.activity is not None:
        # model_construct (in _make_input): tkm may be an array (batch variants)
        target = _make_input(ctx, leg.activity, tkm, "tkm", loc + ("activity",))
        target = replace(target, uncertainty=tkm_dist)
    elif background == "open-default":
        target = ResolvedInput("background", default_key, tkm, "tkm", line, uncertainty=tkm_dist)
    else:
        raise ctx.fail(loc + ("mode",), f"the study background {background!r} has no default {leg.mode!r} activity: "
                                        "name one with activity: {background: KEY} or activity: {database: NAME, code: ...}")
    return ResolvedTransport(leg.name or leg.mode, leg.mode, distance, mass, volume, tkm, target)


def _allocation_basis(ctx: _LoadContext, product, amount: float, method: str, loc: tuple) -> float | None:
    """Allocation basis of one product per run [kg, MJ or currency]; None for the methods
    ``factors`` and ``system_expansion``.

    Raises
    ------
    ModelError
        The mass, energy or price the method needs is not given on the product.
    """
    if method == "mass":
        if dimension_name(product.unit) == "mass":
            return amount * ctx.factor(product.unit, "kg", loc + ("unit",))
        if product.mass is None:
            raise ctx.fail(loc + ("unit",), f"mass allocation needs the mass of {product.unit!r}: add mass: <kg per {product.unit}>")
        return amount * ctx.value(product.mass, loc + ("mass",))
    field_name = {"energy": "energy", "economic": "price"}.get(method)
    if field_name is None:
        return None
    given = getattr(product, field_name)
    if given is None:
        what = "energy: <MJ per unit> (e.g. lower heating value)" if method == "energy" else "price: <per unit>"
        raise ctx.fail(loc + ("unit",), f"{method} allocation needs {what} on every product")
    return amount * ctx.value(given, loc + (field_name,))


def _resolve_allocation(ctx: _LoadContext, proc, base: tuple,
                        out: float) -> tuple[list[ResolvedCoproduct], ResolvedAllocation | None]:
    """The co-products of a multi-output process and the allocation of its burdens.

    Parameters
    ----------
    ctx : _LoadContext
    proc : pcf.model.schema.Process
    base : tuple
        Where the process is in the file.
    out : float
        The main product's output per run [output unit].

    Returns
    -------
    coproducts : list of ResolvedCoproduct
        Empty for a single-output process.
    allocation : ResolvedAllocation or None
        None for a single-output process.

    Raises
    ------
    ModelError
        Allocation stated without co-products or missing with them, a non-positive or
        unknown-unit co-product amount, ``avoided`` missing under system expansion or given
        under partitioning, and whatever :func:`_allocation_factors` raises.
    """
    if not proc.coproducts:
        if proc.allocation is not None:
            raise ctx.fail(base + ("allocation",), f"{proc.id!r} has no coproducts: drop allocation, or list the co-products")
        return [], None
    if proc.allocation is None:
        raise ctx.fail(base + ("coproducts",),
                       f"{proc.id!r} has co-products: state allocation: {{method: ...}}; ISO 14067:2018 6.4.6 "
                       "asks to avoid allocation (system_expansion) where possible, then to partition by a "
                       "physical relationship (mass, energy), then by economic value")
    method = proc.allocation.method
    main_basis = _allocation_basis(ctx, proc.output, out, method, base + ("output",))
    rows = []
    for k, co in enumerate(proc.coproducts):
        loc = base + ("coproducts", k)
        amount = ctx.value(co.amount, loc + ("amount",))
        if amount <= 0:
            raise ctx.fail(loc + ("amount",), f"co-product amount must be positive, got {amount}")
        ctx.check_unit(co.unit, loc + ("unit",))
        if method == "system_expansion":
            if co.avoided is None:
                raise ctx.fail(loc, f"system expansion needs avoided: {{background: KEY, amount, unit}} on co-product {co.name!r}")
            if co.id is not None:
                raise ctx.fail(loc + ("id",), "a co-product credited by system expansion cannot also be an input of "
                                              "another process: drop its id or partition instead")
            _resolve_input(ctx, co.avoided, loc + ("avoided",))
        elif co.avoided is not None:
            raise ctx.fail(loc + ("avoided",), f"avoided goes with method system_expansion, not {method}")
        rows.append((co, amount, _allocation_basis(ctx, co, amount, method, loc), loc))
    main_factor, shares = _allocation_factors(ctx, proc, base, method, main_basis, rows)
    coproducts = [ResolvedCoproduct(co.id, co.name, amount, co.unit, b, share, avoided_input, ctx.lines.line_of(loc))
                  for (co, amount, b, loc), share, avoided_input in
                  zip(rows, shares, [_resolve_input(ctx, co.avoided, loc + ("avoided",)) if co.avoided is not None else None
                                     for co, _, _, loc in rows])]
    return coproducts, ResolvedAllocation(method, proc.allocation.justification, main_basis, main_factor)


def _allocation_factors(ctx: _LoadContext, proc, base: tuple, method: str, main_basis: float | None,
                        rows: list) -> tuple[float, list[float]]:
    """Shares of the burdens [-] of the main product and of each co-product: 1 and 0 under
    system expansion, the given ``allocation_factor`` values under ``factors``, each basis over
    the sum of the bases under partitioning (mass, energy, economic).

    ``rows`` holds ``(co-product, amount, basis, loc)`` per co-product.

    Raises
    ------
    ModelError
        Missing or out-of-range allocation factors or factors that do not sum to 1; negative
        basis values or a sum that is not positive.
    """
    if method == "system_expansion":
        return 1.0, [0.0] * len(rows)
    if method == "factors":
        given = []
        for product, loc in [(proc.output, base + ("output",))] + [(co, loc) for co, _, _, loc in rows]:
            if product.allocation_factor is None:
                raise ctx.fail(loc, "method factors needs allocation_factor on the output and on every co-product")
            f = ctx.value(product.allocation_factor, loc + ("allocation_factor",))
            if not 0 <= f <= 1:
                raise ctx.fail(loc + ("allocation_factor",), f"allocation_factor must be between 0 and 1, got {f}")
            given.append(f)
        if abs(sum(given) - 1.0) > 1e-6:
            raise ctx.fail(base + ("allocation",), f"allocation factors of {proc.id!r} sum to {sum(given):.6g}, not 1")
        return given[0], given[1:]
    values = [main_basis] + [b for _, _, b, _ in rows]
    if any(v < 0 for v in values) or sum(values) <= 0:
        raise ctx.fail(base + ("allocation",), f"{method} allocation of {proc.id!r}: the basis values must be >= 0 "
                                               f"with a positive sum, got {values}")
    return values[0] / sum(values), [v / sum(values) for v in values[1:]]


def _resolve_flow(ctx: _LoadContext, em, kind: str, loc: tuple, service_life: tuple[float, str] | None,
                  stage: str) -> ResolvedFlow:
    """An emission or removal [kg] per run of the process (over the service life when given
    ``per`` a time), with its uncertainty [kg].

    Raises
    ------
    ModelError
        A mass unit that does not convert to kg, a negative or non-biogenic removal, ``per``
        where it is not allowed, or an invalid uncertainty.
    """
    amount = ctx.value(em.amount, loc + ("amount",)) * ctx.factor(em.unit, "kg", loc + ("unit",))
    amount_per, amount = (amount, amount * per_factor(em.per, service_life, stage, loc, ctx.fail)) \
        if em.per is not None else (None, amount)
    if kind == "removals" and amount < 0:
        raise ctx.fail(loc + ("amount",), "give a removal as a positive amount of CO2 taken up; pcf counts it with a negative sign")
    if kind == "removals" and em.origin != "biogenic":
        raise ctx.fail(loc + ("origin",), "removals are biogenic uptake from air: use origin: biogenic")
    dist = _resolve_distribution(ctx, em.uncertainty, ctx.value(em.amount, loc + ("amount",)), loc)
    if dist is not None:
        scale = ctx.factor(em.unit, "kg", loc + ("unit",))
        if em.per is not None:
            scale *= per_factor(em.per, service_life, stage, loc, ctx.fail)
        dist = dist.scaled(scale)
    return ResolvedFlow(em.substance.strip(), em.origin, amount, ctx.lines.line_of(loc), em.per, amount_per, dist)


def _resolve_excluded(ctx: _LoadContext, ex, loc: tuple) -> ResolvedExcluded:
    """A cut-off input [its unit], with the proxy input that estimates it if one is given.

    Raises
    ------
    ModelError
        The amount does not evaluate, an unknown unit, or a proxy that cannot be resolved.
    """
    amount = ctx.value(ex.amount, loc + ("amount",))
    ctx.check_unit(ex.unit, loc + ("unit",))
    proxy = None
    if ex.proxy is not None:
        proxy = _make_input(ctx, ex.proxy, amount, ex.unit, loc + ("proxy",))
    return ResolvedExcluded(ex.name, amount, ex.unit, ex.reason, proxy)


def _resolve_process(ctx: _LoadContext, i: int, proc, service_life: tuple[float, str] | None,
                     background: str) -> ResolvedProcess:
    """One foreground process with every amount per run of the process: output, inputs
    (with transport legs as tkm inputs), co-products and allocation, emissions, removals,
    cut-off inputs and end of life per material.

    Parameters
    ----------
    ctx : _LoadContext
    i : int
        Index of the process under ``processes:``.
    proc : pcf.model.schema.Process
    service_life : tuple of (float, str) or None
        ``product.service_life`` (amounts of the use stage given ``per`` a time).
    background : str
        The study background (default transport activities).

    Raises
    ------
    ModelError
        A non-positive output, and whatever the resolvers of its parts raise.
    """
    base = ("processes", i)
    out = ctx.value(proc.output.amount, base + ("output", "amount"))
    if out <= 0:
        raise ctx.fail(base + ("output", "amount"), f"output amount of {proc.id!r} must be positive, got {out}")
    inputs = [_resolve_input(ctx, inp, base + ("inputs", k),
                             per_factor(inp.per, service_life, proc.stage, base + ("inputs", k), ctx.fail))
              for k, inp in enumerate(proc.inputs)]
    transport = [_resolve_leg(ctx, leg, base + ("transport", k), background) for k, leg in enumerate(proc.transport)]
    inputs += [leg.input for leg in transport]
    coproducts, allocation = _resolve_allocation(ctx, proc, base, out)
    flows = {kind: [_resolve_flow(ctx, em, kind, base + (kind, k), service_life, proc.stage)
                    for k, em in enumerate(getattr(proc, kind))]
             for kind in ("emissions", "removals")}
    excluded = [_resolve_excluded(ctx, ex, base + ("excluded", k)) for k, ex in enumerate(proc.excluded)]
    make_input = partial(_make_input, ctx)
    end_of_life = [resolve_end_of_life(entry, base + ("end_of_life", k), ctx.value, ctx.fail, make_input,
                                       ctx.lines.line_of(base + ("end_of_life", k)))
                   for k, entry in enumerate(proc.end_of_life)]
    return ResolvedProcess(
        proc.id, proc.name, proc.stage, proc.location, out, proc.output.unit,
        inputs, flows["emissions"], flows["removals"], excluded, ctx.lines.line_of(base),
        coproducts, allocation, transport, end_of_life,
    )


def _reference_flow(ctx: _LoadContext, product, ref_unit: str) -> float:
    """The reference flow [output unit of the reference process].

    Raises
    ------
    ModelError
        The amount does not evaluate, its unit does not convert, or it is not positive.
    """
    ref = ctx.value(product.reference_flow.amount, ("product", "reference_flow", "amount"))
    ref *= ctx.factor(product.reference_flow.unit, ref_unit, ("product", "reference_flow", "unit"))
    if ref <= 0:
        raise ctx.fail(("product", "reference_flow", "amount"), f"reference flow must be positive, got {ref}")
    return ref


def _declared_unit(ctx: _LoadContext, product) -> float | None:
    """Declared units per reference flow [declared unit / reference flow], None when the
    model declares no unit.

    Raises
    ------
    ModelError
        The amount is not positive, or the declared unit is unknown.
    """
    if product.declared_unit is None:
        return None
    declared = ctx.value(product.declared_unit.per_reference_flow, ("product", "declared_unit", "per_reference_flow"))
    if declared <= 0:
        raise ctx.fail(("product", "declared_unit", "per_reference_flow"),
                       f"declared units per reference flow must be positive, got {declared}")
    ctx.check_unit(product.declared_unit.unit, ("product", "declared_unit", "unit"))
    return declared


def _carbon_content(content, value, fail, lines: LineMap) -> ResolvedCarbonContent:
    """``product.biogenic_carbon_content`` in kg C per reference flow (ISO 14067:2018 6.4.9).

    Raises
    ------
    ModelError
        The unit is not a mass, or an amount is negative or does not evaluate.
    """
    base = ("product", "biogenic_carbon_content")
    try:
        dimension = dimension_name(content.unit)
    except UnitError as exc:
        raise fail(base + ("unit",), str(exc)) from None
    if dimension != "mass":
        raise fail(base + ("unit",), f"biogenic carbon content is a mass of carbon: use kg, g or t, not {content.unit!r}")
    to_kg = conversion_factor(content.unit, "kg")
    amounts = {}
    for part in ("product", "packaging"):
        amount = value(getattr(content, part), base + (part,))
        if not (np.isfinite(amount) and amount >= 0):
            raise fail(base + (part,), f"biogenic carbon content of the {part} must be a finite number >= 0 "
                                       f"[{content.unit} C per reference flow], got {amount}")
        amounts[part] = amount * to_kg
    return ResolvedCarbonContent(amounts["product"], amounts["packaging"], content.source, lines.line_of(base))
