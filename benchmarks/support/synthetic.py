"""A synthetic background database of ecoinvent's size and shape, and a 50-process
foreground model on it, for benchmarks/batch.py.

Shape (fixed seed): 20,000 activities in 50 sectors of 400, each sector ordered from raw
materials to finished goods; the first 20 activities of a sector are its hubs (its basic
commodities and markets) and the hubs of sectors 0-4 serve every sector (energy, transport,
basic chemicals). An activity's technosphere inputs (about 15 on average, ~300,000 entries
in the matrix with the production diagonal) come from the 10 activities just upstream of it
in its own sector (about 9), from its sector's hubs (about 6), from the global hubs (about 3)
and, for 30 % of the activities, from one activity anywhere in an upstream sector; 3 % of the
activities also take an input from one of the next three activities downstream in their
sector, which closes small local loops (ecoinvent has loops of that kind: electricity used to
make the steel used to build power plants). Input amounts are 0.002 - 0.05 units per unit, so
the technosphere matrix is productive. Every activity emits about 3 greenhouse gases
(~60,000 biosphere entries): fossil CO2 mostly, and methane, nitrous oxide, biogenic CO2 and
SF6.

A uniformly random sparse matrix of that size fills in catastrophically when factorised
(and so did a first version of this one, with random upstream links across whole sectors:
80 million non-zeros in its LU factors, 200-400 s); like a real database, this one has
local chains and hubs, and SuperLU (COLAMD ordering) factorises it in a few seconds with
about 7 million non-zeros in L and U.
"""

from __future__ import annotations

import numpy as np

SECTORS = 50
PER_SECTOR = 400
HUBS = 20  # the first activities of each sector
GLOBAL_SECTORS = 5  # sectors whose hubs serve every sector
LOCAL, SECTOR_HUBS, GLOBAL_HUBS = 9, 6, 3  # mean inputs of each kind
WINDOW = 10  # "just upstream"
FAR = 0.3  # share of activities with an input from anywhere in an upstream sector
LOOPS = 0.03  # share of activities with an input from just downstream in their sector
FLOWS = [  # biosphere3 air flows (name, categories) and the share of emissions that are of it
    ("Carbon dioxide, fossil", 0.55), ("Methane, fossil", 0.15), ("Dinitrogen monoxide", 0.1),
    ("Carbon dioxide, non-fossil", 0.15), ("Sulfur hexafluoride", 0.05),
]
VERSION = "1"


def code(sector: int, k: int) -> str:
    return f"s{sector:02d}-{k:03d}"


def lognormal(exchange: dict, gsd: float | None) -> dict:
    """``exchange`` with a lognormal (median = its amount, ``gsd``) when ``gsd`` is given."""
    if gsd:
        exchange.update({"uncertainty type": 2, "loc": float(np.log(abs(exchange["amount"]))),
                         "scale": float(np.log(gsd)), "negative": exchange["amount"] < 0})
    return exchange


def build(bd, name: str, seed: int = 42, gsd: float | None = None) -> dict:
    """Write the synthetic background as Brightway database ``name`` (replaced if present).

    With ``gsd`` every technosphere input and biosphere exchange (not the production
    exchanges: a reference output is exact) gets a lognormal with that GSD around its amount
    (benchmarks/monte_carlo_large.py); the amounts are the same as without.

    Returns
    -------
    dict
        ``{activities, technosphere, biosphere}`` entry counts.
    """
    from pcf.core.bw import quiet

    rng = np.random.default_rng(seed)
    flows = [bd.get_node(database="biosphere3", name=n, categories=("air",)).key for n, _ in FLOWS]
    weights = np.array([w for _, w in FLOWS])
    data, n_tech, n_bio = {}, 0, 0
    for s in range(SECTORS):
        for k in range(PER_SECTOR):
            exchanges = [{"input": (name, code(s, k)), "amount": 1.0, "type": "production"}]
            sources = set()
            if k > 0:
                sources |= {(s, int(rng.integers(max(0, k - WINDOW), k))) for _ in range(rng.poisson(LOCAL))}
                sources |= {(s, int(rng.integers(0, min(HUBS, k)))) for _ in range(rng.poisson(SECTOR_HUBS))}
            for _ in range(rng.poisson(GLOBAL_HUBS)):
                src = (int(rng.integers(0, min(GLOBAL_SECTORS, s + 1))), int(rng.integers(0, HUBS)))
                if src[0] * PER_SECTOR + src[1] < s * PER_SECTOR + k:
                    sources.add(src)
            if s > 0 and rng.random() < FAR:
                sources.add((int(rng.integers(0, s)), int(rng.integers(0, PER_SECTOR))))
            if k < PER_SECTOR - 1 and rng.random() < LOOPS:
                sources.add((s, int(rng.integers(k + 1, min(PER_SECTOR, k + 4)))))
            sources.discard((s, k))
            inputs = {src: float(rng.uniform(0.002, 0.05)) for src in sorted(sources)}
            for (ss, kk), amount in inputs.items():
                exchanges.append(lognormal({"input": (name, code(ss, kk)), "amount": amount, "type": "technosphere"}, gsd))
            n_tech += len(inputs)
            for f in rng.choice(len(flows), size=max(1, rng.poisson(2) + 1), replace=True, p=weights / weights.sum()):
                amount = float(rng.lognormal(-3, 1)) * (1e-4 if FLOWS[f][0].startswith("Sulfur") else 1.0)
                exchanges.append(lognormal({"input": flows[f], "amount": amount, "type": "biosphere"}, gsd))
                n_bio += 1
            data[(name, code(s, k))] = {"name": f"synthetic activity {code(s, k)}", "unit": "kilogram",
                                        "location": "GLO", "reference product": f"product {code(s, k)}",
                                        "type": "process", "exchanges": exchanges}
    with quiet():
        if name in bd.databases:
            del bd.databases[name]
        db = bd.Database(name)
        db.register(description="pcf benchmark: synthetic ecoinvent-scale background (benchmarks/support/synthetic.py)",
                    pcf_synthetic=f"{VERSION}:{seed}" + (f":gsd{gsd}" if gsd else ""))
        db.write(data)
    return {"activities": len(data), "technosphere": n_tech, "biosphere": n_bio}


