"""Monte Carlo uncertainty assessment of a carbon footprint (ISO 14067:2018 6.4.5 and 7.3).

What is sampled: every model amount with an ``uncertainty:`` (inputs, transport distances,
emissions, removals, avoided products; :mod:`pcf.model.distributions`); unless
``defaults=False``, every such amount WITHOUT ``uncertainty:`` with a default lognormal from
its data quality (the pedigree approach of the ecoinvent v3 guideline, Weidema et al. 2013:
:func:`pcf.model.distributions.default_distribution`, which amounts: :class:`pcf.graph.ForegroundGraph`
``defaults``); and, unless ``background=False``, every background exchange whose Brightway
datapackage carries a ``stats_arrays`` distribution (imported ecoinvent and US LCI exchanges;
the open default's biosphere exchanges, with GSDs derived from their data quality ratings by
the same pedigree math, see databases/README.md). Characterisation factors are not sampled.

Share of the variance from the defaults: the same draws are scored a second time with every
default amount held at its deterministic value (common random numbers); the share is
``1 - var(held) / var(all)``, clipped to 0..1. For a model linear in independent inputs this is
exactly the defaults' part of the variance; otherwise it is the variance that goes away when the
defaults are removed. Its Monte Carlo error is of the order of ``sqrt(2 / N)`` x the share's
complement for small shares and smaller for shares near 1.

How: the matrices of the deterministic bw2calc calculation are built once. Each iteration
replaces the sampled entries, ``A_k = A_0 + sum_e a_e (x_e,k - x_e,0)`` (the same for ``B``),
solves ``A_k s_k = f`` and scores ``c^T B_k s_k``. A foreground amount is ONE random
variable: the exchanges it becomes in every co-product of a multi-output process (its
allocated shares) move together. Background exchanges are sampled independently, as in
ecoinvent's and bw2calc's Monte Carlo. All draws come from one ``stats_arrays``
generator seeded with ``seed``, so the same seed gives identical numbers.

Drivers: Spearman's rank correlation ``rho_e`` between each sampled amount and the score;
``share_e = rho_e^2 / sum rho^2`` approximates each input's share of the variance (exact
for a linear model of independent inputs; only indicative with strong non-linearity).
Sampling noise of ``rho`` is about ``1 / sqrt(N)``, so shares below about ``1 / N`` are
noise.

References
----------
ISO 14067:2018 6.4.5 (sensitivity / uncertainty), 7.3 (the CFP study report states the
uncertainty); Heijungs R., Huijbregts M.A.J. (2004) A review of approaches to treat
uncertainty in LCA, iEMSs; Groen E.A. et al. (2014) Int J LCA 19:1436 (squared rank
correlations as contribution to variance), doi:10.1007/s11367-014-0736-z.
"""

from __future__ import annotations

import math
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import MatrixRankWarning, spsolve
from scipy.stats import rankdata

from ..background import method_spec
from ..core.bw import brightway, locked
from ..core.codec import from_json
from ..core.errors import BackgroundError, CalculationError, UncertaintyError
from ..graph import build_foreground
from ..model import ProductSystem
from .draws import Draws
from .feasibility import matrix_multiplier
from .mcsolve import MAX_ITERATIONS, TOLERANCE, PatternSolver, SolveStats
from .result import Uncertainty

#: Drivers listed in the result.
TOP_DRIVERS = 10
#: At most this many sampled background exchanges are kept for the driver ranking (those
#: with the largest deterministic contribution); the rest are sampled but not ranked.
MAX_RANKED_BACKGROUND = 5000
#: Memory budget of one chunk of random numbers [float64 values].
CHUNK_VALUES = 12_000_000
#: Fewest iterations accepted.
MIN_ITERATIONS = 10
HISTOGRAM_BINS = 24
#: Tolerance of the iterative solves of the scores with the defaults held (they only give
#: ``defaults.variance_share`` and ``without_defaults``, reported to a few digits).
HELD_TOLERANCE = 1e-6

STATS_NAMES = {0: "undefined", 1: "none", 2: "lognormal", 3: "normal", 4: "uniform", 5: "triangular",
               6: "bernoulli", 7: "discrete uniform", 8: "weibull", 9: "gamma", 10: "beta",
               11: "generalized extreme value", 12: "student's t"}

METHOD_NOTE = (
    "Monte Carlo simulation: each iteration draws every uncertain foreground amount and every background "
    "exchange with a distribution from one seeded generator (stats_arrays), rebuilds the technosphere and "
    "biosphere matrices and solves them with bw2calc's matrices; characterisation factors are fixed. "
    "Statistics are of the score per reference flow (sd with ddof 1; percentiles by linear interpolation). "
    "Drivers: Spearman rank correlation of each sampled amount with the score; share = rho^2 / sum rho^2, "
    "an approximation of the share of variance (exact only for a linear model of independent inputs)."
)

DEFAULTS_NOTE = (
    "Amounts without stated uncertainty (no uncertainty: key) were sampled with a default lognormal (median = the amount) whose GSD comes "
    "from their data quality by the pedigree approach of the ecoinvent v3 data quality guideline (Weidema et "
    "al. 2013): sigma^2 = basic variance + the variances of five pedigree scores, GSD = exp(sigma); the scores "
    "are the amount's PEF dqr (input, else process; P -> reliability, TiR -> temporal, GeR -> geographical, "
    "TeR -> technological, completeness 1; fractional ratings rounded up), else the pcf default for primary "
    "data (2,2,1,1,1) or secondary data (3,3,3,3,3). Inputs from other foreground processes and end-of-life "
    "formula terms get no default. Share of variance: 1 - var(scores with the defaults held at their amounts, "
    "same draws) / var(scores)."
)
NO_DEFAULTS_NOTE = (
    "Default uncertainty switched off: only amounts with stated uncertainty (and the background's distributions) "
    "were sampled; amounts without stated uncertainty were held fixed, so the interval understates the uncertainty."
)


