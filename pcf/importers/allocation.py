"""Physical allocation of multi-output datasets that carry no allocation factors of their own.

Used by ``pcf db import`` (JSON-LD and EcoSpold1) as a bw2io strategy, before technosphere
inputs are linked, so that every co-product becomes an activity its consumers can link to.

The rule (ISO 14044:2006, 4.3.4.2 step 2: partition by an underlying physical relationship):

- Each product output's quantity under the chosen basis (``mass`` [kg], ``energy`` [MJ],
  ``economic`` [revenue, as declared]) comes, in this order, from the flow's properties (openLCA
  flow property factors, set by the reader as ``pcf_properties``), from its unit when the unit
  is of that dimension (``l`` has no mass), or, for mass only, from the exchange's own
  declaration "Mass (X kg/kg ...) used for allocation" (how US LCI states the mass shares it
  allocated by; the value is in kg per the dataset's basis).
- A product output whose quantity equals the sum of the others' (within 1 %) is their total,
  not a co-product (US LCI adds "Petroleum refining, at refinery", 1 kg, "for EcoSpold semantic
  validation" next to the nine refinery products): counting it would count the mass twice. It
  takes no share; its activity is the unallocated dataset per unit of the total (factor 1).
- Waste outputs (openLCA ``WASTE_FLOW`` outputs, EcoSpold1 output group 3 "WasteToTreatment")
  are not co-products: cut off, as before allocation (their treatment is not modelled), listed.
- Outputs named "Water ..." in mass units are water passed through (US LCI's EcoSpold1
  export lists "Water (river water from technosphere, turbined)", 55 750 kg per kg of
  aluminium, as a by-product): not co-products. They are dropped from the split and listed.
- Co-product *i* gets the factor ``q_i / sum(q)``: its activity is the dataset with every input
  and elementary exchange multiplied by that factor and the one production exchange of *i*.
- **Refusal**: when any co-product lacks the quantity (e.g. "Recovered energy" in MJ under
  mass allocation) the dataset is *not* allocated: the reference product keeps all burdens
  (openLCA's behaviour without allocation) and the other outputs are cut off, exactly as with
  ``--allocation none``. The report says which product lacked what. Mixing bases within a
  dataset (mass for some products, something else for others) would not be a physical
  relationship, so pcf does not fall back silently.
"""

from __future__ import annotations

import math
import re
from copy import deepcopy

from ..core.errors import UnitError
from ..core.units import conversion_factor
from .common import ImportReport

#: Allocation bases ``pcf db import --allocation`` accepts.
METHODS = ("mass", "energy", "economic", "none")

#: Reference unit of each physical basis.
BASIS_UNIT = {"mass": "kilogram", "energy": "megajoule"}

#: US LCI's statement of the mass it allocated by, in an exchange comment.
DECLARED_MASS = re.compile(r"\bMass \(\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*kg/kg\b[^)]*\)\s*used for allocation",
                           re.IGNORECASE)

#: Relative tolerance for "this output is the total of the others".
TOTAL_TOLERANCE = 0.01


def quantity(exc: dict, method: str) -> tuple[float | None, str]:
    """Quantity of one product output under ``method`` and where it came from.

    Parameters
    ----------
    exc : dict
        A bw2io production exchange (``amount``, ``unit``, optional ``pcf_properties`` of
        basis -> quantity, optional ``comment``).
    method : str
        ``mass``, ``energy`` or ``economic``.

    Returns
    -------
    (float or None, str)
        Quantity [kg, MJ or revenue] and its source (``flow property``, ``unit``,
        ``declared``), or ``(None, "")`` when the output has none.
    """
    props = exc.get("pcf_properties") or {}
    if props.get(method) is not None:
        return float(props[method]), "flow property"
    if method in BASIS_UNIT and exc.get("unit"):
        try:
            return exc["amount"] * conversion_factor(exc["unit"], BASIS_UNIT[method]), "unit"
        except UnitError:
            pass
    if method == "mass":
        m = DECLARED_MASS.search(exc.get("comment") or "")
        if m:
            return float(m.group(1)), "declared"
    return None, ""


def allocate(db: list, method: str, report: ImportReport, naming: str = "process") -> list:
    """Split each dataset with several production exchanges into one activity per product.

    Parameters
    ----------
    db : list of dict
        bw2io datasets; production exchanges have ``type`` ``production``; the reference one
        may be flagged ``pcf_reference`` (else: the one named like the dataset, else the first).
    method : str
        One of :data:`METHODS`; ``none`` keeps the reference product only (cut-off).
    report : ImportReport
        Receives one entry per multi-output dataset in ``allocations`` and the cut-off
        co-products in ``coproducts_cut_off``.
    naming : {"process", "product"}
        Name of a co-product's activity: the dataset's name with ``reference product`` set to
        the product (openLCA / JSON-LD), or the product's name (EcoSpold1, whose datasets are
        named after their product and linked by name).

    Returns
    -------
    list of dict
        The datasets, multi-output ones replaced by their splits (the reference product's
        activity first, keeping the dataset's ``code``).
    """
    out = []
    for ds in db:
        prods = [e for e in ds.get("exchanges", []) if e.get("type") == "production"]
        if len(prods) <= 1:
            out.append(ds)
            continue
        out.extend(_allocate_one(ds, prods, method, report, naming))
    return out


def _reference(ds: dict, prods: list) -> dict:
    flagged = [e for e in prods if e.get("pcf_reference")]
    if flagged:
        return flagged[0]
    named = [e for e in prods if (e.get("name") or "").strip().lower() == (ds.get("name") or "").strip().lower()]
    return named[0] if named else prods[0]


