"""Benchmark: ``pcf batch`` over 20,000 product variants (issue 6 point 5).

Counts the computation of every SKU's result (total, per declared unit, life-cycle stages,
ISO 14067 split, declared figure and its class) and of the summary table (an Arrow table),
not PDFs, in the batch engine's chunks of 5,000 (pcf.batch.engine.evaluate_columns):

(a) 20,000 variants of examples/battery/nmc811-pack.yaml (all six parameters varied) on the
    open default;
(b) 20,000 variants of a 50-process foreground (ten parameters) on a synthetic ecoinvent-scale
    background (benchmarks/support/synthetic.py: 20,000 activities, ~300,000 technosphere and
    ~60,000 biosphere entries, fixed seed, sectors with local chains, hubs and a few local
    loops), written once as the Brightway database ``bench-synthetic-20k`` under PCF_HOME
    (kept for the next run; ``pcf db remove bench-synthetic-20k`` removes it);
(c) the naive baseline on that background: per SKU, write the foreground and run one
    ``bw2calc.LCA`` (lci + lcia), 3 SKUs;
(d) Brightway's best practice: one LCA of the background, ``decompose_technosphere()`` once,
    then ``lci(demand=...)`` + ``lcia()`` per SKU with the SKU's demand on the background (its
    foreground solved outside the timing, to Brightway's advantage), 20 SKUs.

Also: the one-off preparation of each plan, a check of sampled rows against single runs,
the end-to-end command (``run_batch`` summary-only, streamed) on 20,000 and 100,000 rows in a
subprocess with its peak memory, label PDF throughput, and this process's peak memory. The
last line is ``batch: skus_per_s=<a> skus_per_s_large=<b> ratio_vs_naive=<b/c>
ratio_vs_brightway=<b/d>``. Targets: (a) >= 20,000/s, (b) >= 10,000/s with preparation under
20 s, ratio to naive >= 10,000, ratio to Brightway >= 200.

Run with ``make bench`` (after ``pcf setup``) or ``python benchmarks/batch.py``.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

NMC811 = REPO / "examples" / "battery" / "nmc811-pack.yaml"
SYNTHETIC = "bench-synthetic-20k"
VARIANTS = 20_000
CHUNK = 5_000
SEED = 2026


def nmc811_variants(rng, n: int) -> dict:
    """Parameter columns of n NMC811 pack variants."""
    return {"capacity_kwh": rng.uniform(40, 120, n), "pack_mass_per_kwh": rng.uniform(4.5, 5.5, n),
            "cell_mass_share": rng.uniform(0.65, 0.75, n), "cycles_per_year": rng.uniform(40, 80, n),
            "service_life_years": rng.integers(6, 13, n).astype(float), "sea_distance_nmi": rng.uniform(9500, 11500, n)}


def run_variants(plan, columns: dict) -> tuple[float, object, int]:
    """Evaluate all variants in chunks and build the summary table; seconds, table, rows ok."""
    from pcf.batch.engine import evaluate_columns
    from pcf.batch.summary import figures_table

    n = len(next(iter(columns.values())))
    start = time.perf_counter()
    parts, ok = [], 0
    for lo in range(0, n, CHUNK):
        chunk = {k: v[lo:lo + CHUNK] for k, v in columns.items()}
        figures, good, note = evaluate_columns(plan, chunk)
        if note:
            raise SystemExit(f"batch: the array path failed: {note}")
        ok += int(good.sum())
        parts.append((figures, chunk))
    merged = {}
    for key in parts[0][0]:
        values = [p[0][key] for p in parts]
        merged[key] = values[0] if values[0] is None or isinstance(values[0], str) else \
            np.concatenate([np.asarray(v, dtype=object if isinstance(v, list) else float) for v in values])
    table = figures_table(merged, columns)
    return time.perf_counter() - start, table, ok


def check_rows(plan, columns: dict, rows: list[int]) -> float:
    """Largest relative difference of total, stages and ISO split between the arrays and the
    single-run result (pcf.lca.calculate.evaluate from the plan) of sampled rows."""
    from pcf.batch.engine import evaluate_columns, figures_of_result, full_result
    from pcf.batch.table import SkuRow

    worst = 0.0
    sub = {k: v[rows] for k, v in columns.items()}
    figures, _, _ = evaluate_columns(plan, sub)
    for i, r in enumerate(rows):
        single = figures_of_result(full_result(plan, SkuRow(r + 2, f"row{r}", model=plan.model,
                                                             overrides={k: float(v[r]) for k, v in columns.items()})), plan)
        for key, value in single.items():
            if isinstance(value, float) and key.endswith("_kg_co2e"):
                worst = max(worst, abs(float(figures[key][i]) - value) / max(abs(single["total_kg_co2e"]), 1e-12))
    return worst


def synthetic_background(bd) -> tuple[float, dict | None]:
    from support import synthetic

    stamp = f"{synthetic.VERSION}:42"
    if SYNTHETIC in bd.databases and bd.databases[SYNTHETIC].get("pcf_synthetic") == stamp:
        return 0.0, None
    start = time.perf_counter()
    counts = synthetic.build(bd, SYNTHETIC)
    return time.perf_counter() - start, counts


def naive(model: Path, columns: dict, rows: list[int]) -> tuple[float, list[float]]:
    """(c): per SKU, write the foreground and run one bw2calc LCA; seconds per SKU, scores."""
    import bw2calc as bc

    from pcf.background import method_spec
    from pcf.core.bw import brightway
    from pcf.graph import build_foreground
    from pcf.model import load_model

    bd = brightway()
    scores, start = [], time.perf_counter()
    for r in rows:
        system = load_model(model, overrides={k: float(v[r]) for k, v in columns.items()})
        graph = build_foreground(system)
        ref = bd.get_node(database=graph.database, code=graph.reference[1])
        fu, objs, _ = bd.prepare_lca_inputs(demand={ref: system.reference_amount},
                                             method=method_spec(system.model.study.method).name)
        lca = bc.LCA(demand=fu, data_objs=objs)
        lca.lci()
        lca.lcia()
        scores.append(float(lca.score))
    return (time.perf_counter() - start) / len(rows), scores


def brightway_best(plan, model: Path, columns: dict, rows: list[int]) -> tuple[float, float, list[float]]:
    """(d): one background LCA factorised once, lci(demand) + lcia per SKU; factorisation
    seconds, seconds per SKU, scores (background part + the foreground's own emissions)."""
    import bw2calc as bc

    from pcf.core.bw import brightway
    from pcf.graph import link_foreground
    from pcf.lca.inventory import Inventory
    from pcf.model import load_model

    bd = brightway()
    prepared = plan.prepared
    keys = list(prepared.char.index)
    ids = {k: bd.get_node(database=k[0], code=k[1]).id for k in keys}
    fu, objs, _ = bd.prepare_lca_inputs(demand={bd.get_node(id=ids[keys[0]]): 1.0}, method=prepared.spec.name)
    lca = bc.LCA(demand=fu, data_objs=objs)
    lca.lci()
    start = time.perf_counter()
    lca.decompose_technosphere()
    factorise_s = time.perf_counter() - start
    demands, direct = [], []
    for r in rows:  # each SKU's demand on the background (its foreground solved by pcf, not timed)
        system = load_model(model, overrides={k: float(v[r]) for k, v in columns.items()})
        data, graph = link_foreground(system, prepared.links)
        inv = Inventory.build(data, graph, prepared.char, prepared.flows)
        sol = inv.solve(system.reference_amount, prepared.char)
        demand: dict[int, float] = {}
        for q, (_, key) in enumerate(inv.pairs):
            demand[ids[key]] = demand.get(ids[key], 0.0) + float(sol.drawn[0, q])
        demands.append(demand)
        direct.append(float(sol.direct[0].sum()))
    scores, start = [], time.perf_counter()
    for demand in demands:
        lca.lci(demand=demand)
        lca.lcia()
        scores.append(float(lca.score))
    per_sku = (time.perf_counter() - start) / len(rows)
    return factorise_s, per_sku, [s + d for s, d in zip(scores, direct)]


def streamed(rows: int, folder: Path) -> tuple[float, float]:
    """``run_batch`` summary-only over a table of NMC811 variants, in a subprocess: SKUs per
    second end to end (preparation, reading, state file and summary included) and peak RSS [MB]."""
    rng = np.random.default_rng(SEED + rows)
    cols = nmc811_variants(rng, rows)
    table = folder / f"skus-{rows}.csv"
    with open(table, "w", encoding="utf-8") as fh:
        fh.write("id," + ",".join(cols) + "\n")
        for i in range(rows):
            fh.write(f"V{i}," + ",".join(repr(float(v[i])) for v in cols.values()) + "\n")
    # peak resident memory from /proc (VmHWM, reset at exec; ru_maxrss would count the fork of this process)
    code = ("import json, sys, time; sys.path.insert(0, sys.argv[1]); from pcf.batch import run_batch; "
            "t = time.perf_counter(); r = run_batch(sys.argv[2], sys.argv[3], sys.argv[4], results=False); "
            "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]; "
            "print(json.dumps({'s': time.perf_counter() - t, 'ok': r.computed, 'rss': int(hwm) / 1024}))")
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code, str(REPO), str(table), str(folder / f"out-{rows}"),
                          str(NMC811)], capture_output=True, text=True, check=True)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    if data["ok"] != rows:
        raise SystemExit(f"batch: streamed run computed {data['ok']} of {rows} rows")
    return rows / data["s"], data["rss"]


