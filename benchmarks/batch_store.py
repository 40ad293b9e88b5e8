"""Benchmark: ``pcf batch`` as a user runs it (issue 18 parts 1 and 6), timed from outside.

Each line runs the ``pcf batch`` command in a subprocess on a table of NMC811 pack rows
(examples/battery/nmc811-pack.yaml, capacity 40-120 kWh, warranty 6-12 years, other
parameters varied) and measures its wall clock, the bytes it wrote and its peak memory (the
largest ``ru_maxrss`` of the command's processes, from ``resource.getrusage(RUSAGE_CHILDREN)``
of a wrapper process that runs only that command):

(1) full results into the batch store (the default), ``--jobs 2``: SKUs/s, bytes per SKU of
    ``store/part-*.parquet`` (beyond the plan document ``plan.json`` and the templates, printed
    apart), and all bytes of the output folder per SKU. Target: >= 20,000 SKUs/s and <= 2 KB
    per SKU, on 100,000 SKUs. The count is ``PCF_BENCH_STORE_SKUS`` (default 2,000: the full
    results are computed SKU by SKU, tens to hundreds of milliseconds each on the shared
    machine, so 100,000 take hours; set it to 100000 for the issue's count);
(2) the baseline, measured in the same run: ``--json-per-sku`` (one result JSON per SKU, as
    before the store) on ``PCF_BENCH_JSON_SKUS`` rows (default 200);
(3) ``--summary-only`` on 100,000 rows (``PCF_BENCH_SUMMARY_SKUS``). Target >= 50,000 SKUs/s.

The last line is ``batch_store: skus_per_s=<1> bytes_per_sku=<1> json_skus_per_s=<2>
json_bytes_per_sku=<2> summary_skus_per_s=<3> peak_mb=<1>``.

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
NMC811 = REPO / "examples" / "battery" / "nmc811-pack.yaml"
PCF = [sys.executable, "-c", "import cli; cli.main()"]
WRAPPER = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, "
           "stderr=subprocess.PIPE, text=True); "
           "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
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


def run(args: list[str]) -> tuple[float, float]:
    """Run ``pcf`` with args; (wall clock [s], peak memory [MB])."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", WRAPPER, *PCF, *args], cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode not in (0,):
        sys.exit(f"pcf {' '.join(args)} failed ({done.returncode}): {done.stderr}")
    return wall, int(done.stdout.split()[-1]) / 1024


def size(paths) -> int:
    return sum(p.stat().st_size for p in paths if p.is_file())


def main() -> None:
    n_full = int(os.environ.get("PCF_BENCH_STORE_SKUS", "2000"))
    n_json = int(os.environ.get("PCF_BENCH_JSON_SKUS", "200"))
    n_summary = int(os.environ.get("PCF_BENCH_SUMMARY_SKUS", "100000"))
    work = Path(tempfile.mkdtemp(prefix="pcf-bench-store-"))
    try:
        tables = {}
        for n in {n_full, n_json, n_summary}:
            tables[n] = work / f"skus-{n}.csv"
            write_table(tables[n], n)

        out = work / "store"
        wall, peak = run(["batch", str(tables[n_full]), "--model", str(NMC811), "--out", str(out), "--jobs", "2"])
        parts = size((out / "store").glob("part-*.parquet"))
        plan = size([out / "plan.json", *(out / "store" / "templates").glob("*.json")])
        everything = size(out.rglob("*"))
        rate, per_sku = n_full / wall, parts / n_full
        print(f"(1) pcf batch, full results in the store, {n_full:,} SKUs, --jobs 2: {wall:.1f} s wall, "
              f"{rate:,.0f} SKUs/s (target >= 20,000 on 100,000 SKUs), {per_sku:,.0f} bytes per SKU beyond the "
              f"plan (target <= 2,048), plan document and templates {plan:,} bytes once, whole folder "
              f"{everything / n_full:,.0f} bytes per SKU (with summary.csv/.parquet and batch-state.jsonl), "
              f"peak memory {peak:,.0f} MB")

        out = work / "json"
        jwall, jpeak = run(["batch", str(tables[n_json]), "--model", str(NMC811), "--out", str(out), "--jobs", "2",
                            "--json-per-sku"])
        jfiles = size(out.glob("*.result.json"))
        jrate, jper = n_json / jwall, jfiles / n_json
        print(f"(2) baseline: pcf batch --json-per-sku, {n_json:,} SKUs, --jobs 2: {jwall:.1f} s wall, "
              f"{jrate:,.0f} SKUs/s, {jper:,.0f} bytes of result JSON per SKU, peak memory {jpeak:,.0f} MB; "
              f"the store is {jper / max(per_sku, 1):,.0f} times smaller")

        out = work / "summary"
        swall, speak = run(["batch", str(tables[n_summary]), "--model", str(NMC811), "--out", str(out),
                            "--summary-only"])
        srate = n_summary / swall
        print(f"(3) pcf batch --summary-only, {n_summary:,} SKUs: {swall:.1f} s wall, {srate:,.0f} SKUs/s "
              f"(target >= 50,000), peak memory {speak:,.0f} MB")
        print(f"batch_store: skus_per_s={rate:.0f} bytes_per_sku={per_sku:.0f} json_skus_per_s={jrate:.0f} "
              f"json_bytes_per_sku={jper:.0f} summary_skus_per_s={srate:.0f} peak_mb={peak:.0f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
