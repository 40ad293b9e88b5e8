"""Refuse product systems that cannot exist, before anything is computed or written.

A foreground process ``k`` makes ``p_k`` units of its product per run and uses ``a_jk`` units
of the product of foreground process ``j``. Per unit made, it needs ``C_jk = a_jk / p_k``
[unit of j / unit of k] of ``j``: the *input coefficients* of the foreground. The supply that
delivers the reference flow ``f`` solves ``(I - C) x = f`` (``x``: units made of each
product). pcf refuses, with the processes and their ``file:line``:

- **a loop that uses at least what it makes.** For non-negative coefficients the system is
  productive, i.e. ``(I - C)^-1`` exists and is non-negative so every process runs a
  non-negative number of times, if and only if the spectral radius ``rho(C) < 1``
  (Hawkins-Simon condition; Perron-Frobenius). For a single loop of ``k`` processes
  ``rho^k`` is the loop's gain ``g``, the product of its coefficients: A uses 3 kg B per kg A
  and B uses 0.5 kg A per kg B gives ``g = 3 x 0.5 = 1.5`` kg A used per kg A made, and
  ``rho = sqrt(1.5)``. The supply of a loop is multiplied by the geometric
  series ``1 + g + g^2 + ... = 1 / (1 - g)``; it does not converge for ``g >= 1``: a 1:1 loop
  is singular, a loop with ``g > 1`` gives a negative supply and a negative footprint.
- **a singular or ill-conditioned loop**: a loop multiplier ``M = 1 / min |1 - lambda|`` over
  the eigenvalues ``lambda`` of the loop's coefficients above ``1 / PRODUCTIVE_MARGIN``
  (:func:`loop_multiplier`; ``1 / (1 - rho)`` for non-negative coefficients, so the first
  rule implies it there). Eigenvalues do not change when a process's unit changes (a
  diagonal similarity), so neither does the test.
- **a negative supply** of any foreground process (possible with negative input amounts):
  a process that runs backwards.

Threshold ``PRODUCTIVE_MARGIN = 1e-6``: ``rho >= 1 - 1e-6`` is refused. For one loop of ``k``
processes ``rho = g^(1/k)``, so this refuses gains ``g >= (1 - 1e-6)^k ~ 1 - k x 1e-6``.
Brightway stores matrix amounts as float32 (relative rounding ``2^-24 ~ 6e-8`` per amount), so
rounding alone moves the gain of a ``k``-step loop by up to ``k x 6e-8``: within ``k x 1e-6``
of 1 (a safety factor of 16 over that rounding), whether the system is productive at all,
and the sign of its footprint, would be decided by rounding; its supply is multiplied by
``1 / (1 - g) >= 10^6 / k``. Below the threshold pcf's own float64 solution is kept, and its
check against bw2calc's float32 solution allows ``1e-6 x M`` (:func:`loop_multiplier`,
:func:`pcf.lca.calculate.evaluate`).

References
----------
Hawkins D., Simon H. A. (1949) Note: some conditions of macroeconomic stability.
Econometrica 17(3/4), 245-248, doi:10.2307/1905526.
Heijungs R., Suh S. (2002) The Computational Structure of Life Cycle Assessment, Kluwer,
ch. 2 and 5 (the matrix method, loops and the Leontief inverse).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from ..core.codec import first_non_finite
from ..core.errors import ModelError
from ..model import ProductSystem

PRODUCTIVE_MARGIN = 1e-6
"""A loop whose input coefficients have spectral radius ``>= 1 - PRODUCTIVE_MARGIN``, or an
eigenvalue within it of 1, is refused (module docstring: float32 storage in Brightway)."""

NEGATIVE_SUPPLY_TOLERANCE = 1e-9
"""A supply below ``-NEGATIVE_SUPPLY_TOLERANCE`` times the largest supply of the system is
negative (smaller values are rounding of a true zero)."""

MAX_CYCLES = 10_000
"""Simple cycles examined to name the worst loop of a block (the count grows exponentially
with a block's size; the spectral test itself looks at the whole block)."""


def blocks(m: int, edges: list) -> list:
    """Strongly connected components of the foreground, consumers before producers, with the
    edges inside each (``(row, col, edge)``) and those coming from consumers outside it
    (``(row, edge)``).

    Parameters
    ----------
    m : int
        Number of foreground nodes.
    edges : list of tuple
        ``(producer, consumer)`` node pairs, each once.

    A foreground without loops (most) is ordered here, each node its own block; only one with a
    loop imports networkx for its components (a third of a second of every footprint's start-up
    otherwise). The order among blocks that do not draw on each other does not change a
    solution: each block is solved from its consumers' supplies only.
    """
    order = _acyclic_order(m, edges)
    if order is not None:
        groups = [[j] for j in order]
    else:
        import networkx as nx

        g = nx.DiGraph()
        g.add_nodes_from(range(m))
        g.add_edges_from((consumer, producer) for producer, consumer in edges)
        cond = nx.condensation(g)
        groups = [sorted(cond.nodes[c]["members"]) for c in nx.topological_sort(cond)]
    out = []
    for nodes in groups:
        pos = {j: r for r, j in enumerate(nodes)}
        internal, external = [], []
        for e, (producer, consumer) in enumerate(edges):
            if producer in pos and consumer in pos:
                internal.append((pos[producer], pos[consumer], e))
            elif producer in pos:
                external.append((pos[producer], e))
        out.append((nodes, internal, external))
    return out


def _acyclic_order(m: int, edges: list) -> list | None:
    """Nodes consumers first (Kahn's algorithm on consumer -> producer edges), or None when the
    foreground has a loop (a self-loop included)."""
    waiting = [0] * m  # consumers of each node not yet placed
    producers: list[list] = [[] for _ in range(m)]
    for producer, consumer in edges:
        waiting[producer] += 1
        producers[consumer].append(producer)
    ready = [j for j in range(m) if waiting[j] == 0]
    order = []
    while ready:
        j = ready.pop()
        order.append(j)
        for producer in producers[j]:
            waiting[producer] -= 1
            if waiting[producer] == 0:
                ready.append(producer)
    return order if len(order) == m else None


def coefficients(p: np.ndarray, a: np.ndarray, nodes: list, internal: list) -> np.ndarray:
    """Input coefficients of one block for ``n`` variants, ``C[i, r, c]`` [unit of node r /
    unit of node c made].

    Parameters
    ----------
    p : numpy.ndarray, shape (n, m)
        Production amount of every node per run.
    a : numpy.ndarray, shape (n, edges)
        Amount of each edge per run of its consumer.
    nodes, internal
        A block of :func:`blocks`.
    """
    C = np.zeros((p.shape[0], len(nodes), len(nodes)))
    with np.errstate(all="ignore"):
        for r, c, e in internal:
            C[:, r, c] += a[:, e] / p[:, nodes[c]]
    return C


def loop_multiplier(C: np.ndarray) -> np.ndarray:
    """How many times a loop multiplies what flows through it, ``M = 1 / min_i |1 - lambda_i|``
    over the eigenvalues ``lambda_i`` of its input coefficients [-]; ``inf`` for a singular or
    non-finite block.

    For non-negative coefficients with spectral radius ``rho < 1`` this is ``1 / (1 - rho)``,
    the sum ``1 + rho + rho^2 + ...`` (for one loop of ``k`` processes and gain ``g``,
    ``rho = g^(1/k)``; the loop's first process runs ``1 / (1 - g) <= M`` times per unit
    delivered). It does not change with the processes' units, and a relative error ``e`` of
    the amounts moves the supply by up to about ``M e`` (the loop's condition).

    Parameters
    ----------
    C : numpy.ndarray, shape (n, k, k)
        :func:`coefficients`.

    Returns
    -------
    numpy.ndarray, shape (n,)
    """
    finite = np.isfinite(C).all(axis=(1, 2))
    eig = np.linalg.eigvals(np.where(finite[:, None, None], C, 0.0))
    with np.errstate(divide="ignore"):
        multiplier = 1.0 / np.abs(1.0 - eig).min(axis=1)
    return np.where(finite, multiplier, np.inf)


def loop_refused(C: np.ndarray) -> np.ndarray:
    """Variants whose loop block cannot be solved: not finite, non-negative coefficients with
    spectral radius ``>= 1 - PRODUCTIVE_MARGIN`` (not productive), or a loop multiplier
    (:func:`loop_multiplier`) ``> 1 / PRODUCTIVE_MARGIN`` (singular or ill-conditioned).

    Parameters
    ----------
    C : numpy.ndarray, shape (n, k, k)
        :func:`coefficients`.

    Returns
    -------
    numpy.ndarray of bool, shape (n,)
    """
    finite = np.isfinite(C).all(axis=(1, 2))
    rho = np.abs(np.linalg.eigvals(np.where(finite[:, None, None], C, 0.0))).max(axis=1)
    nonnegative = (C >= 0).all(axis=(1, 2))
    return ~finite | (loop_multiplier(C) > 1.0 / PRODUCTIVE_MARGIN) | (nonnegative & (rho >= 1.0 - PRODUCTIVE_MARGIN))


def matrix_multiplier(A: np.ndarray) -> float:
    """The largest loop multiplier (:func:`loop_multiplier`) of a square technosphere block
    (a product per activity, outputs on the diagonal, inputs negative), e.g. the foreground
    part of bw2calc's matrix [-]; 1 without loops.

    Parameters
    ----------
    A : numpy.ndarray, shape (m, m)
    """
    m = A.shape[0]
    p = np.diag(A).copy()
    edges = [(j, k) for j, k in zip(*np.nonzero(A)) if j != k]
    a = np.array([[-A[j, k] for j, k in edges]]) if edges else np.zeros((1, 0))
    worst = 1.0
    for nodes, internal, _ in blocks(m, edges):
        if internal:
            worst = max(worst, float(loop_multiplier(coefficients(p[None, :], a, nodes, internal))[0]))
    return worst


def negative_supply(s: np.ndarray) -> np.ndarray:
    """Variants with a negative supply (below ``NEGATIVE_SUPPLY_TOLERANCE`` times their
    largest), shape (n,) bool, from supplies of shape (n, m)."""
    if s.shape[1] == 0:
        return np.zeros(s.shape[0], dtype=bool)
    with np.errstate(all="ignore"):
        scale = np.abs(s).max(axis=1, keepdims=True)
        return (s < -NEGATIVE_SUPPLY_TOLERANCE * scale).any(axis=1)


@dataclass
class _Foreground:
    """The foreground of one variant as the checks need it (from the linked activities)."""

    codes: list
    units: list
    processes: list          # model process id per node
    reference: int
    p: np.ndarray            # (1, m)
    edges: list              # (producer, consumer)
    a: np.ndarray            # (1, edges)

    @classmethod
    def of(cls, data: dict, database: str, reference: str) -> "_Foreground":
        codes = [key[1] for key in data]
        node = {code: j for j, code in enumerate(codes)}
        p = np.zeros(len(codes))
        amounts: dict[tuple, float] = {}
        for j, (key, act) in enumerate(data.items()):
            for exc in act["exchanges"]:
                target = tuple(exc["input"])
                amount = float(np.asarray(exc["amount"], dtype=float).ravel()[0])
                if exc["type"] == "production" and target == tuple(key):
                    p[j] = amount
                elif exc["type"] == "technosphere" and target[0] == database:
                    edge = (node[target[1]], j)
                    amounts[edge] = amounts.get(edge, 0.0) + amount
        edges = list(amounts)
        return cls(codes, [act.get("unit", "unit") for act in data.values()],
                   [act.get("pcf_process", key[1]) for key, act in data.items()], node[reference],
                   p[None, :], edges, np.array([[amounts[e] for e in edges]]))


def check_foreground(system: ProductSystem, data: dict, database: str, reference: str) -> None:
    """Refuse a foreground that cannot deliver its reference flow (module docstring).

    Parameters
    ----------
    system : ProductSystem
        For the process names and ``file:line``.
    data : dict
        The linked foreground activities (:func:`pcf.graph.link_foreground`), one variant.
    database : str
        The foreground database name.
    reference : str
        Code of the reference process.

    Raises
    ------
    ModelError
        At the first input of the loop: a loop that uses at least what it makes or is
        singular / ill-conditioned (the loop named, A -> B -> A, with every process and input
        and their lines); or at the process: a negative supply.
    """
    fg = _Foreground.of(data, database, reference)
    m = len(fg.codes)
    s = np.zeros(m)
    f = np.zeros(m)
    f[fg.reference] = system.reference_amount if np.ndim(system.reference_amount) == 0 else \
        float(np.asarray(system.reference_amount).ravel()[0])
    for nodes, internal, external in blocks(m, fg.edges):
        rhs = f[nodes].copy()
        for row, e in external:
            rhs[row] += fg.a[0, e] * s[fg.edges[e][1]]
        C = coefficients(fg.p, fg.a, nodes, internal)
        if internal and loop_refused(C)[0]:
            raise _loop_error(system, fg, nodes, internal, C[0])
        with np.errstate(all="ignore"):
            s[nodes] = np.linalg.solve(np.eye(len(nodes)) - C[0], rhs / fg.p[0, nodes]) if internal else \
                rhs / fg.p[0, nodes]
    if not np.isfinite(s).all() or negative_supply(s[None, :])[0]:
        raise _negative_supply_error(system, fg, s)


def _process_where(system: ProductSystem, pid: str) -> str:
    proc = system.processes.get(pid)
    line = proc.line if proc is not None else None
    return f"{system.path}:{line}" if line is not None else str(system.path)


def _input_line(system: ProductSystem, consumer: str, producer: str) -> int | None:
    """Line of the first input of process ``consumer`` that draws on ``producer``."""
    proc = system.processes.get(consumer)
    if proc is None:
        return None
    for inp in proc.inputs:
        if inp.kind == "process" and inp.target == producer:
            return inp.line
    return proc.line


def _worst_cycle(nodes: list, internal: list, C: np.ndarray) -> tuple[list[int], float]:
    """The simple cycle (block rows, in the order "uses") with the largest |gain| among the
    first ``MAX_CYCLES``, and its gain (product of its coefficients) [-]."""
    import networkx as nx

    g = nx.DiGraph()
    for r, c, _ in internal:
        g.add_edge(c, r)  # c uses r
    best, best_gain, best_signed = [], -math.inf, 0.0
    for cycle in itertools.islice(nx.simple_cycles(g), MAX_CYCLES):
        gain = math.prod(float(C[cycle[(i + 1) % len(cycle)], cycle[i]]) for i in range(len(cycle)))
        if abs(gain) > best_gain:
            best, best_gain = cycle, abs(gain)
            best_signed = gain
    return best, best_signed


def _loop_error(system: ProductSystem, fg: _Foreground, nodes: list, internal: list, C: np.ndarray) -> ModelError:
    """The :class:`ModelError` naming a refused loop (at its first input's line)."""
    cycle, gain = _worst_cycle(nodes, internal, C)
    start = cycle.index(min(cycle, key=lambda r: nodes[r]))  # begin with the first process written
    cycle = cycle[start:] + cycle[:start]
    names = [fg.codes[nodes[r]] for r in cycle]
    steps, first_line = [], None
    for i, r in enumerate(cycle):
        nxt = cycle[(i + 1) % len(cycle)]
        user, used = nodes[r], nodes[nxt]
        line = _input_line(system, fg.processes[user], fg.codes[used])
        first_line = first_line if first_line is not None else line
        where = f"{system.path}:{line}" if line is not None else str(system.path)
        steps.append(f"{fg.codes[user]} uses {float(C[nxt, r]):.6g} {fg.units[used]} of {fg.codes[used]} "
                     f"per {fg.units[user]} of {fg.codes[user]} ({where})")
    eig = np.linalg.eigvals(C) if np.isfinite(C).all() else np.array([np.nan])
    rho = float(np.abs(eig).max())
    loop = " → ".join(names + names[:1])
    head = names[0]
    if gain >= 1.0 - PRODUCTIVE_MARGIN:
        what = (f"the loop consumes {gain:.6g} {fg.units[nodes[cycle[0]]]} of {head} per "
                f"{fg.units[nodes[cycle[0]]]} of {head} made (≥ 1): "
                + ("the technosphere matrix is singular" if abs(gain - 1.0) < PRODUCTIVE_MARGIN
                   else "it uses more than it makes, which needs a negative supply"))
    else:
        what = (f"together with the other loops through {', '.join(fg.codes[j] for j in nodes)} it uses at "
                f"least what they make (spectral radius of their input coefficients {rho:.6g}, an eigenvalue within "
                f"{PRODUCTIVE_MARGIN:g} of 1): the technosphere matrix is singular or ill-conditioned")
    processes = ", ".join(f"{fg.codes[j]} ({_process_where(system, fg.processes[j])})" for j in nodes)
    return ModelError(system.path, first_line,
                      f"the system cannot deliver its reference flow: loop {loop}: {'; '.join(steps)}; {what}. "
                      f"Processes: {processes}. A loop must use less than it makes (spectral radius of its input "
                      f"coefficients below 1 - {PRODUCTIVE_MARGIN:g}, the Hawkins-Simon condition); "
                      f"check the amounts of these inputs and the output amounts")


def _negative_supply_error(system: ProductSystem, fg: _Foreground, s: np.ndarray) -> ModelError:
    """The :class:`ModelError` naming the processes with a negative (or non-finite) supply."""
    bad = [j for j in range(len(s)) if not np.isfinite(s[j]) or s[j] < -NEGATIVE_SUPPLY_TOLERANCE * np.nanmax(np.abs(s))]
    first = system.processes.get(fg.processes[bad[0]])
    runs = ", ".join(f"{fg.codes[j]} ({_process_where(system, fg.processes[j])}) {s[j] * fg.p[0, j]:.6g} "
                     f"{fg.units[j]}" for j in bad)
    negative = [f"{fg.codes[c]} uses {fg.a[0, e]:.6g} {fg.units[p]} of {fg.codes[p]} "
                f"({system.path}:{_input_line(system, fg.processes[c], fg.codes[p])})"
                for e, (p, c) in enumerate(fg.edges) if fg.a[0, e] < 0]
    hint = f"; inputs with negative amounts: {'; '.join(negative)}" if negative else ""
    return ModelError(system.path, first.line if first is not None else None,
                      f"the system cannot deliver its reference flow: a negative supply of {runs} per reference "
                      f"flow (a process would run backwards){hint}. Check the amounts of the inputs between "
                      f"these processes")


def refuse_non_finite(system: ProductSystem, document: dict, what: str = "the result") -> None:
    """Refuse a result (its JSON) with a number that is not finite anywhere in it.

    Parameters
    ----------
    system : ProductSystem
        For the model file and the process named by the nearest ``process`` key.
    document : dict
        The result as JSON values (``FootprintResult.to_json()``).

    Raises
    ------
    ModelError
        ``file:line`` of the process whose entry holds the number (the model file when no
        process is named), with the JSON path.
    """
    found = first_non_finite(document)
    if found is None:
        return
    path, value, process = found
    proc = system.processes.get(process) if isinstance(process, str) else None
    raise ModelError(system.path, proc.line if proc is not None else None,
                     f"{what} holds a number that is not finite ({value}) at {path}"
                     + (f" (process {process!r})" if proc is not None else "")
                     + ": an amount or a product of amounts overflows; nothing was written. Check the amounts of "
                       "the model and of its parameters")