def labels(plan, n: int, folder: Path) -> float:
    """Seconds per label (SVG + PDF) of full batch results."""
    from pcf.batch.engine import full_result
    from pcf.batch.table import SkuRow
    from pcf.render import render_label

    results = [full_result(plan, SkuRow(i + 2, f"L{i}", model=plan.model, overrides={"capacity_kwh": 50.0 + i}))
               for i in range(n)]
    render_label(results[0], folder)  # warm-up: fonts, templates
    start = time.perf_counter()
    for r in results[1:]:
        render_label(r, folder)
    return (time.perf_counter() - start) / max(1, n - 1)


def main() -> None:
    from pcf.background import setup
    from pcf.batch.plan import make_plan
    from pcf.core.bw import brightway
    from support import synthetic

    setup()
    bd = brightway()
    rng = np.random.default_rng(SEED)
    work = Path(tempfile.mkdtemp(prefix="pcf-bench-batch-"))

    # (a) NMC811 on the open default
    start = time.perf_counter()
    plan_a = make_plan(str(NMC811), "", {})
    prep_a = time.perf_counter() - start
    cols_a = nmc811_variants(rng, VARIANTS)
    run_variants(plan_a, {k: v[:100] for k, v in cols_a.items()})  # warm-up (imports)
    secs_a, table_a, ok_a = run_variants(plan_a, cols_a)
    rate_a = VARIANTS / secs_a
    worst_a = check_rows(plan_a, cols_a, [0, 7777, VARIANTS - 1])
    print(f"batch: (a) {VARIANTS:,} variants of {NMC811.relative_to(REPO)} on the open default: {secs_a:.3f} s, "
          f"{rate_a:,.0f} SKUs/s ({ok_a:,} on the array path); preparation {prep_a:.2f} s; "
          f"summary table {table_a.num_rows:,} rows x {table_a.num_columns} columns; "
          f"sampled rows vs single runs: max rel. difference {worst_a:.1e}")

    # (b) 50-process foreground on the synthetic ecoinvent-scale background
    build_s, counts = synthetic_background(bd)
    if counts:
        print(f"batch: synthetic background {SYNTHETIC}: {counts['activities']:,} activities, "
              f"{counts['technosphere']:,} technosphere inputs (+ {counts['activities']:,} production), "
              f"{counts['biosphere']:,} biosphere entries, written in {build_s:.1f} s (once)")
    model_b = work / "synthetic-50.yaml"
    model_b.write_text(synthetic.foreground_model(SYNTHETIC), encoding="utf-8")
    start = time.perf_counter()
    plan_b = make_plan(str(model_b), "", {})
    prep_b = time.perf_counter() - start
    if plan_b.error:
        raise SystemExit(f"batch: {plan_b.error}")
    cols_b = {f"x{i}": rng.uniform(0.5, 1.5, VARIANTS) for i in range(10)}
    secs_b, table_b, ok_b = run_variants(plan_b, cols_b)
    rate_b = VARIANTS / secs_b
    worst_b = check_rows(plan_b, cols_b, [0, 12345])
    print(f"batch: (b) {VARIANTS:,} variants of a 50-process foreground on {SYNTHETIC}: {secs_b:.3f} s, "
          f"{rate_b:,.0f} SKUs/s ({ok_b:,} on the array path); one-off preparation {prep_b:.2f} s "
          f"(links, background LCA and one LU of A^T for every activity's intensity); "
          f"sampled rows vs single runs: max rel. difference {worst_b:.1e}")

    # (c) naive: one bw2calc LCA per SKU
    rows_c = [0, 1, 2]
    per_c, scores_c = naive(model_b, cols_b, rows_c)
    totals_b = table_b.column("total_kg_co2e").to_numpy()
    agree_c = max(abs(s - totals_b[r]) / abs(totals_b[r]) for s, r in zip(scores_c, rows_c))
    rate_c = 1 / per_c
    print(f"batch: (c) naive, one bw2calc.LCA per SKU (foreground written, lci, lcia): {per_c:.2f} s per SKU, "
          f"{rate_c:.3f} SKUs/s ({len(rows_c)} SKUs; scores vs (b): max rel. difference {agree_c:.1e})")

    # (d) Brightway best practice: factorise once, lci(demand) per SKU
    rows_d = list(range(20))
    factorise_d, per_d, scores_d = brightway_best(plan_b, model_b, cols_b, rows_d)
    agree_d = max(abs(s - totals_b[r]) / abs(totals_b[r]) for s, r in zip(scores_d, rows_d))
    rate_d = 1 / per_d
    print(f"batch: (d) Brightway best practice, decompose_technosphere() once ({factorise_d:.2f} s) then "
          f"lci(demand=...) + lcia() per SKU: {per_d * 1e3:.1f} ms per SKU, {rate_d:.1f} SKUs/s "
          f"({len(rows_d)} SKUs; scores vs (b): max rel. difference {agree_d:.1e})")

    ratio_naive, ratio_bw = rate_b / rate_c, rate_b / rate_d
    print(f"batch: ratios (b)/(c) {ratio_naive:,.0f}, (b)/(d) {ratio_bw:,.0f}")

    # end to end, streamed, in a subprocess: memory stays bounded
    rate_20k, rss_20k = streamed(20_000, work)
    rate_100k, rss_100k = streamed(100_000, work)
    print(f"batch: pcf batch --summary-only end to end (table read 3 times, state file, CSV + Parquet summary, "
          f"preparation included): 20,000 rows {rate_20k:,.0f} SKUs/s, peak RSS {rss_20k:,.0f} MB; "
          f"100,000 rows {rate_100k:,.0f} SKUs/s, peak RSS {rss_100k:,.0f} MB")
    per_label = labels(plan_a, 3, work)
    print(f"batch: label PDFs (SVG + PDF per SKU, WeasyPrint), reported apart: {per_label:.2f} s per label, "
          f"{1 / per_label:.2f} labels/s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"batch: peak memory of this benchmark process {peak:,.0f} MB")
    targets = {"(a) >= 20,000 SKUs/s": rate_a >= 20_000, "(b) >= 10,000 SKUs/s": rate_b >= 10_000,
               "(b) preparation < 20 s": prep_b < 20, "ratio to naive >= 10,000": ratio_naive >= 10_000,
               "ratio to Brightway >= 200": ratio_bw >= 200}
    print("batch: targets " + "; ".join(f"{k}: {'met' if v else 'NOT met'}" for k, v in targets.items()))
    print(f"batch: skus_per_s={rate_a:.0f} skus_per_s_large={rate_b:.0f} ratio_vs_naive={ratio_naive:.0f} "
          f"ratio_vs_brightway={ratio_bw:.0f}")


if __name__ == "__main__":
    main()
