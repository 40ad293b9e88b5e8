"""Builders for tests: typed footprint results (instead of hand-made result dicts) and the text
of the "LOOP" test model (:func:`loop_model`, instead of a copy per test file).

``result(...)`` gives a small, self-consistent :class:`pcf.lca.result.FootprintResult`: the
GHG categories sum to the total, the stages sum to the total, the totals follow
:mod:`pcf.lca.biogenic`'s formulas. ``declaration(...)`` wraps it with an accounting rule and
an optional assessment. Tests change what they need with keyword arguments.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pcf.declaration import Declaration, build_declaration
from pcf.declaration.accounting import AccountingRule, rule_for
from pcf.lca.result import (AllocatedProduct, Allocation, AllocationCredit, BiogenicCarbon, Contribution, DataQuality,
                            DataQualityItem, DataSource, DeclaredUnit, Dqr, ExchangeFacts, FootprintResult, GhgSplit,
                            Product, Provenance, Quantity, Shares, Study, Totals, TotalsPerDeclaredUnit)


def result(*, fossil: float = 10.0, biogenic_emissions: float = 0.0, biogenic_co2_kg: float = 0.0,
           biogenic_removals: float = 0.0, dluc: float = 0.0, aircraft: float = 0.0,
           stages: dict[str, float] | None = None, declared_per_reference_flow: float | None = None,
           declared_unit: str = "kWh", declared_unit_description: str | None = None,
           product_id: str = "SKU-TEST", name: str = "Test product",
           reference_unit: str = "item", standard: str = "ISO 14067:2018", boundary: str = "cradle-to-gate",
           pcr: str | None = None, method: str = "ipcc-2021-gwp100", background: str = "open-default",
           parameters: Mapping[str, Any] | None = None,
           contributions: Iterable[Contribution | Mapping[str, Any]] = (),
           data_sources: Iterable[DataSource | Mapping[str, Any]] = (),
           allocation: Iterable[Allocation | Mapping[str, Any]] = (),
           data_quality: DataQuality | Mapping[str, Any] | None = None,
           exchange: ExchangeFacts | Mapping[str, Any] | None = None,
           **fields: Any) -> FootprintResult:
    """A footprint result with the given ISO 14067 categories [kg CO2e / reference flow].

    The total is the sum of ``fossil``, ``biogenic_emissions``, ``biogenic_removals`` and
    ``dluc`` (``aircraft`` is part of fossil); ``biogenic_co2_kg`` is the mass of biogenic CO2
    emitted [kg CO2 / reference flow] (left out of the total excluding biogenic CO2).
    ``stages`` defaults to everything in ``production`` (a test may give stages that do not sum
    to the total on purpose); ``declared_per_reference_flow`` None means no declared unit.

    The lists and sections a test needs are given as records or as mappings of their leading
    fields; the builder completes a mapping with stated values (no None where the type has
    none):

    - ``contributions``: ``{process, stage, kind, kg_co2e[, background]}``; ``name`` is the
      background code (else the process), ``share`` is ``kg_co2e`` over the total.
    - ``data_sources``: ``{background, kg_co2e}``; 1 unit of the activity in database
      ``test-bg``, named by its code, with no citation, location, year or rating.
    - ``allocation``: ``{process, name, method, justification[, products, credits]}`` (no
      basis unit).
    - ``data_quality``: ``{primary_data_share, coverage, dqr: {ter, ger, tir, p, dqr}, items:
      [{process, kind, data, kg_co2e[, reference]}]}``; an item draws its ``reference``
      (background code, None for direct emissions), is all primary or all secondary, weighs
      its |kg CO2e| share and has no rating of its own.
    - ``exchange``: fields of :class:`pcf.lca.result.ExchangeFacts`.

    Other :class:`FootprintResult` fields (``declaration``, ``electricity``, ``cut_off``,
    ``provenance``, ...) can be passed as keywords.
    """
    total = fossil + biogenic_emissions + biogenic_removals + dluc
    excluding = fossil + (biogenic_emissions - biogenic_co2_kg) + dluc
    per_du = None
    unit = None
    if declared_per_reference_flow:
        unit = DeclaredUnit(unit=declared_unit, description=(f"{declared_unit} (test)" if declared_unit_description is None
                                                 else declared_unit_description),
                            per_reference_flow=declared_per_reference_flow)
        per_du = TotalsPerDeclaredUnit(including_biogenic=total / declared_per_reference_flow,
                                       excluding_biogenic=excluding / declared_per_reference_flow)
    shares = Shares(**{k: (v / total if total else None) for k, v in (
        ("fossil", fossil), ("aircraft", aircraft), ("biogenic_emissions", biogenic_emissions),
        ("biogenic_removals", biogenic_removals), ("dluc", dluc))})
    base = dict(
        product=Product(id=product_id, name=name, reference_flow=Quantity(amount=1.0, unit=reference_unit),
                        declared_unit=unit),
        study=Study(standard=standard, boundary=boundary, pcr=pcr, method=method, background=background),
        parameters=dict(parameters or {}),
        total_kg_co2e=total,
        per_declared_unit_kg_co2e=total / declared_per_reference_flow if declared_per_reference_flow else None,
        stages=dict(stages) if stages is not None else {"production": total},
        ghg=GhgSplit(fossil=fossil, biogenic_emissions=biogenic_emissions, biogenic_removals=biogenic_removals,
                     dluc=dluc, aircraft=aircraft),
        biogenic_carbon=BiogenicCarbon(co2_emissions_kg=biogenic_co2_kg, co2_removals_kg=-biogenic_removals,
                                       net_kg_co2e=biogenic_emissions + biogenic_removals,
                                       content_product_kg_c=None, content_packaging_kg_c=None,
                                       content_product_kg_co2e=None, content_packaging_kg_co2e=None,
                                       content_co2_per_c=44.009 / 12.011, content_source=None),
        contributions=tuple(_contribution(c, total) for c in contributions),
        cut_off=(), data_sources=tuple(_data_source(d) for d in data_sources),
        allocation=tuple(_allocation(a) for a in allocation),
        data_quality=_data_quality(data_quality),
        exchange=exchange if isinstance(exchange, ExchangeFacts) else ExchangeFacts(**(exchange or {})),
        method=method, method_name=("IPCC 2021", "climate change", "GWP 100a"), background=background,
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


def _contribution(c: Contribution | Mapping[str, Any], total: float) -> Contribution:
    if isinstance(c, Contribution):
        return c
    return Contribution(**{"name": c.get("background") or c["process"],
                           "share": c["kg_co2e"] / total if total else 0.0, **c})


def _data_source(d: DataSource | Mapping[str, Any]) -> DataSource:
    if isinstance(d, DataSource):
        return d
    amount = d.get("amount", 1.0)
    return DataSource(**{"database": "test-bg", "model_reference": None, "name": d["background"],
                         "reference_product": None, "unit": None, "location": None, "year": None, "source": None,
                         "note": None, "factor_ids": None, "dqr": None, "amount": amount,
                         "kg_co2e_per_unit": d["kg_co2e"] / amount, **d})


def _allocation(a: Allocation | Mapping[str, Any]) -> Allocation:
    if isinstance(a, Allocation):
        return a
    return Allocation(**{"basis_unit": None, **a,
                         "products": tuple(p if isinstance(p, AllocatedProduct) else AllocatedProduct(**p)
                                           for p in a.get("products", ())),
                         "credits": tuple(c if isinstance(c, AllocationCredit) else AllocationCredit(**c)
                                          for c in a.get("credits", ()))})


def _data_quality(dq: DataQuality | Mapping[str, Any] | None) -> DataQuality | None:
    if dq is None or isinstance(dq, DataQuality):
        return dq
    items = dq.get("items", ())
    magnitude = sum(abs(i["kg_co2e"]) for i in items)
    primary = sum(abs(i["kg_co2e"]) for i in items if i["data"] == "primary")
    pds = dq["primary_data_share"]
    rating = dq.get("dqr")
    return DataQuality(**{
        "primary_data_share_percent": None if pds is None else 100 * pds,
        "primary_kg_co2e": primary, "abs_kg_co2e": magnitude, "basis": "test", "level": None,
        "unrated_significant": (), **dq,
        "dqr": Dqr(**rating) if isinstance(rating, Mapping) else rating,
        "items": tuple(i if isinstance(i, DataQualityItem) else _data_quality_item(i, magnitude) for i in items)})


def _data_quality_item(i: Mapping[str, Any], magnitude: float) -> DataQualityItem:
    reference = i.get("reference")
    return DataQualityItem(**{
        "index": None, "background": reference, "database": None if reference is None else "test-bg",
        "reference": reference, "name": reference or i["process"], "emission_factor": i["data"],
        "primary_share": 1.0 if i["data"] == "primary" else 0.0, "dqr": None, "dqr_source": None,
        "weight": abs(i["kg_co2e"]) / magnitude if magnitude else 0.0, **i})


def declaration(footprint: FootprintResult | None = None, *, rule: AccountingRule | None = None,
                **kwargs: Any) -> Declaration:
    """A declaration of ``footprint`` (default :func:`result` with ``kwargs``) under ``rule``
    (default the study standard's)."""
    footprint = footprint if footprint is not None else result(**kwargs)
    return Declaration(result=footprint, accounting=rule or rule_for(None, footprint.study.standard))


def document(footprint: FootprintResult) -> dict[str, Any]:
    """The ``pcf-result/1`` JSON of a computed result under its study standard's rule (no PCR)."""
    return declaration(footprint).to_json()




def assessed(footprint: FootprintResult, pcr: Any, electricity_mode: str | None = None) -> dict[str, Any]:
    """The JSON ``assessment`` of ``footprint`` under ``pcr`` (id, path or PCR), as
    :func:`pcf.declaration.build_declaration` makes it (the declared figure of the PCR's rule)."""
    if not isinstance(footprint, FootprintResult):
        raise TypeError(f"a FootprintResult, not {type(footprint).__name__} (build it with result(...))")
    return build_declaration(footprint, pcr, electricity_mode).to_json()["assessment"]


def loop_model(*, product_id: str = "LOOP", reference_items: float | str = 1, background: str = "test-bg",
               method: str = "ipcc-2021-gwp100", pcr: str | None = None,
               parameters: Mapping[str, float | str] | None = None, loop: float | str = 0.1,
               elec: float | str = 10, uncertainty: Mapping[str, Mapping[str, float | str]] | None = None,
               cut_off: bool = True, steel_power: bool = False) -> str:
    """The text of the "LOOP" test model: two foreground processes in a loop on the ``test-bg``
    background (tests/conftest.py), in ``pcf-model/1``.

    ``a`` (production) makes 1 item from 2 kg of ``b``, ``elec`` kWh of electricity and 1 kg CO2
    fossil emitted; ``b`` (raw material acquisition) makes 1 kg from ``loop`` items of ``a``,
    1 kg steel, 1000 kg km of air freight, 500 g wood, 1 g N2O of land use origin and 0.3 kg of
    biogenic CO2 removed. The declared unit is ``cap * 10`` kWh. So ``s_a = 1 / (1 - 2 loop)``
    items of ``a`` and ``s_b = 2 s_a`` kg of ``b`` per item; the totals are worked by hand
    where they are asserted (tests/test_lca.py: loop 0.1, elec 10 gives 17.89625 kg CO2e per
    item; tests/test_batch.py: as functions of ``loop``, ``elec_a`` and ``cap``).

    Every keyword changes one thing of the text:

    - ``product_id``; ``reference_items``: the reference flow [item];
    - ``background``, ``method``, ``pcr``: the ``study`` (no ``pcr`` key when None);
    - ``parameters``: the model's parameters (default ``{cap: 2}``); ``loop`` and ``elec`` are
      the two amounts, numbers or expressions of them (``loop="loop"``);
    - ``uncertainty``: per input (``a``, ``b``, ``elec``, ``steel``, ``air``, ``wood``), the
      fields of its ``uncertainty:`` entry (``{"elec": {"distribution": "lognormal", "gsd": 1.3}}``);
    - ``cut_off``: ``b`` lists 0.02 kg of paint excluded below the 1 % mass cut-off;
    - ``steel_power``: the scenario ``steel_power``, in which ``a`` draws 1 kg of steel per kWh
      (``elec`` kg) instead of electricity.

    Without keywords, the text is the model of tests/test_lca.py (``a``'s stage on line 13).
    """
    uncertain = {name: "{" + ", ".join(f"{k}: {v}" for k, v in fields.items()) + "}"
                 for name, fields in (uncertainty or {}).items()}
    unknown = set(uncertain) - {"a", "b", "elec", "steel", "air", "wood"}
    if unknown:
        raise ValueError(f"loop_model has no input {sorted(unknown)}")

    def flow(kind: str, name: str, amount: float | str, unit: str) -> str:
        extra = f", uncertainty: {uncertain[name]}" if name in uncertain else ""
        return f"      - {{{kind}: {name}, amount: {amount}, unit: {unit}{extra}}}"

    study = f"background: {background}, method: {method}" + (f", pcr: {pcr}" if pcr is not None else "")
    params = ", ".join(f"{k}: {v}" for k, v in (parameters if parameters is not None else {"cap": 2}).items())
    lines = [
        "format: pcf-model/1",
        "product:",
        f"  id: {product_id}",
        "  name: Loop product",
        "  process: a",
        f"  reference_flow: {{amount: {reference_items}, unit: item}}",
        "  declared_unit: {unit: kWh, description: test, per_reference_flow: cap * 10}",
        f"study: {{{study}}}",
        f"parameters: {{{params}}}",
        "processes:",
        "  - id: a",
        "    name: A",
        "    stage: production",
        "    output: {amount: 1, unit: item}",
        "    inputs:",
        flow("process", "b", 2, "kg"),
        flow("background", "elec", elec, "kWh"),
        "    emissions:",
        "      - {substance: carbon dioxide, origin: fossil, amount: 1, unit: kg}",
        "  - id: b",
        "    name: B",
        "    stage: raw_material_acquisition",
        "    output: {amount: 1, unit: kg}",
        "    inputs:",
        flow("process", "a", loop, "item"),
        flow("background", "steel", 1, "kg"),
        flow("background", "air", 1000, "kg km"),
        flow("background", "wood", 500, "g"),
        "    emissions:",
        "      - {substance: dinitrogen monoxide, origin: land_use, amount: 1, unit: g}",
        "    removals:",
        "      - {substance: carbon dioxide, origin: biogenic, amount: 0.3, unit: kg}",
    ]
    if cut_off:
        lines += ["    excluded:",
                  "      - {name: paint, amount: 0.02, unit: kg, reason: below 1 % mass cut-off}"]
    if steel_power:
        lines += ["scenarios:",
                  "  steel_power:",
                  "    description: a runs on 1 kg steel per kWh instead of electricity",
                  "    replace:",
                  f"      - {{process: a, input: elec, with: {{background: steel, amount: {elec}, unit: kg}}}}"]
    return "\n".join(lines) + "\n"
