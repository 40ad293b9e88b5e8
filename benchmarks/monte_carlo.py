"""Benchmark: Monte Carlo uncertainty of the NMC811 pack (issue 4 point 8).

Times ``pcf.lca.uncertainty.monte_carlo`` with 1,000 iterations of
``examples/battery/nmc811-pack.yaml`` on the open default (target: under 30 s on a 2-core
machine), next to baselines measured in the same run: one deterministic ``pcf footprint``
calculation, and bw2calc's own Monte Carlo (``LCA(use_distributions=True)`` + ``next(lca)``,
which rebuilds the matrices from the datapackages each iteration) for a few iterations. A
second pcf run puts a lognormal (GSD 1.1) on every foreground input, so the technosphere
matrix must be factorised every iteration (the slow path).

Run with ``make bench`` (after ``pcf setup``) or ``python benchmarks/monte_carlo.py``; it uses
the background under ``PCF_HOME``. The last line is ``monte_carlo: iterations_per_s=<x>``
(sampling loop of the model as shipped, preparation excluded; the preparation is printed).
"""

from __future__ import annotations

import sys
import time
import warnings
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

MODEL = REPO / "examples" / "battery" / "nmc811-pack.yaml"
ITERATIONS = 1000
SEED = 42
BW2CALC_ITERATIONS = 100
TARGET_S = 30.0


def main() -> None:
    from pcf.background import method_spec, setup
    from pcf.core.bw import brightway
    from pcf.graph import build_foreground
    from pcf.lca import footprint
    from pcf.lca.uncertainty import monte_carlo
    from pcf.model import load_model
    from pcf.model.distributions import Distribution

    setup()
    system = load_model(MODEL)
    footprint(system)  # warm-up: imports, first database access
    start = time.perf_counter()
    result = footprint(system)
    deterministic_s = time.perf_counter() - start
    print(f"monte_carlo: model {MODEL.relative_to(REPO)}, {ITERATIONS} iterations, seed {SEED}")
    print(f"monte_carlo: baseline, one deterministic footprint: {deterministic_s:.3f} s")

    start = time.perf_counter()
    mc = monte_carlo(system, ITERATIONS, SEED, deterministic=result.total_kg_co2e)
    total_s = time.perf_counter() - start
    d = mc.to_dict()
    sampled = ", ".join(f"{n} in {db}" for db, n in d["sampled"]["background_exchanges"].items()) or "none"
    print(f"monte_carlo: sampled {d['sampled']['foreground_amounts']} foreground amounts; background exchanges: {sampled}")
    print(f"monte_carlo: one-off preparation {mc.timings['prepare_s']:.3f} s "
          f"(foreground graph, bw2calc matrices, distributions)")
    print(f"monte_carlo: sampling + drivers {mc.timings['sample_s']:.3f} s; total {total_s:.3f} s "
          f"(target under {TARGET_S:g} s: {'met' if total_s < TARGET_S else 'MISSED'})")
    print(f"monte_carlo: result mean {d['mean']:.1f}, 95 % interval {d['p2_5']:.1f} .. {d['p97_5']:.1f} kg CO2e "
          f"(deterministic {d['deterministic_kg_co2e']:.1f})")

    # baseline: bw2calc's own Monte Carlo on the same distributions
    bd = brightway()
    import bw2calc as bc

    graph = build_foreground(system)
    ref = bd.get_node(database=graph.database, code=graph.reference[1])
    fu, data_objs, _ = bd.prepare_lca_inputs(demand={ref: system.reference_amount},
                                            method=method_spec(system.model.study.method).name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lca = bc.LCA(demand=fu, data_objs=data_objs, use_distributions=True, seed_override=SEED)
        lca.lci()
        lca.lcia()
        start = time.perf_counter()
        for _ in range(BW2CALC_ITERATIONS):
            next(lca)
        bw_s = time.perf_counter() - start
    bw_rate = BW2CALC_ITERATIONS / bw_s
    rate = ITERATIONS / mc.timings["sample_s"]
    print(f"monte_carlo: baseline, bw2calc LCA(use_distributions=True) + next(): {BW2CALC_ITERATIONS} iterations "
          f"{bw_s:.3f} s = {bw_rate:.0f} iterations/s; pcf sampling is {rate / bw_rate:.1f}x that")

    # slow path: every foreground input uncertain, so A is factorised in every iteration
    for proc in system.processes.values():
        proc.inputs = [replace(i, uncertainty=Distribution("lognormal", i.amount, gsd=1.1)) if i.amount else i
                       for i in proc.inputs]
    slow = monte_carlo(system, ITERATIONS, SEED)
    print(f"monte_carlo: with a lognormal (GSD 1.1) on all {slow.sampled['foreground_amounts']} foreground inputs: "
          f"preparation {slow.timings['prepare_s']:.3f} s, sampling {slow.timings['sample_s']:.3f} s = "
          f"{ITERATIONS / slow.timings['sample_s']:.0f} iterations/s")
    print(f"monte_carlo: iterations_per_s={rate:.0f}")


if __name__ == "__main__":
    main()
