"""Comparisons that labels rest on (issue 5.8): a reduction claim against a previous product
generation, and a carbon handprint against a stated baseline product, from two result files.

:func:`compare_footprints` is a pure function of two declarations
(:class:`pcf.declaration.Declaration`, e.g. read with :func:`pcf.declaration.read_declaration`); it refuses
(:class:`pcf.core.errors.ComparisonRefused`) what cannot be compared: results without a declared
unit, of different declared units (function), PCRs or PCR versions, system boundaries,
characterisation methods or declared totals. Values are the declared figure per declared unit
(:meth:`pcf.declaration.Declaration.declared_value`), per PCR stage and per GHG category.

References
----------
Carbon Trust, product carbon footprint label, "Reducing CO2": two products of similar
definition and scope from two generations, re-baselined; certification for two years, the
data of both within that period; offsets never count as a reduction; on consumer products the
label stands for a cradle-to-grave footprint (carbontrust.com, seen as primary text;
pcr-sources/NOTES.md 4).
VTT Technical Research Centre of Finland and LUT University (2018) Carbon Handprint Guide,
Stage 3 steps 7-8: the footprints of the baseline and the handprint solution are calculated
with equal functional units after ISO 14067; the handprint is created when the footprint with
the handprint product is smaller than with the baseline; the data of both cover the same
timeframe (excerpt via 9pdf.co; Grönman K. et al. (2019), Carbon handprint, Encyclopedia of
Sustainable Management, doi:10.1007/978-3-030-02006-4_625-1: handprint = CF(baseline) -
CF(handprint solution)).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..core.cells import safe_cell
from ..core.codec import to_json
from ..core.errors import ComparisonRefused, UnitError
from ..core.files import output_stem, write_atomic
from ..core.numbers import figure
from ..core.units import conversion_factor
from ..core.vocabulary import GHG_REPORTED
from ..declaration import Declaration
from ..declaration.comparison import check_comparable, declared_per_declared_unit, reduction_row

COMPARISON_FORMAT = "pcf-comparison/1"
CLAIMS = ("reduction", "handprint")
#: Years within which the data of both products must fall for a reduction label (Carbon Trust, NOTES.md 4).
REDUCTION_PERIOD_YEARS = 2

SOURCES = {
    "reduction": "Carbon Trust, product carbon footprint label 'Reducing CO2' (carbontrust.com; pcr-sources/NOTES.md 4) [P]",
    "handprint": "VTT & LUT University (2018) Carbon Handprint Guide, Stage 3 steps 7-8 (excerpt); Grönman et al. (2019) "
                 "doi:10.1007/978-3-030-02006-4_625-1 [S]",
}

#: Where a condition that the compared results conform to one PCR comes from: pcf's own rule (the
#: comparison PDF shows it; it named a project issue before).
SAME_PCR = "pcf: products are compared only under the same PCR, each conforming to it"


def _scenario(declaration: Declaration) -> str | None:
    scenario = declaration.result.scenario
    return scenario.name if scenario is not None else None


def _label(declaration: Declaration) -> str:
    scenario = _scenario(declaration)
    return f"{declaration.result.product.id}" + (f" ({scenario})" if scenario else "")


def _period_end(declaration: Declaration) -> date | None:
    period = declaration.result.exchange.reference_period or {}
    try:
        return date.fromisoformat(period["end"]) if period.get("end") else None
    except ValueError:
        return None


def _conditions(baseline: Declaration, product: Declaration, claim: str, justification: str | None) -> list[dict]:
    """What the claim rests on: each {condition, met (True | False | None = not known), note, source}."""
    out = []
    for name, r in (("baseline", baseline), ("product", product)):
        conforms = r.assessment.conforms if r.assessment is not None else None
        out.append({"condition": f"the {name} result conforms to the PCR", "met": bool(conforms),
                    "note": "" if conforms else f"{_label(r)} has nonconformities against its PCR",
                    "source": SAME_PCR})
    ends = [_period_end(baseline), _period_end(product)]
    if claim == "reduction":
        if None in ends:
            met, note = None, "reference periods not stated (model exchange.reference_period)"
        else:
            years = abs((ends[1] - ends[0]).days) / 365.25
            met, note = years <= REDUCTION_PERIOD_YEARS, f"data periods end {years:.1f} years apart"
        out.append({"condition": f"the data of both products fall within the {REDUCTION_PERIOD_YEARS}-year "
                                 "certification period", "met": met, "note": note, "source": SOURCES["reduction"]})
        boundary = product.result.study.boundary
        out.append({"condition": "cradle-to-grave footprints for a consumer-facing label",
                    "met": boundary == "cradle-to-grave",
                    "note": f"boundary {boundary}; a business-to-business claim may be cradle-to-gate",
                    "source": SOURCES["reduction"]})
        out.append({"condition": "no offsets counted as a reduction", "met": True,
                    "note": "pcf results contain no offsets", "source": SOURCES["reduction"]})
    else:
        out.append({"condition": "a baseline stated and justified", "met": bool(justification),
                    "note": justification or "", "source": SOURCES["handprint"]})
        if None in ends:
            met, note = None, "reference periods not stated (model exchange.reference_period)"
        else:
            met, note = ends[0] == ends[1] or abs((ends[1] - ends[0]).days) <= 366, f"periods end {ends[0]} and {ends[1]}"
        out.append({"condition": "the data of the baseline and the handprint solution cover the same timeframe",
                    "met": met, "note": note, "source": SOURCES["handprint"]})
    return out


def compare_footprints(baseline: Declaration, product: Declaration, claim: str = "reduction",
                       justification: str | None = None) -> dict:
    """Compare a product's footprint with a previous generation (reduction) or a baseline (handprint).

    Parameters
    ----------
    baseline : pcf.declaration.Declaration
        The previous generation (reduction) or the baseline product (handprint).
    product : pcf.declaration.Declaration
        The product the claim is about.
    claim : {"reduction", "handprint"}
    justification : str, optional
        Why the baseline is the right one; required for a handprint (Carbon Handprint Guide).

    Returns
    -------
    dict
        ``pcf-comparison/1``: ``claim``, ``baseline`` / ``product`` {id, name, scenario,
        model_sha256, created_at, pcr, conforms}, ``declared_unit``, ``pcr``, ``boundary``,
        ``method``, ``declared_total``, ``total`` (row), ``stages`` (rows per PCR stage),
        ``ghg`` (rows per category), ``conditions``, ``supported`` (bool), ``statement``
        (the claim in words, or why it cannot be made), ``justification``, ``source``. Each
        row: ``{name, zh, baseline, product, reduction, reduction_pct}`` [kg CO2e per declared
        unit]; reduction = baseline - product (positive: the product emits less); for a
        handprint it is the handprint.

    Raises
    ------
    ComparisonRefused
        Different declared units, PCRs (or versions), boundaries, methods or declared totals;
        a result without a declared unit or PCR assessment; the same study twice; an unknown
        claim; a handprint without a justification.
    """
    if claim not in CLAIMS:
        raise ComparisonRefused(f"unknown claim {claim!r}; use reduction or handprint")
    if claim == "handprint" and not (justification or "").strip():
        raise ComparisonRefused("a carbon handprint needs a justified baseline (Carbon Handprint Guide): say why the "
                                "baseline product is what the customer would use otherwise").about("justification")
    check_comparable(baseline, product)
    per_b = float(baseline.result.product.declared_unit.per_reference_flow)
    per_p = float(product.result.product.declared_unit.per_reference_flow)
    total = reduction_row("total", declared_per_declared_unit(baseline), declared_per_declared_unit(product), "合计")
    sb, sp = baseline.assessment.stages or {}, product.assessment.stages or {}
    stages = [reduction_row(name, sb.get(name), sp.get(name)) for name in list(dict.fromkeys(list(sb) + list(sp)))]
    gb, gp = to_json(baseline.result.ghg), to_json(product.result.ghg)
    ghg = [reduction_row(k, gb[k] / per_b if k in gb else None, gp[k] / per_p if k in gp else None) for k in GHG_REPORTED
           if k in gb or k in gp]
    conditions = _conditions(baseline, product, claim, justification)
    declared_unit = product.result.product.declared_unit
    unit = declared_unit.unit
    lower = total["reduction"] is not None and total["reduction"] > 0
    failed = [c["condition"] for c in conditions if c["met"] is False]
    supported = lower and not failed
    value = f"{figure(abs(total['reduction']))} kg CO2e/{unit} ({abs(total['reduction_pct']):.1f} %)"
    if claim == "reduction":
        statement = (f"{_label(product)} emits {value} less than {_label(baseline)} per {unit}" if lower else
                     f"no reduction: {_label(product)} emits {value} more than {_label(baseline)} per {unit}")
    else:
        statement = (f"carbon handprint of {_label(product)} against {_label(baseline)}: {value} per {unit}" if lower else
                     f"no handprint: {_label(product)} emits {value} more than the baseline {_label(baseline)} per {unit}")
    if lower and failed:
        statement += "; not supported, conditions not met: " + "; ".join(f"“{c}”" for c in failed)  # quoted: names, not facts
    pcr = product.assessment.pcr

    def who(d: Declaration) -> dict:
        r = d.result
        return {"id": r.product.id, "name": r.product.name, "scenario": _scenario(d),
                "model_sha256": r.model_sha256, "model_file": r.model_file, "created_at": r.created_at,
                "conforms": d.assessment.conforms if d.assessment is not None else None,
                "performance_class": d.graded_class,
                "declared_units_per_reference_flow": float(r.product.declared_unit.per_reference_flow)}

    return {
        "format": COMPARISON_FORMAT, "claim": claim,
        "baseline": who(baseline), "product": who(product),
        "declared_unit": to_json(declared_unit),
        "pcr": {"id": pcr.id, "version": pcr.version, "title": pcr.title},
        "boundary": product.result.study.boundary, "method": product.result.method,
        "declared_total": product.accounting.declared_total,
        "unit": f"kg CO2e/{unit}",
        "total": total, "stages": stages, "ghg": ghg,
        "conditions": conditions, "supported": supported, "statement": statement,
        "justification": (justification or "").strip() or None, "source": SOURCES[claim],
    }


def comparison_stem(comparison: dict) -> str:
    """``<product>.vs.<baseline>.<claim>``, from the results' ids and scenarios."""
    def stem(who: dict) -> str:
        return output_stem({"product": {"id": who["id"]}, "scenario": {"name": who["scenario"]} if who["scenario"] else None})
    return f"{stem(comparison['product'])}.vs.{stem(comparison['baseline'])}.{comparison['claim']}"