@dataclass
class MonteCarloResult:
    """Outcome of :func:`monte_carlo`; :meth:`to_dict` is the result JSON's ``uncertainty``.

    Attributes
    ----------
    iterations : int
        Iterations that solved (``requested`` minus ``failed``).
    seed : int
        Seed of the generator [0 .. 2^32 - 1]; the same seed gives the same numbers.
    deterministic : float
        The footprint without sampling [kg CO2e / reference flow].
    scores : numpy.ndarray
        Score of every iteration [kg CO2e / reference flow], shape ``(iterations,)``.
    per_declared_unit : float or None
        Declared units per reference flow, to restate the statistics per declared unit.
    sampled : dict
        ``{foreground_amounts, foreground_exchanges, background_exchanges: {database: n},
        background_ranked}``.
    drivers : list of dict
        Largest share first (see module docstring).
    background_note : str
        How the background's distributions were obtained.
    failed : int
        Iterations whose sampled matrix could not be solved (dropped).
    requested : int
        Iterations asked for.
    defaults : dict
        The result JSON's ``uncertainty.defaults`` (docs/result-json.md): ``{applied,
        unannotated, amounts, variance_share, without_defaults, note}``.
    timings : dict
        ``{prepare_s, sample_s}`` wall-clock seconds of the one-off preparation (graph,
        matrices, distributions) and of the sampling loop with the driver ranking; not part of :meth:`to_dict`, so
        that a seed gives identical JSON.
    solver : dict or None
        How the sampled technosphere systems were solved, the result JSON's
        ``uncertainty.solver`` (:func:`_solver_summary`): ``{method, tolerance,
        preconditioner_nnz, samples, mean_iterations, max_iterations, fallbacks, singular}``.
    """

    iterations: int
    seed: int
    deterministic: float
    scores: np.ndarray
    per_declared_unit: float | None
    sampled: dict
    drivers: list
    background_note: str
    failed: int = 0
    requested: int = 0
    defaults: dict | None = None
    timings: dict = field(default_factory=dict)
    solver: dict | None = None

    def statistics(self, divisor: float = 1.0) -> dict:
        """``{mean, median, sd, se_mean, p2_5, p97_5}`` of ``scores / divisor``."""
        return _statistics(self.scores / divisor)

    def histogram(self, bins: int = HISTOGRAM_BINS) -> dict:
        """``{edges, counts}`` of the scores [kg CO2e / reference flow]."""
        counts, edges = np.histogram(self.scores, bins=bins)
        return {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]}

    def to_dict(self) -> dict:
        """The ``uncertainty`` object of docs/result-json.md."""
        out = {"iterations": self.iterations, "requested": self.requested or self.iterations, "failed": self.failed,
               "seed": self.seed, "deterministic_kg_co2e": self.deterministic, "unit": "kg CO2e / reference flow"}
        out.update(self.statistics())
        out["per_declared_unit"] = (self.statistics(self.per_declared_unit)
                                    if self.per_declared_unit else None)
        out["sampled"] = self.sampled
        out["drivers"] = self.drivers
        out["histogram"] = self.histogram()
        out["background_note"] = self.background_note
        out["method_note"] = METHOD_NOTE
        if self.defaults is not None:
            out["defaults"] = self.defaults
        if self.solver is not None:
            out["solver"] = self.solver
        return out

    def to_record(self) -> Uncertainty:
        """The result's :class:`pcf.lca.result.Uncertainty` record (:meth:`to_dict`, typed)."""
        return from_json(Uncertainty, self.to_dict(), "$.uncertainty")


def _statistics(x: np.ndarray) -> dict:
    """``{mean, median, sd, se_mean, p2_5, p97_5}`` of the scores ``x`` (sd with ddof 1,
    percentiles by linear interpolation)."""
    sd = float(np.std(x, ddof=1)) if len(x) > 1 else 0.0
    return {"mean": float(np.mean(x)), "median": float(np.median(x)), "sd": sd,
            "se_mean": sd / math.sqrt(len(x)),
            "p2_5": float(np.percentile(x, 2.5)), "p97_5": float(np.percentile(x, 97.5))}


@dataclass
class _Block:
    """Background exchanges of one matrix of one database, one variable each (variables
    ``first`` ..): their Brightway matrix cells ``rows``, ``cols``, the sign and scale of each
    amount in the matrix ``coeffs``, stats_arrays ``params`` and deterministic ``amounts``."""

    first: int
    database: str
    matrix: str
    rows: np.ndarray
    cols: np.ndarray
    coeffs: np.ndarray
    params: np.ndarray
    amounts: np.ndarray

    def info(self, var: int) -> dict:
        """What variable ``var`` is (for the drivers)."""
        k = var - self.first
        return {"kind": "background", "database": self.database, "matrix": self.matrix, "row": int(self.rows[k]),
                "col": int(self.cols[k]), "type": int(self.params["uncertainty_type"][k]),
                "scale": float(self.params["scale"][k])}


