"""Benchmark: ``pcf db search`` (issue 17 part 2) on the open default and on an ecoinvent-scale
background.

(a) the open default alone (140 rows): ``search_activities`` (ranking) and ``search_background``
    (ranking + the figures: one bw2calc LCA of the matched activities' databases, one LU of
    ``A^T``), 5 queries each, the median;
(b) the same with the synthetic background ``bench-synthetic-20k`` installed as well
    (benchmarks/support/synthetic.py: 20,000 activities, ~300,000 technosphere entries; written
    once under PCF_HOME, as benchmarks/batch.py does, and kept), queries that match in it.

The library calls only (bw2data imported before; the command adds ~3 s of imports). The last
line is ``db_search: open_default_ms=<a> large_ms=<b>``. Run with ``make bench`` (after
``pcf setup``) or ``python benchmarks/db_search.py``.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

QUERIES = ("graphite", "electricity east china", "nmc 811", "aluminum foil", "steel")
LARGE_QUERIES = ("synthetic activity s001", "synthetic activity k00012", "graphite")


def median_ms(call, queries) -> tuple[float, list[int]]:
    """Median wall time of ``call(q)`` over ``queries`` [ms], and the hit counts."""
    times, counts = [], []
    for q in queries:
        start = time.perf_counter()
        found = call(q)
        times.append(1000 * (time.perf_counter() - start))
        counts.append(len(found.hits) if hasattr(found, "hits") else len(found))
    return statistics.median(times), counts


def main() -> None:
    from batch import SYNTHETIC, synthetic_background

    from pcf.background.search import search_activities
    from pcf.core.bw import brightway
    from pcf.lca.intensity import search_background

    bd = brightway()
    built, _ = synthetic_background(bd)
    if built:
        print(f"wrote {SYNTHETIC} in {built:.1f} s (kept for the next run)")
    search_background("graphite", database="open-default")  # warm up: bw2calc import, first LCA
    rank, n = median_ms(lambda q: search_activities(q, database="open-default"), QUERIES)
    full, _ = median_ms(lambda q: search_background(q, database="open-default"), QUERIES)
    print(f"(a) open default: ranking {rank:.1f} ms, with figures {full:.1f} ms (median of {len(QUERIES)}; hits {n})")
    rank_l, n_l = median_ms(lambda q: search_activities(q), LARGE_QUERIES)
    full_l, _ = median_ms(lambda q: search_background(q), LARGE_QUERIES)
    print(f"(b) all backgrounds incl. {SYNTHETIC}: ranking {rank_l:.1f} ms, with figures {full_l:.1f} ms "
          f"(median of {len(LARGE_QUERIES)}; hits {n_l})")
    print(f"db_search: open_default_ms={full:.1f} large_ms={full_l:.1f}")


if __name__ == "__main__":
    main()
