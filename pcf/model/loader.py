"""Load and validate a ``pcf-model/1`` file into a :class:`ProductSystem`.

Every error becomes a :class:`pcf.errors.ModelError` whose text is
``file:line: what is wrong and how to fix it``. Nothing is written while loading.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from ..errors import ExchangeError, ExpressionError, ModelError, UnitError
from ..yamlsrc import LineMap, format_loc, load_yaml
from .distributions import Distribution, pedigree_sigma
from .endoflife import ResolvedEndOfLife, per_factor, resolve_end_of_life, resolve_service_life
from .exchange import resolve_exchange
from .expressions import evaluate
from .scenarios import AppliedScenario, apply_scenario, check_scenarios
from .schema import Input, ProductModel
from .units import conversion_factor, dimension_name, parse_unit
from .variants import is_variants


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
    supplier: Any = None  # kind "supplier": the pcf.exchange.supplier.SupplierFootprint read; amount in its unit

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


def load_model(path: str | Path, overrides: dict[str, float] | None = None,
               scenario: str | None = None) -> ProductSystem:
    """Load, validate and resolve a ``pcf-model/1`` file.

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
    data, lines = load_yaml(path, error=ModelError)
    if not isinstance(data, dict):
        raise ModelError(path, lines.line_of(()), "a model file is a YAML mapping starting with 'format: pcf-model/1'")
    try:
        model = ProductModel.model_validate(data)
    except ValidationError as exc:
        raise _pydantic_errors(exc, path, lines) from None

    def fail(loc: tuple, message: str) -> ModelError:
        return ModelError(path, lines.line_of(loc), message + lines.note_of(loc))

    input_ids: dict[str, tuple] = {}
    for i, proc in enumerate(model.processes):
        for k, inp in enumerate(proc.inputs):
            if inp.id is None:
                continue
            if inp.id in input_ids:
                raise fail(("processes", i, "inputs", k, "id"), f"duplicate input id {inp.id!r} (first on line "
                           f"{lines.line_of(input_ids[inp.id])}): an input id names one input of the model")
            input_ids[inp.id] = ("processes", i, "inputs", k, "id")
        for k, co in enumerate(proc.coproducts):
            if co.avoided is not None and co.avoided.id is not None:
                raise fail(("processes", i, "coproducts", k, "avoided", "id"),
                           "id names a process input for scenarios; drop it from avoided")

    checked = (str(path), hashlib.sha256(repr(data).encode()).hexdigest())
    if checked not in _SCENARIOS_CHECKED:  # every scenario of this file content is valid: check once
        check_scenarios(model, path, lines)
        _SCENARIOS_CHECKED.add(checked)
    model, lines, applied = apply_scenario(model, scenario, path, lines)
    params = dict(model.parameters)
    if applied is not None:
        params.update(applied.parameters)
    for name, value in (overrides or {}).items():
        if name not in params:
            raise fail(("parameters",), f"override of unknown parameter {name!r} (known: {', '.join(sorted(params)) or 'none'})")
        params[name] = value if is_variants(value) else float(value)

    def value(expr: Any, loc: tuple) -> float:
        try:
            return evaluate(expr, params)
        except ExpressionError as exc:
            raise fail(loc, str(exc)) from None

    def factor(src: str, dst: str, loc: tuple) -> float:
        try:
            return conversion_factor(src, dst)
        except UnitError as exc:
            raise fail(loc, str(exc)) from None

    ids: dict[str, int] = {}
    units: dict[str, str] = {}  # process or co-product id -> output unit
    for i, proc in enumerate(model.processes):
        if proc.id in units:
            raise fail(("processes", i, "id"), f"duplicate process id {proc.id!r}")
        ids[proc.id] = i
        units[proc.id] = proc.output.unit
        for k, co in enumerate(proc.coproducts):
            if co.id is None:
                continue
            if co.id in units:
                raise fail(("processes", i, "coproducts", k, "id"), f"duplicate id {co.id!r}: co-product ids share the process ids' namespace")
            units[co.id] = co.unit
        try:
            parse_unit(proc.output.unit)
        except UnitError as exc:
            raise fail(("processes", i, "output", "unit"), str(exc)) from None

    def distribution(spec, amount: float, loc: tuple) -> Distribution | None:
        """The :class:`Distribution` of ``amount`` from its ``uncertainty:`` (same unit)."""
        if spec is None:
            return None
        loc = loc + ("uncertainty",)
        if spec.pedigree is not None:
            sigma = pedigree_sigma(spec.pedigree, spec.basic_gsd)
            if sigma == 0:
                raise fail(loc, "pedigree scores all 1 with basic_gsd 1 give no uncertainty; drop 'uncertainty' "
                                "or give basic_gsd > 1")
            kind, gsd = "lognormal", math.exp(sigma)
        else:
            kind, gsd = spec.distribution, spec.gsd
        if kind == "lognormal":
            if amount == 0:
                raise fail(loc, "a lognormal amount is its median and cannot be 0: use a triangular or uniform "
                                "distribution (min 0) instead")
            return Distribution("lognormal", amount, gsd=gsd,
                                pedigree=tuple(spec.pedigree) if spec.pedigree is not None else None,
                                basic_gsd=spec.basic_gsd)
        if kind == "normal":
            sd = value(spec.sd, loc + ("sd",))
            if not sd > 0:
                raise fail(loc + ("sd",), f"sd must be > 0, got {sd}; drop 'uncertainty' for an exact amount")
            if abs(amount) < 3 * sd:
                raise fail(loc + ("sd",), f"a normal distribution with mean {amount:g} and sd {sd:g} changes sign in "
                                          f"{100 * 0.5 * math.erfc(abs(amount) / sd / math.sqrt(2)):.2g} % of the samples "
                                          "(more than 0.13 %, sd > |amount| / 3): use lognormal or triangular for a wide "
                                          "spread of a positive amount")
            return Distribution("normal", amount, sd=sd)
        lo, hi = value(spec.min, loc + ("min",)), value(spec.max, loc + ("max",))
        if not lo < hi:
            raise fail(loc + ("min",), f"min ({lo:g}) must be below max ({hi:g})")
        if not lo <= amount <= hi:
            mode = "mode" if kind == "triangular" else "deterministic value"
            raise fail(loc + ("min",) if amount < lo else loc + ("max",),
                       f"the amount {amount:g} (the {mode}) must lie between min {lo:g} and max {hi:g}")
        if (amount > 0 and lo < 0) or (amount < 0 and hi > 0):
            raise fail(loc + ("min",) if amount > 0 else loc + ("max",),
                       f"the range {lo:g} .. {hi:g} lets the amount {amount:g} change sign; keep both bounds on "
                       "the side of the amount (0 is allowed)")
        return Distribution(kind, amount, minimum=lo, maximum=hi)
    suppliers: dict[Path, Any] = {}

    def resolve_supplier(inp, amount: float, loc: tuple, dist: Distribution | None) -> ResolvedInput:
        """A ``supplier_pcf`` input: the document read and checked, the amount (and its
        uncertainty) in its unit."""
        from ..exchange.supplier import input_factor, read_supplier_pcf

        file = (path.parent / inp.supplier_pcf).resolve()
        if file not in suppliers:
            try:
                suppliers[file] = read_supplier_pcf(file)
            except ExchangeError as exc:
                raise fail(loc + ("supplier_pcf",), f"supplier_pcf: {exc}") from None
        supplier = suppliers[file]
        try:
            f = input_factor(supplier, inp.unit)
        except UnitError as exc:
            raise fail(loc + ("unit",), f"{exc}; give the input in {supplier.unit}") from None
        return ResolvedInput("supplier", supplier.sha256[:20], amount * f, supplier.unit, lines.line_of(loc),
                             supplier=supplier, uncertainty=dist.scaled(f) if dist is not None else None)

    def resolve_input(inp, loc: tuple, per_scale: float | None = None) -> ResolvedInput:
        if inp.per is not None and per_scale is None:
            raise fail(loc + ("per",), "per goes with the inputs of use-stage processes only")
        resolved = _resolve_input(inp, loc)
        if inp.per is None:
            return resolved
        return replace(resolved, amount=resolved.amount * per_scale, per=inp.per, amount_per=resolved.amount,
                       uncertainty=resolved.uncertainty.scaled(per_scale) if resolved.uncertainty is not None else None)

    def _resolve_input(inp, loc: tuple) -> ResolvedInput:
        amount = value(inp.amount, loc + ("amount",))
        elec = inp.electricity
        if elec is not None:
            check_electricity(inp, loc)
        dist = distribution(getattr(inp, "uncertainty", None), amount, loc)
        if getattr(inp, "supplier_pcf", None) is not None:
            return resolve_supplier(inp, amount, loc, dist)
        if inp.process is not None:
            if inp.process not in units:
                raise fail(loc + ("process",), f"unknown process {inp.process!r}; defined processes: {', '.join(units)}")
            target_unit = units[inp.process]
            f = factor(inp.unit, target_unit, loc + ("unit",))
            amount *= f
            return ResolvedInput("process", inp.process, amount, target_unit, lines.line_of(loc), electricity=elec,
                                 uncertainty=dist.scaled(f) if dist is not None else None)
        try:
            parse_unit(inp.unit)
        except UnitError as exc:
            raise fail(loc + ("unit",), str(exc)) from None
        if inp.database is not None:
            lookup = tuple((field.replace("_", " "), getattr(inp, field))
                           for field in ("code", "name", "location", "reference_product")
                           if getattr(inp, field) is not None)
            target = inp.code if inp.code is not None else inp.name
            return ResolvedInput("database", target, amount, inp.unit, lines.line_of(loc), inp.database, lookup, electricity=elec,
                                 uncertainty=dist)
        return ResolvedInput("background", inp.background, amount, inp.unit, lines.line_of(loc), electricity=elec,
                             uncertainty=dist)

    def check_electricity(inp, loc: tuple) -> None:
        """An electricity statement goes on a process input given in an energy unit."""
        if "inputs" not in loc:
            raise fail(loc + ("electricity",), "electricity: goes on a process's inputs only")
        try:
            dimension = dimension_name(inp.unit)
        except UnitError as exc:
            raise fail(loc + ("unit",), str(exc)) from None
        if dimension != "energy":
            raise fail(loc + ("unit",), f"an input with electricity: is an amount of energy: give its unit as "
                                        f"kWh, MWh, MJ or GJ, not {inp.unit!r} ({dimension})")

    def resolve_leg(leg, loc: tuple, background: str) -> ResolvedTransport:
        given = value(leg.distance, loc + ("distance",))
        dist = distribution(leg.uncertainty, given, loc)  # of the distance [distance_unit]
        km_per_unit = factor(leg.distance_unit, "km", loc + ("distance_unit",))
        distance = given * km_per_unit
        if distance < 0:
            raise fail(loc + ("distance",), f"distance must be >= 0, got {distance}")
        mass = 0.0
        if leg.mass is not None:
            mass = value(leg.mass, loc + ("mass",)) * factor(leg.mass_unit, "kg", loc + ("mass_unit",))
        volume = None
        default_key, per_m3 = TRANSPORT_MODES[leg.mode]
        if leg.volume is not None:
            volume = value(leg.volume, loc + ("volume",))
            mass = max(mass, volume * per_m3)
        if mass < 0 or (volume is not None and volume < 0):
            raise fail(loc, "transported mass and volume must be >= 0")
        tkm = mass / 1000.0 * distance
        line = lines.line_of(loc)
        tkm_dist = dist.scaled(mass / 1000.0 * km_per_unit) if dist is not None and mass > 0 else None
        if leg.activity is not None:
            # model_construct: the activity is validated already, and tkm may be an array (batch variants)
            target = resolve_input(Input.model_construct(amount=tkm, unit="tkm", **leg.activity.model_dump(exclude_none=True)),
                                   loc + ("activity",))
            target = replace(target, uncertainty=tkm_dist)
        elif background == "open-default":
            target = ResolvedInput("background", default_key, tkm, "tkm", line, uncertainty=tkm_dist)
        else:
            raise fail(loc + ("mode",), f"the study background {background!r} has no default {leg.mode!r} activity: "
                                        "name one with activity: {background: KEY} or activity: {database: NAME, code: ...}")
        return ResolvedTransport(leg.name or leg.mode, leg.mode, distance, mass, volume, tkm, target)

    def basis(product, amount: float, method: str, loc: tuple) -> float | None:
        """Allocation basis of one product per run [kg, MJ or currency]."""
        if method == "mass":
            if dimension_name(product.unit) == "mass":
                return amount * factor(product.unit, "kg", loc + ("unit",))
            if product.mass is None:
                raise fail(loc + ("unit",), f"mass allocation needs the mass of {product.unit!r}: add mass: <kg per {product.unit}>")
            return amount * value(product.mass, loc + ("mass",))
        field_name = {"energy": "energy", "economic": "price"}.get(method)
        if field_name is None:
            return None
        given = getattr(product, field_name)
        if given is None:
            what = "energy: <MJ per unit> (e.g. lower heating value)" if method == "energy" else "price: <per unit>"
            raise fail(loc + ("unit",), f"{method} allocation needs {what} on every product")
        return amount * value(given, loc + (field_name,))

    def resolve_allocation(proc, base: tuple, out: float):
        if not proc.coproducts:
            if proc.allocation is not None:
                raise fail(base + ("allocation",), f"{proc.id!r} has no coproducts: drop allocation, or list the co-products")
            return [], None
        if proc.allocation is None:
            raise fail(base + ("coproducts",),
                       f"{proc.id!r} has co-products: state allocation: {{method: ...}}; ISO 14067:2018 6.4.6 "
                       "asks to avoid allocation (system_expansion) where possible, then to partition by a "
                       "physical relationship (mass, energy), then by economic value")
        method = proc.allocation.method
        main_basis = basis(proc.output, out, method, base + ("output",))
        rows = []
        for k, co in enumerate(proc.coproducts):
            loc = base + ("coproducts", k)
            amount = value(co.amount, loc + ("amount",))
            if amount <= 0:
                raise fail(loc + ("amount",), f"co-product amount must be positive, got {amount}")
            try:
                parse_unit(co.unit)
            except UnitError as exc:
                raise fail(loc + ("unit",), str(exc)) from None
            avoided = None
            if method == "system_expansion":
                if co.avoided is None:
                    raise fail(loc, f"system expansion needs avoided: {{background: KEY, amount, unit}} on co-product {co.name!r}")
                if co.id is not None:
                    raise fail(loc + ("id",), "a co-product credited by system expansion cannot also be an input of "
                                              "another process: drop its id or partition instead")
                avoided = resolve_input(co.avoided, loc + ("avoided",))
            elif co.avoided is not None:
                raise fail(loc + ("avoided",), f"avoided goes with method system_expansion, not {method}")
            rows.append((co, amount, basis(co, amount, method, loc), loc))
        if method == "system_expansion":
            shares = [0.0] * len(rows)
            main_factor = 1.0
        elif method == "factors":
            given = []
            for product, loc in [(proc.output, base + ("output",))] + [(co, loc) for co, _, _, loc in rows]:
                if product.allocation_factor is None:
                    raise fail(loc, "method factors needs allocation_factor on the output and on every co-product")
                f = value(product.allocation_factor, loc + ("allocation_factor",))
                if not 0 <= f <= 1:
                    raise fail(loc + ("allocation_factor",), f"allocation_factor must be between 0 and 1, got {f}")
                given.append(f)
            if abs(sum(given) - 1.0) > 1e-6:
                raise fail(base + ("allocation",), f"allocation factors of {proc.id!r} sum to {sum(given):.6g}, not 1")
            main_factor, shares = given[0], given[1:]
        else:
            values = [main_basis] + [b for _, _, b, _ in rows]
            if any(v < 0 for v in values) or sum(values) <= 0:
                raise fail(base + ("allocation",), f"{method} allocation of {proc.id!r}: the basis values must be >= 0 "
                                                   f"with a positive sum, got {values}")
            main_factor, shares = values[0] / sum(values), [v / sum(values) for v in values[1:]]
        coproducts = [ResolvedCoproduct(co.id, co.name, amount, co.unit, b, share, avoided_input, lines.line_of(loc))
                      for (co, amount, b, loc), share, avoided_input in
                      zip(rows, shares, [resolve_input(co.avoided, loc + ("avoided",)) if co.avoided is not None else None
                                         for co, _, _, loc in rows])]
        return coproducts, ResolvedAllocation(method, proc.allocation.justification, main_basis, main_factor)

    service_life = resolve_service_life(model.product.service_life, value, fail)

    def make_input(activity, amount: float, unit: str, loc: tuple) -> ResolvedInput:
        return resolve_input(Input.model_construct(amount=amount, unit=unit, **activity.model_dump(exclude_none=True)), loc)

    processes: dict[str, ResolvedProcess] = {}
    for i, proc in enumerate(model.processes):
        base = ("processes", i)
        out = value(proc.output.amount, base + ("output", "amount"))
        if out <= 0:
            raise fail(base + ("output", "amount"), f"output amount of {proc.id!r} must be positive, got {out}")
        inputs = [resolve_input(inp, base + ("inputs", k),
                                per_factor(inp.per, service_life, proc.stage, base + ("inputs", k), fail))
                  for k, inp in enumerate(proc.inputs)]
        transport = [resolve_leg(leg, base + ("transport", k), model.study.background)
                     for k, leg in enumerate(proc.transport)]
        inputs += [leg.input for leg in transport]
        coproducts, allocation = resolve_allocation(proc, base, out)
        flows = {}
        for kind in ("emissions", "removals"):
            resolved = []
            for k, em in enumerate(getattr(proc, kind)):
                loc = base + (kind, k)
                amount = value(em.amount, loc + ("amount",)) * factor(em.unit, "kg", loc + ("unit",))
                amount_per, amount = (amount, amount * per_factor(em.per, service_life, proc.stage, loc, fail)) \
                    if em.per is not None else (None, amount)
                if kind == "removals" and amount < 0:
                    raise fail(loc + ("amount",), "give a removal as a positive amount of CO2 taken up; pcf counts it with a negative sign")
                if kind == "removals" and em.origin != "biogenic":
                    raise fail(loc + ("origin",), "removals are biogenic uptake from air: use origin: biogenic")
                dist = distribution(em.uncertainty, value(em.amount, loc + ("amount",)), loc)
                if dist is not None:
                    scale = factor(em.unit, "kg", loc + ("unit",))
                    if em.per is not None:
                        scale *= per_factor(em.per, service_life, proc.stage, loc, fail)
                    dist = dist.scaled(scale)
                resolved.append(ResolvedFlow(em.substance.strip(), em.origin, amount, lines.line_of(loc),
                                             em.per, amount_per, dist))
            flows[kind] = resolved
        excluded = []
        for k, ex in enumerate(proc.excluded):
            loc = base + ("excluded", k)
            amount = value(ex.amount, loc + ("amount",))
            try:
                parse_unit(ex.unit)
            except UnitError as exc:
                raise fail(loc + ("unit",), str(exc)) from None
            proxy = None
            if ex.proxy is not None:
                proxy = resolve_input(Input.model_construct(amount=amount, unit=ex.unit, **ex.proxy.model_dump(exclude_none=True)),
                                      loc + ("proxy",))
            excluded.append(ResolvedExcluded(ex.name, amount, ex.unit, ex.reason, proxy))
        end_of_life = [resolve_end_of_life(entry, base + ("end_of_life", k), value, fail, make_input,
                                           lines.line_of(base + ("end_of_life", k)))
                       for k, entry in enumerate(proc.end_of_life)]
        processes[proc.id] = ResolvedProcess(
            proc.id, proc.name, proc.stage, proc.location, out, proc.output.unit,
            inputs, flows["emissions"], flows["removals"], excluded, lines.line_of(base),
            coproducts, allocation, transport, end_of_life,
        )

    product = model.product
    if product.process not in ids:
        raise fail(("product", "process"), f"reference process {product.process!r} is not defined; defined processes: {', '.join(ids)}")
    ref_unit = model.processes[ids[product.process]].output.unit
    ref = value(product.reference_flow.amount, ("product", "reference_flow", "amount"))
    ref *= factor(product.reference_flow.unit, ref_unit, ("product", "reference_flow", "unit"))
    if ref <= 0:
        raise fail(("product", "reference_flow", "amount"), f"reference flow must be positive, got {ref}")
    declared = None
    if product.declared_unit is not None:
        declared = value(product.declared_unit.per_reference_flow, ("product", "declared_unit", "per_reference_flow"))
        if declared <= 0:
            raise fail(("product", "declared_unit", "per_reference_flow"),
                       f"declared units per reference flow must be positive, got {declared}")
        try:
            parse_unit(product.declared_unit.unit)
        except UnitError as exc:
            raise fail(("product", "declared_unit", "unit"), str(exc)) from None

    carbon = None
    if product.biogenic_carbon_content is not None:
        carbon = _carbon_content(product.biogenic_carbon_content, value, fail, lines)
    exchange = resolve_exchange(model.exchange, model.processes[ids[product.process]].location, value, fail,
                                model.declaration)

    return ProductSystem(
        path=path,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        model=model,
        parameters=params,
        processes=processes,
        reference_amount=ref,
        declared_per_reference_flow=declared,
        lines=lines,
        biogenic_carbon_content=carbon,
        scenario=applied,
        service_life=service_life,
        exchange=exchange,
    )


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