@dataclass
class _Entries:
    """Sampled matrix entries: one row of ``params`` per random variable of the foreground
    (``info``: what it is), whose ``cells`` place variable ``var`` at ``(row, col)`` of matrix
    ``matrix`` times ``coeff``; then the background's variables, in ``blocks`` of arrays
    (10^5 - 10^6 of them: no Python object per exchange). ``dropped``: variables whose cells
    are left out (:meth:`without`)."""

    params: list = field(default_factory=list)  # stats_arrays rows
    amounts: list = field(default_factory=list)  # deterministic value of each variable
    info: list = field(default_factory=list)  # what each variable is (for drivers)
    cells: dict = field(default_factory=lambda: {"technosphere": ([], [], [], []), "biosphere": ([], [], [], [])})
    blocks: list = field(default_factory=list)
    dropped: tuple = ()

    def add_cell(self, matrix: str, row: int, col: int, var: int, coeff: float) -> None:
        rows, cols, variables, coeffs = self.cells[matrix]
        rows.append(row)
        cols.append(col)
        variables.append(var)
        coeffs.append(coeff)

    @property
    def size(self) -> int:
        """Variables, foreground and background."""
        return len(self.params) + sum(len(b.amounts) for b in self.blocks)

    def describe(self, var: int) -> dict:
        """What variable ``var`` is."""
        if var < len(self.info):
            return self.info[var]
        return next(b for b in self.blocks if b.first <= var < b.first + len(b.amounts)).info(var)

    def param_array(self) -> np.ndarray:
        """The stats_arrays parameter array of every variable."""
        from bw_processing import UNCERTAINTY_DTYPE

        width = len(UNCERTAINTY_DTYPE)  # uncertainty_type, loc, scale, shape, minimum, maximum, negative
        own = np.array([tuple(row[:width]) for row in self.params], dtype=UNCERTAINTY_DTYPE)
        return np.concatenate([own] + [b.params for b in self.blocks])

    def amount_array(self) -> np.ndarray:
        """The deterministic amount of every variable."""
        return np.concatenate([np.asarray(self.amounts, dtype=float)] + [b.amounts for b in self.blocks])

    def cell_arrays(self, matrix: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(rows, cols, variables, coeffs)`` of every sampled cell of ``matrix``, without the
        :attr:`dropped` variables'."""
        rows, cols, variables, coeffs = (np.asarray(x) for x in self.cells[matrix])
        parts = [(rows.astype(np.int64), cols.astype(np.int64), variables.astype(np.int64), coeffs.astype(float))]
        parts += [(b.rows.astype(np.int64), b.cols.astype(np.int64), np.arange(b.first, b.first + len(b.amounts)),
                   b.coeffs) for b in self.blocks if b.matrix == matrix]
        out = tuple(np.concatenate(column) for column in zip(*parts))
        if self.dropped:
            keep = ~np.isin(out[2], np.asarray(self.dropped, dtype=np.int64))
            out = tuple(column[keep] for column in out)
        return out

    def without(self, variables) -> "_Entries":
        """The same variables, with the cells of ``variables`` dropped (they stay at their
        deterministic amounts when scored)."""
        return replace(self, dropped=tuple(self.dropped) + tuple(variables))


def monte_carlo(system: ProductSystem, iterations: int, seed: int | None = None, background: bool = True,
                deterministic: float | None = None, defaults: bool = True, *, solver: str = "iterative",
                tolerance: float = TOLERANCE, max_iterations: int = MAX_ITERATIONS) -> MonteCarloResult:
    """Sample the footprint of a product system.

    A driver: the deterministic bw2calc system (:func:`_deterministic_lca`), the uncertain
    entries of the foreground (:func:`_foreground_entries`) and background
    (:func:`_background_entries`), the check against the footprint, the sampling
    (:func:`_sample`), the drivers of the spread.

    Parameters
    ----------
    system : ProductSystem
        From :func:`pcf.model.load_model`.
    iterations : int
        Monte Carlo iterations (>= 10; 1,000 or more for a stable 95 % interval).
    seed : int, optional
        Seed [0 .. 2^32 - 1]; a fresh one is drawn (and reported) when None.
    background : bool
        Also sample the background exchanges that carry distributions (default). False
        samples the model's own ``uncertainty:`` amounts only.
    deterministic : float, optional
        The footprint from :func:`pcf.lca.footprint` [kg CO2e / reference flow]; checked
        against this module's own unsampled solution when given (rel. 1e-6 times the
        foreground's largest loop multiplier: bw2calc's amounts are float32 and a loop
        multiplies their rounding, :mod:`pcf.lca.feasibility`).
    defaults : bool
        Sample the amounts without ``uncertainty:`` with a default lognormal from their data
        quality (default; module docstring). False holds them fixed (pcf before issue 14).
    solver : {"iterative", "exact"}
        How each sample's technosphere system is solved: iteratively, preconditioned with the
        one factorisation of the deterministic ``A^T`` (:mod:`pcf.lca.mcsolve`, default), or
        by ``scipy.sparse.linalg.spsolve`` of each sample's own matrix (the reference).
    tolerance, max_iterations : float, int
        Of the iterative solver (:mod:`pcf.lca.mcsolve`): a sample not within ``tolerance``
        after ``max_iterations`` BiCGSTAB steps is solved exactly (a counted fallback).

    Returns
    -------
    MonteCarloResult

    Raises
    ------
    UncertaintyError
        ``iterations`` < 10, a seed out of range, or nothing to sample (no ``uncertainty:``
        in the model, no default, and no distribution in the background).
    BackgroundError, ModelError
        As :func:`pcf.lca.footprint`.
    CalculationError
        The unsampled system does not reproduce the deterministic footprint, or no
        iteration could be solved.
    """
    seed = _check_sampling(iterations, seed)
    if solver not in ("iterative", "exact"):
        raise UncertaintyError(f"unknown Monte Carlo solver {solver!r}: 'iterative' or 'exact'")
    started = time.perf_counter()
    bd = brightway()
    with locked():  # the foreground is written and read back: no other run on PCF_HOME rewrites it meanwhile
        graph, lca = _deterministic_lca(bd, system, solve=deterministic is None)
        entries, n_annotated, n_foreground, by_database = _collect_entries(bd, lca, graph, defaults, background)
        multiplier = 1.0 if deterministic is None else _foreground_multiplier(bd, lca, graph)
        split = _foreground_index(bd, lca, graph) if solver == "iterative" else None
    params = entries.param_array()
    amounts = entries.amount_array()
    rng = Draws(params, seed)
    options = {"solver": solver, "tolerance": tolerance, "max_iterations": max_iterations, "positions": rng.positions}
    engine = _Engine(lca, entries, amounts, split=split, **options)
    engine.check(_score(lca) if deterministic is None else deterministic, rel=1e-6 * multiplier)
    options["tolerance"] = max(tolerance, HELD_TOLERANCE)  # the held scores only give variance_share
    held = (_Engine(lca, entries.without(range(n_annotated, n_foreground)), amounts, lu=engine.lu, split=split,
                    **options)
            if n_foreground > n_annotated else None)
    ranked = _ranked_variables(engine, entries, n_foreground)

    prepared = time.perf_counter()
    scores, kept, held_scores = _sample(engine, rng, len(params), ranked, iterations, held)
    ok = np.isfinite(scores)
    if not ok.any():
        raise CalculationError("no Monte Carlo iteration could be solved (every sampled technosphere matrix is "
                               "singular); check the distributions of the inputs in loops")
    scores, kept = scores[ok], kept[:, ok]
    drivers = _drivers(bd, lca, entries, ranked, kept, scores)
    sampled = time.perf_counter()
    bg_note = _background_note(by_database, background)
    default_summary = _defaults_summary(graph, defaults, scores, held_scores[ok] if held_scores is not None else None)
    return MonteCarloResult(
        iterations=int(ok.sum()), requested=iterations, failed=int((~ok).sum()), seed=seed,
        deterministic=float(engine.score0), scores=scores,
        per_declared_unit=system.declared_per_reference_flow,
        sampled={"foreground_amounts": n_foreground,
                 "foreground_exchanges": sum(len(i.outputs) for i in graph.uncertain + (graph.defaults if defaults else [])),
                 "background_exchanges": by_database,
                 "background_ranked": len(ranked) - n_foreground},
        drivers=drivers, background_note=bg_note, defaults=default_summary,
        timings={"prepare_s": prepared - started, "sample_s": sampled - prepared},
        solver=_solver_summary(engine, held, solver),
    )


def _collect_entries(bd, lca, graph, defaults: bool, background: bool) -> tuple[_Entries, int, int, dict]:
    """The sampled entries: the annotated foreground amounts, then (``defaults``) the default
    ones, then (``background``) the background exchanges with distributions.

    Returns
    -------
    tuple
        ``(entries, n_annotated, n_foreground, {database: background exchanges sampled})``.

    Raises
    ------
    UncertaintyError
        Nothing to sample.
    """
    entries = _Entries()
    _foreground_entries(bd, lca, graph, graph.uncertain, entries)
    n_annotated = len(entries.params)
    if defaults:
        _foreground_entries(bd, lca, graph, graph.defaults, entries)
    n_foreground = len(entries.params)
    by_database: dict[str, int] = {}
    if background:
        _background_entries(lca, graph.database, entries, by_database)
    if not entries.size:
        raise UncertaintyError(
            "nothing to sample: no amount of the model has 'uncertainty:', no default uncertainty is applied and "
            "the background carries no distributions; add uncertainty to the main inputs (docs/model-format.md, "
            "Uncertainty)")
    return entries, n_annotated, n_foreground, by_database


def _solver_summary(engine: "_Engine", held: "_Engine | None", solver: str) -> dict:
    """The result's ``uncertainty.solver`` (:meth:`pcf.lca.mcsolve.SolveStats.as_dict`, the
    held scores' solves included); ``method`` says when A was not sampled or solved exactly."""
    system = engine.system
    if engine.fixed_A:
        return {"method": "technosphere not sampled: one LU of A^T", "preconditioner_nnz": system.preconditioner_nnz}
    if solver == "exact":
        return {"method": "exact: spsolve of every sample's own technosphere matrix"}
    stats = SolveStats()
    for part in (engine, held):
        if part is not None and not part.fixed_A:
            for name in ("samples", "iterations", "fallbacks", "singular"):
                setattr(stats, name, getattr(stats, name) + getattr(part.system.stats, name))
            stats.max_iterations = max(stats.max_iterations, part.system.stats.max_iterations)
    summary = stats.as_dict(system.tolerance, system.preconditioner_nnz)
    if engine.split is not None:
        summary["method"] = DUAL_METHOD
    return summary


def _defaults_summary(graph, applied: bool, scores: np.ndarray, held: np.ndarray | None) -> dict:
    """The ``uncertainty.defaults`` object (docs/result-json.md).

    Parameters
    ----------
    graph : ForegroundGraph
        Its ``defaults``: the amounts without ``uncertainty:`` and their default distributions.
    applied : bool
        Whether they were sampled.
    scores : numpy.ndarray
        The solved scores [kg CO2e / reference flow].
    held : numpy.ndarray or None
        The same iterations scored with the defaults held at their amounts, None when no
        default was sampled.

    Returns
    -------
    dict
        ``{applied, unannotated, amounts, variance_share, without_defaults, note}``:
        ``variance_share`` = 1 - var(held) / var(scores) clipped to 0..1 (None when not
        applied or the scores do not vary); ``without_defaults`` the statistics of ``held``.
    """
    amounts = [{"process": d.process, "field": d.field, "index": d.index, "input": d.label,
                "distribution": d.distribution.describe(), "gsd": d.distribution.gsd,
                "pedigree": list(d.distribution.pedigree), "basic_variance": d.basic_variance, "source": d.source}
               for d in graph.defaults] if applied else []
    share = without = None
    if applied:
        share = 0.0
        if held is not None:
            both = np.isfinite(held)  # a held matrix could be singular where the sampled one was not
            scores, held = scores[both], held[both]
            total = float(np.var(scores, ddof=1)) if len(scores) > 1 else 0.0
            rest = float(np.var(held, ddof=1)) if len(held) > 1 else 0.0
            share = min(1.0, max(0.0, 1.0 - rest / total)) if total > 0 else None
            without = _statistics(held) if len(held) else None
    return {"applied": applied, "unannotated": len(graph.defaults), "amounts": amounts,
            "variance_share": share, "without_defaults": without,
            "note": DEFAULTS_NOTE if applied else NO_DEFAULTS_NOTE}


def _check_sampling(iterations: int, seed: int | None) -> int:
    """The seed to use [0 .. 2^32 - 1] (a fresh one when ``seed`` is None).

    Raises
    ------
    UncertaintyError
        ``iterations`` < 10, or a seed out of range.
    """
    if iterations < MIN_ITERATIONS:
        raise UncertaintyError(f"Monte Carlo needs at least {MIN_ITERATIONS} iterations (1,000 or more for a "
                               f"stable 95 % interval), got {iterations}").about("iterations")
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % 2**32)
    if not 0 <= seed < 2**32:
        raise UncertaintyError(f"the seed must be an integer 0 .. 4294967295, got {seed}")
    return seed


