"""Benchmark: issuing many labels with their PDFs, as a user times it (issue 18 parts 5 and 6).

``pcf issue FOLDER --jobs 2`` over 64 results (NMC811 variants from one ``pcf batch --json-per-sku``
of a copy of the model under GB/T 24067 and IPCC 2021, self-declared labels), each label with its
declaration, label SVG and PDF and statement PDF; the console script in a fresh process, wall
clock from outside (``subprocess``), user + system CPU of the command and its workers beside it.
Baselines measured in the same run, each on results of its own (a result is labelled once):

- the same command with ``--jobs 1`` (16 results);
- the same command with WeasyPrint's own SVG text and font subsetting
  (``PCF_PLAIN_WEASYPRINT=1``, pcf.render.weasyfast off; 16 results);
- one ``pcf issue RESULT`` per result, the way before ``--jobs`` (4 results).

Target: at least 10 labels/s (issue 18 part 5). The machine is shared (2 cores): read the CPU
seconds per label beside the wall clock. Everything is written in a temporary folder (its own
registry and keys; PCF_HOME is the user's, for the background). The last line is
``labels: labels_per_s=<rate> ...``.

Run with ``make bench`` (after ``pcf setup``) or ``python benchmarks/labels.py``.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
PCF = str(Path(sys.executable).parent / "pcf")
MODEL = REPO / "examples" / "battery" / "nmc811-pack.yaml"
GROUPS = {"jobs2": 64, "jobs1": 16, "plain": 16, "one": 4}


def timed(args: list, env: dict, cwd: Path) -> tuple[float, float, str]:
    """Wall time [s], user + system CPU of the process and its children [s], stdout of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([str(a) for a in args], env=env, cwd=cwd, capture_output=True, text=True)
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, args))} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return took, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, proc.stdout


def pcf(args: list, env: dict, cwd: Path) -> str:
    return timed([PCF, *args], env, cwd)[2]


def setup(tmp: Path, env: dict) -> Path:
    """Registry, keys and the result folders of :data:`GROUPS` in ``tmp``; the issuer's key."""
    pcf(["keys", "new", "--issuer", "cb-root", "--out", tmp / "offline", "--no-register", "--no-passphrase"], env, tmp)
    pcf(["registry", "init", "--root-key", tmp / "offline" / "cb-root.key", "--prefix", "BEN"], env, tmp)
    pcf(["keys", "new", "--issuer", "cb-bench", "--out", tmp / "keys", "--root-key", tmp / "offline" / "cb-root.key",
         "--no-passphrase"], env, tmp)
    model = MODEL.read_text(encoding="utf-8").replace("  pcr: eu-battery-cfb-ev", "  pcr: gbt-24067-generic").replace(
        "  method: ef-3.1-climate-change", "  method: ipcc-2021-gwp100  #")
    (tmp / "model.yaml").write_text(model, encoding="utf-8")
    total = sum(GROUPS.values())
    rows = [f"L-{i:03d},Bench pack {i},{20 + i * 0.5}" for i in range(total)]
    (tmp / "skus.csv").write_text("id,name,capacity_kwh\n" + "\n".join(rows) + "\n", encoding="utf-8")
    pcf(["batch", tmp / "skus.csv", "--model", tmp / "model.yaml", "--out", tmp / "batch", "--json-per-sku"], env, tmp)
    results = sorted((tmp / "batch").glob("*.result.json"))
    assert len(results) == total, results
    for name, count in GROUPS.items():
        (tmp / name).mkdir()
        for path in results[:count]:
            path.rename(tmp / name / path.name)
        results = results[count:]
    return tmp / "keys" / "cb-bench.key"


def issue_folder(tmp: Path, env: dict, key: Path, name: str, jobs: int) -> tuple[float, float, float]:
    """Labels per second, wall [s] and CPU [s] of ``pcf issue tmp/name --jobs jobs``; checks every file."""
    out = tmp / f"labels-{name}"
    took, cpu, stdout = timed([PCF, "issue", tmp / name, "--key", key, "--valid-days", 730, "--out", out,
                               "--self-declared", "--jobs", jobs], env, tmp)
    count = GROUPS[name]
    assert len(stdout.split("\n")) >= count and len(list(out.glob("*.label.pdf"))) == count, stdout
    assert len(list(out.glob("*.statement.pdf"))) == count and len(list(out.glob("*.label.svg"))) == count
    return count / took, took, cpu


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="pcf-bench-labels-") as folder:
        tmp = Path(folder)
        env = {**os.environ, "PCF_REGISTRY": str(tmp / "registry.db")}
        env.pop("PCF_REGISTRY_URL", None)
        env.pop("PCF_PLAIN_WEASYPRINT", None)
        key = setup(tmp, env)
        rate, took, cpu = issue_folder(tmp, env, key, "jobs2", 2)
        n = GROUPS["jobs2"]
        print(f"pcf issue FOLDER --jobs 2: {n} labels with their PDFs in {took:.1f} s wall, {cpu:.1f} s CPU "
              f"({cpu / n:.3f} s CPU a label): {rate:.2f} labels/s (target >= 10)")
        rate1, took1, cpu1 = issue_folder(tmp, env, key, "jobs1", 1)
        n1 = GROUPS["jobs1"]
        print(f"  --jobs 1: {n1} labels in {took1:.1f} s wall, {cpu1:.1f} s CPU ({cpu1 / n1:.3f} s a label): "
              f"{rate1:.2f} labels/s")
        plain_env = {**env, "PCF_PLAIN_WEASYPRINT": "1"}
        rate_plain, took_plain, cpu_plain = issue_folder(tmp, plain_env, key, "plain", 2)
        n2 = GROUPS["plain"]
        print(f"  --jobs 2, WeasyPrint's own SVG text and font subsets: {n2} labels in {took_plain:.1f} s wall, "
              f"{cpu_plain:.1f} s CPU ({cpu_plain / n2:.3f} s a label): {rate_plain:.2f} labels/s")
        wall = cpu_one = 0.0
        for path in sorted((tmp / "one").glob("*.result.json")):
            took_one, cpu_once, _ = timed([PCF, "issue", path, "--key", key, "--valid-days", 730, "--out",
                                           tmp / "labels-one", "--self-declared"], env, tmp)
            wall, cpu_one = wall + took_one, cpu_one + cpu_once
        n3 = GROUPS["one"]
        print(f"  one pcf issue per result: {n3} labels in {wall:.1f} s wall, {cpu_one:.1f} s CPU: "
              f"{n3 / wall:.2f} labels/s")
        from support.targets import target_line

        target_line("pcf issue FOLDER --jobs 2, labels with their PDFs", rate, "labels/s", 10.0,
                    baseline=n3 / wall, higher_is_better=True,
                    note=f"{cpu / n:.3f} s CPU a label; load {os.getloadavg()[0]:.1f}; baseline: one pcf issue "
                         "per result")
        print(f"labels: labels_per_s={rate:.2f} cpu_s_per_label={cpu / n:.3f} jobs1_per_s={rate1:.2f} "
              f"plain_weasyprint_per_s={rate_plain:.2f} one_by_one_per_s={n3 / wall:.2f} target_per_s=10")


if __name__ == "__main__":
    main()