def foreground_model(background: str, seed: int = 7) -> str:
    """YAML text of a 50-process foreground on the synthetic background: a product assembled
    from 49 processes in a directed graph with one two-process loop, each drawing on 5-8
    background activities; amounts are expressions of ten parameters ``x0``..``x9`` (base 1)."""
    rng = np.random.default_rng(seed)
    stages = ["production"] + ["raw_material_acquisition"] * 29 + ["production"] * 15 + ["distribution"] * 3 \
        + ["end_of_life"] * 2
    lines = ["format: pcf-model/1",
             "product: {id: SYNTH-50, name: synthetic 50-process product, process: p00, "
             "reference_flow: {amount: 1, unit: item}, "
             "declared_unit: {unit: item, description: one product, per_reference_flow: x0 * 100}}",
             f"study: {{background: {background}, method: ipcc-2021-gwp100}}",
             "parameters: {" + ", ".join(f"x{i}: 1.0" for i in range(10)) + "}",
             "processes:"]
    uses: dict[int, list] = {}
    for p in range(50):
        lines += [f"  - id: p{p:02d}", f"    name: process {p}", f"    stage: {stages[p]}",
                  "    output: {amount: 1, unit: " + ("item" if p == 0 else "kilogram") + "}", "    inputs:"]
        children = [int(c) for c in rng.choice(np.arange(p + 1, 50), size=min(2, 49 - p), replace=False)] if p < 49 else []
        if p == 0:
            children = [1, 2, 3, 4]
        if p == 47:
            children = [48]
        if p == 48:
            children = [47]  # the loop: 47 and 48 use each other's products
        uses[p] = children
        for c in children:
            amount = 0.05 if (p, c) in ((47, 48), (48, 47)) else round(float(rng.uniform(0.2, 1.5)), 3)
            lines.append(f"      - {{process: p{c:02d}, amount: x{int(rng.integers(10))} * {amount}, unit: kilogram}}")
        for _ in range(int(rng.integers(5, 9))):
            s, k = int(rng.integers(SECTORS)), int(rng.integers(PER_SECTOR))
            lines.append(f"      - {{background: {code(s, k)}, amount: x{int(rng.integers(10))} * "
                         f"{round(float(rng.uniform(0.05, 3)), 3)}, unit: kilogram}}")
        if p % 5 == 0:
            lines += ["    emissions:",
                      f"      - {{substance: carbon dioxide, origin: fossil, amount: x{int(rng.integers(10))} * 0.2, unit: kg}}"]
    reached, todo = {0}, [0]
    while todo:
        for c in uses[todo.pop()]:
            if c not in reached:
                reached.add(c)
                todo.append(c)
    for p in sorted(set(range(50)) - reached, reverse=True):  # pcf refuses an unreached process unexplained
        at = lines.index(f"  - id: p{p:02d}") + 3
        lines.insert(at, "    kept_because: synthetic benchmark model (not reached, counts 0)")
    return "\n".join(lines) + "\n"
