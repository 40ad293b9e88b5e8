"""Benchmark: the CFP study report of the NMC811 pack as a user times it (issue 18 parts 5 and 6).

``pcf report RESULT --out DIR`` (examples/battery/nmc811-pack.yaml, its result computed once first;
the command writes the 30-page report and the one-page verification statement), the console
script in a fresh process, wall clock from outside (``subprocess``), user + system CPU of the
command and its children (Graphviz ``dot``) beside it; medians of 3 runs. Baselines measured in
the same run: the same command with WeasyPrint's own SVG text and font subsetting
(``PCF_PLAIN_WEASYPRINT=1``), and with the tables in WeasyPrint's automatic layout again (a copy
of the templates through the library's ``templates_dir``, as before issue 18).

Target: under 10 s (stretch 5 s). The machine is shared (2 cores): read the CPU seconds beside
the wall clock. The last line is ``report: report_s=<wall> report_cpu_s=<cpu> ...``.

Run with ``make bench`` (after ``pcf setup``) or ``python benchmarks/report.py``.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
PCF = str(Path(sys.executable).parent / "pcf")
MODEL = REPO / "examples" / "battery" / "nmc811-pack.yaml"

#: ``pcf report`` (the console script's ``cli.main``) with the templates folder of argv[1].
WITH_TEMPLATES = """
import sys
from functools import partial
import pcf.render.report as report
templates, sys.argv = sys.argv[1], ["pcf"] + sys.argv[2:]
report.render_report = partial(report.render_report, templates_dir=templates)
import pcf.render
pcf.render.render_report = report.render_report
import cli
cli.main()
"""


def timed(args: list, env: dict, cwd: Path) -> tuple[float, float]:
    """Wall time [s] and user + system CPU of the process and its children [s] of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([str(a) for a in args], env=env, cwd=cwd, capture_output=True, text=True)
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, args))} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return took, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def median(args: list, env: dict, cwd: Path, runs: int = 3) -> tuple[float, float]:
    times = [timed(args, env, cwd) for _ in range(runs)]
    return statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)


def load() -> str:
    """The 1-minute load average now (the machine is shared: read the CPU seconds beside the wall clock)."""
    return f"{os.getloadavg()[0]:.1f}"


def auto_layout_templates(tmp: Path) -> Path:
    """The templates with the tables in WeasyPrint's automatic layout (before issue 18)."""
    folder = tmp / "templates-auto"
    shutil.copytree(REPO / "label_templates", folder)
    with (folder / "report.css").open("a", encoding="utf-8") as css:
        css.write("\ntable.kv, table.data.fixed, table.excluded { table-layout: auto !important; }\n")
    return folder


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="pcf-bench-report-") as folder:
        tmp = Path(folder)
        env = {k: v for k, v in os.environ.items() if k != "PCF_PLAIN_WEASYPRINT"}
        timed([PCF, "footprint", MODEL, "--out", tmp / "result"], env, tmp)
        result = tmp / "result" / "SKU-NMC811-PACK.result.json"
        report = [PCF, "report", result, "--out", tmp / "report"]
        wall, cpu = median(report, env, tmp)
        pages = subprocess.run(["pdfinfo", str(tmp / "report" / "SKU-NMC811-PACK.report.pdf")], capture_output=True,
                               text=True).stdout
        count = next((line.split()[-1] for line in pages.splitlines() if line.startswith("Pages:")), "?")
        print(f"pcf report (NMC811 pack, {count} pages + statement): {wall:.1f} s wall, {cpu:.1f} s CPU "
              "(medians of 3; target < 10 s, stretch 5 s)")
        plain, plain_cpu = median(report, {**env, "PCF_PLAIN_WEASYPRINT": "1"}, tmp)
        print(f"  WeasyPrint's own SVG text and font subsets: {plain:.1f} s wall, {plain_cpu:.1f} s CPU")
        auto, auto_cpu = timed([sys.executable, "-c", WITH_TEMPLATES, auto_layout_templates(tmp), "report", result,
                                "--out", tmp / "report-auto"], {**env, "PCF_PLAIN_WEASYPRINT": "1"}, tmp)
        print(f"  tables in automatic layout and WeasyPrint's own code (before issue 18): {auto:.1f} s wall, "
              f"{auto_cpu:.1f} s CPU (one run)")
        from support.targets import target_line

        target_line("pcf report of the NMC811 pack", wall, "s", 10.0, baseline=auto, stretch=5.0,
                    note=f"{cpu:.1f} s CPU, median of 3; load {load()}; baseline: tables in automatic layout and "
                         "WeasyPrint's own code, as before issue 18")
        print(f"report: report_s={wall:.1f} report_cpu_s={cpu:.1f} plain_weasyprint_s={plain:.1f} "
              f"auto_layout_s={auto:.1f} target_s=10 stretch_s=5")


if __name__ == "__main__":
    main()
