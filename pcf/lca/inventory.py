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
has a singular block: those rows are flagged, the others are unaffected.

References
----------
Heijungs R., Suh S. (2002) The Computational Structure of Life Cycle Assessment, Kluwer,
ch. 2 (the matrix method) and ch. 8 (structural path / contribution analysis).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import numpy as np
from scipy import sparse

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


def _summing(slots: list[int], groups: list[int], n_slots: int, n_groups: int) -> sparse.csr_matrix:
    """0/1 matrix that adds amount columns (slots) into groups: ``X @ M`` [n, groups]."""
    return sparse.csr_matrix((np.ones(len(slots)), (slots, groups)), shape=(n_slots, n_groups))


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
        ``(node, background key)`` of every background draw, each once (summed exchanges).
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
    edge_sum: sparse.csr_matrix     # slots -> edges
    pairs: list
    pair_sum: sparse.csr_matrix     # slots -> pairs
    pair_index: np.ndarray          # row of Characterisation per pair
    groups: list
    group_sum: sparse.csr_matrix    # slots -> groups
    group_cf: np.ndarray            # [kg CO2e / kg] per group
    group_mass: np.ndarray          # index into MASS_KEYS or -1, per group
    origin_slots: np.ndarray        # per origin entry: slot of its amount
    origin_group: np.ndarray        # per origin entry: its group
    origin_category: np.ndarray     # per origin entry: index into GHG_CATEGORIES
    blocks: list = field(repr=False)  # supply blocks: (nodes, internal edges, incoming external edges)

    @property
    def n(self) -> int:
        """Number of amount sets (variants)."""
        return self.amounts.shape[0]

    @classmethod
    def build(cls, data: dict, graph, char: Characterisation, flows: dict, n: int = 1) -> "Inventory":
        """Index a linked foreground (:func:`pcf.graph.link_foreground`).

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
        """
        fg = graph.database
        codes = [key[1] for key in data]
        node = {code: j for j, code in enumerate(codes)}
        slots: list = []

        def slot(amount) -> int:
            slots.append(amount)
            return len(slots) - 1

        production = np.full(len(codes), -1)
        edges, edge_slots, edge_of = [], [], []
        pairs, pair_slots, pair_of = [], [], []
        groups, group_slots, group_of = [], [], []
        edge_ids: dict[tuple, int] = {}
        pair_ids: dict[tuple, int] = {}
        group_ids: dict[tuple, int] = {}
        for j, (key, act) in enumerate(data.items()):
            for exc in act["exchanges"]:
                target, kind = tuple(exc["input"]), exc["type"]
                if kind == "production" and target == key:
                    production[j] = slot(exc["amount"])
                elif kind == "technosphere" and target[0] == fg:
                    e = edge_ids.setdefault((node[target[1]], j), len(edges))
                    if e == len(edges):
                        edges.append((node[target[1]], j))
                    edge_slots.append(slot(exc["amount"]))
                    edge_of.append(e)
                elif kind == "technosphere":
                    p = pair_ids.setdefault((j, target), len(pairs))
                    if p == len(pairs):
                        pairs.append((j, target))
                    pair_slots.append(slot(exc["amount"]))
                    pair_of.append(p)
                elif kind == "biosphere":
                    g = group_ids.setdefault((j, target), len(groups))
                    if g == len(groups):
                        groups.append((j, target))
                    group_slots.append(slot(exc["amount"]))
                    group_of.append(g)
                else:
                    raise ValueError(f"exchange type {kind!r} of {key} is not handled")
        # the model's origin of each direct flow decides its ISO 14067 category
        origin_slots, origin_group, origin_category = [], [], []
        for g, (j, flow) in enumerate(groups):
            for origin, amount in graph.origins.get((codes[j], flow), {}).items():
                origin_slots.append(slot(amount))
                origin_group.append(g)
                origin_category.append(GHG_CATEGORIES.index(ORIGIN_CATEGORY[origin]))
        stated = set(origin_group)
        for g, (j, flow) in enumerate(groups):  # no origin stated: the flow's own category, whole value
            if g not in stated:
                origin_slots.append(-1)
                origin_group.append(g)
                origin_category.append(GHG_CATEGORIES.index(flows[flow].category))

        amounts = np.empty((n, len(slots)))
        for i, a in enumerate(slots):
            amounts[:, i] = np.asarray(a, dtype=float)
        S = len(slots)
        inv = cls(
            codes=codes,
            processes=[act.get("pcf_process", key[1]) for key, act in data.items()],
            stages=[act["stage"] for act in data.values()],
            reference=node[graph.reference[1]],
            amounts=amounts,
            production=production,
            edges=edges,
            edge_sum=_summing(edge_slots, edge_of, S, len(edges)),
            pairs=pairs,
            pair_sum=_summing(pair_slots, pair_of, S, len(pairs)),
            pair_index=np.array([char.index[key] for _, key in pairs], dtype=int),
            groups=groups,
            group_sum=_summing(group_slots, group_of, S, len(groups)),
            group_cf=np.array([flows[f].cf for _, f in groups], dtype=float),
            group_mass=np.array([MASS_KEYS.index(flows[f].mass) if flows[f].mass else -1 for _, f in groups], dtype=int),
            origin_slots=np.array(origin_slots, dtype=int),
            origin_group=np.array(origin_group, dtype=int),
            origin_category=np.array(origin_category, dtype=int),
            blocks=_blocks(len(codes), edges),
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
        with np.errstate(all="ignore"):
            for nodes, internal, external in self.blocks:
                rhs = f[:, nodes].copy()
                for row, e in external:  # consumers outside the block, solved already
                    producer, consumer = self.edges[e]
                    rhs[:, row] += a[:, e] * s[:, consumer]
                if not internal and len(nodes) == 1:
                    s[:, nodes[0]] = rhs[:, 0] / p[:, nodes[0]]
                    continue
                M = np.zeros((n, len(nodes), len(nodes)))
                M[:, range(len(nodes)), range(len(nodes))] = p[:, nodes]
                for r, c, e in internal:
                    M[:, r, c] -= a[:, e]
                s[:, nodes] = _solve_rows(M, rhs)
        singular = ~np.isfinite(s).all(axis=1)
        s[singular] = 0.0

        drawn = np.asarray(X @ self.pair_sum) * s[:, [j for j, _ in self.pairs]] if self.pairs else np.zeros((n, 0))
        total_int = char.intensity[self.pair_index].sum(axis=1) if self.pairs else np.zeros(0)
        values = drawn * total_int
        ghg = drawn @ char.intensity[self.pair_index] if self.pairs else np.zeros((n, len(GHG_CATEGORIES)))
        mass = drawn @ char.mass[self.pair_index] if self.pairs else np.zeros((n, len(MASS_KEYS)))
        aircraft = values[:, char.aircraft[self.pair_index]].sum(axis=1) if self.pairs else np.zeros(n)
        if self.pairs and char.aircraft_part is not None:
            aircraft = aircraft + drawn @ char.aircraft_part[self.pair_index]

        group_nodes = np.array([j for j, _ in self.groups], dtype=int)
        emitted = np.asarray(X @ self.group_sum) * s[:, group_nodes] if self.groups else np.zeros((n, 0))  # [kg]
        direct_values = emitted * self.group_cf
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
        names = list(dict.fromkeys(self.stages))
        stages = {name: np.zeros(n) for name in names}
        for j, stage in enumerate(self.stages):
            stages[stage] += direct[:, j] + drawn_kg[:, j]
        total = sum(stages.values()) if stages else np.zeros(n)
        return Solution(supply=s, singular=singular, direct=direct, drawn=drawn, values=values,
                        background=drawn_kg, ghg={cat: ghg[:, k] for k, cat in enumerate(GHG_CATEGORIES)},
                        aircraft=aircraft, biogenic={key: mass[:, k] for k, key in enumerate(MASS_KEYS)},
                        stages=stages, total=total)

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
        Variants whose foreground block is singular (a loop consuming what it makes).
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


def _blocks(m: int, edges: list) -> list:
    """Strongly connected components of the foreground, consumers before producers, with the
    edges inside each (``(row, col, edge)``) and those coming from consumers outside it
    (``(row, edge)``)."""
    g = nx.DiGraph()
    g.add_nodes_from(range(m))
    g.add_edges_from((consumer, producer) for producer, consumer in edges)
    cond = nx.condensation(g)
    blocks = []
    for c in nx.topological_sort(cond):
        nodes = sorted(cond.nodes[c]["members"])
        pos = {j: r for r, j in enumerate(nodes)}
        internal, external = [], []
        for e, (producer, consumer) in enumerate(edges):
            if producer in pos and consumer in pos:
                internal.append((pos[producer], pos[consumer], e))
            elif producer in pos:
                external.append((pos[producer], e))
        blocks.append((nodes, internal, external))
    return blocks


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
