"""Solve a product system with bw2calc and decompose the score (ISO 14067 split, stages).

Notation (bw2calc): technosphere matrix ``A`` (products x activities, outputs positive,
inputs negative), biosphere matrix ``B`` (flows x activities), characterisation vector
``c`` (flows). ``s = A^-1 f`` is the supply array for demand ``f``; the score is
``c^T B s``.

The decomposition uses the characterised intensity of every activity, ``m = A^-T B^T c``
[kg CO2e / unit of the activity's product] (one transposed solve per GHG category).
For a foreground process ``j`` its share of the score is its direct emissions
``s_j c^T B_j`` plus what it draws from the background, ``sum_b -A_bj s_j m_b``. The
shares of all foreground processes sum to the score exactly, because the background never
draws on the foreground; loops inside the foreground are resolved by ``s``.

Two steps: :func:`pcf.lca.prepare.prepare` links the foreground and characterises the
background alone (what does not change with the foreground amounts; cached on disk by
:mod:`pcf.lca.bgcache`), and computes the score of the whole system as Brightway stores it
(:func:`pcf.lca.prepare.stored_score`, the check of the decomposition);
:func:`evaluate` solves the foreground block and decomposes (:mod:`pcf.lca.inventory`) and
builds the result. :func:`footprint` does both; ``pcf batch`` prepares once per model
structure and evaluates every SKU.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

import numpy as np

from ..model.lanes import num
from .. import __version__
from ..core.errors import CalculationError
from ..core.vocabulary import STAGES
from ..graph import link_foreground
from ..model import ProductSystem
from . import biogenic
from .dataquality import activity_dqr, assess_data_quality
from .electricity import electricity_report
from .endoflife import use_and_end_of_life
from .feasibility import check_foreground, refuse_non_finite
from .gwpbasis import source_basis, summarise
from .inventory import Inventory
from .stagesplit import ghg_by_stage
from .prepare import BIOGENIC_MASS_FLOWS, Prepared, flow_category, prepare, remember, warm_prepare
from .result import GHG_CATEGORIES, FootprintResult
from .system_map import product_system_map

__all__ = ["BIOGENIC_MASS_FLOWS", "evaluate", "flow_category", "footprint"]


def footprint(system: ProductSystem, top: int | None = None) -> FootprintResult:
    """Carbon footprint of a product system.

    A second footprint of an unchanged model on an unchanged Brightway project is computed
    from the first one's preparation without importing Brightway (:mod:`pcf.lca.warmcache`);
    the result is the same, field by field.

    Parameters
    ----------
    system : ProductSystem
        From :func:`pcf.model.load_model`.
    top : int, optional
        Keep only the ``top`` largest contributions and one ``other`` entry for the rest.

    Returns
    -------
    FootprintResult
        Per reference flow [kg CO2e] and per declared unit [kg CO2e / declared unit]; every
        total a rule can declare (which one is declared is the
        :class:`pcf.declaration.Declaration`'s business, not this function's).

    Raises
    ------
    BackgroundError
        Background or method not installed (run ``pcf setup``), unknown method id.
    ModelError
        A link to the background does not resolve (``file:line``); a system that cannot
        deliver its reference flow (a loop that uses at least what it makes, singular or
        ill-conditioned, or a negative supply: :mod:`pcf.lca.feasibility`, the loop named with
        ``file:line``); a number in the result that is not finite.
    CalculationError
        The decomposition does not add up to bw2calc's score (rel. 1e-6 times the largest
        loop multiplier, :func:`pcf.lca.feasibility.loop_multiplier`).
    """
    prepared = warm_prepare(system)  # a former run's preparation, without Brightway, when nothing changed
    if prepared is not None:
        return evaluate(system, prepared, top=top)
    prepared = prepare(system)
    result = evaluate(system, prepared, top=top)
    remember(prepared, system)
    return result


def evaluate(system: ProductSystem, prepared: Prepared, top: int | None = None) -> FootprintResult:
    """Carbon footprint of a product system from a preparation (:func:`pcf.lca.prepare.prepare`).

    ``prepared`` may come from another variant of the same model (other parameter values,
    same processes and links): ``pcf batch`` prepares once and evaluates every SKU. Without
    bw2data when every activity is in ``prepared``.

    Parameters
    ----------
    system : ProductSystem
    prepared : Prepared
    top : int, optional
        Keep only the ``top`` largest contributions and one ``other`` entry for the rest.

    Returns
    -------
    FootprintResult

    Raises
    ------
    ModelError
        A link does not resolve (``file:line``); a foreground that cannot deliver its
        reference flow (:func:`pcf.lca.feasibility.check_foreground`: a loop that uses at
        least what it makes, singular or ill-conditioned, or a negative supply); a number in
        the result that is not finite (:func:`pcf.lca.feasibility.refuse_non_finite`).
    CalculationError
        When ``prepared`` holds bw2calc's score of this system, a decomposition that does not
        add up to it (rel. 1e-6 times the largest loop multiplier).
    """
    data, graph = link_foreground(system, prepared.links)
    inv = Inventory.build(data, graph, prepared.char, prepared.flows)
    sol = inv.solve(system.reference_amount, prepared.char)
    if sol.singular[0]:
        check_foreground(system, data, graph.database, graph.reference[1])  # raises, naming the loop
        raise CalculationError("the foreground cannot be solved; please report this")
    result = build_result(system, prepared, graph, inv, sol, top=top)
    refuse_non_finite(system, result.to_json())
    return result


def _first(column) -> float:
    return float(column[0])


def build_result(system: ProductSystem, prepared: Prepared, graph, inv: Inventory, sol, top: int | None = None,
                 pick=_first) -> FootprintResult:
    """The result of a solved foreground (:func:`evaluate` after the solve).

    Parameters
    ----------
    system, prepared
        As :func:`evaluate`'s.
    graph, inv, sol
        The linked foreground (:func:`pcf.graph.link_foreground`), its inventory and solution.
    top : int, optional
    pick : callable
        ``pick(column)`` -> the number of one quantity from its values per variant, shape (n,):
        ``float(column[0])`` for one footprint; :func:`pcf.model.lanes.lane` builds the results
        of every variant at once (``pcf batch``; the system's amounts are then Lanes too).

    Raises
    ------
    CalculationError
        When ``prepared`` holds bw2calc's score of this system, a decomposition that does not
        add up to it.
    """
    spec, char, bd = prepared.spec, prepared.char, prepared.nodes
    study = system.model.study
    fg_nodes, col, total_intensity = _intensities(inv, char, graph, bd, pick)
    stages = {stage: pick(v) for stage, v in sol.stages.items()}
    ghg = {cat: pick(sol.ghg[cat]) for cat in GHG_CATEGORIES}
    bio_mass = {key: pick(v) for key, v in sol.biogenic.items()}
    contributions, used_bg = _contributions(inv, sol, fg_nodes, bd, pick)
    total = sum(stages.values())
    score = prepared.score
    # bw2calc solves with amounts stored as float32; a loop multiplies their rounding by its
    # multiplier (pcf.lca.feasibility), so the agreement asked for grows with it
    if score is not None and not math.isclose(total, score, rel_tol=1e-6 * max(1.0, float(sol.multiplier[0])),
                                              abs_tol=1e-9):
        raise CalculationError(f"decomposition ({total}) does not add up to the score ({score}); please report this")
    contributions = _ranked(contributions, total, top)
    ghg["aircraft"] = pick(sol.aircraft)
    totals, bio_mass = biogenic.account(system, ghg, bio_mass)
    # excluded inputs are stated per run of their process, like inputs; scale to the reference
    # flow (and to the main product's allocated share of a multi-output process)
    runs = {code: pick(sol.supply[:, j]) for j, code in enumerate(inv.codes)}
    shares = {p.id: (p.allocation.factor if p.allocation is not None else 1.0) for p in system.processes.values()}
    cut_off, cut_off_summary = _cut_off_report(system, graph, runs, shares, col, total_intensity, total, bd)
    electricity, electricity_summary = electricity_report(system, graph, runs, col, total_intensity, total, bd)
    use_stage, end_of_life = use_and_end_of_life(system, graph, runs, shares, col, total_intensity, bd)
    foreground = {code: {"process": inv.processes[j], "runs": runs[code], "direct": pick(sol.direct[:, j]),
                         "drawn": pick(sol.background[:, j])} for j, code in enumerate(inv.codes)}
    ordered = {s: stages[s] for s in STAGES if s in stages}
    data_sources = _data_sources(used_bg, prepared.databases, graph, col, total_intensity, bd, spec.gwp_vintage)
    return FootprintResult.from_json(dict(
        **_product(system, total),
        study=study.model_dump(),
        parameters=dict(system.parameters),
        stages=ordered,
        ghg=ghg,
        totals=totals,
        biogenic_carbon=bio_mass,
        contributions=contributions,
        cut_off=cut_off,
        cut_off_summary=cut_off_summary,
        data_sources=data_sources,
        gwp_basis_summary=summarise([d["gwp_basis"] for d in data_sources], total, spec.id, spec.gwp_vintage),
        method=spec.id,
        method_name=list(spec.name),
        background=study.background,
        provenance=_provenance(system, prepared, {key[0] for key in used_bg} | {graph.background}),
        allocation=_allocation_report(system, graph, runs, col, total_intensity, bd),
        transport=_transport_report(system, graph, runs, shares, col, total_intensity, bd),
        data_quality=assess_data_quality(system, graph, foreground, col, total_intensity, bd),
        electricity=electricity,
        electricity_summary=electricity_summary,
        scenario=system.scenario.to_dict() if system.scenario is not None else None,
        exchange=dict(system.exchange),
        ghg_by_stage=ghg_by_stage(inv, sol, char, ordered, pick=pick),
        use_stage=use_stage,
        end_of_life=end_of_life,
        declaration=system.model.declaration.model_dump() if system.model.declaration is not None else None,
        product_system=product_system_map(system),
        **_sub_indicators(spec, sol, bio_mass, system, pick),
        software_version=__version__,
        model_sha256=system.sha256,
        model_file=str(system.path),
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    ))


def _sub_indicators(spec, sol, bio_mass: dict, system: ProductSystem, pick=_first) -> dict:
    """``{"sub_indicators": [...]}`` of a method that has them (:func:`pcf.lca.biogenic.sub_indicators`,
    from the split by each flow's own category), else ``{}`` (the key stays absent)."""
    by_flow = {cat: pick(v) for cat, v in sol.ghg_by_flow.items()}
    parts = biogenic.sub_indicators(spec, by_flow, bio_mass, system.declared_per_reference_flow)
    return {"sub_indicators": parts} if parts else {}


def _intensities(inv: Inventory, char, graph, bd, pick=_first) -> tuple[list, dict, np.ndarray]:
    """The foreground nodes, and every activity's column and intensity [kg CO2e / unit]:
    background from the preparation, foreground of this variant (reports ask for either by
    node id; with many variants, the foreground's are numbers of ``pick`` in an object array)."""
    col = {bd.get_node(database=k[0], code=k[1]).id: i for k, i in char.index.items()}
    fg_nodes = [bd.get_node(database=graph.database, code=code) for code in inv.codes]
    col.update({n.id: len(char.index) + j for j, n in enumerate(fg_nodes)})
    if pick is _first:
        return fg_nodes, col, np.concatenate([char.total, inv.foreground_intensity(0, char)])
    fg = inv.foreground_intensities(char)
    out = np.empty(len(char.index) + len(fg_nodes), dtype=object)
    out[:len(char.index)] = char.total.tolist()
    for j in range(len(fg_nodes)):
        out[len(char.index) + j] = pick(fg[:, j])
    return fg_nodes, col, out


def _contributions(inv: Inventory, sol, fg_nodes: list, bd, pick=_first) -> tuple[list[dict], dict[tuple, list[float]]]:
    """Direct and background contributions of each foreground process [kg CO2e / reference
    flow], and the background activities drawn: key -> [amount drawn, kg CO2e]."""
    contributions = []
    used_bg: dict[tuple, list[float]] = {}
    pairs_of: dict[int, list[int]] = {}
    for q, (j, _) in enumerate(inv.pairs):
        pairs_of.setdefault(j, []).append(q)
    for j, node in enumerate(fg_nodes):
        direct = pick(sol.direct[:, j])
        if direct:
            contributions.append({"process": node["code"], "name": node["name"], "stage": node["stage"],
                                  "kind": "direct", "kg_co2e": direct})
        for q in pairs_of.get(j, []):
            key = inv.pairs[q][1]
            bnode = bd.get_node(database=key[0], code=key[1])
            drawn, value = pick(sol.drawn[:, q]), pick(sol.values[:, q])
            used = used_bg.setdefault(key, [0.0, 0.0])
            used[0] += drawn
            used[1] += value
            contributions.append({"background": bnode["code"], "database": bnode["database"],
                                  "name": bnode["name"], "stage": inv.pair_stages[q],
                                  "process": node["code"], "kind": "background", "kg_co2e": value})
    return contributions, used_bg


def _ranked(contributions: list[dict], total: float, top: int | None) -> list[dict]:
    """Contributions with their share of ``total``, largest |kg CO2e| first; beyond ``top``
    one ``other`` entry."""
    for item in contributions:
        item["share"] = item["kg_co2e"] / total if total else 0.0
    contributions.sort(key=lambda x: -abs(x["kg_co2e"]))
    if top is not None and len(contributions) > top:
        rest = contributions[top:]
        contributions = contributions[:top] + [{
            "name": f"{len(rest)} other contributions", "stage": None, "kind": "other",
            "kg_co2e": sum(x["kg_co2e"] for x in rest), "share": sum(x["share"] for x in rest)}]
    return contributions


def _data_sources(used_bg: dict, db_prov: dict, graph, col: dict, total_intensity, bd, vintage: str) -> list[dict]:
    """Every background activity drawn directly, with its citation, DQR and GWP basis
    (:func:`pcf.lca.gwpbasis.source_basis` under the method's GWP ``vintage``)."""
    data_sources = []
    for key, (drawn, value) in sorted(used_bg.items()):
        n = bd.get_node(database=key[0], code=key[1])
        intensity = num(total_intensity[col[n.id]])
        data_sources.append({
            "background": n["code"], "database": n["database"], "model_reference": graph.links.get(n.key),
            "name": n["name"], "reference_product": n.get("reference product"), "unit": n.get("unit"),
            "location": n.get("location"), "year": n.get("year"),
            "source": n.get("source") or _imported_source(n, db_prov[n["database"]]), "note": n.get("note"),
            "factor_ids": n.get("factor_ids"), "dqr": activity_dqr(n),
            "kg_co2e_per_unit": intensity,
            "amount": drawn, "kg_co2e": value,
            "gwp_basis": source_basis(n, drawn, intensity, vintage),
        })
    return data_sources


def _transport_report(system: ProductSystem, graph, runs: dict, shares: dict, col: dict, total_intensity,
                      bd) -> list[dict]:
    """Transport legs per reference flow: tkm and kg CO2e of each leg's activity."""
    transport = []
    for p in system.processes.values():
        first = len(p.inputs) - len(p.transport)
        for j, leg in enumerate(p.transport):
            key, _ = graph.inputs[(p.id, first + j)]
            node = bd.get_node(database=key[0], code=key[1])
            scale = runs[p.id] * shares[p.id]
            transport.append({"process": p.id, "name": leg.name, "mode": leg.mode,
                              "distance_km": leg.distance_km, "mass_kg": leg.mass_kg, "volume_m3": leg.volume_m3,
                              "tkm": leg.tkm * scale, "activity": node["code"], "database": node["database"],
                              "aircraft": bool(node.get("aircraft")),
                              "kg_co2e": leg.tkm * scale * num(total_intensity[col[node.id]])})
    return transport


def _product(system: ProductSystem, total: float) -> dict:
    """``product``, ``total_kg_co2e`` and ``per_declared_unit_kg_co2e`` of the result."""
    product = system.model.product
    declared = None
    per_du = None
    if product.declared_unit is not None:
        declared = {"unit": product.declared_unit.unit, "description": product.declared_unit.description,
                    "per_reference_flow": system.declared_per_reference_flow}
        per_du = total / system.declared_per_reference_flow
    return {"product": {"id": product.id, "name": product.name,
                        "reference_flow": {"amount": system.reference_amount,
                                           "unit": system.processes[product.process].output_unit},
                        "declared_unit": declared},
            "total_kg_co2e": total, "per_declared_unit_kg_co2e": per_du}


def _provenance(system: ProductSystem, prepared: Prepared, used_dbs: set[str]) -> dict:
    """Where the numbers come from: method, background, databases used, Brightway versions."""
    spec, db_prov = prepared.spec, prepared.databases
    return {
        "method_label": spec.label,
        "method_source": list(spec.source),
        "method_description": prepared.method_description,
        "background_database": prepared.background.database,
        "background_version": prepared.background.version,
        "background_sha256": prepared.background.sha256,
        "background_activities": prepared.background.activities,
        "databases": [db_prov[d] for d in sorted(used_dbs)],
        "brightway": dict(prepared.brightway_versions),
        "bw2calc_score": prepared.score,
        "supplier_footprints": _supplier_footprints(system),
        **({"method_sha256": prepared.method_sha256} if prepared.method_sha256 else {}),
    }


def _cut_off_report(system, graph, runs, shares, col, total_intensity, total, bd) -> tuple[list, dict]:
    """Excluded inputs with their estimated shares, and the check against the study's cut-off
    criteria (ISO 14067:2018 6.3.4.3).

    Per excluded input: its share of its process's mass input (mass units) or energy input
    (energy units), both per run, excluded amounts included in the denominator; its GHG
    estimate from the proxy [kg CO2e / reference flow] and that estimate's share of the
    total. Findings: ``nonconformity`` for every criterion broken, ``observation`` for shares
    that cannot be estimated or criteria that were not declared.
    """
    from ..core.units import conversion_factor, dimension_name

    criteria = system.model.study.cut_off
    items, findings = [], []

    def share_of(proc, ex, dimension: str, unit: str) -> float | None:
        if dimension_name(ex.unit) != dimension:
            return None
        inflow = sum(i.amount * conversion_factor(i.unit, unit) for i in proc.inputs
                     if dimension_name(i.unit) == dimension)
        inflow += sum(e.amount * conversion_factor(e.unit, unit) for e in proc.excluded
                      if dimension_name(e.unit) == dimension)
        return ex.amount * conversion_factor(ex.unit, unit) / inflow if inflow else None

    for proc in system.processes.values():
        for k, ex in enumerate(proc.excluded):
            scale = runs[proc.id] * shares[proc.id]
            item = {"process": proc.id, "name": ex.name, "amount": ex.amount * scale, "unit": ex.unit,
                    "amount_per_process_output": ex.amount,
                    "process_output": f"{proc.output_amount:g} {proc.output_unit}", "reason": ex.reason,
                    "mass_share": share_of(proc, ex, "mass", "kg"),
                    "energy_share": share_of(proc, ex, "energy", "MJ"),
                    "proxy": None, "kg_co2e_estimate": None, "ghg_share": None}
            if (proc.id, k) in graph.proxies:
                key, amount = graph.proxies[(proc.id, k)]
                node = bd.get_node(database=key[0], code=key[1])
                estimate = amount * scale * num(total_intensity[col[node.id]])
                item.update(proxy=graph.links.get(key) or node["code"], kg_co2e_estimate=estimate,
                            ghg_share=estimate / total if total else None)
            items.append(item)
    estimated = sum(i["kg_co2e_estimate"] or 0.0 for i in items)
    summary = {"criteria": criteria.model_dump() if criteria else None,
               "estimated_kg_co2e": estimated, "estimated_share": estimated / total if total else None,
               "not_estimated": sum(1 for i in items if i["kg_co2e_estimate"] is None), "findings": findings}
    if not items:
        return items, summary
    if criteria is None:
        findings.append({"severity": "observation", "item": None,
                         "message": f"{len(items)} inputs are excluded but the study states no cut-off criteria.",
                         "fix": "Declare study.cut_off (e.g. {mass: 0.01, energy: 0.01, ghg: 0.01, total: 0.05}) "
                                "as ISO 14067:2018 6.3.4.3 asks."})
        return items, summary
    for i in items:
        where = f"{i['name']!r} (excluded from {i['process']!r})"
        for field, label in (("mass_share", "mass input"), ("energy_share", "energy input")):
            limit = getattr(criteria, field.split("_")[0])
            if limit is not None and i[field] is not None and i[field] > limit:
                findings.append({"severity": "nonconformity", "item": i["name"],
                                 "message": f"{where} is {100 * i[field]:.2f} % of its process's {label}, above the "
                                            f"{100 * limit:g} % cut-off criterion.",
                                 "fix": "Model this input (a background activity or a proxy) instead of excluding it."})
        if criteria.ghg is not None and i["ghg_share"] is not None and abs(i["ghg_share"]) > criteria.ghg:
            findings.append({"severity": "nonconformity", "item": i["name"],
                             "message": f"{where} is estimated at {100 * i['ghg_share']:.2f} % of the footprint "
                                        f"(proxy {i['proxy']}), above the {100 * criteria.ghg:g} % criterion.",
                             "fix": "Model this input instead of excluding it."})
        if criteria.ghg is not None and i["ghg_share"] is None:
            findings.append({"severity": "observation", "item": i["name"],
                             "message": f"The GHG share of {where} is not estimated.",
                             "fix": "Give the excluded input a proxy: {background: KEY} so its share can be checked."})
    if criteria.total is not None and summary["estimated_share"] is not None and summary["estimated_share"] > criteria.total:
        findings.append({"severity": "nonconformity", "item": None,
                         "message": f"The excluded inputs together are estimated at {100 * summary['estimated_share']:.2f} % "
                                    f"of the footprint, above the {100 * criteria.total:g} % total cut-off criterion.",
                         "fix": "Model the largest excluded inputs."})
    return items, summary


BASIS_UNITS = {"mass": "kg", "energy": "MJ", "economic": "currency", "factors": None, "system_expansion": None}


def _allocation_report(system, graph, runs, col, total_intensity, bd) -> list[dict]:
    """How each multi-output process shared its burdens, for the result (ISO 14067 6.4.6)."""
    report = []
    for proc in system.processes.values():
        alloc = proc.allocation
        if alloc is None:
            continue
        products = [{"id": proc.id, "name": proc.name, "amount": proc.output_amount, "unit": proc.output_unit,
                     "basis": alloc.basis, "factor": alloc.factor, "main": True}]
        products += [{"id": co.id, "name": co.name, "amount": co.amount, "unit": co.unit, "basis": co.basis,
                      "factor": co.factor, "main": False} for co in proc.coproducts]
        credits = []
        for k, co in enumerate(proc.coproducts):
            if (proc.id, k) not in graph.credits:
                continue
            key, amount = graph.credits[(proc.id, k)]
            node = bd.get_node(database=key[0], code=key[1])
            drawn = amount * runs[proc.id]
            credits.append({"coproduct": co.name, "avoided": graph.links.get(key) or node["code"],
                            "amount": drawn, "unit": node.get("unit"),
                            "kg_co2e": -drawn * num(total_intensity[col[node.id]])})
        report.append({"process": proc.id, "name": proc.name, "method": alloc.method,
                       "justification": alloc.justification, "basis_unit": BASIS_UNITS[alloc.method],
                       "products": products, "credits": credits})
    return report


def _supplier_footprints(system: ProductSystem) -> list[dict]:
    """Every supplier footprint the model reads (``supplier_pcf`` inputs), once, with the
    file's SHA-256 and the figures taken from it (:meth:`SupplierFootprint.provenance`)."""
    seen: dict[str, dict] = {}
    for proc in system.processes.values():
        inputs = list(proc.inputs) + [co.avoided for co in proc.coproducts if co.avoided is not None]
        for inp in inputs:
            if inp.kind == "supplier" and inp.supplier.sha256 not in seen:
                seen[inp.supplier.sha256] = inp.supplier.provenance()
    return list(seen.values())


def _imported_source(node, database: dict) -> str:
    """Where an activity without a ``source`` field comes from: the file its database was
    imported from (``pcf db import``), or the database name."""
    origin = database.get("source") or database["database"]
    sha = database.get("sha256")
    return f"{database['database']} ({origin}{', sha256 ' + sha[:12] if sha else ''}), activity {node['code']}"
