"""Benchmark: everyday commands as a user times them (issue 18 parts 5 and 6): the console
script in a fresh process, wall clock, from outside (``subprocess``), each with a baseline
measured in the same run.

(a) ``pcf --help``; baseline ``python -c pass`` (the interpreter alone). Target < 0.3 s.
(b) ``pcf verify NUMBER`` cold (a fresh process, the registry on SQLite); baseline the old path:
    the same interpreter importing what ``verify`` loaded before issue 18 (the CLI, the
    registry's issuing path, the LCA and the render stack). Target < 0.8 s.
(c) ``pcf report`` of the NMC811 pack (examples/battery/nmc811-pack.yaml; its result computed
    once first); baseline the same command on a copy of the templates whose tables use
    WeasyPrint's automatic layout again where they did before (``table-layout: auto`` on the
    key-value and data tables, through the library's ``templates_dir``). Target < 10 s (stretch 5 s).
(d) ``pcf issue FOLDER --jobs 2`` over 16 results (NMC811 variants, one ``pcf batch`` of a copy of
    the model under GB/T 24067 and IPCC 2021, self-declared labels) with their label and
    statement PDFs; baseline ``pcf issue RESULT`` once per result (the way before), on 4 others.
    A small folder: the command's start (about half a second) weighs on 16 labels; the target
    (>= 10 labels/s) is timed by benchmarks/labels.py on 64.

Everything is written in a temporary folder (its own registry and keys; PCF_HOME is the
user's, for the background). Times are medians of 5 runs for (a) and (b), single runs for
(c) and (d); user + system CPU of the commands is printed beside the wall clock. The
machine is shared: each line prints the baseline measured beside it. The last line is
``fast_commands: help_s=<a> verify_s=<b> report_s=<c> labels_per_s=<d>`` with the baselines.

Run with ``make bench`` (after ``pcf setup``) or ``python benchmarks/fast_commands.py``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from support.targets import target_line
from support.timing import PCF, median, timed

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
MODEL = REPO / "examples" / "battery" / "nmc811-pack.yaml"

#: What ``pcf verify`` imported before issue 18 part 5 (pcf.api pulled pcf.registry, whose
#: ``__init__`` imported the issuing path with the PCR loader, the LCA and the render stack).
OLD_VERIFY_IMPORTS = ("import cli, pcf.registry.lifecycle, pcf.registry.verify, pcf.lca.calculate, "
                      "pcf.render.report, pcf.pcr.loader")


def run(args: list, env: dict, cwd: Path) -> str:
    """Run a pcf command; its stdout."""
    return timed([PCF, *args], env, cwd)[2]


def registry(tmp: Path, env: dict) -> Path:
    """A registry with a root key and an issuer key (unencrypted) in ``tmp``; the issuer's key."""
    run(["keys", "new", "--issuer", "cb-root", "--out", tmp / "offline", "--no-register", "--no-passphrase"], env, tmp)
    run(["registry", "init", "--root-key", tmp / "offline" / "cb-root.key", "--prefix", "BEN"], env, tmp)
    run(["keys", "new", "--issuer", "cb-bench", "--out", tmp / "keys", "--root-key", tmp / "offline" / "cb-root.key",
         "--no-passphrase"], env, tmp)
    return tmp / "keys" / "cb-bench.key"