def _foreground_index(bd, lca, graph) -> tuple[list, list]:
    """The foreground's product rows and activity columns in bw2calc's technosphere matrix,
    aligned (row ``i`` is the product of column ``i``)."""
    pairs = [(lca.dicts.product[node.id], lca.dicts.activity[node.id]) for node in bd.Database(graph.database)
             if node.id in lca.dicts.product and node.id in lca.dicts.activity]
    return [r for r, _ in pairs], [c for _, c in pairs]


def _foreground_multiplier(bd, lca, graph) -> float:
    """The largest loop multiplier of the foreground in bw2calc's matrix
    (:func:`pcf.lca.feasibility.matrix_multiplier`): its float32 amounts differ from the
    footprint's float64 ones by a rounding that loops multiply by this much [-]."""
    ids = [node.id for node in bd.Database(graph.database)]
    rows = [lca.dicts.product[i] for i in ids if i in lca.dicts.product]
    cols = [lca.dicts.activity[i] for i in ids if i in lca.dicts.activity]
    if len(rows) != len(cols) or not rows:
        return 1.0
    return matrix_multiplier(lca.technosphere_matrix.tocsr()[rows][:, cols].toarray())


def _score(lca) -> float:
    """bw2calc's score after :func:`_deterministic_lca` solved it; 0 for a system without a
    single elementary flow (bw2calc has no characterised inventory then)."""
    return lca.score if lca.dicts.biosphere else 0.0


def _deterministic_lca(bd, system: ProductSystem, solve: bool = True):
    """The foreground written and the deterministic bw2calc LCA of the reference flow, with the
    same matrices as :func:`pcf.lca.footprint` (cut-off proxies in the demand at 0). With
    ``solve`` False the matrices are only loaded (no factorisation by bw2calc: the caller
    solves with its own, and checks against a footprint it was given).

    Returns
    -------
    graph : ForegroundGraph
    lca : bw2calc.LCA
        After ``lci()`` and ``lcia()`` [score in kg CO2e / reference flow].

    Raises
    ------
    BackgroundError
        The study's method is not installed.
    CalculationError
        The system cannot be solved.
    """
    import bw2calc as bc

    spec = method_spec(system.model.study.method)
    if spec.name not in bd.methods:
        raise BackgroundError(f"method {spec.id!r} is not installed: run `pcf setup`")
    graph = build_foreground(system)
    ref_node = bd.get_node(database=graph.database, code=graph.reference[1])
    demand = {ref_node: system.reference_amount}
    for key, _ in graph.proxies.values():  # the same matrices as pcf.lca.footprint
        demand.setdefault(bd.get_node(database=key[0], code=key[1]), 0.0)
    fu, data_objs, _ = bd.prepare_lca_inputs(demand=demand, method=spec.name)
    lca = bc.LCA(demand=fu, data_objs=data_objs)
    if not solve:
        lca.load_lci_data()
        lca.build_demand_array()
        lca.load_lcia_data()
        return graph, lca
    try:
        lca.lci()
    except Exception as exc:  # bw2calc raises several types for a bad matrix
        raise CalculationError(f"cannot solve the product system: {exc}") from exc
    if lca.dicts.biosphere:
        lca.lcia()
    else:  # not one elementary flow (foreground processes only): the score is 0; bw2calc's lcia() refuses
        lca.load_lcia_data()
    return graph, lca