def _allocate_one(ds: dict, prods: list, method: str, report: ImportReport, naming: str) -> list:
    ref = _reference(ds, prods)
    entry = {"process": ds.get("name"), "location": ds.get("location") or "", "reference_product": ref.get("name"),
             "method": method, "factors": {}, "sources": {}, "note": ""}
    for label, drop in (("waste outputs (treatment not modelled)", [e for e in prods if e is not ref and e.get("pcf_waste")]),
                        ("water passed through", [e for e in prods if e is not ref and _is_water(e)])):
        if not drop:
            continue
        entry["note"] += f"not co-products ({label}): " + ", ".join(e["name"] for e in drop) + "; "
        for e in drop:
            _cut(ds, e, report, f"{label}, not a co-product")
        prods = [e for e in prods if not any(e is d for d in drop)]
        ds["exchanges"] = [e for e in ds["exchanges"] if not any(e is d for d in drop)]
    if len(prods) == 1:  # only waste or water beside the product: nothing to allocate (cut-offs listed)
        return [ds]
    quantities, missing = {}, []
    if method != "none":
        for e in prods:
            q, source = quantity(e, method)
            if q is None:
                missing.append(e)
            else:
                quantities[id(e)] = q
                entry["sources"][e["name"]] = source
    positive = sum(q for q in quantities.values() if q > 0)
    if method == "none" or missing or positive <= 0:
        why = ("allocation 'none' asked for" if method == "none" else
               f"no {method} for: " + ", ".join(f"{e['name']} [{e.get('unit', '')}]" for e in missing) if missing else
               f"the products' {method} adds up to zero")
        entry.update(method="none", note=entry["note"] + f"not allocated ({why}): all burdens stay with the reference product")
        entry["factors"] = {ref["name"]: 1.0}
        for e in prods:
            if e is not ref:
                _cut(ds, e, report, why)
        ds["exchanges"] = [e for e in ds["exchanges"] if e is ref or e.get("type") != "production"]
        report.allocations.append(entry)
        return [ds]
    factors = _factors(prods, quantities)
    for e, f, total in factors:
        entry["factors"][e["name"]] = round(f, 6)
        if total:
            entry["note"] += f"{e['name']} is the total of the other outputs: unallocated dataset (factor 1); "
    report.allocations.append(entry)
    return [_split(ds, e, ref, f, total, method, naming) for e, f, total in factors if e.get("amount")]


def _factors(prods: list, quantities: dict) -> list[tuple[dict, float, bool]]:
    """(product exchange, factor, is the total of the others); the co-products' factors add up to 1."""
    qs = [(e, quantities[id(e)]) for e in prods]
    total = None
    if len(qs) >= 3:
        for e, q in qs:
            rest = sum(q2 for e2, q2 in qs if e2 is not e)
            if rest > 0 and abs(q - rest) <= TOTAL_TOLERANCE * rest:
                total = e
                break
    share_sum = sum(q for e, q in qs if e is not total)
    return [(e, 1.0, True) if e is total else (e, q / share_sum, False) for e, q in qs]


def _split(ds: dict, prod: dict, ref: dict, factor: float, total: bool, method: str, naming: str) -> dict:
    new = deepcopy({k: v for k, v in ds.items() if k != "exchanges"})
    if prod is not ref:
        new["code"] = f"{ds.get('code')}.{_slug(prod)}" if ds.get("code") else None
        if naming == "product":
            new["name"] = prod["name"]
            if prod.get("categories"):
                new["categories"] = prod["categories"]
        new["unit"] = prod.get("unit", new.get("unit"))
    new["reference product"] = prod["name"]
    new["pcf_allocation"] = {"method": "unallocated (total of the outputs)" if total else method,
                             "factor": factor, "dataset": ds.get("name")}
    exchanges = [deepcopy(prod)]
    for e in ds["exchanges"]:
        if e.get("type") == "production":
            continue
        if factor == 0:
            continue
        exchanges.append(_scaled(e, factor))
    new["exchanges"] = exchanges
    return new


def _slug(prod: dict) -> str:
    return str(prod.get("code") or prod.get("name") or "coproduct")


def _scaled(exc: dict, factor: float) -> dict:
    """A copy of ``exc`` with ``amount`` and its uncertainty multiplied by ``factor`` > 0
    (stats_arrays: lognormal (2) shifts ``loc`` by ln(factor) and keeps ``scale``)."""
    e = dict(exc)  # nested values (categories, ...) are shared, never changed
    e["amount"] = e.get("amount", 0.0) * factor
    kind = e.get("uncertainty type")
    if kind == 2 and isinstance(e.get("loc"), (int, float)):
        e["loc"] = e["loc"] + math.log(factor)
        return e
    for k in ("loc", "scale", "minimum", "maximum"):
        if isinstance(e.get(k), (int, float)) and not (k == "scale" and kind == 2):
            e[k] = e[k] * factor
    return e


def _is_water(exc: dict) -> bool:
    name = (exc.get("name") or "").strip().lower()
    if not (name.startswith("water ") or name.startswith("water,") or name.startswith("water(")):
        return False
    try:
        conversion_factor(exc.get("unit") or "", "kilogram")
    except UnitError:
        return False
    return True


def _cut(ds: dict, exc: dict, report: ImportReport, why: str) -> None:
    report.coproducts_cut_off.append({"process": ds.get("name"), "flow": exc.get("name"), "amount": exc.get("amount"),
                                      "unit": exc.get("unit", ""), "why": why})
