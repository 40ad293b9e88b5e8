"""Product system -> Brightway foreground graph linked to a background.

:func:`build_foreground` checks every link first (background activity exists, units
convert, substances name biosphere3 flows) and only then writes the foreground database, so
an invalid model leaves nothing behind.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace

import numpy as np

from .background import database_name
from .core.bw import brightway, locked, missing_hint, note_written, quiet, where
from .core.errors import BackgroundError, UnitError
from .core.units import conversion_factor
from .model import ProductSystem
from .model.distributions import DEFAULT_BASIC_VARIANCE, default_distribution
from .model.supplier import IPCC_REPORT

#: model ``origin`` -> suffixes of biosphere3 air flow names, tried in order (DESIGN.md).
ORIGIN_SUFFIXES = {
    "fossil": ("fossil",),
    "biogenic": ("non-fossil", "biogenic"),
    "land_use": ("from soil or biomass stock",),
}
#: common names -> biosphere3 names.
SYNONYMS = {
    "hexafluoroethane": "ethane, hexafluoro-, hfc-116",
    "tetrafluoromethane": "methane, tetrafluoro-, r-14",
    "nitrogen trifluoride": "nitrogen fluoride",
    "nitrous oxide": "dinitrogen monoxide",
    "n2o": "dinitrogen monoxide",
    "co2": "carbon dioxide",
    "ch4": "methane",
    "sf6": "sulfur hexafluoride",
    "nf3": "nitrogen fluoride",
}
UPTAKE = ("Carbon dioxide, in air", ("natural resource", "in air"))


@dataclass(frozen=True)
class ForegroundGraph:
    """The written foreground.

    Attributes
    ----------
    database : str
        Brightway database of the foreground (``pcf-fg-<product id>``).
    background : str
        Brightway database of the background.
    reference : tuple
        Key of the reference process.
    origins : dict
        ``(process id, biosphere key) -> {origin: kg}``: the model origin of each direct
        elementary flow, so the ISO 14067 split follows the model where a flow has one
        variant only (e.g. ``Dinitrogen monoxide``).
    links : dict
        ``(database, code) -> how the model named it`` for every activity linked outside the
        foreground (the background key, or ``database: 'name' [location]``).
    credits : dict
        ``(process id, co-product index) -> (key, amount)``: what each co-product displaces
        under system expansion, per run of the process, in the displaced activity's unit.
    proxies : dict
        ``(process id, excluded index) -> (key, amount)``: the proxy activity of an excluded
        input and the excluded amount per run in the proxy's unit (not part of the graph).
    inputs : dict
        ``(process id, input index) -> (key, amount)``: every input of every process (transport
        legs after the model's inputs) with its amount per run in the target's unit.
    end_of_life : dict
        ``(process id, entry index, term index) -> (key, amount)``: the inputs the terms of the
        ``end_of_life`` entries became (credits negative), per run in the activity's unit.
    uncertain : list of UncertainAmount
        Every model amount with an ``uncertainty:``, with where it sits in the matrices
        (:mod:`pcf.lca.uncertainty` samples them).
    defaults : list of UncertainAmount
        Every model amount WITHOUT ``uncertainty:`` that the Monte Carlo samples with a default
        lognormal from its data quality (:func:`pcf.model.distributions.default_distribution`;
        ``source`` says where the pedigree scores came from): inputs from outside the
        foreground, transport legs, avoided products, emissions and removals, not 0. Not
        included: inputs from another foreground process (bill-of-materials links such as
        "1 item of pack_assembly", whose own inputs carry the spread) and end-of-life formula
        terms (no ``uncertainty:`` field exists for them). These distributions are not written
        to the Brightway exchanges.
    """

    database: str
    background: str
    reference: tuple
    origins: dict
    links: dict = field(default_factory=dict)
    credits: dict = field(default_factory=dict)
    proxies: dict = field(default_factory=dict)
    inputs: dict = field(default_factory=dict)
    end_of_life: dict = field(default_factory=dict)
    uncertain: list = field(default_factory=list)
    defaults: list = field(default_factory=list)


@dataclass(frozen=True)
class UncertainAmount:
    """A model amount with a distribution, and the exchanges it became.

    Attributes
    ----------
    process : str
        Process id of the model.
    field : str
        ``inputs``, ``transport``, ``emissions``, ``removals`` or ``coproducts`` (an avoided product).
    index : int
        Position in that list of the process.
    label : str
        What the model names (background key, process id, substance, leg name).
    kind : {"technosphere", "biosphere"}
    input : tuple
        Key of the input node or biosphere flow.
    distribution : Distribution
        Of the exchange amount per run of the process, in the input's unit (a credit of system
        expansion is negative).
    outputs : tuple of (str, float)
        ``(activity code, share)``: the foreground activities that carry ``share`` x the
        amount (the allocated shares of a multi-output process; 1 otherwise).
    source : str or None
        None for the model's own ``uncertainty:``; for a default distribution, where its
        pedigree scores came from: ``dqr of the input``, ``dqr of the process``, ``primary data
        default`` or ``secondary data default``.
    basic_variance : float or None
        Basic variance of ln(amount) of a default distribution [-].
    """

    process: str
    field: str
    index: int
    label: str
    kind: str
    input: tuple
    distribution: object
    outputs: tuple
    source: str | None = None
    basic_variance: float | None = None


def foreground_name(system: ProductSystem) -> str:
    """Brightway database name of a model's foreground."""
    return f"pcf-fg-{system.model.product.id}"


