"""Model lint: mistakes a valid model can still hold, found before anything is computed.

``pcf lint MODEL`` prints these findings; ``pcf footprint`` runs the same checks, stops on an
``error`` and writes every finding into the result's ``lint`` list (docs/result-json.md).

Checks (each finding names its ``file:line``, says what is wrong and how to fix it):

``unreachable-process`` (error)
    A process that no chain of ``{process: ID}`` inputs links to the reference process. Its
    burdens count 0 kg CO2e, silently. It is accepted (``info``) when the process says why it
    stays, ``kept_because: TEXT`` (e.g. used by a scenario only); ``kept_because`` on a
    process that the model as written reaches is a ``warning`` (the reason no longer holds;
    a scenario that reaches it is not).
``mass-balance`` (warning above :data:`MASS_BALANCE_TOLERANCE`)
    The declared mass of the product against the mass of the materials in its bill
    (:func:`bill_mass`), with the difference [kg / reference flow] and its share of the
    declared mass. ``info`` when within the tolerance or when the model declares no mass.
``duplicate-input`` (warning)
    The same activity outside the foreground (background key, database activity or supplier
    footprint file) listed twice or more among one process's ``inputs:``: usually a copy
    left behind, which counts the burden twice. ``info`` when every one of them has its own
    ``id`` (the inputs are meant to be separate, e.g. two uses swapped apart by scenarios).

The PCR-dependent check (a required stage that only consumer-stage inheritance could fill)
is in :mod:`pcf.pcr.lint`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.errors import ExpressionError, ModelError, UnitError
from ..core.numbers import amount as given, figure, signed
from ..core.units import conversion_factor, dimension_name
from ..core.vocabulary import CRADLE_TO_GATE
from .expressions import evaluate
from .finding import SEVERITIES, LintFinding
from .lanes import larger, num, zero_below
from .loader import ProductSystem, ResolvedProcess

MASS_BALANCE_TOLERANCE = 0.05
"""Largest accepted difference between the product's declared mass and the mass of the
materials in its bill, as a share of the declared mass [-]. pcf's choice, the same 5 % as the
default total cut-off criterion (:class:`pcf.model.schema.CutOffCriteria`, ISO 14067:2018
6.3.4.3): materials missing from the bill are inputs left out of the system. Production losses
(scrap, solvents that evaporate) also make the bill heavier than the product; the finding
asks to check, it does not refuse."""

MAKING_STAGES = CRADLE_TO_GATE
"""Stages of the processes that make the product (raw material acquisition, production): the
bill of materials follows foreground inputs into these only (not into distribution, use or end
of life, whose kg inputs are not parts of the product)."""


def lint_model(system: ProductSystem) -> list[LintFinding]:
    """Every model-level lint finding of a loaded product system, errors first.

    Parameters
    ----------
    system : ProductSystem
        From :func:`pcf.model.load_model` (the scenario, if any, applied).

    Returns
    -------
    list of LintFinding
        Ordered by severity (error, warning, info), then line.
    """
    findings = reachability(system) + duplicate_inputs(system) + mass_balance(system)
    return sort_findings(findings)


def sort_findings(findings: list[LintFinding]) -> list[LintFinding]:
    """``findings`` ordered by severity (error first), then by line."""
    return sorted(findings, key=lambda f: (SEVERITIES.index(f.severity), f.line or 0, f.check))


def raise_errors(findings: list[LintFinding]) -> None:
    """Refuse a model with error-level findings.

    Raises
    ------
    ModelError
        At the first error's ``file:line``, every error and its fix in the message (one
        ``file:line: message`` line each).
    """
    errors = [f for f in findings if f.severity == "error"]
    if not errors:
        return
    first, rest = errors[0], errors[1:]
    extra = "".join(f"\n{f.where}: {f.message} Fix: {f.fix}" for f in rest)
    raise ModelError(first.file, first.line, f"{first.message} Fix: {first.fix}{extra}")


def reachable_processes(system: ProductSystem) -> set[str]:
    """Ids of the processes a chain of ``{process: ID}`` inputs (or co-product ids, or an
    ``avoided`` process) links to the reference process, the reference process included."""
    owner = {p.id: p.id for p in system.processes.values()}
    for p in system.processes.values():
        owner.update({co.id: p.id for co in p.coproducts if co.id is not None})
    seen, todo = set(), [system.model.product.process]
    while todo:
        pid = todo.pop()
        if pid in seen or pid not in system.processes:
            continue
        seen.add(pid)
        proc = system.processes[pid]
        inputs = list(proc.inputs) + [co.avoided for co in proc.coproducts if co.avoided is not None]
        todo += [owner[i.target] for i in inputs if i.kind == "process" and i.target in owner]
    return seen


def reachability(system: ProductSystem) -> list[LintFinding]:
    """``unreachable-process`` findings (module docstring)."""
    reached = reachable_processes(system)
    reference = system.model.product.process
    kept = {p.id: p.kept_because for p in system.model.processes}
    out = []
    for proc in system.processes.values():
        reason = kept.get(proc.id)
        if proc.id in reached:
            if reason and system.scenario is None:  # a scenario may reach what the model as written keeps aside
                out.append(_finding(system, "unreachable-process", "warning", proc.line, proc.id,
                                    f"process {proc.id!r} states kept_because ({reason!r}) but the reference flow "
                                    f"reaches it: it is counted.",
                                    "drop kept_because, which is only for processes the reference flow does not "
                                    "reach."))
            continue
        if reason:
            out.append(_finding(system, "unreachable-process", "info", proc.line, proc.id,
                                f"process {proc.id!r} is not reachable from the reference process {reference!r} "
                                f"and counts 0 kg CO2e; accepted: {reason}",
                                "none needed (kept_because states why it stays)."))
            continue
        out.append(_finding(system, "unreachable-process", "error", proc.line, proc.id,
                            f"process {proc.id!r} ({proc.stage}) is not reachable from the reference process "
                            f"{reference!r}: no chain of {{process: ID}} inputs leads to it, so its burdens "
                            f"count 0 kg CO2e.",
                            f"add {{process: {proc.id}, amount: ..., unit: {proc.output_unit}}} to the inputs of "
                            f"the process that uses it, delete it, or state kept_because: <why it stays>."))
    return out


def duplicate_inputs(system: ProductSystem) -> list[LintFinding]:
    """``duplicate-input`` findings (module docstring): one per activity listed more than once
    among a process's own ``inputs:`` (transport legs and end-of-life terms are not
    compared)."""
    out = []
    for i, proc in enumerate(system.model.processes):
        resolved = system.processes[proc.id].inputs[:len(proc.inputs)]
        groups: dict[tuple, list[int]] = {}
        for k, inp in enumerate(resolved):
            if inp.kind != "process":
                groups.setdefault(_activity_key(inp), []).append(k)
        for ks in groups.values():
            if len(ks) < 2:
                continue
            lines = [system.lines.line_of(("processes", i, "inputs", k)) for k in ks]
            what = resolved[ks[0]].describe()
            ids = [proc.inputs[k].id for k in ks]
            listed = f"{what!r} is listed {len(ks)} times among the inputs of {proc.id!r} (lines " \
                     f"{', '.join(str(n) for n in lines)})"
            if all(ids):
                out.append(_finding(system, "duplicate-input", "info", lines[1], proc.id,
                                    f"{listed}, each with its own id ({', '.join(ids)}): counted as separate "
                                    f"inputs.", "none needed."))
            else:
                out.append(_finding(system, "duplicate-input", "warning", lines[1], proc.id,
                                    f"{listed}: each is counted, so its burden is counted {len(ks)} times.",
                                    "merge them into one input with the summed amount, or, if they are separate "
                                    "uses, give each its own id."))
    return out


def _activity_key(inp) -> tuple:
    """What identifies the activity an input draws on."""
    if inp.kind == "supplier":
        return ("supplier", inp.supplier.sha256)
    if inp.kind == "database":
        return ("database", inp.database, inp.lookup)
    return ("background", inp.target)


@dataclass(frozen=True)
class Bill:
    """The mass of the materials in a product's bill [kg / reference flow], from the kg
    inputs of the processes that make it (:func:`bill_mass`), and the inputs it followed
    (``parts``: ``(process, input description, kg)``); ``excluded_kg``: the excluded (cut-off)
    inputs given in a mass unit of the same processes [kg / reference flow], not in ``kg``
    (they hold processing services and water as well as left-out materials)."""

    kg: float
    parts: tuple
    excluded_kg: float = 0.0


def bill_mass(system: ProductSystem) -> Bill:
    """Mass of the materials in the product's bill of materials [kg / reference flow].

    From the reference process (its runs per reference flow = reference flow / output
    amount), foreground inputs given in other units than a mass (``item``, ``m2``) are
    followed into their processes, in any stage (the product passes through distribution
    and use). The inputs of the processes that make the product (:data:`MAKING_STAGES`) given in
    a mass unit count with their mass; a foreground input in kg is a part with that mass, its
    own inputs are not followed. A foreground input whose target states ``output.mass``
    [kg / unit] counts ``amount x mass``. Not materials of the bill: the inputs of
    distribution, use and end-of-life processes, transport legs, excluded (cut-off) inputs,
    end-of-life entries and inputs in other units (energy, tkm, items of background
    activities).

    Returns
    -------
    Bill
    """
    parts: list = []
    ref = system.processes[system.model.product.process]
    _add_bill(system, ref, system.reference_amount / ref.output_amount, parts, {ref.id})
    excluded = sum(kg for process, _, kg in parts if process is None)
    parts = [p for p in parts if p[0] is not None]
    return Bill(sum(kg for _, _, kg in parts), tuple(parts), excluded)


def _add_bill(system: ProductSystem, proc: ResolvedProcess, runs: float, parts: list, path: set) -> None:
    """Append to ``parts`` the kg of materials ``runs`` runs of ``proc`` take (:func:`bill_mass`),
    and its excluded kg as ``(None, name, kg)``."""
    stated_mass = {p.id: p.output.mass for p in system.model.processes}
    making = proc.stage in MAKING_STAGES
    if making:
        parts += [(None, ex.name, ex.amount * conversion_factor(ex.unit, "kg") * runs)
                  for ex in proc.excluded if is_mass(ex.unit)]
    for inp in proc.inputs[:len(proc.inputs) - len(proc.transport)]:
        target = system.processes.get(inp.target) if inp.kind == "process" else None
        if target is not None and target.id in path:
            continue  # a loop: its mass is counted where the loop was entered
        if is_mass(inp.unit):
            if making and (target is None or target.stage in MAKING_STAGES):
                parts.append((proc.id, inp.describe(), inp.amount * conversion_factor(inp.unit, "kg") * runs))
            continue
        if target is None:
            continue
        if stated_mass.get(target.id) is not None:
            kg = _value(stated_mass[target.id], system)
            if making and kg is not None:
                parts.append((proc.id, f"{target.id} (output.mass)", inp.amount * kg * runs))
            continue
        _add_bill(system, target, runs * inp.amount / target.output_amount, parts, path | {target.id})


def is_mass(unit: str) -> bool:
    """Whether ``unit`` is a mass (False for an unknown unit)."""
    try:
        return dimension_name(unit) == "mass"
    except UnitError:
        return False


def _value(expr, system: ProductSystem) -> float | None:
    try:
        return num(evaluate(expr, system.parameters))
    except (ExpressionError, TypeError, ValueError):
        return None


def declared_mass(system: ProductSystem) -> tuple[float, str, int | None] | None:
    """The product's declared mass [kg / reference flow], where it is stated and its line:
    ``exchange.product_mass``, else the reference process's ``output.mass`` x the reference
    flow, else the reference flow itself when it is a mass; None when the model states none."""
    kg = system.exchange.get("product_mass_kg")
    if kg is not None:
        return kg, "exchange.product_mass", system.lines.line_of(("exchange", "product_mass"))
    index = next(i for i, p in enumerate(system.model.processes) if p.id == system.model.product.process)
    ref = system.model.processes[index]
    if ref.output.mass is not None:
        per_unit = _value(ref.output.mass, system)
        if per_unit is not None:
            return (per_unit * system.reference_amount, f"output.mass of {ref.id!r} x the reference flow",
                    system.lines.line_of(("processes", index, "output", "mass")))
    if is_mass(ref.output.unit):
        return (system.reference_amount * conversion_factor(ref.output.unit, "kg"), "the reference flow",
                system.lines.line_of(("product", "reference_flow")))
    return None


def mass_balance(system: ProductSystem) -> list[LintFinding]:
    """The ``mass-balance`` finding (module docstring): declared mass against
    :func:`bill_mass`, difference = bill - declared [kg / reference flow] and its share of the
    declared mass [-]."""
    declared = declared_mass(system)
    if declared is None:
        return [_finding(system, "mass-balance", "info", system.lines.line_of(("product",)), None,
                         "the model states no product mass, so the mass balance of the product is not checked.",
                         "state exchange.product_mass: {amount, unit: kg} (the mass of one reference flow).")]
    kg, where, line = declared
    bill = bill_mass(system)
    diff = zero_below(bill.kg - kg, 1e-9 * larger(abs(kg), abs(bill.kg)))  # rounding of the sums: no difference
    share = diff / kg if kg else None
    shown = f"{100 * share:+.1f} %" if share is not None else "n/a"
    text = (f"product mass {figure(kg)} kg ({where}) against {figure(bill.kg)} kg of materials in its bill "
            f"({len(bill.parts)} mass inputs): difference {signed(diff)} kg ({shown} of the declared mass)")
    if bill.excluded_kg:
        text += f"; the excluded inputs of the same processes weigh {figure(bill.excluded_kg)} kg more (not counted)"
    if share is not None and abs(share) <= MASS_BALANCE_TOLERANCE:
        return [_finding(system, "mass-balance", "info", line, None,
                         f"{text}, within the {given(100 * MASS_BALANCE_TOLERANCE)} % tolerance.", "none needed.")]
    heavier = "more" if diff > 0 else "less"
    return [_finding(system, "mass-balance", "warning", line, None,
                     f"{text}; the materials weigh {heavier} than the product by more than the "
                     f"{given(100 * MASS_BALANCE_TOLERANCE)} % tolerance.",
                     "check the declared mass and the kg amounts of the bill: a missing material (add it, or "
                     "list it under excluded), a wrong amount or unit, or production losses (say so in a comment)."
                     if diff < 0 else
                     "check the declared mass and the kg amounts of the bill: a wrong amount or unit, a part "
                     "counted twice, or production losses (scrap: say so in a comment).")]


def _finding(system: ProductSystem, check: str, severity: str, line: int | None, process: str | None,
             message: str, fix: str) -> LintFinding:
    return LintFinding(check, severity, str(system.path), line, message[:1].upper() + message[1:],
                       fix[:1].upper() + fix[1:], process)
