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
from datetime import date
from pathlib import Path

from ..core.cells import safe_cell
from ..core.codec import to_json
from ..core.errors import ComparisonRefused
from ..core.files import output_stem, write_atomic
from ..core.numbers import figure
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
                    "note": "" if conforms else f"{_label(r)} has nonconformities (pcf check)",
                    "source": "issue 5: comparisons under the same PCR"})
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
        statement += "; not supported, conditions not met: " + "; ".join(failed)
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