def supplier_name(system: ProductSystem) -> str:
    """Brightway database name of a model's supplier footprints (``supplier_pcf`` inputs)."""
    return f"pcf-sup-{system.model.product.id}"


class BackgroundUnits:
    """Code -> unit of the activities of one background database, read from Brightway as they
    are asked for (a large background has tens of thousands; a model names a few), all of them
    only to list close matches of an unknown code. Pickles with what it has read."""

    def __init__(self, database: str):
        self.database = database
        self.known: dict[str, str | None] = {}
        self.missing: set[str] = set()
        self.complete = False

    def _read(self, codes: list[str] | None) -> None:
        brightway()  # chooses Brightway's data folder before bw2data is first imported
        from bw2data.backends import ActivityDataset as AD

        query = AD.select(AD.code, AD.data).where(AD.database == self.database)
        if codes is not None:
            query = query.where(AD.code.in_(codes))
        for row in query:
            self.known[row.code] = (row.data or {}).get("unit")
        if codes is None:
            self.complete = True
        else:
            self.missing.update(c for c in codes if c not in self.known)

    def __contains__(self, code) -> bool:
        if code not in self.known and not self.complete and code not in self.missing:
            self._read([code])
        return code in self.known

    def __getitem__(self, code: str):
        if code not in self:
            raise KeyError(code)
        return self.known[code]

    def __iter__(self):
        if not self.complete:
            self._read(None)
        return iter(self.known)


def _air_flows(bd) -> dict[str, tuple]:
    """Lower-case name -> key of every biosphere3 flow to ``("air",)`` (rows read as tuples:
    building a node object per flow took most of the time)."""
    from bw2data.backends import ActivityDataset as AD

    flows = {}
    query = AD.select(AD.code, AD.data).where(AD.database == "biosphere3").order_by(AD.id)
    for code, data in query.tuples():
        if tuple(data.get("categories", ())) == ("air",):
            flows[data["name"].lower()] = ("biosphere3", code)
    return flows