def comparison_csv(comparison: dict) -> str:
    """Rows total, PCR stages and GHG categories: name, baseline, product, reduction, reduction_pct."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["part", "name", f"baseline_{comparison['unit']}", f"product_{comparison['unit']}",
                     "reduction", "reduction_pct"])
    for part, rows in (("total", [comparison["total"]]), ("stage", comparison["stages"]), ("ghg", comparison["ghg"])):
        for r in rows:
            writer.writerow([part, safe_cell(r["name"])] + ["" if r[k] is None else r[k]
                                                 for k in ("baseline", "product", "reduction", "reduction_pct")])
    return buf.getvalue()


def write_comparison_files(comparison: dict, out_dir: str | Path, pdf: bytes | None = None) -> dict[str, Path]:
    """Write ``<stem>.json``, ``.csv`` (and ``.pdf`` when given) atomically; returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = comparison_stem(comparison)
    files = {"json": out / f"{stem}.json", "csv": out / f"{stem}.csv"}
    data = {files["json"]: (json.dumps(comparison, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8"),
            files["csv"]: comparison_csv(comparison).encode("utf-8")}
    if pdf is not None:
        files["pdf"] = out / f"{stem}.pdf"
        data[files["pdf"]] = pdf
    write_atomic(data)
    return files


# --------------------------------------------------------------------------- handprints with real baselines
# Issue 21 part 3: the baseline of a handprint may be the average of the alternatives a customer
# would otherwise use (several results, weights stated) or a value from a credible standard or
# specification (a cited value), in the same functional unit, which need not be a mass (Carbon
# Handprint Guide, Stage 3: equal functional units; the unit is converted when it can be).

#: ``<mass> CO2e/<unit>`` (also ``CO2-eq``, ``CO2eq``; ``CO2`` for a CO2-only figure).
BASELINE_UNIT = re.compile(r"^\s*(?P<mass>[^\s/]+)\s+(?P<basis>CO2e|CO2-eq|CO2eq|CO2)\s*/\s*(?P<per>\S.*?)\s*$")
#: How far the stated weights may sum from 1.
WEIGHT_TOLERANCE = 1e-9


@dataclass(frozen=True)
class CitedBaseline:
    """A baseline value from a source (a standard, an official factor).

    Attributes
    ----------
    value : float
        [``unit``], finite, >= 0.
    unit : str
        ``<mass> CO2e/<functional unit>``, e.g. ``kg CO2e/kWh``, ``g CO2e/Wh``, ``t CO2e/MWh``;
        ``kg CO2/kWh`` for a CO2-only figure (such as China's MEE/NBS grid factors).
    source : str
        Citation: who published it, which table, which year.
    """

    value: float
    unit: str
    source: str


def cited_per_declared_unit(cited: CitedBaseline, declared_unit: str) -> tuple[float, float, str]:
    """A cited baseline in kg per the product's declared unit.

    Returns
    -------
    tuple
        ``(value [kg CO2e / declared unit], factor, basis)``: ``factor`` multiplies the cited
        value (mass to kg, divided by the cited functional unit in declared units, pint through
        :func:`pcf.core.units.conversion_factor`); ``basis`` is ``CO2e`` or ``CO2``.

    Raises
    ------
    ComparisonRefused
        The unit is not ``<mass> CO2e/<unit>``, its mass is not a mass, its functional unit does
        not convert to the declared unit (kg against kWh, about ``baseline_unit``), the value is
        not finite or below zero (``baseline_value``), the source is empty (``baseline_source``).
    """
    if not isinstance(cited.value, (int, float)) or not math.isfinite(cited.value) or cited.value < 0:
        raise ComparisonRefused(f"the baseline value must be a finite number of at least 0, got {cited.value!r}"
                                ).about("baseline_value")
    if not (cited.source or "").strip():
        raise ComparisonRefused("a cited baseline needs its source: who published the value, where, which year"
                                ).about("baseline_source")
    match = BASELINE_UNIT.match(cited.unit or "")
    if match is None:
        raise ComparisonRefused(f"baseline unit {cited.unit!r} is not '<mass> CO2e/<unit>', e.g. 'kg CO2e/kWh' or "
                                "'g CO2e/km' ('kg CO2/kWh' for a CO2-only figure)").about("baseline_unit")
    per = match["per"]
    try:
        to_kg = conversion_factor(match["mass"], "kg")
        per_factor = 1.0 if per == declared_unit else conversion_factor(per, declared_unit)
    except UnitError as exc:
        raise ComparisonRefused(f"baseline unit {cited.unit!r} does not fit the product's declared unit "
                                f"{declared_unit!r}: {exc}; the baseline must have the same function").about(
                                    "baseline_unit") from None
    factor = to_kg / per_factor
    return cited.value * factor, factor, "CO2" if match["basis"] == "CO2" else "CO2e"


def baseline_weights(count: int, weights: list[float] | None) -> list[float]:
    """The weights of ``count`` baseline results: one result alone weighs 1; several need one
    stated weight each, every one > 0, summing to 1 (within :data:`WEIGHT_TOLERANCE`).

    Raises
    ------
    ComparisonRefused
        No baseline, missing or extra weights, a weight not above 0, a sum other than 1
        (about ``weight``).
    """
    if count == 0:
        raise ComparisonRefused("a handprint needs a baseline: a result, several results with weights, or a cited "
                                "value").about("baseline")
    weights = list(weights or [])
    if not weights and count == 1:
        return [1.0]
    if len(weights) != count:
        raise ComparisonRefused(f"{count} baseline results need {count} weights (one each, in the same order), got "
                                f"{len(weights)}: state what share of the market each alternative stands for"
                                ).about("weight")
    if any(not math.isfinite(w) or w <= 0 for w in weights):
        raise ComparisonRefused(f"every weight must be above 0, got {weights}").about("weight")
    if abs(sum(weights) - 1.0) > WEIGHT_TOLERANCE:
        raise ComparisonRefused(f"the weights sum to {sum(weights):.6g}, not 1: state the share of each alternative"
                                ).about("weight")
    return weights


def _declared_unit_factor(baseline: Declaration, product: Declaration) -> float:
    """Declared units of the product per declared unit of the baseline (1 for the same unit text)."""
    b, p = baseline.result.product.declared_unit, product.result.product.declared_unit
    if not b or not p:
        raise ComparisonRefused(f"{_label(baseline if not b else product)} has no declared unit: a handprint is per "
                                "declared unit (the same function); add product.declared_unit and compute it again")
    if b.unit == p.unit:
        return 1.0
    try:
        return conversion_factor(b.unit, p.unit)
    except UnitError as exc:
        raise ComparisonRefused(f"different functions: {_label(baseline)} is per {b.unit!r}, {_label(product)} per "
                                f"{p.unit!r} ({exc})") from None


def _check_baseline_result(baseline: Declaration, product: Declaration) -> float:
    """Same method, boundary and declared total; returns the declared-unit factor."""
    factor = _declared_unit_factor(baseline, product)
    b, p = baseline.result, product.result
    for what, x, y in (("characterisation methods", b.method, p.method),
                       ("system boundaries", b.study.boundary, p.study.boundary),
                       ("declared totals (biogenic carbon, dLUC)",
                        (baseline.accounting.declared_total, baseline.accounting.dluc_included),
                        (product.accounting.declared_total, product.accounting.dluc_included))):
        if x != y:
            raise ComparisonRefused(f"different {what}: {x} ({_label(baseline)}) and {y} ({_label(product)}); "
                                    "compute the baseline and the product alike")
    if b.model_sha256 == p.model_sha256 and _scenario(baseline) == _scenario(product) and b.parameters == p.parameters:
        raise ComparisonRefused(f"{_label(baseline)} is the product itself (same model, scenario and parameters)")
    return factor


def _who(d: Declaration) -> dict:
    r = d.result
    return {"id": r.product.id, "name": r.product.name, "scenario": _scenario(d),
            "model_sha256": r.model_sha256, "model_file": r.model_file, "created_at": r.created_at,
            "conforms": d.assessment.conforms if d.assessment is not None else None,
            "pcr": d.assessment.pcr.id if d.assessment is not None else None,
            "declared_unit": r.product.declared_unit.unit if r.product.declared_unit else None}


def _average(rows: list[dict], weights: list[float]) -> float | None:
    """Weighted sum of the rows' values; None when any is missing."""
    if any(v is None for v in rows):
        return None
    return sum(w * v for w, v in zip(weights, rows))


def _results_baseline(product: Declaration, results: list[Declaration], weights: list[float] | None):
    """The weighted average of baseline results: (baseline record, total, stages, ghg rows)."""
    weights = baseline_weights(len(results), weights)
    factors = [_check_baseline_result(b, product) for b in results]
    values = [declared_per_declared_unit(b) / f for b, f in zip(results, factors)]
    members = [{**_who(b), "weight": w, "per_declared_unit": v, "declared_unit_factor": f}
               for b, w, v, f in zip(results, weights, values, factors)]
    total = reduction_row("total", sum(w * v for w, v in zip(weights, values)), declared_per_declared_unit(product), "合计")
    sp = product.assessment.stages if product.assessment is not None else {}
    stage_sets = [(b.assessment.stages if b.assessment is not None else None) or {} for b in results]
    same_pcr = all(m["pcr"] == (product.assessment.pcr.id if product.assessment else None) for m in members)
    stages = [reduction_row(name, _average([s.get(name) / f if s.get(name) is not None else None
                                            for s, f in zip(stage_sets, factors)], weights), (sp or {}).get(name))
              for name in (sp or {})] if same_pcr else []
    per_p = float(product.result.product.declared_unit.per_reference_flow)
    gp = to_json(product.result.ghg)
    ghg = []
    for k in GHG_REPORTED:
        per_b = [to_json(b.result.ghg).get(k) for b in results]
        base = [None if v is None else v / float(b.result.product.declared_unit.per_reference_flow) / f
                for v, b, f in zip(per_b, results, factors)]
        if k in gp or any(v is not None for v in base):
            ghg.append(reduction_row(k, _average(base, weights), gp[k] / per_p if k in gp else None))
    one = len(results) == 1
    record = {"kind": "results", "id": members[0]["id"] if one else "weighted-average",
              "name": members[0]["name"] if one else f"weighted average of {len(results)} results",
              "scenario": members[0]["scenario"] if one else None, "members": members,
              "value": total["baseline"], "unit": None, "source": None}
    return record, total, stages, ghg, same_pcr


def _cited_baseline(product: Declaration, cited: CitedBaseline):
    """A cited value as the baseline: (baseline record, total row, basis)."""
    du = product.result.product.declared_unit
    if not du:
        raise ComparisonRefused(f"{_label(product)} has no declared unit: a handprint is per declared unit (the same "
                                "function as the baseline); add product.declared_unit and compute it again")
    value, factor, basis = cited_per_declared_unit(cited, du.unit)
    record = {"kind": "cited", "id": "cited-baseline", "name": f"the cited {cited.value:g} {cited.unit}", "scenario": None,
              "value": cited.value, "unit": cited.unit, "source": cited.source.strip(), "basis": basis,
              "per_declared_unit": value, "conversion_factor": factor}
    return record, reduction_row("total", value, declared_per_declared_unit(product), "合计"), basis


def _handprint_conditions(product: Declaration, kind: str, same_pcr: bool, basis: str, justification: str | None,
                          members: list[dict]) -> list[dict]:
    """What a handprint against a real baseline rests on (each {condition, met, note, source})."""
    conforms = product.assessment.conforms if product.assessment is not None else None
    out = [{"condition": "the product result conforms to its PCR", "met": conforms,
            "note": "" if conforms else ("no PCR assessment" if conforms is None else
                                         f"{_label(product)} has nonconformities against its PCR"),
            "source": SAME_PCR},
           {"condition": "a baseline stated and justified", "met": bool(justification), "note": justification or "",
            "source": SOURCES["handprint"]},
           {"condition": "the same functional unit (converted where the units allow)", "met": True,
            "note": "checked", "source": SOURCES["handprint"]}]
    if kind == "cited":
        out.append({"condition": "baseline and product count the same greenhouse gases",
                    "met": None if basis == "CO2" else True,
                    "note": ("the cited baseline is CO2 only; the product counts every GHG of "
                             f"{product.result.method}, so the handprint is understated by the baseline's other "
                             "GHGs" if basis == "CO2" else "both in CO2e (GWP sets may differ: check the source)"),
                    "source": SOURCES["handprint"]})
    else:
        bad = [m["id"] for m in members if m["conforms"] is False]
        out.append({"condition": "the baseline results conform to their PCR", "met": not bad,
                    "note": ("nonconformities: " + ", ".join(bad)) if bad else "", "source": SAME_PCR})
        out.append({"condition": "the baseline results and the product are under the same PCR",
                    "met": True if same_pcr else None,
                    "note": "" if same_pcr else "different or no PCRs: stages are not compared",
                    "source": SAME_PCR})
    return out


def handprint_against(product: Declaration, *, results: list[Declaration] | None = None,
                      weights: list[float] | None = None, cited: CitedBaseline | None = None,
                      justification: str | None = None) -> dict:
    """A carbon handprint of ``product`` against a real baseline (issue 21 part 3): one result,
    the weighted average of several (the alternatives a customer would otherwise use), or a
    cited value, in the product's functional unit.

    Parameters
    ----------
    product : pcf.declaration.Declaration
        The handprint solution; it needs a declared unit (any: kWh generated, MJ of heat, km).
    results : list of Declaration, optional
        Baseline results; each is converted to the product's declared unit when its own converts
        (MWh to kWh), and must have the product's method, boundary and declared total.
    weights : list of float, optional
        One per result, each > 0, summing to 1; may be left out for one result.
    cited : CitedBaseline, optional
        Instead of results: a value with its unit and source.
    justification : str
        Why this baseline is what the customer would use otherwise (required).

    Returns
    -------
    dict
        ``pcf-comparison/1`` as :func:`compare_footprints`, with ``baseline`` = ``{kind: results
        | cited, id, name, scenario, value, unit, source, members: [{id, ..., weight,
        per_declared_unit}] | basis, per_declared_unit, conversion_factor}``; ``total.baseline``
        = sum of weight x figure [kg CO2e / declared unit] or the cited value converted;
        handprint = baseline - product. ``pcr`` is the product's (None values without one).

    Raises
    ------
    ComparisonRefused
        No justification; both or neither of results and cited; weights missing, not above 0,
        not summing to 1; a unit that does not convert (kg against kWh); different methods,
        boundaries or declared totals; the product as its own baseline.
    """
    if not (justification or "").strip():
        raise ComparisonRefused("a carbon handprint needs a justified baseline (Carbon Handprint Guide): say why the "
                                "baseline is what the customer would use otherwise").about("justification")
    if bool(results) == (cited is not None):
        raise ComparisonRefused("give the baseline as results or as a cited value, not both" if results else
                                "a handprint needs a baseline: a result, several results with weights, or a cited "
                                "value").about("baseline")
    if cited is not None:
        if weights:
            raise ComparisonRefused("weights go with baseline results, not with a cited value").about("weight")
        baseline, total, basis = _cited_baseline(product, cited)
        stages, ghg, same_pcr = [], [], False
    else:
        baseline, total, stages, ghg, same_pcr = _results_baseline(product, list(results), weights)
        basis = "CO2e"
    conditions = _handprint_conditions(product, baseline["kind"], same_pcr, basis, justification,
                                       baseline.get("members", []))
    unit = product.result.product.declared_unit.unit
    lower = total["reduction"] is not None and total["reduction"] > 0
    failed = [c["condition"] for c in conditions if c["met"] is False]
    value = f"{figure(abs(total['reduction']))} kg CO2e/{unit} ({abs(total['reduction_pct'] or 0):.1f} %)"
    statement = (f"carbon handprint of {_label(product)} against {baseline['name']}: {value} per {unit}" if lower else
                 f"no handprint: {_label(product)} emits {value} more than the baseline {baseline['name']} per {unit}")
    if lower and failed:
        statement += "; not supported, conditions not met: " + "; ".join(f"“{c}”" for c in failed)  # quoted: names, not facts
    pcr = product.assessment.pcr if product.assessment is not None else None
    return {
        "format": COMPARISON_FORMAT, "claim": "handprint", "baseline": baseline,
        "product": {**_who(product), "performance_class": product.graded_class,
                    "declared_units_per_reference_flow": float(product.result.product.declared_unit.per_reference_flow)},
        "declared_unit": to_json(product.result.product.declared_unit),
        "pcr": {"id": pcr.id, "version": pcr.version, "title": pcr.title} if pcr else
               {"id": None, "version": None, "title": None},
        "boundary": product.result.study.boundary, "method": product.result.method,
        "declared_total": product.accounting.declared_total, "unit": f"kg CO2e/{unit}",
        "total": total, "stages": stages, "ghg": ghg, "conditions": conditions,
        "supported": lower and not failed, "statement": statement,
        "justification": justification.strip(), "source": SOURCES["handprint"],
    }
