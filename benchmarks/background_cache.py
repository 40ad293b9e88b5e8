"""Benchmark: a cold and a warm `pcf footprint` on the 20,000-activity background (issue 18 part 3).

The synthetic ecoinvent-scale background ``bench-synthetic-20k`` of benchmarks/batch.py (20,000
activities, ~282,000 technosphere and ~60,000 biosphere entries; written once under PCF_HOME and
kept) and the one-process foreground of benchmarks/user_project.py (20 of its activities, 1 kg
CO2). As a user runs it: the command in a child process, wall clock.

- cold (the baseline): after ``pcf cache clear``, the background is characterised (one sparse LU
  of its ``A^T``) and cached, and the run's preparation kept (``PCF_HOME/cache/warm``);
- warm: the same command again, three times; the fastest counts (the target: under 3 s, stretch
  1.5 s, issue 18 part 3: no Brightway import, pcf/lca/warmcache.py). User + system CPU time of
  each run is printed beside its wall clock (the machine is shared).

Checks that every run gives the same result JSON (all but ``created_at``). Prints the ``target:``
line (benchmarks/support/targets.py); the last line is
``background_cache: cold_s=<a> warm_s=<b> target_s=3 speedup=<a/b>``. Run with ``make bench`` (after
``pcf setup``) or ``python benchmarks/background_cache.py``.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

PCF = str(Path(sys.executable).parent / "pcf")
TARGET_S, STRETCH_S = 3.0, 1.5


def footprint(model: Path, out: Path) -> tuple[float, dict, float]:
    """Wall time of ``pcf footprint`` [s], its result JSON without ``created_at``, and its user +
    system CPU time [s]."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([PCF, "footprint", str(model), "--out", str(out)], capture_output=True, text=True)
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    result = json.loads(next(out.glob("*.result.json")).read_text(encoding="utf-8"))
    result.pop("created_at")
    return took, result, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def compile_sources() -> None:
    """Write the bytecode of pcf's sources (``__pycache__``), as installing a package does: a
    user's pcf does not compile its modules on every run, even where the environment says
    PYTHONDONTWRITEBYTECODE (as the machines this is measured on do)."""
    import compileall

    compileall.compile_dir(REPO / "pcf", quiet=1)
    compileall.compile_file(REPO / "cli.py", quiet=1)


def main() -> None:
    from batch import SYNTHETIC, synthetic_background
    from support.targets import target_line
    from user_project import model_text

    from pcf.core.bw import brightway

    compile_sources()

    built, _ = synthetic_background(brightway())
    if built:
        print(f"wrote {SYNTHETIC} in {built:.1f} s (kept for the next run)")
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "bench-cache.yaml"
        model.write_text(model_text(SYNTHETIC), encoding="utf-8")
        footprint(model, Path(tmp) / "first")  # the foreground database written once, as a user has it
        subprocess.run([PCF, "cache", "clear"], check=True, capture_output=True)
        cold, cold_result, cold_cpu = footprint(model, Path(tmp) / "cold")
        runs = [footprint(model, Path(tmp) / f"warm{i}") for i in range(3)]
    warm, _, warm_cpu = min(runs, key=lambda r: r[0])
    if any(r != cold_result for _, r, _ in runs):
        raise SystemExit("background_cache: a warm run's result differs from the cold run's")
    print(f"cold (background characterised and cached): {cold:.2f} s wall, {cold_cpu:.2f} s CPU; warm: "
          f"{', '.join(f'{t:.2f} s wall ({c:.2f} s CPU)' for t, _, c in runs)}; "
          f"total {cold_result['total_kg_co2e']:.6g} kg CO2e, same result JSON: True; load {os.getloadavg()[0]:.1f}")
    target_line("warm pcf footprint, 20,000-activity background", warm, "s", TARGET_S, baseline=cold,
                stretch=STRETCH_S, note=f"CPU {warm_cpu:.2f} s; baseline: the cold run, cache cleared; "
                                        f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"background_cache: cold_s={cold:.2f} warm_s={warm:.2f} target_s={TARGET_S:g} speedup={cold / warm:.1f}")


if __name__ == "__main__":
    main()
