"""Monte Carlo on a background with uncertainty on every exchange (issue 18 part 2): the
samples solved iteratively with the one deterministic factorisation (pcf.lca.mcsolve) equal
an exact per-sample solve (scipy's spsolve of each sample's own matrix) to 1e-9, with the
same draws; the exact-LU fallback is taken and correct when forced; a seed gives the same
numbers.

Background ``mc-synth`` (built here, seed fixed): 300 activities in 3 sectors of 100, each
taking inputs of 0.01 - 0.12 units from up to 5 activities just upstream in its sector and
from the first 5 activities (hubs) of sector 0, and 10 % of them one input from the next
three activities downstream (small loops), so the technosphere matrix is productive with
loops; each activity emits fossil CO2 and some methane. EVERY exchange (production,
technosphere, biosphere) carries a lognormal with GSD 1.5 around its amount: a wide spread,
so that each sample's matrix differs clearly from the deterministic one.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
from scipy.stats import ks_2samp

from pcf.lca import footprint
from pcf.lca.uncertainty import monte_carlo
from pcf.model import load_model

DB = "mc-synth"
SECTORS, PER = 3, 100
GSD = 1.5


def _lognormal(exchange: dict) -> dict:
    exchange.update({"uncertainty type": 2, "loc": float(np.log(exchange["amount"])), "scale": float(np.log(GSD))})
    return exchange


@pytest.fixture(scope="module")
def synth(bd):
    from pcf.core.bw import quiet

    rng = np.random.default_rng(3)
    co2 = bd.get_node(database="biosphere3", name="Carbon dioxide, fossil", categories=("air",)).key
    ch4 = bd.get_node(database="biosphere3", name="Methane, fossil", categories=("air",)).key
    data = {}
    for s in range(SECTORS):
        for k in range(PER):
            sources = {(s, int(j)) for j in rng.integers(max(0, k - 8), k, size=min(k, 5))} if k else set()
            sources |= {(0, int(j)) for j in range(5) if (0, j) < (s, k) and rng.random() < 0.5}
            if k < PER - 1 and rng.random() < 0.1:
                sources.add((s, int(rng.integers(k + 1, min(PER, k + 4)))))
            sources.discard((s, k))
            exchanges = [_lognormal({"input": (DB, f"a{s}-{k}"), "amount": 1.0, "type": "production"})]
            exchanges += [_lognormal({"input": (DB, f"a{ss}-{kk}"), "amount": float(rng.uniform(0.01, 0.12)),
                                      "type": "technosphere"}) for ss, kk in sorted(sources)]
            exchanges.append(_lognormal({"input": co2, "amount": float(rng.uniform(0.1, 2.0)), "type": "biosphere"}))
            if rng.random() < 0.3:
                exchanges.append(_lognormal({"input": ch4, "amount": float(rng.uniform(1e-4, 1e-2)), "type": "biosphere"}))
            data[(DB, f"a{s}-{k}")] = {"name": f"activity {s}-{k}", "unit": "kilogram", "location": "GLO",
                                       "reference product": f"product {s}-{k}", "type": "process",
                                       "exchanges": exchanges}
    with quiet():
        if DB in bd.databases:
            del bd.databases[DB]
        db = bd.Database(DB)
        db.register(description="test: synthetic background with uncertainty on every exchange")
        db.write(data)
    return data


MODEL = textwrap.dedent(f"""\
    format: pcf-model/1
    product: {{id: MCS, name: product on the synthetic background, process: p, reference_flow: {{amount: 1, unit: item}}}}
    study: {{background: {DB}, method: ipcc-2021-gwp100}}
    processes:
      - id: p
        name: assembly
        stage: production
        output: {{amount: 1, unit: item}}
        inputs:
          - {{background: a2-99, amount: 2, unit: kg}}
          - {{background: a1-60, amount: 1.5, unit: kg}}
          - {{background: a0-97, amount: 0.5, unit: kg}}
    """)


@pytest.fixture(scope="module")
def system(synth, tmp_path_factory):
    path = tmp_path_factory.mktemp("mcs") / "model.yaml"
    path.write_text(MODEL, encoding="utf-8")
    system = load_model(path)
    return system, footprint(system).total_kg_co2e


def _run(system, n, seed=7, **options):
    model, total = system
    return monte_carlo(model, n, seed, deterministic=total, defaults=False, **options)


def test_every_background_exchange_is_sampled(system, synth):
    mc = _run(system, 10)
    n_exchanges = sum(len(act["exchanges"]) for act in synth.values())
    assert mc.sampled["background_exchanges"] == {DB: n_exchanges}


def test_iterative_samples_equal_exact_per_sample_solves(system):
    """200 iterations, the same seed (so the same draws): every score of the iterative solve
    within 1e-9 (relative) of spsolve of that sample's own matrix, and the two samples are one
    distribution (two-sample Kolmogorov-Smirnov, p > 0.01; equal samples give p = 1)."""
    iterative = _run(system, 200)
    exact = _run(system, 200, solver="exact")
    assert iterative.iterations == exact.iterations == 200
    assert np.std(exact.scores) > 0.05 * abs(np.mean(exact.scores))  # a real spread
    np.testing.assert_allclose(iterative.scores, exact.scores, rtol=1e-9, atol=0)
    assert ks_2samp(iterative.scores, exact.scores).pvalue > 0.01
    solver = iterative.to_dict()["solver"]
    assert solver["fallbacks"] == 0 and solver["samples"] == 200 and solver["singular"] == 0
    assert 1 <= solver["mean_iterations"] <= solver["max_iterations"] <= 25
    assert exact.to_dict()["solver"]["method"].startswith("exact")


@pytest.mark.parametrize("options", [{"max_iterations": 0}, {"max_iterations": 2, "tolerance": 0.0}])
def test_forced_fallback_is_counted_and_exact(system, options):
    """No BiCGSTAB step allowed, or a tolerance no sample can meet: every sample falls back to
    its own LU, and the scores still equal the exact ones."""
    forced = _run(system, 20, **options)
    exact = _run(system, 20, solver="exact")
    solver = forced.to_dict()["solver"]
    assert solver["fallbacks"] == 20 and solver["samples"] == 20
    np.testing.assert_allclose(forced.scores, exact.scores, rtol=1e-12, atol=0)


def test_a_hard_sample_falls_back_alone(system):
    """With a cap of 16 steps (the samples of this seed take 1 - 20, 16.4 on average), those that need more fall back and the rest do not; all
    scores equal the exact ones."""
    capped = _run(system, 40, max_iterations=16)
    exact = _run(system, 40, solver="exact")
    solver = capped.to_dict()["solver"]
    assert 0 < solver["fallbacks"] < 40
    np.testing.assert_allclose(capped.scores, exact.scores, rtol=1e-9, atol=0)


def test_same_seed_same_numbers(system):
    a, b, c = _run(system, 50, seed=11), _run(system, 50, seed=11), _run(system, 50, seed=12)
    assert a.to_dict() == b.to_dict()
    np.testing.assert_array_equal(a.scores, b.scores)
    assert not np.allclose(a.scores, c.scores)


def test_unknown_solver_is_refused(system):
    from pcf.core.errors import UncertaintyError

    with pytest.raises(UncertaintyError, match="unknown Monte Carlo solver"):
        _run(system, 10, solver="magic")


@pytest.mark.parametrize("kernels", ["scipy private", "scipy public"])
def test_large_system_paths_give_the_same_scores(system, monkeypatch, kernels):
    """The products ``A_k x`` one column at a time and the threaded preconditioner (what a
    background of more than 50,000 entries / 5,000 activities takes) give the same scores as
    the exact solves; with SciPy's private product kernels and with its public product (what a
    SciPy that moves ``scipy.sparse._sparsetools`` gets)."""
    from pcf.lca import mcsolve

    if kernels == "scipy public":
        monkeypatch.setattr(mcsolve, "_sparsetools", None)
    monkeypatch.setattr(mcsolve, "PER_COLUMN_FROM", 0)
    monkeypatch.setattr(mcsolve, "THREADED_FROM", 0)
    large = _run(system, 60)
    exact = _run(system, 60, solver="exact")
    np.testing.assert_allclose(large.scores, exact.scores, rtol=1e-9, atol=0)
    assert large.to_dict()["solver"]["fallbacks"] == 0



@pytest.fixture
def intensities(monkeypatch):
    """Score through the background's intensities (pcf.lca.uncertainty._Split), what a
    background of 5,000 activities or more takes."""
    from pcf.lca import uncertainty

    monkeypatch.setattr(uncertainty, "DUAL_FROM", 0)


def test_background_intensities_give_the_exact_scores(system, intensities):
    """The transposed solves ``A_k^T z_k = B_k^T c`` of the background (the path of a large
    background, issue 18 part 2), with the foreground block solved exactly per sample: every
    score of 200 iterations within 1e-9 of spsolve of the sample's own matrix (same draws),
    one distribution (two-sample Kolmogorov-Smirnov, p > 0.01)."""
    iterative = _run(system, 200)
    exact = _run(system, 200, solver="exact")
    assert np.std(exact.scores) > 0.05 * abs(np.mean(exact.scores))  # a real spread
    np.testing.assert_allclose(iterative.scores, exact.scores, rtol=1e-9, atol=0)
    assert ks_2samp(iterative.scores, exact.scores).pvalue > 0.01
    solver = iterative.to_dict()["solver"]
    assert solver["method"].startswith("BiCGSTAB on the background's intensities")
    assert solver["fallbacks"] == 0 and solver["samples"] == 200 and solver["singular"] == 0


@pytest.mark.parametrize("options", [{"max_iterations": 0}, {"max_iterations": 2, "tolerance": 0.0}])
def test_background_intensities_fall_back_to_exact_solves(system, intensities, options):
    forced = _run(system, 20, **options)
    exact = _run(system, 20, solver="exact")
    assert forced.to_dict()["solver"]["fallbacks"] == 20
    np.testing.assert_allclose(forced.scores, exact.scores, rtol=1e-12, atol=0)


@pytest.mark.parametrize("dual_from", [0, 10**9])
def test_held_defaults_scores_equal_the_exact_ones(system, monkeypatch, dual_from):
    """With the default uncertainty (the model's three inputs get default lognormals), the
    scores with the defaults held: through the background's intensities they come from the
    same intensities as the scores (no solve of their own), else from a solve of their own;
    either way both equal the exact per-sample solves (scores to 1e-9, the held statistics to
    their 1e-6 tolerance)."""
    from pcf.lca import uncertainty

    monkeypatch.setattr(uncertainty, "DUAL_FROM", dual_from)
    model, total = system
    iterative = monte_carlo(model, 60, 5, deterministic=total)
    exact = monte_carlo(model, 60, 5, deterministic=total, solver="exact")
    np.testing.assert_allclose(iterative.scores, exact.scores, rtol=1e-9, atol=0)
    held, held_exact = iterative.defaults["without_defaults"], exact.defaults["without_defaults"]
    for key in ("mean", "median", "p2_5", "p97_5"):
        assert held[key] == pytest.approx(held_exact[key], rel=1e-6)
    assert held["sd"] == pytest.approx(held_exact["sd"], rel=1e-4)
    assert iterative.defaults["variance_share"] == pytest.approx(exact.defaults["variance_share"], abs=1e-4)
    solver = iterative.to_dict()["solver"]
    assert solver["samples"] == (60 if dual_from == 0 else 120)  # the held scores solved nothing, or again


def test_draws_are_the_stats_arrays_generators_draws():
    """pcf.lca.draws.Draws (lognormals drawn as exp(loc + scale z) in place) gives what
    stats_arrays' MCRandomNumberGenerator gives for the same seed, block after block: the same
    stream for lognormals (signed, and bounded ones drawn by stats_arrays), normals, uniforms and
    triangulars mixed (rel. 1e-15: NumPy's exp may differ from the C library's in the last bit)."""
    from bw_processing import UNCERTAINTY_DTYPE
    from stats_arrays import MCRandomNumberGenerator

    from pcf.lca.draws import Draws

    rng = np.random.default_rng(0)
    n = 3000
    params = np.zeros(n, dtype=UNCERTAINTY_DTYPE)
    params["uncertainty_type"] = rng.choice([2, 2, 2, 3, 4, 5], size=n)
    params["loc"], params["scale"] = rng.normal(size=n), rng.uniform(0.1, 0.5, size=n)
    params["minimum"], params["maximum"] = np.nan, np.nan
    bounded = params["uncertainty_type"] >= 4  # uniform, triangular: loc inside [min, max]
    params["minimum"][bounded], params["maximum"][bounded] = params["loc"][bounded] - 1, params["loc"][bounded] + 1
    lognormal = params["uncertainty_type"] == 2
    capped = lognormal & (rng.random(n) < 0.02)  # a lognormal with a maximum: stats_arrays' own loop
    params["maximum"][capped] = np.exp(params["loc"][capped]) * 1.5
    params["negative"] = lognormal & (rng.random(n) < 0.2)
    theirs, ours = MCRandomNumberGenerator(params, seed=5), Draws(params, 5)
    for m in (35, 1, 7):
        np.testing.assert_allclose(ours.generate(m), theirs.generate(m).reshape(n, m), rtol=1e-15, atol=0)
