"""Model lint that needs the PCR: a required stage that only consumer-stage inheritance fills.

A background input's burden is reported in its process's stage unless the input states its
own ``stage:``. So in a model whose production processes buy their materials directly, every
material lands in ``production`` and ``raw_material_acquisition`` stays empty, although the
PCR asks for it separately (issue 14: "all materials of a 3-process model land in
production"). This check finds, for each stage the PCR requires (``required_stages``), whether
any reachable process or any input states that stage; if none does, the stage is filled by
nothing but inheritance, and the finding lists the inputs that inherit another stage and
could belong there (for raw material acquisition: the mass inputs that inherit another stage;
for the other stages pcf cannot tell which inputs belong there, and names none).

``pcr-inventory`` (issue 21): each flow of the PCR's ``inventory.flows`` (e.g. CF4 and C2F6 from
the anode effects of aluminium electrolysis) must be a direct emission of a reachable process
(in ``inventory.stages`` when given); a missing one is a ``warning``, a present one an ``info``
that names its process. Both go into the result's ``lint`` record, from which the assessment
(:func:`inventory_findings`) decides conformance: a result without the ``info`` for a flow does
not show that flow.
"""

from __future__ import annotations

from ..model import ProductSystem
from ..model.lint import LintFinding, is_mass, lint_model, reachable_processes, sort_findings
from .inventory import INVENTORY_CHECK, inventory_tag
from .schema import PCR

SHOWN = 5
"""How many inheriting inputs a finding names (the rest are counted)."""


def lint_system(system: ProductSystem, pcr: PCR | None) -> list[LintFinding]:
    """Every lint finding of a product system: :func:`pcf.model.lint.lint_model` and, with a
    PCR, :func:`lint_stages`; errors first (:func:`pcf.model.lint.sort_findings`). Raises
    nothing: :func:`pcf.model.lint.raise_errors` refuses a model with errors."""
    extra = lint_stages(system, pcr) + lint_inventory(system, pcr) if pcr is not None else []
    return sort_findings(lint_model(system) + extra)


def lint_records(findings: list[LintFinding]) -> tuple:
    """The findings as the result's ``lint`` field: a :class:`pcf.model.lint.LintFinding` is its own
    result record (``pcf.lca.result`` imports it)."""
    return tuple(findings)


def lint_stages(system: ProductSystem, pcr: PCR) -> list[LintFinding]:
    """``stage-inheritance`` findings (module docstring), severity ``warning``.

    Parameters
    ----------
    system : ProductSystem
    pcr : PCR
        Its ``required_stages`` are checked.

    Returns
    -------
    list of LintFinding
        One per required stage that no reachable process and no input states.
    """
    reached = reachable_processes(system)
    processes = [p for p in system.processes.values() if p.id in reached]
    stated = {p.stage for p in processes} | {i.stage for p in processes for i in p.inputs if i.stage}
    out = []
    for stage in pcr.required_stages.stages:
        if stage in stated:
            continue
        # the materials bought by processes of later stages could belong to raw material acquisition;
        # for the other stages pcf cannot tell which inputs belong there
        inheriting = [(p, i) for p in processes for i in p.inputs[:len(p.inputs) - len(p.transport)]
                      if stage == "raw_material_acquisition" and i.kind != "process" and i.stage is None
                      and is_mass(i.unit)]
        names = "; ".join(f"{i.describe()!r} of {p.id!r} ({p.stage}, line {i.line})" for p, i in inheriting[:SHOWN])
        more = f" and {len(inheriting) - SHOWN} more" if len(inheriting) > SHOWN else ""
        n = len(inheriting)
        found = (f" {n} material (mass) input{'s' if n != 1 else ''} take{'' if n != 1 else 's'} the stage of "
                 f"{'their' if n != 1 else 'its'} process instead: {names}{more}." if inheriting else "")
        line = inheriting[0][1].line if inheriting else system.lines.line_of(("processes",))
        fix = (f"give the inputs that belong there stage: {stage} (the burden is then reported in {stage}), or "
               f"model them in a process with stage: {stage}." if inheriting else
               f"model the processes of this stage with stage: {stage}, or give the inputs that belong there "
               f"stage: {stage}.")
        out.append(LintFinding(
            "stage-inheritance", "warning", str(system.path), line,
            f"PCR {pcr.id!r} requires the stage {stage!r} ({pcr.required_stages.clause.strip()}), but no process "
            f"and no input of the model states it, so only consumer-stage inheritance could fill it and it stays "
            f"empty.{found}", fix, inheriting[0][0].id if inheriting else None))
    return out



def _names(flow) -> set[str]:
    return {n.strip().lower() for n in [flow.substance, *flow.synonyms]}


def lint_inventory(system: ProductSystem, pcr: PCR) -> list[LintFinding]:
    """``pcr-inventory`` findings (module docstring): one per flow of ``pcr.inventory``.

    Parameters
    ----------
    system : ProductSystem
    pcr : PCR

    Returns
    -------
    list of LintFinding
        ``info`` (the flow is a direct emission of a reachable process, named with its line) or
        ``warning`` (it is not); empty when the PCR has no ``inventory``.
    """
    rule = pcr.inventory
    if rule is None:
        return []
    reached = reachable_processes(system)
    processes = [p for p in system.processes.values() if p.id in reached and (not rule.stages or p.stage in rule.stages)]
    where = f" of stage {', '.join(rule.stages)}" if rule.stages else ""
    out = []
    for flow in rule.flows:
        names = _names(flow)
        found = [(p, e) for p in processes for e in p.emissions if e.substance.strip().lower() in names]
        tag = inventory_tag(pcr, flow)
        if found:
            p, e = found[0]
            listed = ", ".join(f"{q.id!r} (line {f.line})" for q, f in found[:SHOWN])
            out.append(LintFinding(INVENTORY_CHECK, "info", str(system.path), e.line,
                                   f"{tag} is emitted by {listed}, as the PCR requires ({rule.clause.strip()}).",
                                   "", p.id))
            continue
        out.append(LintFinding(
            INVENTORY_CHECK, "warning", str(system.path), system.lines.line_of(("processes",)),
            f"{tag} is required in the inventory ({flow.clause.strip()}), but no process{where} of the model "
            f"emits it.",
            f"add {{substance: {flow.substance!r}, amount: ..., unit: kg}} to the emissions of the process that "
            f"emits it (the measured or calculated amount).", None))
    return out
