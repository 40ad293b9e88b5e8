"""The foreground as arrays: supply and the exact decomposition of the footprint, for one set
of amounts (``pcf footprint``) or for many at once (``pcf batch``).

The background never draws on the foreground, so the footprint of a product system is fixed
by the foreground amounts and the characterised intensity of every background activity,
``m = A^-T B^T c`` [kg CO2e / unit] (:mod:`pcf.lca.prepare`). With ``p_j`` the output of
foreground process ``j`` per run, ``a_jk`` how much of ``j`` process ``k`` consumes per run
and ``f`` the demand (the reference flow), the supply ``s`` solves the foreground block

    p_j s_j - sum_k a_jk s_k = f_j

and the footprint splits exactly into what each process emits itself (``s_j`` times its
amounts of each flow times the flow's characterisation factor) and what it draws from each
background activity (``s_j`` times the amount times ``m``). Both are linear in the amounts, so
every quantity below is computed for ``n`` amount sets at once: arrays of shape ``(n, ...)``.

The supply is solved block by block: the foreground graph's strongly connected components in
topological order (consumers first); a process outside any loop costs one vector operation,
a loop one batched dense solve of its own size. A loop that consumes at least what it makes
(singular, ill-conditioned or not productive) or a negative supply flags its rows
(:mod:`pcf.lca.feasibility`); the others are unaffected.

References
----------
Heijungs R., Suh S. (2002) The Computational Structure of Life Cycle Assessment, Kluwer,
ch. 2 (the matrix method) and ch. 8 (structural path / contribution analysis).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .feasibility import blocks as _blocks, coefficients, loop_multiplier, loop_refused, negative_supply
from .result import GHG_CATEGORIES

MASS_KEYS = ("co2_emissions_kg", "co2_removals_kg")
"""Biogenic CO2 masses tracked next to the GHG categories [kg CO2]."""


@dataclass(frozen=True)
class Characterisation:
    """Characterised intensities of background activities.

    Attributes
    ----------
    index : dict
        Activity key ``(database, code)`` -> row of the arrays.
    intensity : numpy.ndarray, shape (k, 4)
        Per ISO 14067 category (:data:`pcf.lca.result.GHG_CATEGORIES`) [kg CO2e / unit].
    mass : numpy.ndarray, shape (k, 2)
        Biogenic CO2 emitted and taken up (:data:`MASS_KEYS`) [kg CO2 / unit].
    aircraft : numpy.ndarray of bool, shape (k,)
        Activities flagged ``aircraft`` (ISO 14067:2018 7.3 e).
    aircraft_part : numpy.ndarray, shape (k,), optional
        Aircraft emissions inside an activity that is not flagged whole, e.g. a supplier
        footprint's ``aircraftGhgEmissions`` [kg CO2e / unit]; None when there are none.
    """

    index: dict
    intensity: np.ndarray
    mass: np.ndarray
    aircraft: np.ndarray
    aircraft_part: np.ndarray | None = None

    @property
    def total(self) -> np.ndarray:
        """Total characterised intensity [kg CO2e / unit], shape (k,)."""
        return self.intensity.sum(axis=1)


@dataclass(frozen=True)
class FlowInfo:
    """A biosphere flow of the foreground: characterisation factor ``cf`` [kg CO2e / kg], its
    ISO 14067 ``category``, and which biogenic CO2 mass it counts in (``mass``, or None)."""

    cf: float
    category: str
    mass: str | None = None


def _in_order(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``x @ weights``, shape (n, k) @ (k, c), summed term by term in the order of ``k`` for
    every row (the same bits for a row whatever ``n`` is). Computed on ``x``'s transpose, whose
    rows are contiguous (a column of ``x`` is read with a stride of ``k`` numbers): the same
    products and sums in the same order, a quarter of the time for 25,000 rows."""
    xt = np.ascontiguousarray(x.T)
    out = np.zeros((weights.shape[1], x.shape[0]))
    for q in range(x.shape[1]):
        out += xt[q] * weights[q][:, None]
    return np.ascontiguousarray(out.T)


