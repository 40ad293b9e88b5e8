"""What a footprint needs besides the foreground amounts, computed once.

:func:`prepare` links the foreground to its background, characterises the background (one
sparse LU factorisation of ``A^T`` and one solve per ISO 14067 category: ``m = A^-T B^T c``
gives the intensity of every background activity at once) and collects the metadata the
result reports (activities drawn on, method, database provenance). The :class:`Prepared`
object is self-contained and pickles, so :func:`pcf.lca.calculate.evaluate` can compute a
full result from it for any variant of the model with the same structure, in any process,
without bw2data.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, field, replace
from importlib.metadata import version as dist_version
from pathlib import Path

import numpy as np

from ..background import BackgroundInfo, MethodSpec, background_info, database_provenance, method_spec
from ..background.methods import method_sha256
from ..core.bw import brightway, locked, user_project
from ..core.errors import BackgroundError, CalculationError
from ..graph import (ForegroundGraph, Links, foreground_name, foreground_written, link_foreground,
                     write_foreground)
from ..model import ProductSystem
from . import bgcache, warmcache
from .feasibility import check_foreground
from .inventory import MASS_KEYS, Characterisation, FlowInfo
from .result import GHG_CATEGORIES

BIOGENIC_MASS_FLOWS = {"Carbon dioxide, non-fossil": "co2_emissions_kg", "Carbon dioxide, in air": "co2_removals_kg",
                       "Carbon dioxide, non-fossil, resource correction": "co2_removals_kg"}
"""biosphere3 flow name -> the biogenic CO2 mass it counts in [kg CO2]."""


def flow_category(flow) -> str:
    """ISO 14067 category of a biosphere3 flow, from its name and categories.

    ``Carbon dioxide, in air`` and ``Carbon dioxide, non-fossil, resource correction``
    (natural resources) are biogenic removals; ``..., non-fossil`` flows are biogenic
    emissions; ``..., from soil or biomass stock`` (emission) and ``..., to soil or biomass
    stock`` (carbon stored in soil or biomass by a land-use change) are dLUC; everything else
    is fossil.
    """
    name = flow["name"].lower()
    if tuple(flow.get("categories", ()))[:1] == ("natural resource",):
        removal = name.startswith("carbon dioxide, in air") or name == "carbon dioxide, non-fossil, resource correction"
        return "biogenic_removals" if removal else "fossil"
    if name.endswith("non-fossil") or name.endswith(", biogenic"):
        return "biogenic_emissions"
    if "soil or biomass stock" in name or "land transformation" in name:
        return "dluc"
    return "fossil"


class Node(dict):
    """The stored fields of an activity, read-only use, with ``id`` and ``key`` like a
    bw2data node (what the report functions read)."""

    def __init__(self, data: dict, id: int, key: tuple):
        super().__init__(data)
        self.id = id
        self.key = key


class Nodes:
    """Activities by key and by id, answering ``get_node(database=, code=)`` and
    ``get_node(id=)`` like bw2data for the activities a foreground uses."""

    def __init__(self, nodes: list[Node]):
        self.by_key = {n.key: n for n in nodes}
        self.by_id = {n.id: n for n in nodes}

    def get_node(self, database: str | None = None, code: str | None = None, id: int | None = None) -> Node:
        """The activity, from memory; bw2data is asked (and remembered) for one not seen yet.

        Raises
        ------
        KeyError
            Not in memory and bw2data does not have it either.
        """
        hit = self.by_id.get(id) if id is not None else self.by_key.get((database, code))
        if hit is None:
            node = brightway().get_node(**({"id": id} if id is not None else {"database": database, "code": code}))
            hit = Node(node.as_dict(), node.id, node.key)
            self.by_key[hit.key] = hit
            self.by_id[hit.id] = hit
        return hit


@dataclass
class Prepared:
    """A characterised background and the foreground's links, for one model structure.

    Attributes
    ----------
    spec : MethodSpec
        The characterisation method.
    method_description : str or None
        Its description in Brightway.
    background : BackgroundInfo
        The study's background.
    databases : dict of str to dict
        :func:`pcf.background.database_provenance` of every database the foreground links.
    links : Links
        The foreground's links (:func:`pcf.graph.link_foreground`).
    nodes : Nodes
        Every activity the foreground links, and the foreground nodes (negative ids).
    char : Characterisation
        Intensities of every activity the foreground links outside itself.
    flows : dict
        Biosphere key -> :class:`pcf.lca.inventory.FlowInfo` for every flow the foreground
        emits.
    score : float or None
        The score of the prepared system as Brightway stores it (:func:`stored_score`: the
        foreground's amounts as bw2calc reads them, float32, and the background's
        intensities; ``pcf footprint`` checks the decomposition against it and reports it as
        ``provenance.bw2calc_score``); None for a batch preparation.
    brightway_versions : dict
        Versions of bw2data, bw2calc, bw2io, bw_processing.
    method_sha256 : str or None
        Content hash of the method's characterisation factors
        (:func:`pcf.background.methods.method_sha256`).
    background_cache : str or None
        Where the background's characterisation came from: ``hit`` (the disk cache,
        :mod:`pcf.lca.bgcache`), ``miss`` (computed and cached), ``rebuilt`` (computed; the
        cached file was not whole or not made from the same material), ``memory`` (a batch's
        earlier preparation), ``warm`` (the whole preparation from a former run,
        :func:`warm_prepare`), None (no background).
    warm : dict or None
        For ``pcf footprint`` in pcf's own project: where the project's state is read
        (:func:`pcf.lca.warmcache.state`) and that state when the preparation started, for
        :func:`remember`; None otherwise.
    """

    spec: MethodSpec
    method_description: str | None
    background: BackgroundInfo
    databases: dict
    links: Links
    nodes: Nodes
    char: Characterisation
    flows: dict
    score: float | None = None
    brightway_versions: dict = field(default_factory=dict)
    method_sha256: str | None = None
    background_cache: str | None = None
    warm: dict | None = field(default=None, repr=False, compare=False)

    def foreground_nodes(self, data: dict) -> None:
        """Remember the foreground activities of ``data`` (ids -1, -2, ... in order)."""
        for j, (key, act) in enumerate(data.items()):
            fields = {k: v for k, v in act.items() if k != "exchanges"}
            fields.update(database=key[0], code=key[1])
            node = Node(fields, -1 - j, tuple(key))
            self.nodes.by_key[node.key] = node
            self.nodes.by_id[node.id] = node


def prepare(system: ProductSystem, *, solve: bool = True, cache: dict | None = None, keep: bool = False) -> Prepared:
    """Link, characterise and collect metadata for ``system``.

    Parameters
    ----------
    system : ProductSystem
    solve : bool
        True (``pcf footprint``): write the foreground database and compute the score of the
        whole product system as Brightway stores it (:func:`stored_score`, the check of the
        decomposition). False (batch): write nothing.
        Either way the background is characterised alone (:func:`characterise`), or read from
        the disk cache (:mod:`pcf.lca.bgcache`) when it was characterised before from the same
        databases, method and pcf.
    cache : dict, optional
        Characterisations by (method, databases) to reuse across models and scenarios of a
        batch (filled here).
    keep : bool
        Record the project's state for a warm record (:attr:`Prepared.warm`) without
        ``solve`` too (a batch's plan, :mod:`pcf.batch.plan`).

    Returns
    -------
    Prepared

    Raises
    ------
    BackgroundError
        Background or method not installed (run ``pcf setup``), unknown method id.
    ModelError
        A link to the background does not resolve (``file:line``); with ``solve``, a
        foreground that cannot deliver its reference flow
        (:func:`pcf.lca.feasibility.check_foreground`), refused before the foreground database
        is written.
    CalculationError
        Singular technosphere matrix (background included).
    """
    bd = brightway()
    study = system.model.study
    spec = method_spec(study.method)
    if spec.name not in bd.methods:
        raise BackgroundError(f"method {spec.id!r} is not installed: run `pcf setup`")
    bg_info = background_info(study.background)
    links = Links.load(system)
    data, graph = link_foreground(system, links)
    used = [key for key in graph.links]  # every activity linked outside the foreground
    fg_keys = list(data)
    if solve:
        check_foreground(system, data, graph.database, graph.reference[1])  # before anything is written
    with locked() if solve else contextlib.nullcontext():  # another run may rewrite the foreground meanwhile
        if solve:
            write_foreground(system, data)
        warm = _warm_source(bd, spec, graph, used) if (solve or keep) and user_project() is None else None
        nodes = Nodes([Node(n.as_dict(), n.id, n.key) for n in (bd.get_node(database=k[0], code=k[1]) for k in used)])
        method_hash = method_sha256(bd, spec.name)
        full, cache_state = (characterised_background(bd, spec, [nodes.by_key[k] for k in used], method_hash,
                                                      cache) if used else (None, None))
        char = _compact(full, [nodes.by_key[k] for k in used])
        flows = _flows(bd, spec, data)
        score = stored_score(data, graph.reference, system.reference_amount, char, flows) if solve else None
        databases = {d: database_provenance(d) for d in sorted({k[0] for k in used} | {graph.background})}
        prepared = Prepared(
            spec=spec, method_description=bd.methods[spec.name].get("description"), background=bg_info,
            databases=databases, links=links, nodes=nodes, char=char, flows=flows, score=score,
            brightway_versions={d: dist_version(d) for d in ("bw2data", "bw2calc", "bw2io", "bw_processing")},
            method_sha256=method_hash, background_cache=cache_state, warm=warm,
        )
        prepared.foreground_nodes(data if not solve else _written(bd, fg_keys, data))
    return prepared


def _warm_source(bd, spec: MethodSpec, graph: ForegroundGraph, used: list) -> dict | None:
    """Where :func:`pcf.lca.warmcache.state` reads the project's state for this preparation, and
    that state now (before anything is read for it): the processed datapackages of the
    background and every database it and the linked ones depend on, and the method's."""
    bd.databases.clean()  # process edited databases first, as the background's cache key does
    linked = {k[0] for k in used} | {graph.background}
    names = sorted(set().union(*(bd.Database(d).find_graph_dependents() for d in linked)))
    project = Path(bd.projects.dir)
    try:
        processed = {n: Path(bd.Database(n).filepath_processed()).relative_to(project).as_posix() for n in names}
        method_processed = Path(bd.Method(spec.name).filepath_processed()).relative_to(project).as_posix()
    except ValueError:  # a datapackage outside the project folder: no warm record
        return None
    source = {"project": project, "processed": processed, "method_processed": method_processed}
    return {**source, "before": warmcache.state(**source)}


def warm_prepare(system: ProductSystem) -> Prepared | None:
    """The preparation of ``system`` from the record a former ``pcf footprint`` of it left
    (:mod:`pcf.lca.warmcache`), without bw2data: None when there is none, when the Brightway
    project changed since (a database, the method), when pcf changed, or when the model's
    foreground is not exactly what Brightway holds (then :func:`prepare` writes it).

    The foreground is linked again from the model with the record's links, checked
    (:func:`pcf.lca.feasibility.check_foreground`) and scored (:func:`stored_score`) as
    :func:`prepare` does; the background's intensities, the activities, flows, method and
    provenance are the record's.

    Raises
    ------
    ModelError
        As :func:`prepare`, for a model that cannot deliver its reference flow.
    """
    if user_project() is not None:
        return None
    study = system.model.study
    spec = method_spec(study.method)
    record = warmcache.load(warmcache.locate(foreground_name(system), spec.name, study.background))
    if record is None:
        return None
    prepared = record["prepared"]
    if prepared.spec != spec or prepared.links.suppliers:
        return None
    data, graph = link_foreground(system, prepared.links)
    meta = (warmcache.read_metadata(Path(record["project"])) or {}).get(graph.database, {})
    if (not foreground_written(system, data, meta) or list(graph.links) != list(prepared.char.index)
            or not _flow_keys(data) <= set(prepared.flows)):
        return None
    check_foreground(system, data, graph.database, graph.reference[1])
    score = stored_score(data, graph.reference, system.reference_amount, prepared.char, prepared.flows)
    prepared = replace(prepared, score=score, background_cache="warm", warm=None)
    prepared.foreground_nodes(data)
    return prepared


def remember(prepared: Prepared, system: ProductSystem) -> bool:
    """Keep ``prepared`` (after :func:`pcf.lca.calculate.evaluate` used it, so with every
    activity the reports asked for) for the next ``pcf footprint`` of ``system``
    (:func:`warm_prepare`), unless the project changed while it was prepared, the foreground
    draws on supplier footprints (written to Brightway on every run), or it is not a
    ``pcf footprint`` preparation in pcf's own project.

    Returns
    -------
    bool
        Whether a record was written.
    """
    warm = prepared.warm
    if warm is None or warm["before"] is None or prepared.links.suppliers or prepared.score is None:
        return False
    study = system.model.study
    path = warmcache.locate(foreground_name(system), prepared.spec.name, study.background)
    kept = replace(prepared, warm=None, score=None, background_cache=None)
    return warmcache.store(path, warm["project"], warm["processed"], warm["method_processed"], warm["before"], kept)


def _flow_keys(data: dict) -> set:
    """Biosphere keys the foreground ``data`` emits."""
    return {tuple(exc["input"]) for act in data.values() for exc in act["exchanges"] if exc["type"] == "biosphere"}


def characterised_background(bd, spec: MethodSpec, used: list[Node], method_hash: str,
                             cache: dict | None = None) -> tuple:
    """The characterisation of the databases of ``used`` (and all they depend on): from the
    batch's ``cache``, from the disk cache, or computed (one LU of ``A^T``) and cached.

    Returns
    -------
    (_Full, str)
        And where it came from (:attr:`Prepared.background_cache`).
    """
    databases = sorted({n.key[0] for n in used})
    memory_key = (spec.name, tuple(databases))
    if cache is not None and memory_key in cache:
        return cache[memory_key], "memory"
    key = bgcache.background_key(bd, databases, spec.name, method_hash)
    hit = bgcache.load(key)
    if hit is not None:
        full, state = _Full({int(i): c for c, i in enumerate(hit.ids.tolist())}, hit.intensity, hit.mass), "hit"
    else:
        state = "rebuilt" if bgcache.path_of(key).exists() else "miss"
        import bw2calc as bc

        fu, data_objs, _ = bd.prepare_lca_inputs(demand={n.id: 1.0 for n in used}, method=spec.name)
        lca = bc.LCA(demand=fu, data_objs=data_objs)
        lca.load_lci_data()
        lca.load_lcia_data()
        full = characterise(lca)
        ids = np.empty(len(full.col), dtype=np.int64)
        for node_id, c in full.col.items():
            ids[c] = node_id
        try:
            bgcache.store(key, bgcache.Cached(ids, full.intensity, full.mass))
        except OSError:  # a read-only PCF_HOME: computed every time, as before the cache
            state = "uncached"
    if cache is not None:
        cache[memory_key] = full
    return full, state


def stored_score(data: dict, reference: tuple, amount: float, char: Characterisation, flows: dict) -> float:
    """Score of the product system as Brightway stores and bw2calc solves it [kg CO2e].

    Brightway keeps every amount as float32 (bw_processing) and sums the entries of one matrix
    cell in float32; pcf's decomposition uses the model's float64 amounts. This is ``c^T B s``
    for the system as stored: the foreground block ``A_ff s_f = f`` with float32 amounts
    (summed per cell in float32, in exchange order), its direct flows characterised with
    float32 factors, plus the background it draws, ``-m_b^T A_bf s_f``, with the background's
    intensities ``m_b = A_bb^-T B_b^T c`` (:func:`characterise`; the background never draws on
    the foreground). Equal to bw2calc's ``LCA.score`` of the whole system up to rounding.

    Parameters
    ----------
    data : dict
        The foreground (:func:`pcf.graph.link_foreground`), scalar amounts.
    reference : tuple
        Key of the reference activity.
    amount : float
        Demand of it [its output unit].
    char : Characterisation
        Intensities of every background activity ``data`` draws on.
    flows : dict
        :class:`FlowInfo` of every biosphere flow ``data`` emits.

    Raises
    ------
    CalculationError
        The foreground block is singular.
    """
    col = {key: j for j, key in enumerate(data)}
    cells: dict = {}
    for j, act in enumerate(data.values()):
        for exc in act["exchanges"]:
            value = np.float32(exc["amount"])
            cell = (exc["type"] == "biosphere", tuple(exc["input"]), j)
            value = -value if exc["type"] == "technosphere" else value
            cells[cell] = cells[cell] + value if cell in cells else value
    n = len(col)
    rows, cols, values = [], [], []
    direct = np.zeros(n)
    total = char.total
    for (biosphere, target, j), value in cells.items():
        if biosphere:
            direct[j] += float(value) * float(np.float32(flows[target].cf))
        elif target in col:
            rows.append(col[target])
            cols.append(j)
            values.append(float(value))
        else:
            direct[j] -= float(value) * float(total[char.index[target]])
    f = np.zeros(n)
    f[col[tuple(reference)]] = amount
    s = _solve_block(n, rows, cols, values, f)
    score = float(s @ direct)
    if not math.isfinite(score):
        raise CalculationError(
            "the technosphere matrix is singular: a loop between processes consumes as much as "
            "it produces; check the outputs and inputs of the processes in the loop")
    return score


#: Foreground blocks up to this many nodes are solved dense (NumPy's LAPACK): importing
#: SciPy's sparse solvers would cost a warm ``pcf footprint`` (issue 18 part 3) more than the solve.
DENSE_BLOCK = 2000


def _solve_block(n: int, rows: list, cols: list, values: list, f: np.ndarray) -> np.ndarray:
    """``A^-1 f`` for the (n, n) matrix with entries ``values`` at ``(rows, cols)`` (repeated
    cells added); NaN when it is exactly singular."""
    if n <= DENSE_BLOCK:
        A = np.zeros((n, n))
        np.add.at(A, (np.asarray(rows, dtype=np.intp), np.asarray(cols, dtype=np.intp)), values)
        try:
            return np.linalg.solve(A, f)
        except np.linalg.LinAlgError:  # exactly singular
            return np.full(n, np.nan)
    from scipy.sparse import csc_matrix
    from scipy.sparse.linalg import splu

    try:
        return splu(csc_matrix((values, (rows, cols)), shape=(n, n))).solve(f)
    except RuntimeError:  # exactly singular
        return np.full(n, np.nan)


def _written(bd, keys: list, data: dict) -> dict:
    """``data`` as written (keys in order); the foreground keeps synthetic ids in memory."""
    return {k: data[k] for k in keys}


@dataclass(frozen=True)
class _Full:
    """Intensities of every activity of a bw2calc system (columns by node id)."""

    col: dict
    intensity: np.ndarray
    mass: np.ndarray


def characterise(lca) -> _Full:
    """Characterised intensities of every activity of a loaded bw2calc LCA.

    One sparse LU factorisation of ``A^T`` (:func:`pcf.lca.mcsolve.factorise_transpose`) and
    one solve per ISO 14067 category (and per biogenic CO2 mass): ``m_cat = A^-T B^T (c *
    mask_cat)`` [kg CO2e / unit].

    Parameters
    ----------
    lca : bw2calc.LCA
        With technosphere, biosphere and characterisation matrices loaded.

    Raises
    ------
    CalculationError
        The technosphere matrix is singular.
    """
    bd = brightway()
    A = lca.technosphere_matrix.tocsc()
    B = lca.biosphere_matrix.tocsc()
    c = np.asarray(lca.characterization_matrix.diagonal(), dtype=float)
    rows = lca.dicts.biosphere  # flow id -> row
    flows = _flow_data(bd, list(rows))
    categories = np.empty(len(rows), dtype=object)
    names = np.empty(len(rows), dtype=object)
    for fid, r in rows.items():
        categories[r] = flow_category(flows[fid])
        names[r] = flows[fid]["name"]
    columns = [B.T @ (c * (categories == cat)) for cat in GHG_CATEGORIES]
    columns += [B.T @ np.isin(names, [n for n, k in BIOGENIC_MASS_FLOWS.items() if k == key]).astype(float)
                for key in MASS_KEYS]
    from .mcsolve import factorise_transpose  # imports SciPy: not on a warm footprint's path

    lu = factorise_transpose(A)  # in the loops' block triangular order when they are small (fill-in)
    solved = np.column_stack([lu.solve(np.ascontiguousarray(v, dtype=float)) for v in columns])
    if not np.all(np.isfinite(solved)):
        raise CalculationError("the technosphere matrix is singular: a loop consumes as much as it produces")
    return _Full(dict(lca.dicts.activity), solved[:, :len(GHG_CATEGORIES)], solved[:, len(GHG_CATEGORIES):])


def _compact(full: _Full | None, nodes: list[Node]) -> Characterisation:
    """The rows of ``full`` for ``nodes`` (by key)."""
    if not nodes:
        return Characterisation({}, np.zeros((0, len(GHG_CATEGORIES))), np.zeros((0, len(MASS_KEYS))), np.zeros(0, bool))
    cols = [full.col[n.id] for n in nodes]
    return Characterisation(
        index={n.key: i for i, n in enumerate(nodes)},
        intensity=full.intensity[cols].copy(),
        mass=full.mass[cols].copy(),
        aircraft=np.array([bool(n.get("aircraft")) for n in nodes]),
        aircraft_part=(np.array([float(n.get("pcf_aircraft_per_unit") or 0.0) for n in nodes])
                       if any(n.get("pcf_aircraft_per_unit") for n in nodes) else None),
    )


def _flow_data(bd, ids: list[int]) -> dict:
    """Stored fields of biosphere flows by id, in a few queries."""
    from bw2data.backends import ActivityDataset as AD

    out = {}
    for start in range(0, len(ids), 500):
        for row in AD.select(AD.id, AD.data).where(AD.id.in_(ids[start:start + 500])):
            out[row.id] = row.data
    return out


def _flows(bd, spec: MethodSpec, data: dict) -> dict:
    """:class:`FlowInfo` of every biosphere flow the foreground emits."""
    keys = _flow_keys(data)
    if not keys:
        return {}
    cfs = dict(bd.Method(spec.name).load())
    out = {}
    for key in keys:
        node = bd.get_node(database=key[0], code=key[1])
        cf = cfs.get(node.id, cfs.get(key, 0.0))
        out[key] = FlowInfo(float(cf), flow_category(node), BIOGENIC_MASS_FLOWS.get(node["name"]))
    return out
