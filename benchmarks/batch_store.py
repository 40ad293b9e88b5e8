"""Benchmark: ``pcf batch`` as a user runs it (issue 18 parts 1 and 6), timed from outside.

Each line runs the ``pcf batch`` command in a subprocess on a table of NMC811 pack rows
(examples/battery/nmc811-pack.yaml, capacity 40-120 kWh, warranty 6-12 years, pack mass per
kWh and sea distance varied) and measures its wall clock, the CPU time of the command's
processes (user + system), the bytes it wrote and its peak memory (the largest ``ru_maxrss``
of the command's processes, from ``resource.getrusage(RUSAGE_CHILDREN)`` of a wrapper process
that runs only that command). The machine is shared: the CPU time says what the command
costs, the wall clock what a user waited.

(1) full results into the batch store (the default), ``--jobs 2``, on ``PCF_BENCH_STORE_SKUS``
    rows (default 100,000): SKUs/s, bytes per SKU of ``store/part-*.parquet`` (beyond the plan
    document ``plan.json`` and the templates, printed apart), and all bytes of the output folder
    per SKU. Target: >= 20,000 SKUs/s and <= 2 KB per SKU;
(2) its baseline, measured in the same run: ``--json-per-sku`` (every SKU's full result
    computed alone by the scalar path and written as one JSON file, as before the arrays) on
    ``PCF_BENCH_JSON_SKUS`` rows (default 200);
(3) ``--summary-only --jobs 2`` on ``PCF_BENCH_SUMMARY_SKUS`` rows (default 100,000; the workers
    start only when they pay, docs/batch.md "Processes and clusters"). Target >= 50,000
    SKUs/s; its baseline, measured in the same run: the kernel alone in this process
    (``pcf.batch.engine.evaluate_columns`` on the same rows in chunks of 5,000, no table, state
    file or summary), what the command would reach with nothing around it;
(4) the fixed cost in both: ``pcf batch`` of a one-row table (start-up, imports, the plan's
    preparation), so that the rate per SKU beyond it is printed too; it keeps the plan's
    preparation (``PCF_HOME/cache/warm``), which the runs above then use, as a user's second
    batch of a model does.

The last line is ``batch_store: skus_per_s=<1> bytes_per_sku=<1> json_skus_per_s=<2>
json_bytes_per_sku=<2> summary_skus_per_s=<3> kernel_skus_per_s=<3> peak_mb=<1>
summary_peak_mb=<3>``.

Run with ``make bench`` (after ``pcf setup``) or ``python benchmarks/batch_store.py``.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
NMC811 = REPO / "examples" / "battery" / "nmc811-pack.yaml"
PCF = [sys.executable, "-c", "import cli; cli.main()"]
WRAPPER = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, "
           "stderr=subprocess.PIPE, text=True); u = resource.getrusage(resource.RUSAGE_CHILDREN); "
           "print(u.ru_maxrss, u.ru_utime + u.ru_stime); "
           "sys.stderr.write(r.stderr[-2000:] if r.returncode else ''); sys.exit(r.returncode)")


def write_table(path: Path, n: int, seed: int = 2026) -> None:
    """n NMC811 rows with varied parameters."""
    rng = np.random.default_rng(seed)
    cols = {"capacity_kwh": rng.integers(40, 121, n), "service_life_years": rng.integers(6, 13, n),
            "pack_mass_per_kwh": np.round(rng.uniform(4.5, 5.5, n), 3),
            "sea_distance_nmi": rng.integers(9500, 11501, n)}
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", *cols])
        for i in range(n):
            w.writerow([f"NMC811-{i:06d}", *(c[i] for c in cols.values())])


def run(args: list[str]) -> tuple[float, float, float]:
    """Run ``pcf`` with args; (wall clock [s], peak memory [MB], CPU time of its processes [s])."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", WRAPPER, *PCF, *args], cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode not in (0,):
        sys.exit(f"pcf {' '.join(args)} failed ({done.returncode}): {done.stderr}")
    rss, cpu = done.stdout.split()[-2:]
    return wall, int(rss) / 1024, float(cpu)


def kernel(table: Path) -> tuple[float, float]:
    """The array kernel alone on the rows of ``table`` (chunks of 5,000): SKUs/s and CPU s."""
    sys.path.insert(0, str(REPO))
    from pcf.batch.engine import evaluate_columns
    from pcf.batch.plan import make_plan

    plan = make_plan(str(NMC811), "", {})
    with table.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    names = [k for k in rows[0] if k != "id"]
    cols = {k: np.array([float(r[k]) for r in rows]) for k in names}
    evaluate_columns(plan, {k: v[:100] for k, v in cols.items()})  # warm-up
    started, cpu = time.perf_counter(), time.process_time()
    for lo in range(0, len(rows), 5000):
        evaluate_columns(plan, {k: v[lo:lo + 5000] for k, v in cols.items()})
    return len(rows) / (time.perf_counter() - started), time.process_time() - cpu


def _beyond(n: int, cpu: float, fixed: float) -> str:
    """SKUs per CPU second beyond a fixed cost, or why there is no such figure: the fixed cost,
    measured in another run, can be as large as the whole run's CPU on a shared machine."""
    return f"{n / (cpu - fixed):,.0f}" if cpu - fixed > 0.05 else "(not measurable: within the fixed cost)"


def size(paths) -> int:
    return sum(p.stat().st_size for p in paths if p.is_file())


