"""One builder of typed footprint results for tests (instead of hand-made result dicts).

``result(...)`` gives a small, self-consistent :class:`pcf.lca.result.FootprintResult`: the
GHG categories sum to the total, the stages sum to the total, the totals follow
:mod:`pcf.lca.biogenic`'s formulas. ``declaration(...)`` wraps it with an accounting rule and
an optional assessment. Tests change what they need with keyword arguments.
"""

from __future__ import annotations

from typing import Any

from pcf.declaration import Declaration
from pcf.lca.biogenic import AccountingRule, rule_for
from pcf.lca.result import (BiogenicCarbon, DeclaredUnit, FootprintResult, GhgSplit, Product, Provenance,
                            Quantity, Shares, Study, Totals, TotalsPerDeclaredUnit)


def result(*, fossil: float = 10.0, biogenic_emissions: float = 0.0, biogenic_co2_kg: float = 0.0,
           biogenic_removals: float = 0.0, dluc: float = 0.0, aircraft: float = 0.0,
           stages: dict[str, float] | None = None, declared_per_reference_flow: float | None = None,
           declared_unit: str = "kWh", product_id: str = "SKU-TEST", name: str = "Test product",
           reference_unit: str = "item", standard: str = "ISO 14067:2018", boundary: str = "cradle-to-gate",
           pcr: str | None = None, method: str = "ipcc-2021-gwp100", **fields: Any) -> FootprintResult:
    """A footprint result with the given ISO 14067 categories [kg CO2e / reference flow].

    ``stages`` defaults to everything in ``production``; ``declared_per_reference_flow`` None
    means no declared unit. Other :class:`FootprintResult` fields can be passed as keywords.
    """
    total = fossil + biogenic_emissions + biogenic_removals + dluc
    excluding = fossil + (biogenic_emissions - biogenic_co2_kg) + dluc
    per_du = None
    unit = None
    if declared_per_reference_flow:
        unit = DeclaredUnit(unit=declared_unit, description=f"{declared_unit} (test)",
                            per_reference_flow=declared_per_reference_flow)
        per_du = TotalsPerDeclaredUnit(including_biogenic=total / declared_per_reference_flow,
                                       excluding_biogenic=excluding / declared_per_reference_flow)
    shares = Shares(**{k: (v / total if total else None) for k, v in (
        ("fossil", fossil), ("aircraft", aircraft), ("biogenic_emissions", biogenic_emissions),
        ("biogenic_removals", biogenic_removals), ("dluc", dluc))})
    base = dict(
        product=Product(id=product_id, name=name, reference_flow=Quantity(amount=1.0, unit=reference_unit),
                        declared_unit=unit),
        study=Study(standard=standard, boundary=boundary, pcr=pcr, method=method, background="open-default"),
        parameters={},
        total_kg_co2e=total,
        per_declared_unit_kg_co2e=total / declared_per_reference_flow if declared_per_reference_flow else None,
        stages=stages if stages is not None else {"production": total},
        ghg=GhgSplit(fossil=fossil, biogenic_emissions=biogenic_emissions, biogenic_removals=biogenic_removals,
                     dluc=dluc, aircraft=aircraft),
        biogenic_carbon=BiogenicCarbon(co2_emissions_kg=biogenic_co2_kg, co2_removals_kg=-biogenic_removals,
                                       net_kg_co2e=biogenic_emissions + biogenic_removals,
                                       content_product_kg_c=None, content_packaging_kg_c=None,
                                       content_product_kg_co2e=None, content_packaging_kg_co2e=None,
                                       content_co2_per_c=44.009 / 12.011, content_source=None),
        contributions=(), cut_off=(), data_sources=(),
        method=method, method_name=("IPCC 2021", "climate change", "GWP 100a"), background="open-default",
        provenance=Provenance(method_label=method, method_source=(), method_description="test",
                              background_database="pcf-open-default", background_version="test",
                              background_sha256="0" * 64, background_activities=0, databases=(),
                              brightway={}, bw2calc_score=total),
        software_version="test", model_sha256="0" * 64, model_file="model.yaml",
        created_at="2026-12-04T00:00:00+00:00",
        totals=Totals(including_biogenic=total, excluding_biogenic=excluding, per_declared_unit=per_du,
                      shares=shares),
    )
    base.update(fields)
    return FootprintResult(**base)


def declaration(footprint: FootprintResult | None = None, *, rule: AccountingRule | None = None,
                **kwargs: Any) -> Declaration:
    """A declaration of ``footprint`` (default :func:`result` with ``kwargs``) under ``rule``
    (default the study standard's)."""
    footprint = footprint if footprint is not None else result(**kwargs)
    return Declaration(result=footprint, accounting=rule or rule_for(None, footprint.study.standard))


def document(footprint: FootprintResult) -> dict[str, Any]:
    """The ``pcf-result/1`` JSON of a computed result under its study standard's rule (no PCR)."""
    return declaration(footprint).to_json()
