"""Benchmark: ``pcf export-model`` (issue 17 part 4) of examples/battery/nmc811-pack.yaml in both
formats, Brightway Excel and openLCA JSON-LD.

The library call ``pcf.api.export_model`` (load, link, write; bw2data imported before), 5 runs
per format to fresh files, the median; also the size of the zip and whether the five zips are
the same bytes (they must be). The last line is ``model_export: olca_jsonld_ms=<a>
brightway_excel_ms=<b> zip_bytes=<c> identical=<yes|no>``. Run with ``make bench`` (after
``pcf setup``) or ``python benchmarks/model_export.py``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

MODEL = REPO / "examples" / "battery" / "nmc811-pack.yaml"


def timed(fmt: str, suffix: str, folder: Path) -> tuple[float, list[bytes]]:
    """Median wall time of 5 exports [ms] and the files written."""
    from pcf.api import export_model

    times, files = [], []
    for i in range(5):
        out = folder / f"{fmt}-{i}{suffix}"
        start = time.perf_counter()
        export_model(MODEL, fmt, out)
        times.append(1000 * (time.perf_counter() - start))
        files.append(out.read_bytes())
    return statistics.median(times), files


def main() -> None:
    from pcf.core.bw import brightway

    brightway()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        olca_ms, zips = timed("olca-jsonld", ".zip", folder)
        excel_ms, _ = timed("brightway-excel", ".xlsx", folder)
    identical = "yes" if len(set(zips)) == 1 else "no"
    print(f"olca-jsonld: median {olca_ms:.0f} ms, {len(zips[0])} bytes; brightway-excel: median {excel_ms:.0f} ms")
    print(f"model_export: olca_jsonld_ms={olca_ms:.0f} brightway_excel_ms={excel_ms:.0f} zip_bytes={len(zips[0])} "
          f"identical={identical}")


if __name__ == "__main__":
    main()
