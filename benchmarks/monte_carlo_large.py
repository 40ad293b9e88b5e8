"""Benchmark: Monte Carlo on a large background (issue 18 parts 2 and 6), as a user runs it.

The background is a copy of the 20,000-activity synthetic background of benchmarks/batch.py
(benchmarks/support/synthetic.py) with a lognormal (GSD 1.2, median = the amount) on EVERY
technosphere input (282,121) and biosphere exchange (60,361); written once as the Brightway
database ``bench-synthetic-20k-mc`` under PCF_HOME (kept for the next run). The model is the
50-process synthetic foreground on it; its amounts take pcf's default uncertainty (as
``pcf footprint --monte-carlo`` does by default), so the scores with the defaults held are
solved too.

Measured in the same run:

1. ``pcf footprint MODEL --out DIR --monte-carlo N --seed 42`` from outside (a fresh process,
   wall clock), N = 1,000 (``PCF_BENCH_MC_ITERATIONS`` to measure fewer on a loaded machine:
   the line then says so and extrapolates linearly to 1,000 from the sampling part), and the
   same command without ``--monte-carlo`` (what the footprint alone costs of it).
2. Baseline: bw2calc's own Monte Carlo loop (``LCA(use_distributions=True)``, ``lci``, then
   ``next(lca)`` and ``lcia_calculation``), timed over a few iterations
   (``BW2CALC_ITERATIONS``) and extrapolated linearly to 1,000.
3. Accuracy: 20 iterations in-process, iterative (the default) and exact (spsolve of each
   sample's own matrix, same seed, so the same draws): the largest relative difference of
   the scores (promise: 1e-9). The distribution test (two-sample Kolmogorov-Smirnov on 200
   iterations against the exact per-sample solve) runs in tests/test_uncertainty_large.py on
   a 300-activity background; 200 exact solves of this one would take about half an hour.

Targets (issue 18 part 2): 1,000 iterations under 150 s wall (stretch 90 s) and at least 30x
bw2calc's loop. The last line is ``monte_carlo_large: wall_s_per_1000=<x>``.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

PCF = str(Path(sys.executable).parent / "pcf")

from support.targets import target_line  # noqa: E402
DB = "bench-synthetic-20k-mc"
GSD = 1.2
SEED = 42
ITERATIONS = int(os.environ.get("PCF_BENCH_MC_ITERATIONS", "1000"))
BW2CALC_ITERATIONS = 3
CHECKED = 20
TARGET_S, STRETCH_S, TARGET_SPEEDUP = 150.0, 90.0, 30.0


def background(bd) -> str:
    """Write the uncertain copy of the synthetic background unless it is there already."""
    from support import synthetic

    stamp = f"{synthetic.VERSION}:42:gsd{GSD}"
    if DB in bd.databases and bd.databases[DB].get("pcf_synthetic") == stamp:
        return "present"
    start = time.perf_counter()
    counts = synthetic.build(bd, DB, gsd=GSD)
    return f"built in {time.perf_counter() - start:.0f} s ({counts})"


def pcf_wall(args: list[str]) -> tuple[float, float]:
    """Wall clock and user + system CPU time of a pcf command in a fresh process [s]."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([PCF, *args], capture_output=True, text=True, env=os.environ.copy())
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"pcf {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return seconds, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def bw2calc_loop(bd, model: Path) -> float:
    """Seconds per iteration of bw2calc's own Monte Carlo on the same system."""
    import bw2calc as bc

    from pcf.background import method_spec
    from pcf.graph import build_foreground
    from pcf.model import load_model

    system = load_model(model)
    graph = build_foreground(system)
    ref = bd.get_node(database=graph.database, code=graph.reference[1])
    fu, objs, _ = bd.prepare_lca_inputs(demand={ref: system.reference_amount},
                                         method=method_spec(system.model.study.method).name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lca = bc.LCA(demand=fu, data_objs=objs, use_distributions=True, seed_override=SEED)
        lca.lci()
        lca.lcia()
        start = time.perf_counter()
        for _ in range(BW2CALC_ITERATIONS):
            next(lca)
        return (time.perf_counter() - start) / BW2CALC_ITERATIONS


def accuracy(model: Path, deterministic: float) -> tuple[float, dict]:
    """Largest relative difference of CHECKED iterative scores from the exact ones (same draws)."""
    import numpy as np

    from pcf.lca.uncertainty import monte_carlo
    from pcf.model import load_model

    system = load_model(model)
    fast = monte_carlo(system, CHECKED, SEED, deterministic=deterministic, defaults=False)
    exact = monte_carlo(system, CHECKED, SEED, deterministic=deterministic, defaults=False, solver="exact")
    return float(np.max(np.abs(fast.scores - exact.scores) / np.abs(exact.scores))), fast.solver


def main() -> None:
    from pcf.background import setup
    from pcf.core.bw import brightway
    from support import synthetic

    setup()
    bd = brightway()
    print(f"monte_carlo_large: background {DB}: {background(bd)}")
    with tempfile.TemporaryDirectory(prefix="pcf-bench-mc-") as tmp:
        model = Path(tmp) / "synthetic-50.yaml"
        model.write_text(synthetic.foreground_model(DB), encoding="utf-8")  # unreached processes kept_because
        footprint_s, _ = pcf_wall(["footprint", str(model), "--out", str(Path(tmp) / "det")])
        mc_s, mc_cpu = pcf_wall(["footprint", str(model), "--out", str(Path(tmp) / "mc"), "--monte-carlo", str(ITERATIONS),
                         "--seed", str(SEED)])
        [result_file] = (Path(tmp) / "mc").glob("*.result.json")
        result = json.loads(result_file.read_text(encoding="utf-8"))
        u = result["uncertainty"]
        print(f"monte_carlo_large: lognormal GSD {GSD} on {sum(u['sampled']['background_exchanges'].values())} "
              f"background exchanges and {u['sampled']['foreground_amounts']} foreground amounts (defaults)")
        print(f"monte_carlo_large: pcf footprint alone {footprint_s:.1f} s wall; with --monte-carlo {ITERATIONS}: "
              f"{mc_s:.1f} s wall (Monte Carlo part {mc_s - footprint_s:.1f} s)")
        print(f"monte_carlo_large: solver {json.dumps(u['solver'])}")
        per_1000 = mc_s if ITERATIONS == 1000 else footprint_s + (mc_s - footprint_s) * 1000 / ITERATIONS
        if ITERATIONS != 1000:
            print(f"monte_carlo_large: ONLY {ITERATIONS} iterations measured (PCF_BENCH_MC_ITERATIONS); "
                  f"1,000 extrapolated linearly: {per_1000:.1f} s")
        bw_s = bw2calc_loop(bd, model)
        print(f"monte_carlo_large: baseline bw2calc LCA(use_distributions=True) + next(): {BW2CALC_ITERATIONS} "
              f"iterations timed, {bw_s:.2f} s each, extrapolated {bw_s * 1000:.0f} s per 1,000")
        speedup = bw_s * 1000 / per_1000
        load = f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        target_line("pcf footprint --monte-carlo 1000, 20,000-activity background", per_1000, "s", TARGET_S,
                    baseline=bw_s * 1000, stretch=STRETCH_S,
                    note=f"CPU {mc_cpu:.0f} s; baseline: bw2calc's loop, extrapolated; {load}")
        target_line("Monte Carlo speed-up over bw2calc's loop", speedup, "x", TARGET_SPEEDUP, baseline="1 x",
                    higher_is_better=True)
        verdict = "met" if per_1000 < STRETCH_S else "met (stretch missed)" if per_1000 < TARGET_S else "MISSED"
        print(f"monte_carlo_large: 1,000 iterations {per_1000:.1f} s wall, target under {TARGET_S:g} s "
              f"(stretch {STRETCH_S:g} s): {verdict}; speedup over bw2calc {speedup:.1f}x "
              f"(target {TARGET_SPEEDUP:g}x: {'met' if speedup >= TARGET_SPEEDUP else 'MISSED'})")
        worst, solver = accuracy(model, result["total_kg_co2e"])
        print(f"monte_carlo_large: {CHECKED} iterations against an exact solve of each sample (same draws): "
              f"largest relative difference {worst:.2e} (promise 1e-9: {'met' if worst <= 1e-9 else 'MISSED'}); "
              f"fallbacks {solver['fallbacks']}")
    print(f"monte_carlo_large: wall_s_per_1000={per_1000:.1f}")


if __name__ == "__main__":
    main()