def _foreground_entries(bd, lca, graph, items, entries: _Entries) -> None:
    """Add model amounts (``graph.uncertain`` or ``graph.defaults``) to ``entries``: one
    variable each, scattered to every output's matrix cell with its allocated share
    (technosphere inputs negative in A, biosphere amounts positive in B)."""
    node_ids = _node_ids({tuple(item.input) for item in items}
                         | {(graph.database, code) for item in items for code, _ in item.outputs})
    node_id = partial(_node_id, bd, node_ids)
    for item in items:  # the model's own amounts: one variable each
        var = len(entries.params)
        entries.params.append(item.distribution.stats_row())
        entries.amounts.append(item.distribution.amount)
        entries.info.append({"kind": "foreground", "item": item})
        if item.kind == "technosphere":
            row = lca.dicts.product[node_id(item.input)]
        else:
            row = lca.dicts.biosphere[node_id(item.input)]
        for code, share in item.outputs:
            col = lca.dicts.activity[node_id((graph.database, code))]
            # technosphere inputs are negative in A; biosphere amounts positive in B
            entries.add_cell(item.kind, row, col, var, -share if item.kind == "technosphere" else share)


def _node_ids(keys: set) -> dict[tuple, int]:
    """Brightway node ids of ``keys`` = (database, code), in one query per database (a model
    names hundreds; one query each took seconds); keys not found are left out."""
    from bw2data.backends import ActivityDataset as AD

    by_database: dict[str, list] = {}
    for database, code in keys:
        by_database.setdefault(database, []).append(code)
    out = {}
    for database, codes in by_database.items():
        for start in range(0, len(codes), 500):
            query = AD.select(AD.id, AD.code).where((AD.database == database) & AD.code.in_(codes[start:start + 500]))
            out.update({(database, row.code): row.id for row in query})
    return out


def _node_id(bd, node_ids: dict[tuple, int], key: tuple) -> int:
    """Brightway node id of ``key`` = (database, code), remembered in ``node_ids``."""
    if key not in node_ids:
        node_ids[key] = bd.get_node(database=key[0], code=key[1]).id
    return node_ids[key]