#: Run ``pcf report`` (the console script's ``cli.main``) with the templates folder of argv[1]:
#: the library's ``templates_dir``, which the command does not expose.
REPORT_WITH_TEMPLATES = """
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


def auto_layout_templates(tmp: Path) -> Path:
    """A copy of the templates whose tables use WeasyPrint's automatic layout where they did before
    issue 18 (all but the sources, electricity and data-quality tables): the baseline."""
    folder = tmp / "templates-auto"
    shutil.copytree(REPO / "label_templates", folder)
    with (folder / "report.css").open("a", encoding="utf-8") as css:
        css.write("\ntable.kv, table.data.fixed { table-layout: auto !important; }\n")  # fixed before: sources etc.
    return folder


def report_line(tmp: Path, env: dict, result: Path) -> float:
    """(c): the report, and the report with the automatic table layout."""
    took, cpu, _ = timed([PCF, "report", result, "--out", tmp / "report"], env, tmp)
    old, old_cpu, _ = timed([sys.executable, "-c", REPORT_WITH_TEMPLATES, auto_layout_templates(tmp), "report", result,
                             "--out", tmp / "report-auto"], env, tmp)
    print(f"(c) pcf report (NMC811 pack): {took:.1f} s wall, {cpu:.1f} s CPU (target < 10 s, stretch 5 s); "
          f"automatic table layout (before): {old:.1f} s wall, {old_cpu:.1f} s CPU")
    target_line("pcf report (NMC811 pack)", took, "s", 10.0, baseline=old, stretch=5.0,
                note=f"CPU {cpu:.1f} s; baseline: automatic table layout")
    return took


def labels_line(tmp: Path, env: dict, key: Path, count: int = 16, single: int = 4) -> float:
    """(d): labels per second of ``pcf issue FOLDER --jobs 2``, and of one ``pcf issue`` per result."""
    model = (REPO / "examples" / "battery" / "nmc811-pack.yaml").read_text(encoding="utf-8")
    model = model.replace("  pcr: eu-battery-cfb-ev", "  pcr: gbt-24067-generic").replace(
        "  method: ef-3.1-climate-change", "  method: ipcc-2021-gwp100  #")
    (tmp / "model.yaml").write_text(model, encoding="utf-8")
    rows = [f"L-{i:03d},Bench pack {i},{20 + i}" for i in range(count + single)]
    (tmp / "skus.csv").write_text("id,name,capacity_kwh\n" + "\n".join(rows) + "\n", encoding="utf-8")
    run(["batch", tmp / "skus.csv", "--model", tmp / "model.yaml", "--out", tmp / "batch", "--json-per-sku"], env, tmp)
    (tmp / "many").mkdir()
    (tmp / "one").mkdir()
    for i, path in enumerate(sorted((tmp / "batch").glob("*.result.json"))):
        path.rename(tmp / ("many" if i < count else "one") / path.name)
    took, cpu, out = timed([PCF, "issue", tmp / "many", "--key", key, "--valid-days", 730, "--out", tmp / "labels-many",
                            "--self-declared", "--jobs", 2], env, tmp)
    assert len(out.split()) == count and len(list((tmp / "labels-many").glob("*.pdf"))) == 2 * count, out
    start = time.perf_counter()
    for path in sorted((tmp / "one").glob("*.result.json")):
        run(["issue", path, "--key", key, "--valid-days", 730, "--out", tmp / "labels-one", "--self-declared"], env, tmp)
    one = (time.perf_counter() - start) / single
    rate = count / took
    print(f"(d) pcf issue FOLDER --jobs 2: {count} labels with their PDFs in {took:.1f} s wall ({cpu:.1f} s CPU): "
          f"{rate:.2f} labels/s, start-up included (the target, >= 10 labels/s, is timed on 64 by benchmarks/labels.py); "
          f"one pcf issue per result (before): {1 / one:.2f} labels/s")
    return rate


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="pcf-bench-fast-") as folder:
        tmp = Path(folder)
        env = {**os.environ, "PCF_REGISTRY": str(tmp / "registry.db")}
        env.pop("PCF_REGISTRY_URL", None)
        key = registry(tmp, env)
        run(["footprint", MODEL, "--pcr", "gbt-24067-generic", "--method", "ipcc-2021-gwp100", "--out", tmp / "cn"],
            env, tmp)
        result = tmp / "cn" / "SKU-NMC811-PACK.result.json"
        number = run(["issue", result, "--key", key, "--valid-days", 730, "--out", tmp / "labels", "--self-declared"],
                     env, tmp).split()[0]

        python, python_cpu = median([sys.executable, "-c", "pass"], env, tmp)
        help_s, help_cpu = median([PCF, "--help"], env, tmp)
        print(f"(a) pcf --help: {help_s:.3f} s wall, {help_cpu:.3f} s CPU (medians of 5; target < 0.3 s); "
              f"python -c pass: {python:.3f} s wall, {python_cpu:.3f} s CPU")
        target_line("pcf --help", help_s, "s", 0.3, baseline=python,
                    note=f"CPU {help_cpu:.3f} s; median of 5; baseline: python -c pass")
        verify_s, verify_cpu = median([PCF, "verify", number], env, tmp)
        old, old_cpu = median([sys.executable, "-c", OLD_VERIFY_IMPORTS], env, REPO)
        print(f"(b) pcf verify {number} (cold): {verify_s:.3f} s wall, {verify_cpu:.3f} s CPU (medians of 5; target "
              f"< 0.8 s); the old path's imports alone: {old:.3f} s wall, {old_cpu:.3f} s CPU")
        target_line("pcf verify NUMBER, cold start", verify_s, "s", 0.8, baseline=old,
                    note=f"CPU {verify_cpu:.3f} s; median of 5; baseline: the old path's imports")
        report_s = report_line(tmp, env, result)
        rate = labels_line(tmp, env, key)
        print(f"fast_commands: help_s={help_s:.3f} verify_s={verify_s:.3f} report_s={report_s:.1f} "
              f"labels_per_s={rate:.2f} python_s={python:.3f} old_verify_imports_s={old:.3f}")


if __name__ == "__main__":
    main()
