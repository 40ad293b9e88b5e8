"""Benchmark: a footprint against the user's own Brightway project (issue 17 part 3).

pcf's own Brightway folder under PCF_HOME (after ``pcf setup``, with the synthetic
ecoinvent-scale background ``bench-synthetic-20k`` of benchmarks/batch.py: 20,000 activities,
~300,000 technosphere entries, written once and kept) stands in for a user's project. A
one-process foreground drawing on 20 of its activities (:func:`model_text`) is footprinted twice
by the command, in child processes:

(a) as usual, in pcf's own project;
(b) with ``--brightway-dir PCF_HOME/brightway --project pcf``: read only, through the temporary
    overlay (node rows, metadata, processed datapackages copied; pcf's methods written there).

Checks that both give the same total (rel 1e-6) and that (b) changes no file of the folder
(SHA-256 of every file before and after). The last line is
``user_project: normal_s=<a> user_s=<b> overhead_s=<b-a>``. Run with ``make bench`` (after
``pcf setup``) or ``python benchmarks/user_project.py``.
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
from pathlib import Path

from support import timing

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` by relative path."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest = hashlib.sha256()
            with path.open("rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
            out[str(path.relative_to(folder))] = digest.hexdigest()
    return out


def model_text(background: str) -> str:
    """A product made from 0.1 .. 2.0 kg of 20 activities of the synthetic background, one per
    sector, and 1 kg CO2 fossil emitted."""
    from support.synthetic import code

    inputs = "\n".join(f"      - {{database: {background}, code: {code(s, 7)}, amount: {0.1 * (s + 1):.1f}, unit: kg}}"
                       for s in range(20))
    return f"""format: pcf-model/1
product: {{id: BENCH-USER, name: benchmark product, process: make, reference_flow: {{amount: 1, unit: item}}}}
study: {{background: {background}}}
processes:
  - id: make
    name: make
    stage: production
    output: {{amount: 1, unit: item}}
    inputs:
{inputs}
    emissions:
      - {{substance: carbon dioxide, origin: fossil, amount: 1, unit: kg}}
"""


def main() -> None:
    from batch import SYNTHETIC, synthetic_background

    from pcf.core.bw import brightway, pcf_home

    bd = brightway()
    built, _ = synthetic_background(bd)
    if built:
        print(f"wrote {SYNTHETIC} in {built:.1f} s (kept for the next run)")
    folder = pcf_home() / "brightway"
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "bench-user.yaml"
        model.write_text(model_text(SYNTHETIC), encoding="utf-8")
        normal, normal_cpu, result = timing.footprint(model, Path(tmp) / "a")
        before = hashes(folder)
        user, user_cpu, result_user = timing.footprint(model, Path(tmp) / "b", "--brightway-dir", folder,
                                                       "--project", "pcf")
        unchanged = hashes(folder) == before
    total, total_user = result["total_kg_co2e"], result_user["total_kg_co2e"]
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6
    print(f"(a) own project: {normal:.2f} s wall, {normal_cpu:.2f} s CPU, {total:.6g} kg CO2e")
    print(f"(b) as a user project ({folder}, {size:.0f} MB): {user:.2f} s wall, {user_cpu:.2f} s CPU, "
          f"{total_user:.6g} kg CO2e; files unchanged: {unchanged}")
    if not unchanged or abs(total_user - total) > 1e-6 * abs(total):
        raise SystemExit("user_project: the user's project changed or the totals differ")
    print(f"user_project: normal_s={normal:.2f} user_s={user:.2f} overhead_s={user - normal:.2f}")


if __name__ == "__main__":
    main()
