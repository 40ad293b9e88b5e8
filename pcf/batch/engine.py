"""Evaluate SKUs: many at once as arrays, one at a time for full results.

:func:`summarise_rows` runs the model loader once for all rows of a plan with every
overridden parameter as an array (:mod:`pcf.model.variants`), links the foreground once and
solves and decomposes all variants together (:mod:`pcf.lca.inventory`): the summary figures
of each row (total, per declared unit, stages, ISO 14067 split, declared figure and
performance class) at a few microseconds per SKU. A row that took another path through the
loader (an invalid value, the other branch of a ``max``) or whose foreground is singular is
evaluated alone with the scalar loader, which gives its value or its error.

:func:`full_result` computes a row's complete :class:`pcf.declaration.Declaration`, as ``pcf
footprint`` does, from the plan's preparation (:func:`pcf.lca.calculate.evaluate`). The
declared figure is the declaration's in both paths (:meth:`~pcf.declaration.Declaration.declared_value`,
:meth:`~pcf.declaration.Declaration.declared_columns`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import math

import numpy as np

from ..core.codec import to_json
from ..declaration import BatchRow, Declaration, build_declaration
from ..declaration.accounting import rule_for
from ..core.errors import PCFError
from ..core.vocabulary import GHG_REPORTED, STAGES
from ..graph import link_foreground
from ..lca.biogenic import both_totals
from ..lca.calculate import evaluate
from ..lca.inventory import Inventory
from ..model import load_model
from ..model.lanes import is_lane
from ..model.lint import raise_errors
from ..model.variants import Variants, vectorised
from ..pcr.assess import classify
from ..pcr.lint import lint_records, lint_system
from .plan import Plan
from .table import SkuRow

def input_hash(plan: Plan, row: SkuRow) -> str:
    """SHA-256 of everything a row's outputs depend on: the plan's fingerprint (model file,
    scenario, background, method, PCR, pcf version), the row's id, name, parameter values
    and label / report flags."""
    overrides = ";".join(f"{k}={float(v)!r}" for k, v in sorted(row.overrides.items()))
    text = f"{plan.fingerprint}\n{row.id}\n{row.name}\n{overrides}\n{row.label:d}{row.report:d}"
    return hashlib.sha256(text.encode()).hexdigest()


def input_hashes(cols, plans: dict) -> list:
    """:func:`input_hash` of every row of a table read as columns
    (:class:`pcf.batch.table.Columns`), column by column; None for a row without a plan.

    Parameters
    ----------
    cols : pcf.batch.table.Columns
    plans : dict
        ``(model, scenario)`` -> :class:`Plan`.
    """
    n = len(cols)
    parts = [_assignments(k, cols.values[k]) for k in sorted(cols.values)]
    if not parts:
        overrides = [""] * n
    elif not any(None in p for p in parts):
        overrides = [";".join(t) for t in zip(*parts)]
    else:
        overrides = [";".join([x for x in t if x is not None]) for t in zip(*parts)]
    prints = {key: plan.fingerprint for key, plan in plans.items()}
    flags = {(False, False): "00", (False, True): "01", (True, False): "10", (True, True): "11"}  # f"{label:d}{report:d}"
    sha256 = hashlib.sha256
    if len(prints) == 1 and len(set(cols.models)) == 1 and len(set(cols.scenarios)) == 1:
        fingerprint = prints.get((cols.models[0], cols.scenarios[0])) if n else None
        if fingerprint is None:
            return [None] * n
        prefix = sha256(f"{fingerprint}\n".encode())  # the same first bytes: hashed once, the state copied
        out = []
        for sku, name, text, f in zip(cols.ids, cols.names, overrides, zip(cols.label.tolist(), cols.report.tolist())):
            h = prefix.copy()
            h.update(f"{sku}\n{name}\n{text}\n{flags[f]}".encode())
            out.append(h.hexdigest())
        return out
    out = []
    for sku, name, text, label, report, key in zip(cols.ids, cols.names, overrides, cols.label.tolist(),
                                                    cols.report.tolist(), zip(cols.models, cols.scenarios)):
        fingerprint = prints.get(key)
        out.append(None if fingerprint is None else
                   sha256(f"{fingerprint}\n{sku}\n{name}\n{text}\n{flags[label, report]}".encode()).hexdigest())
    return out


def _assignments(name: str, values: np.ndarray) -> list:
    """``f"{name}={x!r}"`` of each value of a parameter column, None for NaN (an empty cell);
    a column of fewer distinct values than a quarter of its rows (the usual table) formats each
    distinct value once."""
    if len(values) > 4096:
        distinct, inverse = np.unique(values, return_inverse=True)
        if len(distinct) <= len(values) // 4:
            texts = np.array([None if x != x else f"{name}={x!r}" for x in distinct.tolist()], dtype=object)
            return texts[inverse.ravel()].tolist()
    return [None if x != x else f"{name}={x!r}" for x in values.tolist()]


def figures(plan: Plan, total, declared_per_reference_flow, stages: dict, ghg: dict, declared,
            declared_unit: str | None) -> dict:
    """The summary figures of SKUs from their numbers, for one SKU (floats) or many (arrays).

    Parameters
    ----------
    plan : Plan
        For the PCR.
    total : float or numpy.ndarray
        [kg CO2e / reference flow].
    declared_per_reference_flow : float, numpy.ndarray or None
        [declared unit / reference flow]; None without a declared unit.
    stages, ghg : dict
        Per life-cycle stage, and the ISO 14067 split with ``aircraft``
        [kg CO2e / reference flow].
    declared : float, numpy.ndarray or None
        The declared figure [kg CO2e / reference flow] the declaration gives
        (:meth:`pcf.declaration.Declaration.declared_value`, or its array form
        :meth:`~pcf.declaration.Declaration.declared_columns`); None without a PCR.
    declared_unit : str or None

    Returns
    -------
    dict
        Summary columns (:data:`pcf.batch.summary.FIGURES` without the shares): the declared
        figure per reference flow and per declared unit, and ``class_of_declared_figure`` the
        class (:func:`pcf.pcr.assess.classify`) it falls in per declared unit. The PCR grades a
        result with that class only when it conforms (``performance_class``, from the full
        result's assessment).
    """
    per_ref = declared_per_reference_flow
    per_du = total / per_ref if per_ref is not None else None
    out = {"total_kg_co2e": total, "per_declared_unit_kg_co2e": per_du, "declared_unit": declared_unit,
           "declared_units_per_reference_flow": per_ref}
    for stage in STAGES:
        out[f"{stage}_kg_co2e"] = stages.get(stage)
    for key in GHG_REPORTED:
        out[f"{key}_kg_co2e"] = ghg[key]
    pcr = plan.pcr
    if pcr is None:
        declared = None
    declared_per_du = declared / per_ref if declared is not None and per_ref is not None else None
    out["declared_kg_co2e"] = declared
    out["declared_per_declared_unit"] = declared_per_du
    value = declared_per_du if pcr is not None else per_du
    classes = pcr.performance_classes if pcr is not None else None
    if classes is None or value is None:
        out["class_of_declared_figure"] = None
    elif isinstance(value, np.ndarray) and value.ndim:
        out["class_of_declared_figure"] = classes_of(np.asarray(value, dtype=float), classes)
    elif is_lane(value):  # the full results of many rows (pcf.batch.columns): each row's class, no decision
        out["class_of_declared_figure"] = classes_of(value.v, classes)
    else:
        out["class_of_declared_figure"] = (classify(value, classes) or {}).get("class")
    return out


def classes_of(values: np.ndarray, classes) -> list:
    """:func:`pcf.pcr.assess.classify`'s class of every value, at once: the first threshold whose
    ``max`` is >= the value (> when ``strict``), the last class above all, None for a value
    that is not finite.

    Parameters
    ----------
    values : numpy.ndarray
        [kg CO2e per declared unit].
    classes : pcf.pcr.schema.PerformanceClasses
    """
    out = np.full(values.shape, classes.thresholds[-1].class_, dtype=object)
    left = np.isfinite(values)
    out[~left] = None
    for t in classes.thresholds:
        hit = left if t.max is None else left & ((values < t.max) if classes.strict else (values <= t.max))
        out[hit] = t.class_
        left = left & ~hit
    return out.tolist()


def figures_of_result(declaration: Declaration, plan: Plan) -> dict:
    """The summary figures of a full result: :func:`figures` of its numbers, with the
    declaration's declared figure."""
    r = declaration.result
    du = r.product.declared_unit
    return figures(plan, r.total_kg_co2e, du.per_reference_flow if du else None, r.stages, to_json(r.ghg),
                   declaration.declared_value("reference_flow"), du.unit if du else None)


def full_result(plan: Plan, row: SkuRow) -> Declaration:
    """The complete result of one row, as ``pcf footprint`` computes it for the model with the
    row's scenario and parameter values, with the row's id and name as the product's and the
    ``batch`` field (:class:`pcf.declaration.BatchRow`) added.

    Raises
    ------
    PCFError
        ``ModelError`` with ``file:line`` for an invalid value, ``CalculationError``.
    """
    with plan.files():
        system = load_model(plan.model, overrides=row.overrides or None, scenario=plan.scenario or None)
    findings = lint_system(system, plan.pcr)  # the row's values (the mass balance depends on them)
    raise_errors(findings)
    declaration = build_declaration(evaluate(system, plan.prepared), plan.pcr)
    result = declaration.result
    product = dataclasses.replace(result.product, id=row.id, **({"name": row.name} if row.name else {}))
    return declaration.replace(
        result=dataclasses.replace(result, product=product, lint=lint_records(findings)),
        batch=BatchRow(row=row.row, sku=row.id, model_product=dict(plan.product), overrides=dict(row.overrides),
                       input_sha256=input_hash(plan, row)))


def declared_columns(plan: Plan, ghg: dict, co2_emissions, standard: str):
    """The declared figure of many variants [kg CO2e / reference flow] under the plan's PCR
    (:meth:`pcf.declaration.Declaration.declared_columns`); None without a PCR."""
    if plan.pcr is None:
        return None
    including, excluding = both_totals(ghg["fossil"], ghg["biogenic_emissions"], ghg["biogenic_removals"],
                                       ghg["dluc"], co2_emissions)
    return Declaration.declared_columns(including, excluding, ghg["dluc"], rule_for(plan.pcr, standard))


def evaluate_columns(plan: Plan, columns: dict[str, np.ndarray]) -> tuple[dict, np.ndarray, str]:
    """Summary figures of many variants of one plan at once, as columns.

    The model loader runs once with each parameter of ``columns`` as an array
    (:mod:`pcf.model.variants`), the foreground is linked once, and every variant is solved
    and decomposed together (:class:`pcf.lca.inventory.Inventory`).

    Parameters
    ----------
    plan : Plan
    columns : dict of str to numpy.ndarray, shape (n,)
        Values of the overridden parameters, one per variant (parameters of the model only;
        the others keep the plan's values).

    Returns
    -------
    figures : dict
        :func:`figures` as columns of length ``n`` (numpy arrays, lists, or None).
    ok : numpy.ndarray of bool, shape (n,)
        False for variants the arrays cannot give (another path through the loader, a
        non-finite value, a singular foreground): compute those alone.
    note : str
        Why no variant could be given (the model does something arrays cannot), else empty.
    """
    n = len(next(iter(columns.values()))) + 1 if columns else 2  # row 0: the plan's values (reference path)
    full = {k: np.concatenate([[plan.parameters[k]], np.asarray(v, dtype=float)]) for k, v in columns.items()}
    prepared = plan.prepared
    try:
        with vectorised(n) as state, plan.files():
            system = load_model(plan.model, overrides={k: Variants(v) for k, v in full.items()} or None,
                                scenario=plan.scenario or None)
            data, graph = link_foreground(system, prepared.links)
        inv = Inventory.build(data, graph, prepared.char, prepared.flows, n=n)
        sol = inv.solve(_array(system.reference_amount, n), prepared.char)
    except (TypeError, ValueError, KeyError, PCFError) as exc:
        return {}, np.zeros(n - 1, dtype=bool), f"{type(exc).__name__}: {exc}"
    declared = system.model.product.declared_unit
    ok = ~(state.diverged | sol.singular | ~np.isfinite(sol.total))
    ghg = dict(sol.ghg, aircraft=sol.aircraft)
    cols = figures(plan, sol.total, _array(system.declared_per_reference_flow, n) if declared is not None else None,
                   sol.stages, ghg,
                   declared_columns(plan, ghg, sol.biogenic["co2_emissions_kg"], system.model.study.standard),
                   declared.unit if declared is not None else None)
    return {k: v[1:] if isinstance(v, (np.ndarray, list)) else v for k, v in cols.items()}, ok[1:], ""


def summarise_rows(plan: Plan, rows: list[SkuRow]) -> tuple[dict[int, dict], list[SkuRow], str]:
    """Summary figures of many rows of one plan at once (:func:`evaluate_columns`).

    Parameters
    ----------
    plan : Plan
    rows : list of SkuRow
        Rows of this plan without errors.

    Returns
    -------
    done : dict of int to dict
        Row number -> :func:`figures`.
    rest : list of SkuRow
        Rows to evaluate alone (another path through the loader, a singular foreground,
        a parameter the model does not have).
    note : str
        Why every row was left to the scalar path (the model does something arrays cannot),
        empty otherwise.
    """
    known = [r for r in rows if set(r.overrides) <= set(plan.parameters)]
    rest = [r for r in rows if not set(r.overrides) <= set(plan.parameters)]
    if not known:
        return {}, rest, ""
    names = sorted({k for r in known for k in r.overrides})
    columns = {k: np.array([r.overrides.get(k, plan.parameters[k]) for r in known]) for k in names}
    cols, ok, note = evaluate_columns(plan, columns)
    if note:
        return {}, rows, note
    lists = {k: (v.tolist() if isinstance(v, np.ndarray) else v if isinstance(v, list) else [v] * len(known))
             for k, v in cols.items()}
    done = {}
    ok = np.atleast_1d(ok)
    one = ok.size == 1  # no parameter column (every row is the model as written): one evaluation
    for i, r in enumerate(known):
        j = 0 if one else i
        if ok[j]:
            done[r.row] = {k: v[j] for k, v in lists.items()}
        else:
            rest.append(r)
    return done, rest, ""


def _array(value, n: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(value, dtype=float), (n,))


def same_figures(a: dict, b: dict, rel: float = 1e-6) -> str:
    """Empty when two :func:`figures` agree (numbers to ``rel``), else the first difference."""
    for key, x in a.items():
        y = b.get(key)
        if isinstance(x, float) and isinstance(y, float):
            if not math.isclose(x, y, rel_tol=rel, abs_tol=1e-9):
                return f"{key}: {x!r} != {y!r}"
        elif x != y:
            return f"{key}: {x!r} != {y!r}"
    return ""
