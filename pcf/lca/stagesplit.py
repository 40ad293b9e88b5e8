"""The ISO 14067:2018 7.3 split of each life-cycle stage (``ghg_by_stage`` of the result).

The same sums as :meth:`pcf.lca.inventory.Inventory.solve`, grouped by the stage of the
foreground node: each background draw (amount drawn x the activity's intensity per category,
biogenic CO2 masses, aircraft) counts toward the stage its input states (``stage:`` on the
input) or else its process's stage, and each direct flow (split by the model's origin where it
was stated) toward its process's stage. The categories of a stage sum to the stage's
footprint, and the stages to the category totals.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .inventory import MASS_KEYS, Characterisation, Inventory, Solution
from .result import GHG_CATEGORIES

KEYS = GHG_CATEGORIES + ("aircraft",) + MASS_KEYS


def ghg_by_stage(inv: Inventory, sol: Solution, char: Characterisation, stages, row: int = 0,
                 pick: Callable | None = None) -> dict:
    """``{stage: {fossil, biogenic_emissions, biogenic_removals, dluc, aircraft [kg CO2e],
    co2_emissions_kg, co2_removals_kg [kg CO2]}}`` per reference flow for variant ``row``.

    Parameters
    ----------
    inv, sol, char
        The inventory, its solution and the characterisation it was solved with.
    stages : iterable of str
        Stages to report, in order (those without burdens get zeros).
    pick : callable, optional
        ``pick(column)`` -> the number of a column of values per variant, shape (n,) (default
        ``float(column[row])``; :func:`pcf.model.lanes.lane` gives every variant's at once).
    """
    if pick is None:
        def pick(column):
            return float(column[row])
    out = {stage: dict.fromkeys(KEYS, 0.0) for stage in stages}

    def bucket(j: int) -> dict:
        return out.setdefault(inv.stages[j], dict.fromkeys(KEYS, 0.0))

    for q in range(len(inv.pairs)):
        b = out.setdefault(inv.pair_stages[q], dict.fromkeys(KEYS, 0.0))
        r, drawn = inv.pair_index[q], pick(sol.drawn[:, q])
        for k, cat in enumerate(GHG_CATEGORIES):
            b[cat] += drawn * float(char.intensity[r, k])
        for k, key in enumerate(MASS_KEYS):
            b[key] += drawn * float(char.mass[r, k])
        if char.aircraft[r]:
            b["aircraft"] += pick(sol.values[:, q])
        if char.aircraft_part is not None:
            b["aircraft"] += drawn * float(char.aircraft_part[r])
    if inv.groups:
        X = inv.amounts  # (n, slots)
        s = sol.supply
        nodes = np.array([j for j, _ in inv.groups], dtype=int)
        emitted = np.asarray(inv.group_sum.T @ X.T).T * s[:, nodes]  # [kg], (n, groups)
        values = emitted * inv.group_cf
        for k in range(len(inv.origin_slots)):
            g, cat, slot = inv.origin_group[k], inv.origin_category[k], inv.origin_slots[k]
            part = values[:, g] if slot < 0 else X[:, slot] * inv.group_cf[g] * s[:, nodes[g]]
            bucket(nodes[g])[GHG_CATEGORIES[cat]] += pick(part)
        for g, mk in enumerate(inv.group_mass):
            if mk >= 0:
                bucket(nodes[g])[MASS_KEYS[mk]] += pick(emitted[:, g])
    return out
