"""Measurement: US LCI FY17 (JSON-LD) with mass allocation against an independent solve (issue 17 point 5).

Not a unit test: importing full US LCI takes a minute or two here. It

1. imports ``../shared/data/uslci/uslci-fy17-json-ld.zip`` twice: ``--allocation none`` (the
   reference product keeps all burdens, co-products cut off: pcf's behaviour before allocation)
   and ``--allocation mass`` (the default);
2. derives the expected value of "Diesel, combusted in industrial boiler" independently of
   pcf's allocation code: it reads the refinery ("Petroleum refining, at refinery") straight
   from the zip, takes each product's declared mass share from its exchange description
   ("Mass (0.2188 kg/kg output) used for allocation"; products in kg: their amount), builds
   the technosphere, biosphere and characterisation matrices of the *unallocated* import with
   bw2calc, and in numpy/scipy (a) multiplies the refinery column's inputs and emissions by
   diesel's declared share, (b) gives each co-product's zero-burden placeholder the refinery's
   inputs and emissions times its share per unit of that product, and solves ``A x = f``;
3. prints the allocated import's score, the expected one and the unlinked greenhouse gases of
   the FY17 JSON-LD and FY21 EcoSpold1 imports with their reasons.

The last line is ``uslci_allocation: diesel_boiler_kg_per_l=<pcf> expected_kg_per_l=<own solve>
deviation_pct=<..> refinery_diesel_kg_per_l=<..> unlinked_ghg_fy17=<n> unlinked_ghg_fy21=<n>``.

Run with ``make bench`` (after ``pcf setup``) or ``python benchmarks/uslci_allocation.py``.
"""

from __future__ import annotations

import json
import re
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
USLCI = ROOT.parent / "shared" / "data" / "uslci"
FY17 = USLCI / "uslci-fy17-json-ld.zip"
FY21 = USLCI / "uslci-fy21-q3-ecospold1.zip"
REFINERY = "Petroleum refining, at refinery"
BOILER = "Diesel, combusted in industrial boiler"
SHARE = re.compile(r"Mass \(([0-9.]+) kg/kg output\) used for allocation")
LITRES_PER_M3 = 1000.0


def declared_shares() -> tuple[str, dict[str, tuple[float, float, str]]]:
    """The refinery's id and, per product, (declared mass share, amount, unit), read from the zip."""
    with zipfile.ZipFile(FY17) as z:
        for member in z.namelist():
            if "/processes/" not in member or not member.endswith(".json"):
                continue
            proc = json.loads(z.read(member))
            if proc["name"].strip() != REFINERY:
                continue
            shares = {}
            for e in proc["exchanges"]:
                if e.get("input") or e["flow"].get("flowType") != "PRODUCT_FLOW":
                    continue
                m = SHARE.search(e.get("description") or "")
                if m:
                    shares[e["flow"]["name"].strip()] = (float(m.group(1)), e["amount"], e["unit"]["name"])
            return proc["@id"], shares
    raise SystemExit(f"{REFINERY} not found in {FY17}")


def own_solve(bd, database: str, refinery_code: str, shares: dict) -> float:
    """kg CO2e per litre of the boiler with the refinery mass-allocated in numpy/scipy."""
    import bw2calc
    import numpy as np
    from scipy.sparse.linalg import spsolve

    from pcf.background.methods import METHODS

    boiler = next(a for a in bd.Database(database) if a["name"].strip() == BOILER and not a.get("pcf_unlinked"))
    lca = bw2calc.LCA({boiler: 1}, METHODS["ipcc-2021-gwp100"].name)
    lca.lci()
    lca.lcia()
    A = lca.technosphere_matrix.tolil()
    B = lca.biosphere_matrix.tolil()
    cols = lca.dicts.activity
    ref = bd.get_node(database=database, code=refinery_code)
    j = cols[ref.id]
    diesel_share = shares["Diesel, at refinery"][0]
    column_A, column_B = A[:, j].toarray().ravel(), B[:, j].toarray().ravel()
    production = column_A[j]
    inputs_A = column_A.copy()
    inputs_A[j] = 0.0
    for product, (share, amount, unit) in shares.items():  # (b) placeholders of co-products
        if product == "Diesel, at refinery":
            continue
        holders = [a for a in bd.Database(database) if a.get("pcf_unlinked") and a["name"] == product and a.id in cols]
        for holder in holders:
            k = cols[holder.id]
            per_unit = share / (amount / LITRES_PER_M3 if unit == "l" else amount)  # placeholder units: m3 / kg
            for i in np.nonzero(inputs_A)[0]:
                A[i, k] = A[i, k] + inputs_A[i] * per_unit
            for i in np.nonzero(column_B)[0]:
                B[i, k] = B[i, k] + column_B[i] * per_unit
    for i in np.nonzero(inputs_A)[0]:  # (a) the refinery column at diesel's share
        A[i, j] = inputs_A[i] * diesel_share
    for i in np.nonzero(column_B)[0]:
        B[i, j] = column_B[i] * diesel_share
    A[j, j] = production
    x = spsolve(A.tocsc(), lca.demand_array)
    return float((lca.characterization_matrix @ (B.tocsr() @ x)).sum()) / LITRES_PER_M3


