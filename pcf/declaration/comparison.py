"""Whether two declarations can be compared, and the reduction of one against the other.

Shared by the reduction report (:mod:`pcf.compare.claims`, ``pcf compare --claim
reduction``) and the reduction label (:mod:`pcf.registry.labeltype`, ``pcf issue --claim
reduction``), which sit above this package.

References
----------
Carbon Trust, product carbon footprint label "Reducing CO2": reduction by re-baselining, two
footprints of similar definition and scope (carbontrust.com; pcr-sources/NOTES.md 4).
VTT & LUT University (2018) Carbon Handprint Guide, Stage 3 steps 7-8: baseline and product
with equal functional units after ISO 14067.
"""

from __future__ import annotations

from ..core.errors import ComparisonRefused
from . import Declaration


def declared_per_declared_unit(declaration: Declaration) -> float:
    """The declared figure [kg CO2e / declared unit] (a result without totals: its one total)."""
    if declaration.result.totals is None:
        return float(declaration.result.per_declared_unit_kg_co2e)
    return float(declaration.declared_value("declared_unit"))


def reduction_row(name: str, base: float | None, prod: float | None, zh: str = "") -> dict:
    """One row of a comparison.

    Returns
    -------
    dict
        ``{name, zh, baseline, product, reduction, reduction_pct}``: reduction = baseline -
        product [same unit as the figures; positive: the product emits less], reduction_pct
        = 100 x reduction / |baseline| [%]; None when a figure is missing (or the baseline is 0
        for the percentage). A difference within 1e-9 of the figures is 0 (the same value
        computed twice differs in the last bits, not in substance).
    """
    reduction = None if base is None or prod is None else base - prod
    if reduction is not None and abs(reduction) <= 1e-9 * max(abs(base), abs(prod)):
        reduction = 0.0
    pct = 100.0 * reduction / abs(base) if reduction is not None and base else None
    return {"name": name, "zh": zh, "baseline": base, "product": prod, "reduction": reduction, "reduction_pct": pct}


def _scenario(declaration: Declaration) -> str | None:
    scenario = declaration.result.scenario
    return scenario.name if scenario is not None else None


def describe(declaration: Declaration) -> str:
    """``product id (scenario)``: how messages name a declaration."""
    scenario = _scenario(declaration)
    return f"{declaration.result.product.id}" + (f" ({scenario})" if scenario else "")


def _pcr_text(declaration: Declaration) -> str:
    pcr = declaration.assessment.pcr
    return f"{pcr.id} v{pcr.version}"


def check_comparable(baseline: Declaration, product: Declaration) -> None:
    """Both declarations have the same function, PCR (and version), boundary, method and declared total.

    Raises
    ------
    ComparisonRefused
        A declaration without a declared unit or PCR assessment; different declared units
        (unit, description), PCRs or versions, boundaries, methods or declared totals
        (biogenic carbon, dLUC); the same model, scenario and parameters twice.
    """
    b, p = baseline.result, product.result
    b_du, p_du = b.product.declared_unit, p.product.declared_unit
    if not b_du or not p_du:
        which = describe(baseline) if not b_du else describe(product)
        raise ComparisonRefused(f"{which} has no declared unit: a comparison is per declared unit (the same "
                                "function); add product.declared_unit to the model and compute it again")
    if b_du.unit != p_du.unit or (b_du.description or "") != (p_du.description or ""):
        raise ComparisonRefused(
            f"different declared units: {b_du.unit!r} ({b_du.description or ''}) and {p_du.unit!r} "
            f"({p_du.description or ''}); only products with the same function can be compared")
    if baseline.assessment is None or product.assessment is None:
        which = describe(baseline) if baseline.assessment is None else describe(product)
        raise ComparisonRefused(f"{which} was not assessed against a PCR: a claim needs both results under the "
                                "same PCR; set study.pcr and compute it again")
    pcr_b, pcr_p = _pcr_text(baseline), _pcr_text(product)
    if pcr_b != pcr_p:
        raise ComparisonRefused(f"different PCRs: {pcr_b} and {pcr_p}; compute both under the same PCR (and version)")
    if b.study.boundary != p.study.boundary:
        raise ComparisonRefused(f"different system boundaries: {b.study.boundary} and {p.study.boundary}; "
                                "compare results with the same boundary")
    if b.method != p.method:
        raise ComparisonRefused(f"different characterisation methods: {b.method} and {p.method}; compute both "
                                "with the same method")
    d_b = (baseline.accounting.declared_total, baseline.accounting.dluc_included)
    d_p = (product.accounting.declared_total, product.accounting.dluc_included)
    if d_b != d_p:
        raise ComparisonRefused(f"different declared totals (biogenic carbon, dLUC): {d_b} and {d_p}; compute both "
                                "with this pcf under the same PCR")
    if b.model_sha256 == p.model_sha256 and _scenario(baseline) == _scenario(product) and b.parameters == p.parameters:
        raise ComparisonRefused("both results are of the same model, scenario and parameters: nothing to compare")