def resolve_substance(flows: dict[str, tuple], substance: str, origin: str) -> tuple:
    """biosphere3 key of an air emission.

    Parameters
    ----------
    flows : dict
        Lower-case biosphere3 air-flow name -> key.
    substance : str
        Name without origin suffix, case-insensitive (``carbon dioxide``, ``methane``).
    origin : {"fossil", "biogenic", "land_use"}

    Raises
    ------
    KeyError
        With a message naming close matches.
    """
    name = SYNONYMS.get(substance.lower().strip(), substance.lower().strip())
    for suffix in ORIGIN_SUFFIXES[origin]:
        if f"{name}, {suffix}" in flows:
            return flows[f"{name}, {suffix}"]
    if name in flows:
        return flows[name]
    close = difflib.get_close_matches(name, list(flows), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise KeyError(f"no biosphere3 air flow for substance {substance!r} with origin {origin!r}{hint}")


@dataclass
class Links:
    """What a foreground links to outside itself, looked up once and remembered.

    :func:`link_foreground` asks this object, never the database directly, so a batch looks
    every activity up once per model and evaluates its variants without bw2data (in worker
    processes too: the object pickles).

    Attributes
    ----------
    foreground : str
        Brightway database of the foreground (excluded from ``database:`` lookups).
    background : str
        Brightway database of the study's background.
    background_units : BackgroundUnits
        Code -> unit of the activities of the background (read as asked for).
    air_flows : dict of str to tuple
        Lower-case biosphere3 air-flow name -> key.
    uptake : tuple
        Key of ``Carbon dioxide, in air`` (biogenic removals).
    found : dict
        ``(database, lookup) -> (key, unit)`` or ``-> LookupError message`` of every
        ``database:`` lookup made so far.
    suppliers : dict
        ``(database, code) -> activity`` of every supplier footprint linked so far
        (:meth:`supplier`), written to Brightway as ``pcf-sup-<product id>``.
    """

    foreground: str
    background: str
    background_units: BackgroundUnits
    air_flows: dict
    uptake: tuple
    found: dict = field(default_factory=dict)
    suppliers: dict = field(default_factory=dict)

    @classmethod
    def load(cls, system: ProductSystem) -> "Links":
        """Read the background's activity units and the biosphere3 air flows.

        Raises
        ------
        BackgroundError
            The background is not installed (run ``pcf setup``).
        """
        bd = brightway()
        study = system.model.study
        bg = database_name(study.background)
        if "biosphere3" not in bd.databases or bg not in bd.databases:
            raise BackgroundError(f"background {study.background!r} is not installed in {where()}: {missing_hint()}")
        units = BackgroundUnits(bg)
        uptake = bd.get_node(database="biosphere3", name=UPTAKE[0], categories=UPTAKE[1]).key
        return cls(foreground_name(system), bg, units, _air_flows(bd), uptake)

    def find(self, database: str, lookup: tuple) -> tuple[tuple, str]:
        """Key and unit of the activity a ``database:`` input names (:func:`find_activity`).

        Raises
        ------
        LookupError
            As :func:`find_activity`.
        """
        memo = (database, lookup)
        if memo not in self.found:
            try:
                node = find_activity(brightway(), database, dict(lookup), exclude=self.foreground)
                self.found[memo] = (node.key, node.get("unit") or "")
            except LookupError as exc:
                self.found[memo] = exc.args[0]
        hit = self.found[memo]
        if isinstance(hit, str):
            raise LookupError(hit)
        return hit

    def supplier(self, system: ProductSystem, inp, loc: tuple) -> tuple:
        """Key of the activity that stands for a ``supplier_pcf`` input (:func:`supplier_activity`),
        written to Brightway the first time (with the model's other supplier footprints), so
        bw2calc can characterise it like a background activity.

        Raises
        ------
        ModelError
            The supplier's IPCC characterisation factors are not the study method's.
        """
        check_supplier_method(system, inp, loc)
        key = (supplier_name(system), inp.target)
        if key not in self.suppliers:
            bd = brightway()
            self.suppliers[key] = supplier_activity(bd, system, inp, key, loc, self.air_flows, self.uptake)
            with locked():
                if self.foreground in bd.databases:  # its exchanges may name the supplier activities of a former run
                    with quiet():
                        del bd.databases[self.foreground]
                db = bd.Database(key[0])
                note_written(key[0])
                db.register(description=f"supplier footprints of {system.path.name}", pcf_kind="supplier",
                            pcf_source=f"supplier_pcf files of {system.path.name}")
                with quiet():
                    db.write(dict(self.suppliers))
        return key


def build_foreground(system: ProductSystem) -> ForegroundGraph:
    """Write the foreground of ``system`` as a Brightway database linked to its background.

    Parameters
    ----------
    system : ProductSystem

    Returns
    -------
    ForegroundGraph

    Raises
    ------
    BackgroundError
        The background is not installed (run ``pcf setup``).
    ModelError
        ``file:line:`` for an unknown background key (with close matches), a unit that does
        not convert to the background activity's unit, an unknown substance, or a supplier
        footprint characterised with other IPCC factors than the study's method.
    """
    data, graph = link_foreground(system, Links.load(system))
    write_foreground(system, data)
    return graph


def foreground_digest(data: dict) -> str:
    """SHA-256 of the JSON of the activities :func:`link_foreground` made (what
    :func:`write_foreground` records as ``pcf_data_sha256``)."""
    import hashlib
    import json

    return hashlib.sha256(json.dumps([[list(k), a] for k, a in data.items()], sort_keys=True, default=repr)
                          .encode("utf-8")).hexdigest()


def foreground_written(system: ProductSystem, data: dict, meta: dict) -> bool:
    """Whether the foreground database whose metadata is ``meta`` (bw2data's ``databases``
    entry, {} when absent) holds exactly ``data`` of ``system``, processed: then
    :func:`write_foreground` writes nothing."""
    return (meta.get("pcf_data_sha256") == foreground_digest(data) and meta.get("pcf_model_sha256") == system.sha256
            and not meta.get("dirty") and bool(meta.get("processed")))


def write_foreground(system: ProductSystem, data: dict) -> None:
    """Write the activities :func:`link_foreground` made as the database ``pcf-fg-<product id>``;
    nothing when it already holds exactly these (``pcf_data_sha256``: SHA-256 of their JSON, a
    second ``pcf footprint`` of an unchanged model). Under the lock of ``PCF_HOME``
    (:func:`pcf.core.bw.locked`); a database written is recorded, so that a run that fails
    removes it (:func:`pcf.core.bw.discard_written`)."""
    bd = brightway()
    name = foreground_name(system)
    digest = foreground_digest(data)
    with locked():  # another run on this PCF_HOME may write the same product's foreground
        if foreground_written(system, data, bd.databases[name] if name in bd.databases else {}):
            return
        db = bd.Database(name)
        note_written(name)  # a run that fails later removes it (pcf.core.bw.discard_written)
        db.register(description=f"pcf foreground of {system.path.name}", pcf_model_sha256=system.sha256)
        if bd.databases[name].pop("pcf_data_sha256", None) is not None:
            bd.databases.flush()
        with quiet():
            db.write(data)
        # only once it is written; register() keeps the metadata of a database registered before,
        # so the model's hash is set here too (else a changed model was written again on every run)
        bd.databases[name].update(pcf_data_sha256=digest, pcf_model_sha256=system.sha256)
        bd.databases.flush()


def link_foreground(system: ProductSystem, links: Links) -> tuple[dict, ForegroundGraph]:
    """The foreground of ``system`` as Brightway activities, linked but not written.

    Every link is checked (background activity exists, units convert, substances name
    biosphere3 flows) before anything is written. Amounts may be arrays of batch variants
    (:mod:`pcf.model.variants`); the activities and exchanges are the same for every variant.
    Each process is linked by :func:`_link_process`.

    Parameters
    ----------
    system : ProductSystem
    links : Links
        From :meth:`Links.load` (for this model; it remembers what it looked up).

    Returns
    -------
    data : dict
        ``(database, code) -> activity`` as ``bw2data.Database.write`` takes it; exchanges
        ``{input, amount, type}`` per run of the process.
    graph : ForegroundGraph

    Raises
    ------
    ModelError
        ``file:line:`` for an unknown background key (with close matches), a unit that does
        not convert to the background activity's unit, or an unknown substance.
    """
    lk = _Linking(system, links, {p.id: i for i, p in enumerate(system.model.processes)})
    for proc in system.processes.values():
        _link_process(lk, proc)
    fg = links.foreground
    graph = ForegroundGraph(fg, links.background, (fg, system.model.product.process), lk.origins, lk.link_names,
                            lk.credit_links, lk.proxies, lk.input_keys, end_of_life=lk.eol_keys,
                            uncertain=lk.uncertain, defaults=lk.defaults)
    return lk.data, graph


@dataclass
class _Linking:
    """The foreground being linked: what :func:`link_foreground` fills in, process by process
    (the fields of :class:`ForegroundGraph` of the same names, and ``data``, the activities)."""

    system: ProductSystem
    links: Links
    index: dict[str, int]  # process id -> index under the model's processes:
    data: dict[tuple, dict] = field(default_factory=dict)
    origins: dict[tuple, dict[str, float]] = field(default_factory=dict)
    link_names: dict[tuple, str] = field(default_factory=dict)
    credit_links: dict[tuple, tuple] = field(default_factory=dict)
    proxies: dict[tuple, tuple] = field(default_factory=dict)
    input_keys: dict[tuple, tuple] = field(default_factory=dict)
    eol_keys: dict[tuple, tuple] = field(default_factory=dict)
    uncertain: list[UncertainAmount] = field(default_factory=list)
    defaults: list[UncertainAmount] = field(default_factory=list)


def _link(lk: _Linking, inp, loc: tuple) -> tuple[tuple, float]:
    """Key of an input's target and its amount in the target's unit."""
    key, amount, _ = _link_converted(lk, inp, loc)
    return key, amount


def _link_converted(lk: _Linking, inp, loc: tuple) -> tuple[tuple, float, float]:
    """As :func:`_link`, and the unit conversion factor applied to the amount [target unit /
    input unit].

    Raises
    ------
    ModelError
        An unknown background key (with close matches) or database activity, or a unit that
        does not convert to the target's unit.
    """
    system, links = lk.system, lk.links
    if inp.kind == "process":
        return (links.foreground, inp.target), inp.amount, 1.0
    if inp.kind == "supplier":  # amount already in the supplier's declared unit
        key = links.supplier(system, inp, loc)
        lk.link_names.setdefault(key, inp.describe())
        return key, inp.amount, 1.0
    if inp.kind == "background":
        bg_units = links.background_units
        if inp.target not in bg_units:
            close = difflib.get_close_matches(inp.target, list(bg_units), n=3, cutoff=0.5)
            hint = (f"; did you mean {', '.join(repr(c) for c in close)}?" if close
                    else "; `pcf db list` shows the backgrounds")
            raise system.error(loc + ("background",),
                               f"background activity {inp.target!r} is not in {system.model.study.background!r}{hint}")
        key, unit = (links.background, inp.target), bg_units[inp.target]
    else:
        try:
            key, unit = links.find(inp.database, inp.lookup)
        except LookupError as exc:
            installed = inp.database in brightway().databases
            field_name = "code" if dict(inp.lookup).get("code") is not None else "name"
            raise system.error(loc + (field_name if installed else "database",), exc.args[0]) from None
    try:
        factor = conversion_factor(inp.unit, unit)
    except UnitError as exc:
        raise system.error(loc + ("unit",), f"{inp.describe()!r} is given per {unit!r}: {exc}") from None
    lk.link_names.setdefault(key, inp.describe())
    return key, inp.amount * factor, factor


def _link_process(lk: _Linking, proc) -> None:
    """Link one foreground process and add its activity, and one per co-product with an id,
    to ``lk.data``; burdens are allocated to every output by its share (ISO 14067:2018 6.4.6),
    credits of avoided products go to the main output only.

    Raises
    ------
    ModelError
        As :func:`_link_converted`, or an unknown substance.
    """
    i = lk.index[proc.id]
    burdens, pending = _input_burdens(lk, i, proc)  # (key, amount, type, distribution, stage) per run, before allocation
    for j, entry in enumerate(proc.end_of_life):  # pcf.model.endoflife: terms as inputs, credits negative
        for t, term in enumerate(entry.terms):
            key, amount = _link(lk, term.input, ("processes", i, "end_of_life", j, term.field))
            burdens.append((key, amount, "technosphere", None, None))
            lk.eol_keys[(proc.id, j, t)] = (key, amount)
    direct = _direct_flows(lk, i, proc, burdens, pending)
    for k, ex in enumerate(proc.excluded):
        if ex.proxy is not None:
            lk.proxies[(proc.id, k)] = _link(lk, ex.proxy, ("processes", i, "excluded", k, "proxy"))
    # ISO 14067:2018 6.4.6: partition the burdens among co-products, or credit what they displace
    alloc = proc.allocation
    share = alloc.factor if alloc is not None else 1.0
    outputs = [(proc.id, proc.name, proc.output_amount, proc.output_unit, share)]
    outputs += [(co.id, co.name, co.amount, co.unit, co.factor) for co in proc.coproducts if co.id is not None]
    credits = _coproduct_credits(lk, i, proc)
    # every output carries its allocated share of each uncertain burden
    lk.uncertain += [replace(item, outputs=tuple((code, f) for code, _, _, _, f in outputs))
                     for item in pending if item.source is None]
    lk.defaults += [replace(item, outputs=tuple((code, f) for code, _, _, _, f in outputs))
                    for item in pending if item.source is not None]
    fg = lk.links.foreground
    for code, name, amount, unit, f in outputs:
        exchanges = [{"input": (fg, code), "amount": amount, "type": "production"}]
        exchanges += [_exchange(key, a * f, kind, dist.scaled(f) if dist is not None and f else None, stage)
                      for key, a, kind, dist, stage in burdens]
        if code == proc.id:
            exchanges += [_exchange(key, a, kind, dist, stage) for key, a, kind, dist, stage in credits]
        for key, bucket in direct.items():
            lk.origins[(code, key)] = {origin: a * f for origin, a in bucket.items()}
        lk.data[(fg, code)] = {
            "name": name,
            "unit": unit,
            "location": proc.location or "GLO",
            "stage": proc.stage,
            "type": "process",
            "pcf_process": proc.id,
            "exchanges": exchanges,
        }


def _input_burdens(lk: _Linking, i: int, proc) -> tuple[list[tuple], list[UncertainAmount]]:
    """The process's inputs (transport legs last) linked.

    Returns
    -------
    burdens : list of tuple
        ``(input key, amount [target unit per run], "technosphere", distribution, stage)``;
        ``stage`` is the input's own ``stage:`` or None (its process's stage).
    pending : list of UncertainAmount
        The uncertain ones (outputs filled in by the caller).
    """
    burdens, pending = [], []
    model = lk.system.model.processes[i]
    n_inputs = len(model.inputs)
    for k, inp in enumerate(proc.inputs):
        loc = ("processes", i, "inputs", k) if k < n_inputs else ("processes", i, "transport", k - n_inputs)
        key, amount, unit_factor = _link_converted(lk, inp, loc)
        dist = inp.uncertainty.scaled(unit_factor) if inp.uncertainty is not None else None
        burdens.append((key, amount, "technosphere", dist, inp.stage))
        where = ("inputs", k) if k < n_inputs else ("transport", k - n_inputs)
        label = proc.transport[k - n_inputs].name if k >= n_inputs else inp.describe()
        if dist is not None:
            pending.append(UncertainAmount(proc.id, where[0], where[1], label, "technosphere", key, dist, ()))
        elif inp.kind != "process":  # a bill-of-materials link to another foreground process gets no default
            stated = model.inputs[k] if k < n_inputs else None
            default = _default(amount, "input" if stated is not None else "transport", stated, model)
            if default is not None:
                pending.append(UncertainAmount(proc.id, where[0], where[1], label, "technosphere", key,
                                               default[0], (), default[1], default[2]))
        lk.input_keys[(proc.id, k)] = (key, amount)
    return burdens, pending


def _direct_flows(lk: _Linking, i: int, proc, burdens: list[tuple],
                  pending: list[UncertainAmount]) -> dict[tuple, dict[str, float]]:
    """Add the process's emissions and removals to ``burdens`` (and the uncertain ones to
    ``pending``) as biosphere3 exchanges [kg per run].

    Returns
    -------
    dict
        Biosphere flow key -> origin (fossil, biogenic, land_use, removal) -> amount [kg per run].

    Raises
    ------
    ModelError
        A removal that is not carbon dioxide, or a substance biosphere3 does not name.
    """
    system = lk.system
    direct: dict[tuple, dict[str, float]] = {}
    for kind in ("emissions", "removals"):
        for k, flow in enumerate(getattr(proc, kind)):
            if kind == "removals":
                if SYNONYMS.get(flow.substance.lower(), flow.substance.lower()) != "carbon dioxide":
                    raise system.error(("processes", i, kind, k, "substance"),
                                       "removals are CO2 taken up from air: use substance: carbon dioxide")
                key = lk.links.uptake
                origin = "removal"
            else:
                try:
                    key = resolve_substance(lk.links.air_flows, flow.substance, flow.origin)
                except KeyError as exc:
                    raise system.error(("processes", i, kind, k, "substance"), exc.args[0]) from None
                origin = flow.origin
            burdens.append((key, flow.amount, "biosphere", flow.uncertainty, None))
            label = f"{flow.substance} ({origin})"
            if flow.uncertainty is not None:
                pending.append(UncertainAmount(proc.id, kind, k, label, "biosphere", key, flow.uncertainty, ()))
            else:
                default = _default(flow.amount, _gas_basic(flow.substance, origin), None, system.model.processes[i])
                if default is not None:
                    pending.append(UncertainAmount(proc.id, kind, k, label, "biosphere", key, default[0], (),
                                                   default[1], default[2]))
            bucket = direct.setdefault(key, {})
            bucket[origin] = bucket.get(origin, 0.0) + flow.amount
    return direct


def _coproduct_credits(lk: _Linking, i: int, proc) -> list[tuple]:
    """Credits of the products avoided by co-products under system expansion:
    ``(key, -amount [target unit per run], "technosphere", distribution, stage)``; uncertain
    ones go to ``lk.uncertain`` (on the main output)."""
    credits = []
    for k, co in enumerate(proc.coproducts):
        if co.avoided is not None:
            key, amount, unit_factor = _link_converted(lk, co.avoided, ("processes", i, "coproducts", k, "avoided"))
            dist = co.avoided.uncertainty.scaled(-unit_factor) if co.avoided.uncertainty is not None else None
            credits.append((key, -amount, "technosphere", dist, co.avoided.stage))
            if dist is not None:
                lk.uncertain.append(UncertainAmount(proc.id, "coproducts", k, f"avoided by {co.name}", "technosphere",
                                                    key, dist, ((proc.id, 1.0),)))
            else:
                model = lk.system.model.processes[i]
                default = _default(-amount, "input", model.coproducts[k].avoided, model)
                if default is not None:
                    lk.defaults.append(UncertainAmount(proc.id, "coproducts", k, f"avoided by {co.name}",
                                                       "technosphere", key, default[0], ((proc.id, 1.0),),
                                                       default[1], default[2]))
            lk.credit_links[(proc.id, k)] = (key, amount)
    return credits


def _default(amount, what: str, stated, process) -> tuple | None:
    """The default distribution of an amount without ``uncertainty:``
    (:func:`pcf.model.distributions.default_distribution`), or None for an amount that is 0 or
    an array (batch variants are never sampled).

    Parameters
    ----------
    amount : float
        Per run of the process, in the unit of the exchange [unit]; negative for a credit.
    what : str
        A key of :data:`pcf.model.distributions.DEFAULT_BASIC_VARIANCE`.
    stated : pcf.model.schema.Input or None
        The model's input (its ``dqr`` and ``data`` come first), None for a transport leg or a
        direct flow.
    process : pcf.model.schema.Process
        Its ``dqr`` and ``data`` apply when the input states none.

    Returns
    -------
    (Distribution, str, float) or None
        The lognormal, where its scores came from, and the basic variance [-].
    """
    if np.ndim(amount) != 0 or amount == 0:
        return None
    basic = DEFAULT_BASIC_VARIANCE[what]
    if stated is not None and stated.dqr is not None:
        rating, source = stated.dqr, "dqr of the input"
    elif process.dqr is not None:
        rating, source = process.dqr, "dqr of the process"
    else:
        rating, source = None, None
    data = (stated.data if stated is not None and stated.data else None) or process.data
    dist, how = default_distribution(float(amount), basic, rating.model_dump() if rating is not None else None, data)
    return dist, source or how, basic


def _gas_basic(substance: str, origin: str) -> str:
    """The :data:`pcf.model.distributions.DEFAULT_BASIC_VARIANCE` key of a direct flow."""
    name = SYNONYMS.get(substance.lower(), substance.lower())
    if name == "carbon dioxide":
        return "co2_land_use" if origin == "land_use" else "co2"
    return "other_gas"


def _exchange(key: tuple, amount, kind: str, dist, stage: str | None = None) -> dict:
    """A Brightway exchange; with ``dist`` (a :class:`~pcf.model.distributions.Distribution`
    of ``amount``), its ``stats_arrays`` uncertainty fields too (not for the arrays of batch
    variants, which are never written); with ``stage`` (the input's own ``stage:``),
    ``pcf_stage``, the life-cycle stage its burden is reported in (:mod:`pcf.lca.inventory`)."""
    exchange = {"input": key, "amount": amount, "type": kind}
    if stage is not None:
        exchange["pcf_stage"] = stage
    if dist is not None and np.ndim(amount) == 0:
        exchange.update(dist.exchange_fields())
    return exchange


def check_supplier_method(system: ProductSystem, inp, loc: tuple) -> None:
    """A supplier footprint must be characterised with the study method's IPCC factors.

    Raises
    ------
    ModelError
        Its ``ipccCharacterizationFactors`` do not include the method's report (AR6 for
        ``ipcc-2021-gwp100``, AR5 for ``ipcc-2013-gwp100``).
    """
    supplier = inp.supplier
    method = system.model.study.method
    report = IPCC_REPORT.get(method)
    if report and supplier.ipcc and report not in supplier.ipcc:
        raise system.error(loc + ("supplier_pcf",),
                           f"{supplier.path.name} is characterised with {', '.join(supplier.ipcc)} factors, the study's "
                           f"method {method} with {report}: ask the supplier for {report} figures")


def supplier_activity(bd, system: ProductSystem, inp, key: tuple, loc: tuple, flows: dict, uptake: tuple) -> dict:
    """The activity that stands for a supplier footprint: one unit of the supplier's declared
    unit whose elementary flows give back the supplier's figures, category by category.

    Fossil GHGs as ``Carbon dioxide, fossil``, land-use change as ``Carbon dioxide, from soil
    or biomass stock`` (characterisation factor 1 each), biogenic non-CO2 and land-management
    emissions as ``Methane, non-fossil`` in the amount whose characterised value is the
    supplier's kg CO2e, and the biogenic uptake as ``Carbon dioxide, in air`` (factor -1). The
    matrix maths and the decomposition then treat it like any background activity, exactly.
    Aircraft emissions are carried as ``pcf_aircraft_per_unit`` [kg CO2e / unit].

    Raises
    ------
    ModelError
        The method has no factor for ``Methane, non-fossil``.
    """
    from .background import method_spec

    supplier = inp.supplier
    method = system.model.study.method
    exchanges = [{"input": key, "amount": 1.0, "type": "production"}]
    for name, amount in (("carbon dioxide, fossil", supplier.fossil), ("carbon dioxide, from soil or biomass stock", supplier.dluc)):
        if amount:
            exchanges.append({"input": flows[name], "amount": amount, "type": "biosphere"})
    if supplier.biogenic_emissions:
        ch4 = flows["methane, non-fossil"]
        node_id = bd.get_node(database=ch4[0], code=ch4[1]).id
        cf = next((float(v) for k, v, *_ in bd.Method(method_spec(method).name).load() if k == node_id), None)
        if not cf:
            raise system.error(loc + ("supplier_pcf",), f"the method {method} has no factor for Methane, non-fossil")
        exchanges.append({"input": ch4, "amount": supplier.biogenic_emissions / cf, "type": "biosphere"})
    if supplier.biogenic_removals:
        exchanges.append({"input": uptake, "amount": -supplier.biogenic_removals, "type": "biosphere"})
    return {"name": f"{supplier.product_name} ({supplier.company}), supplier footprint",
            "reference product": supplier.product_name, "unit": supplier.unit, "location": "GLO",
            "type": "process", "source": f"{supplier.describe()}, sha256 {supplier.sha256[:12]}",
            "pcf_supplier": supplier.provenance(), "pcf_aircraft_per_unit": supplier.aircraft,
            "exchanges": exchanges}


def find_activity(bd, database: str, lookup: dict, exclude: str | None = None):
    """The activity a model names in an installed database.

    Parameters
    ----------
    bd : module
        bw2data.
    database : str
        Brightway database name, as ``pcf db list`` shows it.
    lookup : dict
        ``{"code": ...}``, or ``{"name": ...}`` with optional ``"location"`` and
        ``"reference product"``; names compare case-insensitively.
    exclude : str, optional
        A database that may not be named (the model's own foreground).

    Returns
    -------
    bw2data Activity

    Raises
    ------
    LookupError
        The database is not installed, nothing matches (with close names), several
        activities match (with what tells them apart), or the node is not a process
        (e.g. a biosphere flow).
    """
    if database not in bd.databases or database == exclude:
        installed = ", ".join(sorted(d for d in bd.databases if d != exclude and not d.startswith("pcf-fg-")))
        raise LookupError(f"database {database!r} is not installed (installed: {installed}); "
                          "`pcf db import` adds one")
    from bw2data.backends import ActivityDataset as AD
    from peewee import fn

    if "code" in lookup:
        rows = list(AD.select().where((AD.database == database) & (AD.code == str(lookup["code"]))))
        if not rows:
            raise LookupError(f"no activity with code {lookup['code']!r} in {database!r}")
    else:
        name = str(lookup["name"]).strip()
        # names compare trimmed: a database imported before pcf trimmed names may keep "name "
        rows = list(AD.select().where((AD.database == database) & (fn.lower(fn.trim(AD.name)) == name.lower())))
        if not rows:
            names = [r.name for r in AD.select(AD.name).where(AD.database == database).distinct()]
            close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise LookupError(f"no activity named {name!r} in {database!r}{hint}")
        real = [r for r in rows if not (r.data or {}).get("pcf_unlinked")]
        rows = real or rows  # prefer real activities to the placeholders `pcf db import` writes
        for field_name, column in (("location", "location"), ("reference product", "product")):
            if field_name in lookup:
                wanted = str(lookup[field_name]).strip().lower()
                matching = [r for r in rows if (getattr(r, column) or "").strip().lower() == wanted]
                if not matching:
                    found = sorted({getattr(r, column) or "" for r in rows})
                    raise LookupError(f"{name!r} in {database!r} has no {field_name} {lookup[field_name]!r} "
                                      f"(it has: {', '.join(repr(f) for f in found)})")
                rows = matching
        if len(rows) > 1:
            shown = "; ".join(f"location {r.location!r}, reference product {r.product!r}, code {r.code!r}"
                              for r in rows[:5])
            more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
            raise LookupError(f"{len(rows)} activities in {database!r} are named {name!r} ({shown}{more}): "
                              "add location / reference_product, or use code")
    node = bd.get_node(id=rows[0].id)
    if node.get("type", "process") not in bd.labels.process_node_types:
        raise LookupError(f"{node['name']!r} in {database!r} is not a process (node type {node.get('type')!r}): "
                          "elementary flows go under emissions")
    return node