def score_per_litre(bd, database: str, name: str, product: str | None = None) -> float:
    import bw2calc

    from pcf.background.methods import METHODS

    act = next(a for a in bd.Database(database) if a["name"].strip() == name and not a.get("pcf_unlinked")
               and (product is None or a.get("reference product") == product))
    lca = bw2calc.LCA({act: 1}, METHODS["ipcc-2021-gwp100"].name)
    lca.lci()
    lca.lcia()
    return lca.score / (LITRES_PER_M3 if act["unit"] == "cubic meter" else 1.0)


def main() -> int:
    from pcf.core.bw import brightway
    from pcf.importers import import_database

    bd = brightway()
    if not FY17.exists():
        print(f"{FY17} is missing: this measurement needs ../shared beside the clone", file=sys.stderr)
        return 1
    started = time.perf_counter()
    none = import_database(FY17, "jsonld", "bench-uslci-fy17-none", replace=True, allocation="none")
    mass = import_database(FY17, "jsonld", "bench-uslci-fy17-mass", replace=True)
    seconds = time.perf_counter() - started
    code, shares = declared_shares()
    print(f"declared mass shares of {REFINERY}: " + ", ".join(f"{p} {s[0]}" for p, s in shares.items()))
    expected = own_solve(bd, none.name, code, shares)
    before = score_per_litre(bd, none.name, BOILER)
    after = score_per_litre(bd, mass.name, BOILER)
    refinery = score_per_litre(bd, mass.name, REFINERY, "Diesel, at refinery")
    refinery_before = score_per_litre(bd, none.name, REFINERY)
    print(f"refinery at diesel [kg CO2e/l]: unallocated {refinery_before:.4f}, mass-allocated {refinery:.4f}")
    print(f"{BOILER} [kg CO2e/l]: unallocated {before:.4f}, mass-allocated {after:.4f}, own solve {expected:.4f}")
    es1 = import_database(FY21, "ecospold1", "bench-uslci-fy21-mass", replace=True) if FY21.exists() else None
    for label, report in (("FY17 JSON-LD", mass), ("FY21 EcoSpold1", es1)):
        if report is None:
            continue
        print(f"{label}: {len(report.linked_gases)} gas flows linked by CAS / designation; "
              f"{len(report.unlinked_ghg)} unlinked greenhouse-gas flows:")
        for f in report.unlinked_ghg:
            print(f"    {f.name} [{f.categories}] ({f.exchanges} exchanges): {f.reason}")
    for db in ("bench-uslci-fy17-none", "bench-uslci-fy17-mass", "bench-uslci-fy21-mass"):
        for d in (db, f"{db}-biosphere"):
            if d in bd.databases:
                del bd.databases[d]
    deviation = (after - expected) / expected * 100
    print(f"uslci_allocation: diesel_boiler_kg_per_l={after:.4f} expected_kg_per_l={expected:.4f} "
          f"deviation_pct={deviation:.3f} refinery_diesel_kg_per_l={refinery:.4f} import_s={seconds:.1f} "
          f"unlinked_ghg_fy17={len(mass.unlinked_ghg)} unlinked_ghg_fy21={len(es1.unlinked_ghg) if es1 else -1}")
    return 0 if abs(deviation) <= 5 else 1


if __name__ == "__main__":
    raise SystemExit(main())