def _sample(engine: "_Engine", rng, n_params: int, ranked, iterations: int,
            held: "_Engine | None" = None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Draw and score ``iterations`` samples in chunks of at most ``CHUNK_VALUES`` values.

    Returns
    -------
    scores : numpy.ndarray, shape (iterations,)
        [kg CO2e / reference flow]; not finite where the sampled matrix was singular.
    kept : numpy.ndarray, shape (len(ranked), iterations)
        The draws of the ranked variables (float32), for the drivers of the spread.
    held_scores : numpy.ndarray or None
        The same draws scored by ``held`` (the engine without the default amounts' cells).
    """
    chunk = max(1, min(iterations, CHUNK_VALUES // max(1, n_params)))
    scores = np.empty(iterations)
    held_scores = np.empty(iterations) if held is not None else None
    kept = np.empty((len(ranked), iterations), dtype=np.float32)
    kept_rows = rng.positions[ranked]
    done = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pcf-draws") as ahead:
        coming = ahead.submit(rng.generate_sorted, min(chunk, iterations))
        while done < iterations:
            draws, m = coming.result(), min(chunk, iterations - done)
            if done + m < iterations:  # the next chunk's draws meanwhile (the generator's order is kept)
                coming = ahead.submit(rng.generate_sorted, min(chunk, iterations - done - m))
            _score_chunk(engine, held, draws, scores, held_scores, done)
            kept[:, done:done + m] = draws[kept_rows]
            done += m
    return scores, kept, held_scores


def _score_chunk(engine: "_Engine", held: "_Engine | None", draws: np.ndarray, scores: np.ndarray,
                 held_scores: np.ndarray | None, done: int) -> None:
    """Scores of one chunk of draws (variables in :attr:`Draws.positions` order x samples) into
    ``scores[done:]`` (and ``held_scores[done:]``)."""
    m = draws.shape[1]
    scores[done:done + m] = engine.scores(draws)
    if held is None:
        return
    if engine.split is not None and held.split is not None:  # the same intensities, no solve
        held_scores[done:done + m] = held.scores(draws, dual=engine.last_dual)
    else:
        start = None if engine.fixed_A or engine.solver == "exact" else engine.last_supply
        held_scores[done:done + m] = held.scores(draws, start)


def _background_entries(lca, foreground: str, entries: _Entries, by_database: dict) -> None:
    """Add every background exchange with a distribution (stats_arrays type >= 2) of the
    bw2calc matrices to ``entries``, one variable each."""
    from bw_processing import UNCERTAINTY_DTYPE

    for matrix, mm in (("technosphere", lca.technosphere_mm), ("biosphere", lca.biosphere_mm)):
        for group in mm.groups:
            if (group.empty or not group.vector or group.label.startswith(f"{foreground}_")
                    or not group.has_distributions):
                continue  # array (scenario) groups are not sampled; the foreground is sampled from the model
            dist = group.apply_masks(group.get_resource_by_suffix("distributions"))
            data = group.apply_masks(group.get_resource_by_suffix("data")).astype(float)
            flip = group.flip if group.has_flip else np.zeros(len(data), dtype=bool)
            rescale = group.rescale if group.has_rescale else np.ones(len(data))
            usable = _usable(dist)
            database = group.label.removesuffix(f"_{matrix}_matrix")
            k = np.flatnonzero(usable)  # one variable each, in order
            if not len(k):
                continue
            params = np.empty(len(k), dtype=UNCERTAINTY_DTYPE)
            for name in params.dtype.names:
                params[name] = dist[name][k]
            entries.blocks.append(_Block(
                first=entries.size, database=database, matrix=matrix, rows=np.asarray(group.row_masked[k]),
                cols=np.asarray(group.col_masked[k]), coeffs=np.where(flip[k], -1.0, 1.0) * np.asarray(rescale, dtype=float)[k],
                params=params, amounts=data[k]))
            by_database[database] = by_database.get(database, 0) + len(k)


def _usable(dist: np.ndarray) -> np.ndarray:
    """Rows of a distributions array that describe a real spread stats_arrays can sample:
    type >= 2 and valid parameters (e.g. a lognormal with scale 0 is a fixed amount)."""
    from stats_arrays import uncertainty_choices
    from stats_arrays.errors import StatsArraysError

    kind = dist["uncertainty_type"]
    usable = kind >= 2
    for choice in uncertainty_choices:
        if choice.id < 2:
            continue
        rows = np.flatnonzero(kind == choice.id)
        if not len(rows):
            continue
        try:
            choice.validate(dist[rows])
        except StatsArraysError:  # InvalidParamsError, ImproperBoundsError, ...: check one by one
            for r in rows:
                try:
                    choice.validate(dist[r:r + 1])
                except StatsArraysError:
                    usable[r] = False
    return usable


class _Engine:
    """Score of the product system for sampled values of the entries (see module docstring).

    ``lu`` is the one factorisation of the deterministic ``A^T``
    (:func:`pcf.lca.mcsolve.factorise_transpose`), made here when None and shared with the
    engine of the held scores; ``solver`` ``"iterative"`` (default,
    :class:`pcf.lca.mcsolve.PatternSolver`) or ``"exact"`` (``scipy.sparse.linalg.spsolve``
    of every sample's own matrix: the reference the tests compare with).

    ``split`` (the foreground's rows and columns, :func:`_foreground_index`): when the
    background draws nothing from the foreground (always in pcf) and the system has at least
    :data:`DUAL_FROM` activities, the iterative solver scores each sample through the
    background's intensities (:class:`_Split`): one transposed solve per sample serves the
    scores with the defaults held too, which then need no solve at all.
    """

    def __init__(self, lca, entries: _Entries, amounts: np.ndarray, lu=None, solver: str = "iterative",
                 tolerance: float = TOLERANCE, max_iterations: int = MAX_ITERATIONS, split: tuple | None = None,
                 positions: np.ndarray | None = None):
        self.f = np.asarray(lca.demand_array, dtype=float)
        self.c = np.asarray(lca.characterization_matrix.diagonal(), dtype=float)
        self.positions = np.arange(len(amounts)) if positions is None else np.asarray(positions)
        self.amounts = np.empty(len(amounts))
        self.amounts[self.positions] = amounts  # in the order of the draws (row positions[v] for variable v)
        self.n_vars = len(amounts)
        self.A = self._pattern(lca.technosphere_matrix, entries.cell_arrays("technosphere"))
        self.B = self._pattern(lca.biosphere_matrix, entries.cell_arrays("biosphere"))
        B_cols = np.repeat(np.arange(self.B["shape"][1]), np.diff(self.B["indptr"]))
        self.b_weight = self.c[self.B["indices"]]  # c of the row of each stored B entry
        # column sums of (c-weighted) stored B entries: g = B^T c per activity
        self.b_colsum = sparse.csr_matrix((np.ones(len(B_cols)), (B_cols, np.arange(len(B_cols)))),
                                          shape=(self.B["shape"][1], len(B_cols)))
        self.fixed_A = self.A["scatter"] is None
        self.solver = solver
        g0 = self.b_colsum @ (self.b_weight * self.B["data"])
        self.system = PatternSolver(self.A["indices"], self.A["indptr"], self.A["data"], self.f, g0, lu=lu,
                                    tolerance=tolerance, max_iterations=max_iterations)
        self.lu = self.system.lu
        self.supply0 = self.system.x0
        self.score0 = float(g0 @ self.supply0)
        self.split = None
        self.last_supply = self.last_dual = None
        if split is not None and solver == "iterative" and not self.fixed_A and self.A["shape"][1] >= DUAL_FROM:
            parts = _Split(self.A, self.f, *split)
            if parts.ok:
                self.split = parts
                self.dual_weights = np.abs(self.supply0)
                self.dual_weights[parts.fg_cols] = 0.0  # the foreground's residual does not reach the score

    def _pattern(self, matrix, cells) -> dict:
        """CSC structure of ``matrix`` plus the sampled cells, its data, and the sparse
        scatter matrix (stored entries x variables) of the cells' coefficients."""
        coo = sparse.coo_matrix(matrix)
        rows, cols, variables, coeffs = (np.asarray(x) for x in cells)
        all_rows = np.concatenate([coo.row, rows.astype(np.int64)]) if len(rows) else coo.row
        all_cols = np.concatenate([coo.col, cols.astype(np.int64)]) if len(rows) else coo.col
        all_data = np.concatenate([coo.data.astype(float), np.zeros(len(rows))])
        csc = sparse.csc_matrix((all_data, (all_rows, all_cols)), shape=matrix.shape)
        csc.sum_duplicates()
        csc.sort_indices()
        scatter = None
        if len(rows):
            n_rows = matrix.shape[0]
            stored = np.repeat(np.arange(csc.shape[1]), np.diff(csc.indptr)) * n_rows + csc.indices
            position = np.searchsorted(stored, cols.astype(np.int64) * n_rows + rows.astype(np.int64))
            columns = self.positions[variables.astype(np.int64)]  # the variables' rows in the draws
            scatter = sparse.csr_matrix((coeffs.astype(float), (position, columns)), shape=(csc.nnz, self.n_vars))
        data = np.asarray(csc.data, dtype=float)
        return {"data": data, "indices": csc.indices, "indptr": csc.indptr, "shape": csc.shape, "scatter": scatter,
                "offset": None if scatter is None else data - scatter @ self.amounts}

    @staticmethod
    def _matrix(pattern: dict, data: np.ndarray):
        return sparse.csc_matrix((data, pattern["indices"], pattern["indptr"]), shape=pattern["shape"])

    def _data(self, pattern: dict, draws: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Stored entries x iterations for the draws (variables x iterations), each iteration's
        entries contiguous (Fortran order: the solver reads them in place); only the stored
        entries ``rows`` when given. An entry is its deterministic value with the sampled cells'
        deterministic parts taken out (``offset``), plus the sampled cells. ``rows`` is an array
        this engine keeps (its rows of the scatter matrix are kept by its identity)."""
        if pattern["scatter"] is None:
            base = pattern["data"] if rows is None else pattern["data"][rows]
            return np.broadcast_to(base[:, None], (len(base), draws.shape[1]))
        scatter, offset = pattern["scatter"], pattern["offset"]
        if rows is not None:
            key = ("rows", id(rows))
            if key not in pattern:
                pattern[key] = (scatter[rows], offset[rows])
            scatter, offset = pattern[key]
        out = np.empty((scatter.shape[0], draws.shape[1]), order="F")
        for k in range(draws.shape[1]):
            out[:, k] = scatter @ draws[:, k]
            out[:, k] += offset
        return out

    def _scores(self, a_data: np.ndarray, b_data: np.ndarray, start: np.ndarray | None = None,
                dual: np.ndarray | None = None) -> np.ndarray:
        G = self.b_colsum @ (self.b_weight[:, None] * b_data)  # B_k^T c, activities x iterations
        m = b_data.shape[1]
        if self.split is not None:
            D, offset = self.split.foreground(a_data[self.split.rows], G[self.split.fg_cols])
            if dual is None:
                H = G.copy()
                H[self.split.fg_cols] = 0.0
                dual = np.full(G.shape, np.nan)  # a sample with a singular foreground block stays NaN
                k = np.flatnonzero(np.isfinite(offset))
                if len(k) == m:
                    dual = self.system.solve_dual(a_data, H, -D, offset, self.dual_weights)
                elif len(k):
                    dual[:, k] = self.system.solve_dual(a_data[:, k], H[:, k], -D[:, k], offset[k],
                                                        self.dual_weights)
            self.last_dual = dual
            return offset - np.einsum("ik,ik->k", D, dual)
        if self.fixed_A:
            supply = np.broadcast_to(self.supply0[:, None], (len(self.supply0), m))
        elif self.solver == "exact":
            supply = np.empty((self.A["shape"][1], m))
            for k in range(m):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", MatrixRankWarning)
                    # CSR: spsolve factorises A_k^T (far less fill), as bw2calc's own solve does
                    supply[:, k] = spsolve(self._matrix(self.A, np.ascontiguousarray(a_data[:, k])).tocsr(), self.f)
        else:
            supply = self.system.solve(a_data, G, start)
        self.last_supply = supply
        return np.einsum("ik,ik->k", G, supply)

    def scores(self, draws: np.ndarray, start: np.ndarray | None = None, dual: np.ndarray | None = None) -> np.ndarray:
        """Scores [kg CO2e / reference flow] for draws of shape (variables, iterations), variable
        ``v`` in row ``positions[v]`` (:meth:`pcf.lca.draws.Draws.generate_sorted`); NaN
        where the sample's technosphere matrix is singular. ``start``: first guesses of the
        supplies (activities x iterations), e.g. :attr:`last_supply` of another engine on the
        same draws (the held engine differs only in the default amounts). ``dual``: with
        :attr:`split`, the intensities of the same draws (:attr:`last_dual` of the engine that
        differs only in foreground amounts): no solve."""
        if dual is not None and self.split is not None:
            return self._foreground_scores(draws, dual)
        return self._scores(self._data(self.A, draws), self._data(self.B, draws), start, dual)

    def _foreground_scores(self, draws: np.ndarray, dual: np.ndarray) -> np.ndarray:
        """:meth:`scores` through the background's intensities ``dual`` of the same draws: only
        the entries of the foreground's columns are needed (of A and of B)."""
        split = self.split
        if not hasattr(self, "b_fg"):
            entry_cols = np.repeat(np.arange(self.B["shape"][1]), np.diff(self.B["indptr"]))
            self.b_fg = np.flatnonzero(np.isin(entry_cols, split.fg_cols))
            self.b_fg_sum = self.b_colsum[split.fg_cols][:, self.b_fg]
        G_f = self.b_fg_sum @ (self.b_weight[self.b_fg][:, None] * self._data(self.B, draws, self.b_fg))
        D, offset = split.foreground(self._data(self.A, draws, split.rows), G_f)
        self.last_dual = dual
        return offset - np.einsum("ik,ik->k", D, dual)

    def check(self, expected: float, rel: float = 1e-6) -> None:
        """The unsampled matrices must give the deterministic footprint (to ``rel``)."""
        if not math.isclose(self.score0, expected, rel_tol=rel, abs_tol=1e-9):
            raise CalculationError(f"the Monte Carlo matrices give {self.score0} without sampling, not the "
                                   f"footprint {expected}; please report this")

    def contributions(self) -> tuple[np.ndarray, np.ndarray]:
        """Characterised intensity of each product row [kg CO2e / unit] and the supply of each
        activity, of the unsampled system (for ranking background exchanges); from the one
        factorisation."""
        return self.system.z0, self.supply0


#: Activities from which the samples are scored through the background's intensities
#: (:class:`_Split`): on a large background one transposed solve per sample then serves the
#: scores with the defaults held too (half the solves); on a small one the dense foreground
#: blocks cost more than solving the whole small system (NMC811 on the open default: 540
#: instead of 1,160 iterations/s with a lognormal on every foreground input).
DUAL_FROM = 5_000
#: ``uncertainty.solver.method`` of the scores through the background's intensities.
DUAL_METHOD = ("BiCGSTAB on the background's intensities A_k^T z = B_k^T c (the foreground block solved exactly), "
               "preconditioned with the deterministic LU of A^T, exact LU fallback")
#: Values of the dense foreground blocks solved at once [float64 values].
BLOCK_VALUES = 4_000_000


class _Split:
    """The technosphere in foreground and background blocks.

    With products and activities ordered foreground first, ``A = [[A_ff, 0], [A_bf, A_bb]]``
    (the background draws nothing from the foreground) and the demand is on foreground products
    only, so ``s_f = A_ff^-1 f_f``, ``s_b = -A_bb^-1 A_bf s_f`` and the score is
    ``g_f^T s_f - z_b^T (A_bf s_f)`` with the background's intensities ``z_b = A_bb^-T g_b``
    (Heijungs and Suh 2002, ch. 5, the partitioned matrix). ``z_b`` does not depend on the
    foreground amounts: the scores with the default amounts held come from the same ``z_b``, and
    the foreground block, a few dozen rows, is solved exactly per sample.

    Parameters
    ----------
    pattern : dict
        :meth:`_Engine._pattern` of the technosphere.
    f : numpy.ndarray
        Demand by product row.
    rows, cols : list of int
        The foreground's product rows and activity columns, aligned.

    Attributes
    ----------
    ok : bool
        The system has that shape (else the caller solves whole supplies).
    """

    def __init__(self, pattern: dict, f: np.ndarray, rows: list, cols: list):
        n_rows, n_cols = pattern["shape"]
        indices, indptr = pattern["indices"], pattern["indptr"]
        entry_cols = np.repeat(np.arange(n_cols), np.diff(indptr))
        row_pos, col_pos = np.full(n_rows, -1), np.full(n_cols, -1)
        row_pos[rows], col_pos[cols] = np.arange(len(rows)), np.arange(len(cols))
        fg_row, fg_col = row_pos[indices] >= 0, col_pos[entry_cols] >= 0
        self.ok = bool(len(rows)) and not np.any(fg_row & ~fg_col) and not np.any(f[row_pos < 0])
        ff, bf = np.flatnonzero(fg_row & fg_col), np.flatnonzero(~fg_row & fg_col)
        self.rows = np.union1d(ff, bf)  # the stored entries of the foreground's columns
        self.ff_r, self.ff_c = row_pos[indices[ff]], col_pos[entry_cols[ff]]
        self.ff, self.bf = np.searchsorted(self.rows, ff), np.searchsorted(self.rows, bf)  # in ``rows``
        self.bf_c = col_pos[entry_cols[bf]]
        self.bf_scatter = sparse.csr_matrix((np.ones(len(bf)), (indices[bf], np.arange(len(bf)))),
                                            shape=(n_rows, len(bf)))
        self.f_f = np.asarray(f, dtype=float)[rows]
        self.fg_cols = np.asarray(cols, dtype=np.int64)

    def foreground(self, a_data: np.ndarray, G: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For sampled entries ``a_data`` (the stored entries :attr:`rows` x samples) and
        ``G = B_k^T c`` of the foreground's activities (foreground x samples): ``D = A_bf s_f``
        (products x samples, 0 on the foreground's) and ``g_f^T s_f`` per sample; NaN where a
        sample's foreground block is singular."""
        m, nf = a_data.shape[1], len(self.f_f)
        s_f = np.empty((nf, m))
        step = max(1, BLOCK_VALUES // (nf * nf))  # bounded memory: a small model samples many at once
        for lo in range(0, m, step):
            block = np.zeros((min(step, m - lo), nf, nf))
            block[:, self.ff_r, self.ff_c] = a_data[self.ff, lo:lo + step].T
            s_f[:, lo:lo + step] = _solve_blocks(block, self.f_f)
        D = self.bf_scatter @ (a_data[self.bf] * s_f[self.bf_c])
        return D, np.einsum("pk,pk->k", G, s_f)


def _solve_blocks(blocks: np.ndarray, f: np.ndarray) -> np.ndarray:
    """``blocks[k]^-1 f`` for every k, as columns (n, m); NaN columns for singular blocks."""
    m, n = blocks.shape[0], len(f)
    with np.errstate(all="ignore"):
        try:
            return np.linalg.solve(blocks, np.broadcast_to(f, (m, n))[..., None])[..., 0].T
        except np.linalg.LinAlgError:
            out = np.full((n, m), np.nan)
            for k in range(m):
                try:
                    out[:, k] = np.linalg.solve(blocks[k], f)
                except np.linalg.LinAlgError:
                    pass
            return out


def _ranked_variables(engine: _Engine, entries: _Entries, n_foreground: int) -> np.ndarray:
    """Variables whose samples are kept for the driver ranking: every foreground amount and
    the background exchanges with the largest deterministic contribution (at most
    ``MAX_RANKED_BACKGROUND``), of activities that the product system uses."""
    background = np.arange(n_foreground, entries.size)
    if len(background):
        intensity, supply = engine.contributions()
        weight = np.concatenate([np.abs(b.amounts * supply[b.cols] * (engine.c[b.rows] if b.matrix == "biosphere"
                                                                      else intensity[b.rows]))
                                 for b in entries.blocks])
        order = np.argsort(-weight, kind="stable")
        background = background[order][: MAX_RANKED_BACKGROUND]
        background = background[weight[order][: MAX_RANKED_BACKGROUND] > 0]
    return np.concatenate([np.arange(n_foreground), background]).astype(np.int64)


def _drivers(bd, lca, entries: _Entries, ranked: np.ndarray, kept: np.ndarray, scores: np.ndarray) -> list[dict]:
    """Spearman rank correlation of each kept variable with the score, and rho^2 shares."""
    if not len(ranked) or np.ptp(scores) == 0:
        return []
    score_rank = rankdata(scores)
    ranks = rankdata(kept, axis=1)
    x = ranks - ranks.mean(axis=1, keepdims=True)
    y = score_rank - score_rank.mean()
    denominator = np.sqrt((x ** 2).sum(axis=1) * (y ** 2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.where(denominator > 0, (x @ y) / denominator, 0.0)
    squared = rho ** 2
    total = squared.sum()
    if total == 0:
        return []
    order = np.argsort(-squared, kind="stable")[:TOP_DRIVERS]
    return [_describe(bd, lca, entries, int(ranked[k]), float(rho[k]), float(squared[k] / total)) for k in order]


def _describe(bd, lca, entries: _Entries, var: int, rho: float, share: float) -> dict:
    info = entries.describe(var)
    if info["kind"] == "foreground":
        item = info["item"]
        dist = item.distribution
        text = dist.describe() if item.source is None else f"default {dist.describe()}, {item.source}"
        return {"kind": "foreground", "input": item.label, "process": item.process, "field": item.field,
                "index": item.index, "database": None, "distribution": text,
                "spearman": rho, "share": share}
    activity = bd.get_node(id=lca.dicts.activity.reversed[info["col"]])
    if info["matrix"] == "biosphere":
        flow = bd.get_node(id=lca.dicts.biosphere.reversed[info["row"]])
        what = f"{activity['name']}: {flow['name']}"
    else:
        product = bd.get_node(id=lca.dicts.product.reversed[info["row"]])
        what = f"{activity['name']}: input of {product['name']}"
    name = STATS_NAMES.get(info["type"], str(info["type"]))
    text = f"{name}, GSD {math.exp(info['scale']):.4g}" if info["type"] == 2 else name
    return {"kind": "background", "input": what, "process": activity["code"], "field": info["matrix"],
            "index": None, "database": info["database"], "distribution": text, "spearman": rho, "share": share}


def _background_note(by_database: dict, background: bool) -> str:
    if not background:
        return "Background not sampled (foreground uncertainty only)."
    if not by_database:
        return "The background carries no distributions: only the model's own amounts were sampled."
    parts = []
    for database, n in sorted(by_database.items()):
        if _is_table(database):
            parts.append(f"{database}: {n} exchanges with lognormal GSDs DERIVED from each row's PEF data quality "
                         "rating through the ecoinvent v3 pedigree matrix (a proxy, databases/README.md)")
        else:
            parts.append(f"{database}: {n} exchanges with the distributions the database itself gives")
    return "; ".join(parts) + "."


def _is_table(database: str) -> bool:
    """Whether a database was written from a pcf background table (DQR-derived GSDs)."""
    meta = brightway().databases.get(database) or {}
    return meta.get("pcf_kind") == "table"
