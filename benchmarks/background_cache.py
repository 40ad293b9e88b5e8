"""Benchmark: a cold and a warm `pcf footprint` on the 20,000-activity background (issue 18 part 3).

The synthetic ecoinvent-scale background ``bench-synthetic-20k`` of benchmarks/batch.py (20,000
activities, ~282,000 technosphere and ~60,000 biosphere entries; written once under PCF_HOME and
kept) and the one-process foreground of benchmarks/user_project.py (20 of its activities, 1 kg
CO2). As a user runs it: the command in a child process, wall clock.

- cold (the baseline): after ``pcf cache clear``, the background is characterised (one sparse LU
  of its ``A^T``) and cached;
- warm: the same command again, twice; the faster counts (the target: under 3 s).

Checks that every run gives the same result JSON (all but ``created_at``). The last line is
``background_cache: cold_s=<a> warm_s=<b> target_s=3 speedup=<a/b>``. Run with ``make bench`` (after
``pcf setup``) or ``python benchmarks/background_cache.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

PCF = str(Path(sys.executable).parent / "pcf")
TARGET_S = 3.0


def footprint(model: Path, out: Path) -> tuple[float, dict]:
    """Wall time of ``pcf footprint`` [s] and its result JSON without ``created_at``."""
    start = time.perf_counter()
    done = subprocess.run([PCF, "footprint", str(model), "--out", str(out)], capture_output=True, text=True)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    result = json.loads(next(out.glob("*.result.json")).read_text(encoding="utf-8"))
    result.pop("created_at")
    return took, result


def main() -> None:
    from batch import SYNTHETIC, synthetic_background
    from user_project import model_text

    from pcf.core.bw import brightway

    built, _ = synthetic_background(brightway())
    if built:
        print(f"wrote {SYNTHETIC} in {built:.1f} s (kept for the next run)")
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "bench-cache.yaml"
        model.write_text(model_text(SYNTHETIC), encoding="utf-8")
        footprint(model, Path(tmp) / "first")  # the foreground database written once, as a user has it
        subprocess.run([PCF, "cache", "clear"], check=True, capture_output=True)
        cold, cold_result = footprint(model, Path(tmp) / "cold")
        runs = [footprint(model, Path(tmp) / f"warm{i}") for i in range(2)]
    warm = min(t for t, _ in runs)
    if any(r != cold_result for _, r in runs):
        raise SystemExit("background_cache: a warm run's result differs from the cold run's")
    print(f"cold (background characterised and cached): {cold:.2f} s; warm: "
          f"{', '.join(f'{t:.2f}' for t, _ in runs)} s; total {cold_result['total_kg_co2e']:.6g} kg CO2e, "
          f"same result JSON: True; target warm < {TARGET_S:g} s: {'met' if warm < TARGET_S else 'NOT met'}")
    print(f"background_cache: cold_s={cold:.2f} warm_s={warm:.2f} target_s={TARGET_S:g} speedup={cold / warm:.1f}")


if __name__ == "__main__":
    main()
