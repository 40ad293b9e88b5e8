"""Comparison of the scenarios of one product model (issue 4.9): per scenario the total
[kg CO2e / reference flow], the total per declared unit, the difference to the model as
written (``base``) in kg CO2e and in percent, and the life-cycle stage totals.

A pure function of declarations (:func:`compare_results`) and its CSV / JSON files
(:func:`write_comparison`); :func:`pcf.api.compare` computes the results. Scenario
analysis: ISO 14067:2018 6.4.5 (sensitivity) and 6.6 (interpretation).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from ..core.cells import safe_cell
from ..core.codec import ABSENT, to_json
from ..core.files import write_atomic
from ..core.vocabulary import STAGES
from ..declaration import Declaration
from ..lca.result import ScenarioChange
from ..model.scenarios import BASE

COMPARISON_FORMAT = "pcf-scenarios/1"


def _diff(value: float | None, base: float | None) -> tuple[float | None, float | None]:
    """(value - base, 100 * (value - base) / |base|) [same unit, %]; None where undefined."""
    if value is None or base is None:
        return None, None
    diff = value - base
    return diff, (100.0 * diff / abs(base) if base else None)


def _change(change: ScenarioChange) -> dict:
    """A replacement of the scenario as JSON, keys in the order of the result file."""
    out: dict = {"process": change.process}
    for name in ("input", "leg"):
        if getattr(change, name) is not ABSENT:
            out[name] = getattr(change, name)
    return {**out, "from": change.from_, "to": change.to}


def compare_results(results: list[Declaration]) -> dict:
    """The comparison table of results of one model, the first being the base.

    Parameters
    ----------
    results : list of pcf.declaration.Declaration
        Results of the same model; ``results[0]`` is the reference for the differences
        (normally the model as written).

    Returns
    -------
    dict
        ``pcf-scenarios/1`` (docs/result-json.md, "Scenario comparison"): ``product``,
        ``model_file``, ``model_sha256``, ``method``, ``background``, ``base``, ``stages``
        (stage names, in life-cycle order) and ``scenarios``, one row each:
        ``{scenario, description, total_kg_co2e [kg CO2e / reference flow],
        per_declared_unit_kg_co2e [kg CO2e / declared unit], declared_units_per_reference_flow,
        diff_kg_co2e, diff_pct, per_declared_unit_diff_kg_co2e, per_declared_unit_diff_pct,
        stages {stage: kg CO2e / reference flow}, ghg, parameters, replaced, transport,
        performance_class, conforms}``. Differences are scenario minus base; percentages are
        of the base's absolute value.

    Raises
    ------
    ValueError
        No results, or results of different products.
    """
    if not results:
        raise ValueError("no results to compare")
    base = results[0].result
    pid = base.product.id
    if any(d.result.product.id != pid for d in results):
        raise ValueError("results of different products cannot be compared")
    present = {s for d in results for s in d.result.stages}
    stages = [s for s in STAGES if s in present] + sorted(present - set(STAGES))
    rows = []
    for d in results:
        r, scenario = d.result, d.result.scenario
        du = r.product.declared_unit
        diff, diff_pct = _diff(r.total_kg_co2e, base.total_kg_co2e)
        du_diff, du_diff_pct = _diff(r.per_declared_unit_kg_co2e, base.per_declared_unit_kg_co2e)
        rows.append({
            "scenario": (scenario.name if scenario else None) or BASE,
            "description": (scenario.description if scenario else None) or (
                "the model as written" if not scenario else ""),
            "total_kg_co2e": r.total_kg_co2e,
            "per_declared_unit_kg_co2e": r.per_declared_unit_kg_co2e,
            "declared_units_per_reference_flow": du.per_reference_flow if du else None,
            "diff_kg_co2e": diff, "diff_pct": diff_pct,
            "per_declared_unit_diff_kg_co2e": du_diff, "per_declared_unit_diff_pct": du_diff_pct,
            "stages": {s: r.stages.get(s, 0.0) for s in stages},
            "ghg": to_json(r.ghg),
            "parameters": dict(scenario.parameters or {}) if scenario else {},
            "replaced": [_change(c) for c in scenario.replaced] if scenario else [],
            "transport": [_change(c) for c in scenario.transport] if scenario else [],
            "performance_class": d.graded_class,
            "conforms": d.assessment.conforms if d.assessment is not None else None,
        })
    product = base.product
    return {
        "format": COMPARISON_FORMAT,
        "product": {"id": pid, "name": product.name, "reference_flow": to_json(product.reference_flow),
                    "declared_unit": to_json(product.declared_unit)},
        "model_file": base.model_file, "model_sha256": base.model_sha256,
        "method": base.method, "background": base.background,
        "software_version": base.software_version, "created_at": base.created_at,
        "base": rows[0]["scenario"],
        "stages": stages,
        "scenarios": rows,
    }


CSV_COLUMNS = ("scenario", "description", "total_kg_co2e", "per_declared_unit_kg_co2e", "diff_kg_co2e", "diff_pct",
               "per_declared_unit_diff_kg_co2e", "per_declared_unit_diff_pct", "performance_class")


def comparison_csv(comparison: dict) -> str:
    """The comparison as CSV text: one row per scenario, the columns of :data:`CSV_COLUMNS`
    then one ``<stage>_kg_co2e`` column per life-cycle stage; empty cells for None; text that a
    spreadsheet would run as a formula gets a leading ``'`` (:func:`pcf.core.cells.safe_cell`)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(list(CSV_COLUMNS) + [f"{s}_kg_co2e" for s in comparison["stages"]])
    for row in comparison["scenarios"]:
        cells = [row[c] for c in CSV_COLUMNS] + [row["stages"][s] for s in comparison["stages"]]
        writer.writerow(["" if c is None else safe_cell(c) for c in cells])  # text: no formulas (OWASP)
    return buf.getvalue()


def write_comparison(comparison: dict, out_dir: str | Path) -> dict[str, Path]:
    """Write ``<out_dir>/<product id>.scenarios.json`` and ``.scenarios.csv`` atomically.

    Returns
    -------
    dict
        ``{"json": Path, "csv": Path}``.

    Raises
    ------
    OSError
        The folder cannot be written; neither file is changed then.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"{comparison['product']['id']}.scenarios"
    paths = {"json": stem.with_name(stem.name + ".json"), "csv": stem.with_name(stem.name + ".csv")}
    write_atomic({paths["json"]: (json.dumps(comparison, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
                  paths["csv"]: comparison_csv(comparison).encode("utf-8")})
    return paths