def main() -> None:
    n_full = int(os.environ.get("PCF_BENCH_STORE_SKUS", "100000"))
    n_json = int(os.environ.get("PCF_BENCH_JSON_SKUS", "200"))
    n_summary = int(os.environ.get("PCF_BENCH_SUMMARY_SKUS", "100000"))
    work = Path(tempfile.mkdtemp(prefix="pcf-bench-store-"))
    try:
        tables = {}
        for n in {n_full, n_json, n_summary, 1}:
            tables[n] = work / f"skus-{n}.csv"
            write_table(tables[n], n)
        model = ["--model", str(NMC811)]

        fwall, fpeak, fcpu = run(["batch", str(tables[1]), *model, "--out", str(work / "one")])
        print(f"(4) fixed cost: pcf batch of one SKU (start-up, imports, the plan's preparation, its template): "
              f"{fwall:.1f} s wall, {fcpu:.1f} s CPU, peak memory {fpeak:,.0f} MB")
        owall, _opeak, ocpu = run(["batch", str(tables[1]), *model, "--out", str(work / "one-summary"),
                                   "--summary-only"])
        print(f"    and --summary-only: {owall:.1f} s wall, {ocpu:.1f} s CPU (both keep the plan's preparation, so "
              "the runs below use it, as a user's second batch of a model does: docs/batch.md)")

        out = work / "store"
        load = os.getloadavg()[0]
        wall, peak, cpu = run(["batch", str(tables[n_full]), *model, "--out", str(out), "--jobs", "2"])
        parts = size((out / "store").glob("part-*.parquet"))
        plan = size([out / "plan.json", *(out / "store" / "templates").glob("*.json")])
        everything = size(out.rglob("*"))
        rate, per_sku = n_full / wall, parts / n_full
        print(f"(1) pcf batch, full results in the store, {n_full:,} SKUs, --jobs 2: {wall:.1f} s wall, "
              f"{rate:,.0f} SKUs/s (target >= 20,000: {'met' if rate >= 20_000 else 'NOT met'}), {cpu:.1f} s CPU "
              f"({n_full / cpu:,.0f} SKUs per CPU second; {_beyond(n_full, cpu, fcpu)} beyond the fixed cost), "
              f"{per_sku:,.0f} bytes per SKU beyond the plan (target <= 2,048: "
              f"{'met' if per_sku <= 2048 else 'NOT met'}), plan document and templates {plan:,} bytes once, "
              f"whole folder {everything / n_full:,.0f} bytes per SKU (with summary.csv/.parquet and "
              f"batch-state.jsonl), peak memory {peak:,.0f} MB")

        out = work / "json"
        jwall, jpeak, jcpu = run(["batch", str(tables[n_json]), *model, "--out", str(out), "--jobs", "2",
                                  "--json-per-sku"])
        jfiles = size(out.glob("*.result.json"))
        jrate, jper = n_json / jwall, jfiles / n_json
        print(f"(2) baseline, same run: pcf batch --json-per-sku (each SKU alone, the scalar path), {n_json:,} SKUs, "
              f"--jobs 2: {jwall:.1f} s wall, {jrate:,.1f} SKUs/s, {jcpu:.1f} s CPU "
              f"({_beyond(n_json, jcpu, fcpu)} SKUs per CPU second beyond the fixed cost), {jper:,.0f} bytes "
              f"of result JSON per SKU, peak memory {jpeak:,.0f} MB; the store is {rate / jrate:,.0f} times faster "
              f"and {jper / max(per_sku, 1):,.0f} times smaller")

        out = work / "summary"
        sload = os.getloadavg()[0]
        swall, speak, scpu = run(["batch", str(tables[n_summary]), *model, "--out", str(out), "--summary-only",
                                  "--jobs", "2"])
        srate = n_summary / swall
        krate, kcpu = kernel(tables[n_summary])
        print(f"(3) pcf batch --summary-only --jobs 2, {n_summary:,} SKUs: {swall:.1f} s wall, {srate:,.0f} SKUs/s "
              f"(target >= 50,000: {'met' if srate >= 50_000 else 'NOT met'}), {scpu:.1f} s CPU "
              f"({_beyond(n_summary, scpu, ocpu)} SKUs per CPU second beyond the one-row --summary-only run), "
              f"peak memory {speak:,.0f} MB; baseline, same run: the array kernel alone "
              f"(evaluate_columns, chunks of 5,000) {krate:,.0f} SKUs/s, {kcpu:.1f} s CPU")
        from support.targets import target_line

        target_line(f"pcf batch {n_full:,} SKUs, full results (store), --jobs 2", rate, "SKU/s", 20_000,
                    baseline=jrate, higher_is_better=True,
                    note=f"CPU {cpu:.1f} s, {n_full / cpu:,.0f} SKUs per CPU second, load {load:.1f} on "
                         f"{os.cpu_count()} cores; baseline: --json-per-sku, {n_json:,} SKUs")
        target_line("  bytes per SKU beyond the plan document", per_sku / 1024, "KB", 2.0, baseline=jper / 1024,
                    inclusive=True, note="baseline: the result JSON per SKU")
        target_line(f"  peak memory of the {n_full:,}-SKU run", peak, "MB", None, baseline=jpeak)
        target_line(f"pcf batch {n_summary:,} SKUs --summary-only --jobs 2", srate, "SKU/s", 50_000, baseline=krate,
                    higher_is_better=True,
                    note=f"CPU {scpu:.1f} s, {n_summary / scpu:,.0f} SKUs per CPU second, load {sload:.1f} on "
                         f"{os.cpu_count()} cores, peak {speak:,.0f} MB; baseline: the kernel alone, {kcpu:.1f} s CPU")
        print(f"batch_store: skus_per_s={rate:.0f} bytes_per_sku={per_sku:.0f} json_skus_per_s={jrate:.1f} "
              f"json_bytes_per_sku={jper:.0f} summary_skus_per_s={srate:.0f} kernel_skus_per_s={krate:.0f} "
              f"peak_mb={peak:.0f} summary_peak_mb={speak:.0f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