class Summing:
    """The 0/1 matrix ``M`` (slots x groups) that adds amount columns (slots) into groups:
    ``X @ M`` [n, groups] for ``X`` (n, slots) or (slots,), and ``M.T @ Y`` for ``Y`` (slots, n).

    Each group's amounts are added one by one in slot order, starting from 0, whatever the
    shape of ``X`` (the order of SciPy's sparse products, which this replaced: a variant gets
    the same bits alone or among many), with NumPy only (importing ``scipy.sparse`` was a fifth
    of a warm ``pcf footprint``, issue 18 part 3).

    Parameters
    ----------
    slots, groups : list of int
        Slot and group of each entry of the matrix (a repeated pair counts twice).
    n_slots, n_groups : int
        Its shape.
    """

    __array_ufunc__ = None  # ``ndarray @ Summing`` calls :meth:`__rmatmul__`

    def __init__(self, slots: list[int], groups: list[int], n_slots: int, n_groups: int):
        slots, groups = np.asarray(slots, dtype=np.intp), np.asarray(groups, dtype=np.intp)
        order = np.lexsort((slots, groups))  # by group, then slot
        slots, groups = slots[order], groups[order]
        rank = np.arange(len(groups)) - np.searchsorted(groups, groups)  # position within its group
        self.shape = (n_slots, n_groups)
        self.layers = [(groups[rank == k], slots[rank == k]) for k in range(int(rank.max(initial=-1)) + 1)]

    def __rmatmul__(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        out = np.zeros(X.shape[:-1] + (self.shape[1],), order="F" if X.flags.f_contiguous else "C")
        for groups, slots in self.layers:  # groups are distinct within a layer
            out[..., groups] += X[..., slots]
        return out

    @property
    def T(self) -> "_Transposed":
        """``M.T``: ``M.T @ Y`` for ``Y`` (slots, n) is ``(Y.T @ M).T`` (groups, n)."""
        return _Transposed(self)


class _Transposed:
    __array_ufunc__ = None

    def __init__(self, summing: Summing):
        self.summing = summing

    def __matmul__(self, Y) -> np.ndarray:
        return np.moveaxis(np.moveaxis(np.asarray(Y, dtype=float), 0, -1) @ self.summing, -1, 0)


@dataclass
class Inventory:
    """A linked foreground as index arrays over a matrix of amounts.

    Build with :meth:`build`; solve with :meth:`solve`.

    Attributes
    ----------
    codes : list of str
        Foreground node codes (the process ids and co-product ids), in the order written.
    processes, stages : list of str
        The model process and life-cycle stage of each node.
    reference : int
        Node of the reference flow.
    amounts : numpy.ndarray, shape (n, slots)
        Every exchange amount of every variant [per run of the process, in the target's unit].
    pairs : list of tuple
        ``(node, background key)`` of every background draw, each once per reporting stage
        (summed exchanges).
    pair_stages : list of str
        The life-cycle stage each pair's burden is reported in: the input's own ``stage:``
        (exchange field ``pcf_stage``) or its node's stage.
    groups : list of tuple
        ``(node, flow key)`` of every direct elementary flow, each once.
    """

    codes: list
    processes: list
    stages: list
    reference: int
    amounts: np.ndarray
    production: np.ndarray          # slot of each node's production exchange, (m,)
    edges: list                     # (producer, consumer) foreground edges
    edge_sum: Summing               # slots -> edges
    pairs: list
    pair_sum: Summing               # slots -> pairs
    pair_index: np.ndarray          # row of Characterisation per pair
    pair_stages: list               # stage each pair is reported in
    groups: list
    group_sum: Summing              # slots -> groups
    group_cf: np.ndarray            # [kg CO2e / kg] per group
    group_mass: np.ndarray          # index into MASS_KEYS or -1, per group
    origin_slots: np.ndarray        # per origin entry: slot of its amount
    origin_group: np.ndarray        # per origin entry: its group
    origin_category: np.ndarray     # per origin entry: index into GHG_CATEGORIES
    group_category: np.ndarray      # per group: index into GHG_CATEGORIES of the flow's own category
    blocks: list = field(repr=False)  # supply blocks: (nodes, internal edges, incoming external edges)

    @property
    def n(self) -> int:
        """Number of amount sets (variants)."""
        return self.amounts.shape[0]

    @classmethod
    def build(cls, data: dict, graph, char: Characterisation, flows: dict, n: int = 1) -> "Inventory":
        """Index a linked foreground (:func:`pcf.graph.link_foreground`).

        Exchanges are indexed by :func:`_index_exchanges`, the origins of direct flows by
        :func:`_origin_entries`.

        Parameters
        ----------
        data : dict
            ``(database, code) -> activity``; exchange amounts are floats, or arrays of
            ``n`` variants.
        graph : ForegroundGraph
            For ``origins`` (how the model split each direct flow by origin).
        char : Characterisation
            Must know every background activity ``data`` draws on.
        flows : dict
            Biosphere key -> :class:`FlowInfo` for every flow ``data`` emits.
        n : int
            Number of variants.

        Raises
        ------
        KeyError
            A background activity or flow that ``char`` / ``flows`` does not know.
        ValueError
            An exchange type that is not handled, or a node without a production exchange.
        """
        codes = [key[1] for key in data]
        data_stages = [act["stage"] for act in data.values()]
        node = {code: j for j, code in enumerate(codes)}
        slots: list = []
        production, edges, pairs, groups = _index_exchanges(data, graph.database, node, slots)
        origin_slots, origin_group, origin_category = _origin_entries(groups.items, codes, graph.origins, flows, slots)
        amounts = np.empty((n, len(slots)), order="F")  # an amount's variants contiguous: filled and read by column
        for i, a in enumerate(slots):
            amounts[:, i] = np.asarray(a, dtype=float)
        S = len(slots)
        inv = cls(
            codes=codes,
            processes=[act.get("pcf_process", key[1]) for key, act in data.items()],
            stages=data_stages,
            reference=node[graph.reference[1]],
            amounts=amounts,
            production=production,
            edges=edges.items,
            edge_sum=edges.summing(S),
            pairs=pairs.items,
            pair_sum=pairs.summing(S),
            pair_index=np.array([char.index[key] for _, key in pairs.items], dtype=int),
            pair_stages=[tag or data_stages[j] for (j, _), tag in zip(pairs.items, pairs.tags)],
            groups=groups.items,
            group_sum=groups.summing(S),
            group_cf=np.array([flows[f].cf for _, f in groups.items], dtype=float),
            group_mass=np.array([MASS_KEYS.index(flows[f].mass) if flows[f].mass else -1 for _, f in groups.items], dtype=int),
            origin_slots=np.array(origin_slots, dtype=int),
            origin_group=np.array(origin_group, dtype=int),
            origin_category=np.array(origin_category, dtype=int),
            group_category=np.array([GHG_CATEGORIES.index(flows[f].category) for _, f in groups.items], dtype=int),
            blocks=_blocks(len(codes), edges.items),
        )
        if (production < 0).any():
            raise ValueError(f"foreground node {codes[int(np.argmin(production))]!r} has no production exchange")
        return inv

    def solve(self, reference_amount, char: Characterisation) -> "Solution":
        """Supply and decomposition of every variant.

        Parameters
        ----------
        reference_amount : float or numpy.ndarray, shape (n,)
            The reference flow [in the reference process's output unit].
        char : Characterisation
            The one :meth:`build` was given.

        Returns
        -------
        Solution
        """
        X = self.amounts
        n, m = self.n, len(self.codes)
        p = X[:, self.production]
        a = np.asarray(X @ self.edge_sum) if self.edges else np.zeros((n, 0))
        f = np.zeros((n, m))
        f[:, self.reference] = reference_amount
        s = np.zeros((n, m))
        refused = np.zeros(n, dtype=bool)
        multiplier = np.ones(n)
        with np.errstate(all="ignore"):
            for nodes, internal, external in self.blocks:
                rhs = f[:, nodes].copy()
                for row, e in external:  # consumers outside the block, solved already
                    producer, consumer = self.edges[e]
                    rhs[:, row] += a[:, e] * s[:, consumer]
                if not internal and len(nodes) == 1:
                    s[:, nodes[0]] = rhs[:, 0] / p[:, nodes[0]]
                    continue
                C = coefficients(p, a, nodes, internal)
                refused |= loop_refused(C)
                multiplier = np.maximum(multiplier, loop_multiplier(C))
                M = np.zeros((n, len(nodes), len(nodes)))
                M[:, range(len(nodes)), range(len(nodes))] = p[:, nodes]
                for r, c, e in internal:
                    M[:, r, c] -= a[:, e]
                s[:, nodes] = _solve_rows(M, rhs)
        singular = refused | ~np.isfinite(s).all(axis=1) | negative_supply(s)
        s[singular] = 0.0

        drawn = np.asarray(X @ self.pair_sum) * s[:, [j for j, _ in self.pairs]] if self.pairs else np.zeros((n, 0))
        total_int = char.intensity[self.pair_index].sum(axis=1) if self.pairs else np.zeros(0)
        values = drawn * total_int
        # sums in pair order, row by row: a variant gets the same bits alone or among many (a
        # matrix product sums in an order that depends on the number of rows)
        ghg = _in_order(drawn, char.intensity[self.pair_index])
        mass = _in_order(drawn, char.mass[self.pair_index])
        aircraft = _in_order(values[:, char.aircraft[self.pair_index]], np.ones((int(char.aircraft[self.pair_index].sum()), 1)))[:, 0]
        if self.pairs and char.aircraft_part is not None:
            aircraft = aircraft + _in_order(drawn, char.aircraft_part[self.pair_index][:, None])[:, 0]

        group_nodes = np.array([j for j, _ in self.groups], dtype=int)
        emitted = np.asarray(X @ self.group_sum) * s[:, group_nodes] if self.groups else np.zeros((n, 0))  # [kg]
        direct_values = emitted * self.group_cf
        by_flow = ghg.copy()
        for g, cat in enumerate(self.group_category):
            by_flow[:, cat] += direct_values[:, g]
        for k in range(len(self.origin_slots)):
            g, cat, sl = self.origin_group[k], self.origin_category[k], self.origin_slots[k]
            part = direct_values[:, g] if sl < 0 else X[:, sl] * self.group_cf[g] * s[:, group_nodes[g]]
            ghg[:, cat] += part
        for g, mk in enumerate(self.group_mass):
            if mk >= 0:
                mass[:, mk] += emitted[:, g]

        direct = np.zeros((n, m))
        drawn_kg = np.zeros((n, m))
        for g, (j, _) in enumerate(self.groups):
            direct[:, j] += direct_values[:, g]
        for q, (j, _) in enumerate(self.pairs):
            drawn_kg[:, j] += values[:, q]
        names = list(dict.fromkeys(self.stages + self.pair_stages))
        stages = {name: np.zeros(n) for name in names}
        for j, stage in enumerate(self.stages):
            stages[stage] += direct[:, j]
        for q, stage in enumerate(self.pair_stages):
            stages[stage] += values[:, q]
        total = sum(stages.values()) if stages else np.zeros(n)
        return Solution(supply=s, singular=singular, direct=direct, drawn=drawn, values=values,
                        background=drawn_kg, ghg={cat: ghg[:, k] for k, cat in enumerate(GHG_CATEGORIES)},
                        ghg_by_flow={cat: by_flow[:, k] for k, cat in enumerate(GHG_CATEGORIES)},
                        aircraft=aircraft, biogenic={key: mass[:, k] for k, key in enumerate(MASS_KEYS)},
                        stages=stages, total=total, multiplier=multiplier)

    def foreground_intensity(self, row: int, char: Characterisation) -> np.ndarray:
        """Characterised intensity of every foreground node for one variant
        [kg CO2e / unit of the node's product], by the transposed solve of the foreground block
        ``A_ff^T m_f = e`` (``e``: each node's own emissions and background draws per run).

        Raises
        ------
        numpy.linalg.LinAlgError
            Singular foreground block.
        """
        X = self.amounts[row]
        m = len(self.codes)
        A = np.zeros((m, m))
        A[range(m), range(m)] = X[self.production]
        if self.edges:
            a = np.asarray(X @ self.edge_sum).ravel()
            for e, (producer, consumer) in enumerate(self.edges):
                A[producer, consumer] -= a[e]
        e = np.zeros(m)
        if self.pairs:
            per_run = np.asarray(X @ self.pair_sum).ravel() * char.intensity[self.pair_index].sum(axis=1)
            np.add.at(e, [j for j, _ in self.pairs], per_run)
        if self.groups:
            per_run = np.asarray(X @ self.group_sum).ravel() * self.group_cf
            np.add.at(e, [j for j, _ in self.groups], per_run)
        return np.linalg.solve(A.T, e)

    def foreground_intensities(self, char: Characterisation) -> np.ndarray:
        """:meth:`foreground_intensity` of every variant at once, shape (n, nodes): the same
        operations per variant (one batched solve of the transposed blocks).

        Raises
        ------
        numpy.linalg.LinAlgError
            A singular foreground block.
        """
        X = self.amounts
        n, m = X.shape[0], len(self.codes)
        A = np.zeros((n, m, m))
        A[:, range(m), range(m)] = X[:, self.production]
        if self.edges:
            a = np.asarray(self.edge_sum.T @ X.T).T
            for e, (producer, consumer) in enumerate(self.edges):
                A[:, producer, consumer] -= a[:, e]
        e = np.zeros((n, m))
        if self.pairs:
            per_run = np.asarray(self.pair_sum.T @ X.T).T * char.intensity[self.pair_index].sum(axis=1)
            for q, (j, _) in enumerate(self.pairs):
                e[:, j] += per_run[:, q]
        if self.groups:
            per_run = np.asarray(self.group_sum.T @ X.T).T * self.group_cf
            for g, (j, _) in enumerate(self.groups):
                e[:, j] += per_run[:, g]
        return np.linalg.solve(np.swapaxes(A, 1, 2), e[:, :, None])[:, :, 0]


ORIGIN_CATEGORY = {"fossil": "fossil", "biogenic": "biogenic_emissions", "land_use": "dluc",
                   "removal": "biogenic_removals"}
"""Model origin of a direct flow -> ISO 14067 category."""


@dataclass
class Solution:
    """Supply and decomposition of ``n`` variants (arrays with the variant first).

    Attributes
    ----------
    supply : numpy.ndarray, shape (n, m)
        Runs of every foreground node per reference flow [-]; 0 for singular rows.
    singular : numpy.ndarray of bool, shape (n,)
        Variants that cannot deliver their reference flow (:mod:`pcf.lca.feasibility`): a
        loop that uses at least what it makes (singular, ill-conditioned or not productive),
        or a negative supply of a process.
    direct : numpy.ndarray, shape (n, m)
        Each node's own emissions and removals [kg CO2e / reference flow].
    drawn : numpy.ndarray, shape (n, pairs)
        Amount each (node, background activity) pair draws [unit / reference flow].
    values : numpy.ndarray, shape (n, pairs)
        Its footprint [kg CO2e / reference flow].
    background : numpy.ndarray, shape (n, m)
        Each node's background draws summed [kg CO2e / reference flow].
    ghg : dict of str to numpy.ndarray
        ISO 14067:2018 7.3 categories [kg CO2e / reference flow]; they sum to ``total``.
    aircraft : numpy.ndarray
        Of which aircraft [kg CO2e / reference flow].
    biogenic : dict of str to numpy.ndarray
        Biogenic CO2 emitted and taken up [kg CO2 / reference flow].
    stages : dict of str to numpy.ndarray
        Per life-cycle stage [kg CO2e / reference flow].
    total : numpy.ndarray
        [kg CO2e / reference flow].
    multiplier : numpy.ndarray, shape (n,)
        The largest loop multiplier of the foreground [-]
        (:func:`pcf.lca.feasibility.loop_multiplier`; 1 without loops).
    ghg_by_flow : dict of str to numpy.ndarray
        The same categories by each elementary flow's own category
        (:func:`pcf.lca.prepare.flow_category`), ignoring the model's ``origin`` of direct
        flows (an N2O emission stated ``land_use`` stays fossil): what a method that
        classifies by flow reports (the EF 3.1 sub-indicators) [kg CO2e / reference flow].
    """

    supply: np.ndarray
    singular: np.ndarray
    direct: np.ndarray
    drawn: np.ndarray
    values: np.ndarray
    background: np.ndarray
    ghg: dict
    aircraft: np.ndarray
    biogenic: dict
    stages: dict
    total: np.ndarray
    multiplier: np.ndarray | None = None
    ghg_by_flow: dict | None = None


@dataclass
class _Indexed:
    """Distinct entries of one kind (foreground edges, background pairs or flow groups), each
    once per ``tag`` (background pairs: the stage an input states, else None), and per
    exchange its amount slot and its entry."""

    items: list = field(default_factory=list)
    tags: list = field(default_factory=list)
    slots: list[int] = field(default_factory=list)
    of: list[int] = field(default_factory=list)
    ids: dict[tuple, int] = field(default_factory=dict)

    def add(self, item: tuple, slot: int, tag=None) -> None:
        """Record an exchange of ``item`` (with ``tag``) whose amount is in column ``slot``."""
        e = self.ids.setdefault((item, tag), len(self.items))
        if e == len(self.items):
            self.items.append(item)
            self.tags.append(tag)
        self.slots.append(slot)
        self.of.append(e)

    def summing(self, n_slots: int) -> Summing:
        """0/1 matrix adding the amount columns into the entries (:class:`Summing`)."""
        return Summing(self.slots, self.of, n_slots, len(self.items))


def _slot(slots: list, amount) -> int:
    """Append ``amount`` (a float or an array of variants) as a new amount column; its index."""
    slots.append(amount)
    return len(slots) - 1


def _index_exchanges(data: dict, fg: str, node: dict[str, int],
                     slots: list) -> tuple[np.ndarray, _Indexed, _Indexed, _Indexed]:
    """Index every exchange of the foreground, appending its amount to ``slots``.

    Parameters
    ----------
    data : dict
        ``(database, code) -> activity`` (:func:`pcf.graph.link_foreground`).
    fg : str
        The foreground database.
    node : dict of str to int
        Code -> node index.
    slots : list
        Amount columns, appended to.

    Returns
    -------
    production : numpy.ndarray of int
        Slot of each node's production exchange (-1 where it has none).
    edges, pairs, groups : _Indexed
        Foreground edges ``(producer, consumer)``, background draws ``(node, key)`` and direct
        elementary flows ``(node, flow key)``.

    Raises
    ------
    ValueError
        An exchange type that is not handled.
    """
    production = np.full(len(node), -1)
    edges, pairs, groups = _Indexed(), _Indexed(), _Indexed()
    for j, (key, act) in enumerate(data.items()):
        for exc in act["exchanges"]:
            target, kind = tuple(exc["input"]), exc["type"]
            if kind == "production" and target == key:
                production[j] = _slot(slots, exc["amount"])
            elif kind == "technosphere" and target[0] == fg:
                edges.add((node[target[1]], j), _slot(slots, exc["amount"]))
            elif kind == "technosphere":
                pairs.add((j, target), _slot(slots, exc["amount"]), exc.get("pcf_stage"))
            elif kind == "biosphere":
                groups.add((j, target), _slot(slots, exc["amount"]))
            else:
                raise ValueError(f"exchange type {kind!r} of {key} is not handled")
    return production, edges, pairs, groups


def _origin_entries(groups: list, codes: list, origins: dict, flows: dict,
                    slots: list) -> tuple[list[int], list[int], list[int]]:
    """The ISO 14067 category of each direct flow: the model's origin split where it states
    one (amounts appended to ``slots``), otherwise the flow's own category for the whole value
    (slot -1).

    Returns
    -------
    origin_slots, origin_group, origin_category : list of int
        Per origin entry: the slot of its amount, its group, its index into ``GHG_CATEGORIES``.

    Raises
    ------
    KeyError
        A flow ``flows`` does not know.
    """
    origin_slots, origin_group, origin_category = [], [], []
    for g, (j, flow) in enumerate(groups):
        for origin, amount in origins.get((codes[j], flow), {}).items():
            origin_slots.append(_slot(slots, amount))
            origin_group.append(g)
            origin_category.append(GHG_CATEGORIES.index(ORIGIN_CATEGORY[origin]))
    stated = set(origin_group)
    for g, (j, flow) in enumerate(groups):  # no origin stated: the flow's own category, whole value
        if g not in stated:
            origin_slots.append(-1)
            origin_group.append(g)
            origin_category.append(GHG_CATEGORIES.index(flows[flow].category))
    return origin_slots, origin_group, origin_category


def _solve_rows(M: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve ``M[i] x[i] = rhs[i]`` for every row; singular rows give NaN."""
    try:
        return np.linalg.solve(M, rhs[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        out = np.full(rhs.shape, np.nan)
        for i in range(M.shape[0]):
            try:
                out[i] = np.linalg.solve(M[i], rhs[i])
            except np.linalg.LinAlgError:
                pass
        return out
