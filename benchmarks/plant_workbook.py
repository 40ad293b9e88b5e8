"""Benchmark: ``pcf template`` and ``pcf import-plant`` (issue 17 part 1).

(a) writing the battery-pack template (hidden Lists sheet with the open default's keys, drop-downs
    on 500 rows of each table sheet);
(b) importing the NMC811 example written into that template (tests/test_plant_workbook.py
    ``fill_example``: 19 processes, ~180 rows), including the loader's check of the staged model;
(c) importing a plant-sized workbook: 100 processes with 25 BOM rows and 2 energy rows each
    (2,800 rows), to show how the import grows with the rows (its model is near pcf's YAML limit
    of 50,000 values per file, pcf.core.yamlsrc; twice the rows are refused there).

Library calls only, median of 3 (a, b) or one run (c). The last line is ``plant_workbook:
template_ms=<a> nmc811_import_ms=<b> rows_per_s=<c>``. Run with ``make bench`` or
``python benchmarks/plant_workbook.py`` (no background is needed).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _timed(run) -> float:
    start = time.perf_counter()
    run()
    return (time.perf_counter() - start) * 1000


def _large(path: Path, processes: int = 100, materials: int = 25) -> int:
    """A workbook of ``processes`` chained processes; returns the number of table rows."""
    import openpyxl

    from pcf.api import template

    template("battery-cell", path)
    book = openpyxl.load_workbook(path)
    for name in ("Processes", "BOM", "Energy", "Transport", "Waste"):
        book[name].delete_rows(2, book[name].max_row)
    ws = book["Product"]
    ws["C2"], ws["C3"], ws["C4"], ws["C9"] = "BIG-1", "large plant", "p0", 1
    procs, bom, energy = book["Processes"], book["BOM"], book["Energy"]
    for i in range(processes):
        procs.append([f"p{i}", f"process {i}", "production", "CN", 1, "kg"])
        if i + 1 < processes:
            bom.append([f"p{i}", f"part from p{i + 1}", 0.5, "kg", None, None, None, f"p{i + 1}"])
        for m in range(materials - 1):
            bom.append([f"p{i}", f"material {m}", 0.001 * (m + 1), "kg", None, None, "copper_greet"])
        energy.append([f"p{i}", "electricity", 1.5, "kWh", "electricity_cn_east_2023", "grid", "CN-east", 2023])
        energy.append([f"p{i}", "natural gas", 3.0, "MJ", "natural_gas_combusted_mj"])
    book.save(path)
    return processes * (1 + materials + 2) - 1


def main() -> None:
    from pcf.api import import_plant, template
    from tests.test_plant_workbook import fill_example

    with tempfile.TemporaryDirectory(prefix="pcf-bench-plant-") as tmp:
        folder = Path(tmp)
        made = [_timed(lambda i=i: template("battery-pack", folder / f"t{i}.xlsx")) for i in range(3)]
        t_ms = statistics.median(made)
        print(f"(a) template battery-pack: {t_ms:.0f} ms (median of 3), {(folder / 't0.xlsx').stat().st_size} bytes")
        book = folder / "nmc811.xlsx"
        fill_example(book)
        runs = [_timed(lambda i=i: import_plant(book, folder / f"m{i}.yaml")) for i in range(3)]
        n_ms = statistics.median(runs)
        lines = len((folder / "m0.yaml").read_text(encoding="utf-8").splitlines())
        print(f"(b) import NMC811 workbook: {n_ms:.0f} ms (median of 3), model of {lines} lines")
        big = folder / "large.xlsx"
        rows = _large(big)
        l_ms = _timed(lambda: import_plant(big, folder / "large.yaml"))
        print(f"(c) import {rows} rows (100 processes): {l_ms:.0f} ms, {rows / l_ms * 1000:.0f} rows/s")
    print(f"plant_workbook: template_ms={t_ms:.0f} nmc811_import_ms={n_ms:.0f} rows_per_s={rows / l_ms * 1000:.0f}")


if __name__ == "__main__":
    main()
