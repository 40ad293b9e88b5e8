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
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from importlib.metadata import version as dist_version

import numpy as np
from scipy.sparse.linalg import splu

from .. import __version__
from ..background import background_info, database_provenance, method_spec
from ..bw import brightway
from ..errors import BackgroundError, CalculationError
from ..graph import ForegroundGraph, build_foreground
from ..model import ProductSystem
from . import biogenic
from .dataquality import activity_dqr, assess_data_quality
from .electricity import electricity_report
from .endoflife import use_and_end_of_life
from .result import GHG_CATEGORIES, FootprintResult

BIOGENIC_MASS_FLOWS = {"Carbon dioxide, non-fossil": "co2_emissions_kg", "Carbon dioxide, in air": "co2_removals_kg",
                       "Carbon dioxide, non-fossil, resource correction": "co2_removals_kg"}
ORIGIN_CATEGORY = {"fossil": "fossil", "biogenic": "biogenic_emissions", "land_use": "dluc",
                   "removal": "biogenic_removals"}


def flow_category(flow) -> str:
    """ISO 14067 category of a biosphere3 flow, from its name and categories.

    ``Carbon dioxide, in air`` and ``Carbon dioxide, non-fossil, resource correction``
    (natural resources) are biogenic removals; ``..., non-fossil`` flows are biogenic
    emissions; ``..., from soil or biomass stock`` (emission) and ``..., to soil or biomass
    stock`` (carbon stored in soil or biomass by a land-use change) are dLUC; everything else
    is fossil.
    """
    name = flow["name"].lower()
    if tuple(flow.get("categories", ()))[:1] == ("natural resource",):
        removal = name.startswith("carbon dioxide, in air") or name == "carbon dioxide, non-fossil, resource correction"
        return "biogenic_removals" if removal else "fossil"
    if name.endswith("non-fossil") or name.endswith(", biogenic"):
        return "biogenic_emissions"
    if "soil or biomass stock" in name or "land transformation" in name:
        return "dluc"
    return "fossil"


def footprint(system: ProductSystem, top: int | None = None, pcr=None) -> FootprintResult:
    """Carbon footprint of a product system.

    Parameters
    ----------
    system : ProductSystem
        From :func:`pcf.model.load_model`.
    top : int, optional
        Keep only the ``top`` largest contributions and one ``other`` entry for the rest.
    pcr : pcf.pcr.PCR, optional
        The PCR the result is declared under: its ``ghg_accounting`` selects
        ``totals.declared`` (default: the rule of ``study.standard``, :mod:`pcf.lca.biogenic`).

    Returns
    -------
    FootprintResult
        Per reference flow [kg CO2e] and per declared unit [kg CO2e / declared unit].

    Raises
    ------
    BackgroundError
        Background or method not installed (run ``pcf setup``), unknown method id.
    ModelError
        A link to the background does not resolve (``file:line``).
    CalculationError
        Singular technosphere matrix (a loop that consumes at least what it produces), or
        the decomposition does not add up to bw2calc's score (rel. 1e-6).
    """
    bd = brightway()
    import bw2calc as bc

    study = system.model.study
    spec = method_spec(study.method)
    if spec.name not in bd.methods:
        raise BackgroundError(f"method {spec.id!r} is not installed: run `pcf setup`")
    bg_info = background_info(study.background)
    graph = build_foreground(system)

    ref_node = bd.get_node(database=graph.database, code=graph.reference[1])
    demand = {ref_node: system.reference_amount}
    for key, _ in graph.proxies.values():  # proxies of excluded inputs: in the matrices, not in the supply
        demand.setdefault(bd.get_node(database=key[0], code=key[1]), 0.0)
    fu, data_objs, _ = bd.prepare_lca_inputs(demand=demand, method=spec.name)
    lca = bc.LCA(demand=fu, data_objs=data_objs)
    try:
        lca.lci()
    except Exception as exc:  # bw2calc raises several types for a bad matrix
        raise CalculationError(f"cannot solve the product system: {exc}") from exc
    supply = np.asarray(lca.supply_array, dtype=float)
    if not np.all(np.isfinite(supply)):
        raise CalculationError(
            "the technosphere matrix is singular: a loop between processes consumes as much as "
            "it produces; check the outputs and inputs of the processes in the loop"
        )
    lca.lcia()
    score = float(lca.score)

    A = lca.technosphere_matrix.tocsc()
    B = lca.biosphere_matrix.tocsc()
    c = np.asarray(lca.characterization_matrix.diagonal(), dtype=float)
    col = lca.dicts.activity  # node id -> column
    row = lca.dicts.biosphere  # flow id -> row
    col_id = lca.dicts.activity.reversed  # column -> node id
    row_id = lca.dicts.biosphere.reversed  # row -> flow id

    # categories of biosphere rows
    flow_nodes = {fid: bd.get_node(id=fid) for fid in row}
    categories = np.empty(len(row), dtype=object)
    for fid, r in row.items():
        categories[r] = flow_category(flow_nodes[fid])
    masks = {cat: (categories == cat).astype(float) for cat in GHG_CATEGORIES}

    # characterised intensities per category: m_cat = A^-T B^T (c * mask)
    lu = splu(A.T.tocsc())
    columns = [B.T @ (c * masks[cat]) for cat in GHG_CATEGORIES]
    # and the masses of biogenic CO2 emitted and taken up [kg CO2 / unit]
    for name in BIOGENIC_MASS_FLOWS:
        columns.append(B.T @ np.array([flow_nodes[row_id[r]]["name"] == name for r in range(len(row))], dtype=float))
    solved = np.column_stack([lu.solve(np.ascontiguousarray(v)) for v in columns])
    intensity = solved[:, : len(GHG_CATEGORIES)]
    mass_intensity = solved[:, len(GHG_CATEGORIES):]
    total_intensity = intensity.sum(axis=1)

    fg_nodes = {node.id: node for node in bd.Database(graph.database)}
    bg_nodes: dict[int, object] = {}

    def bg_node(nid):
        if nid not in bg_nodes:
            bg_nodes[nid] = bd.get_node(id=nid)
        return bg_nodes[nid]

    stages: dict[str, float] = {}
    ghg = {cat: 0.0 for cat in GHG_CATEGORIES}
    aircraft = 0.0
    bio_mass = {"co2_emissions_kg": 0.0, "co2_removals_kg": 0.0}
    contributions = []
    used_bg: dict[int, list[float]] = {}  # node id -> [amount drawn, kg CO2e] per reference flow
    for nid, node in fg_nodes.items():
        j = col[nid]
        s_j = supply[j]
        stage = node["stage"]
        stages.setdefault(stage, 0.0)
        # direct emissions, split by the model's origin where it was stated
        start, end = B.indptr[j], B.indptr[j + 1]
        direct = 0.0
        for r, amount in zip(B.indices[start:end], B.data[start:end]):
            value = float(amount) * c[r] * s_j
            flow = flow_nodes[row_id[r]]
            origins = graph.origins.get((node["code"], flow.key))
            if origins:
                total_amount = sum(origins.values())
                for origin, amt in origins.items():
                    ghg[ORIGIN_CATEGORY[origin]] += value * (amt / total_amount if total_amount else 0.0)
            else:
                ghg[categories[r]] += value
            _biogenic_mass(flow, float(amount) * s_j, bio_mass)
            direct += value
        if direct:
            contributions.append({"process": node["code"], "name": node["name"], "stage": stage,
                                  "kind": "direct", "kg_co2e": direct})
        stages[stage] += direct
        # background inputs
        start, end = A.indptr[j], A.indptr[j + 1]
        for i, a in zip(A.indices[start:end], A.data[start:end]):
            other = col_id[i]
            if other in fg_nodes:
                continue
            drawn = -float(a) * s_j
            value = drawn * total_intensity[i]
            for k, cat in enumerate(GHG_CATEGORIES):
                ghg[cat] += drawn * intensity[i, k]
            for k, key in enumerate(BIOGENIC_MASS_FLOWS.values()):
                bio_mass[key] += drawn * mass_intensity[i, k]
            bnode = bg_node(other)
            if bnode.get("aircraft"):
                aircraft += value
            used = used_bg.setdefault(other, [0.0, 0.0])
            used[0] += drawn
            used[1] += value
            stages[stage] += value
            contributions.append({"background": bnode["code"], "database": bnode["database"],
                                  "name": bnode["name"], "stage": stage,
                                  "process": node["code"], "kind": "background", "kg_co2e": value})
    total = sum(stages.values())
    if not math.isclose(total, score, rel_tol=1e-6, abs_tol=1e-9):
        raise CalculationError(f"decomposition ({total}) does not add up to the score ({score}); please report this")
    for item in contributions:
        item["share"] = item["kg_co2e"] / total if total else 0.0
    contributions.sort(key=lambda x: -abs(x["kg_co2e"]))
    if top is not None and len(contributions) > top:
        rest = contributions[top:]
        contributions = contributions[:top] + [{
            "name": f"{len(rest)} other contributions", "stage": None, "kind": "other",
            "kg_co2e": sum(x["kg_co2e"] for x in rest), "share": sum(x["share"] for x in rest)}]
    ghg["aircraft"] = aircraft
    totals, bio_mass = biogenic.account(system, ghg, bio_mass, pcr)
    # data sources: every background activity drawn directly, with its citation and DQR
    used_dbs = {bg_node(nid)["database"] for nid in used_bg} | {graph.background}
    db_prov = {d: database_provenance(d) for d in sorted(used_dbs)}
    data_sources = []
    for nid, (drawn, value) in sorted(used_bg.items(), key=lambda kv: (bg_node(kv[0])["database"], bg_node(kv[0])["code"])):
        n = bg_node(nid)
        data_sources.append({
            "background": n["code"], "database": n["database"], "model_reference": graph.links.get(n.key),
            "name": n["name"], "reference_product": n.get("reference product"), "unit": n.get("unit"),
            "location": n.get("location"), "year": n.get("year"),
            "source": n.get("source") or _imported_source(n, db_prov[n["database"]]), "note": n.get("note"),
            "factor_ids": n.get("factor_ids"), "dqr": activity_dqr(n),
            "kg_co2e_per_unit": float(total_intensity[col[nid]]),
            "amount": drawn, "kg_co2e": value,
        })
    # excluded inputs are stated per run of their process, like inputs; scale to the reference
    # flow (and to the main product's allocated share of a multi-output process)
    runs = {node["code"]: supply[col[nid]] for nid, node in fg_nodes.items()}
    shares = {p.id: (p.allocation.factor if p.allocation is not None else 1.0) for p in system.processes.values()}
    allocation = _allocation_report(system, graph, runs, col, total_intensity, bd)
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
                              "kg_co2e": leg.tkm * scale * float(total_intensity[col[node.id]])})
    cut_off, cut_off_summary = _cut_off_report(system, graph, runs, shares, col, total_intensity, total, bd)
    electricity, electricity_summary = electricity_report(system, graph, runs, col, total_intensity, total, bd)
    use_stage, end_of_life = use_and_end_of_life(system, graph, runs, shares, col, total_intensity, bd)
    product = system.model.product
    declared = None
    per_du = None
    if product.declared_unit is not None:
        declared = {"unit": product.declared_unit.unit, "description": product.declared_unit.description,
                    "per_reference_flow": system.declared_per_reference_flow}
        per_du = total / system.declared_per_reference_flow
    ordered = {s: stages[s] for s in ("raw_material_acquisition", "production", "distribution", "use", "end_of_life") if s in stages}
    return FootprintResult(
        product={"id": product.id, "name": product.name,
                 "reference_flow": {"amount": system.reference_amount,
                                    "unit": system.processes[product.process].output_unit},
                 "declared_unit": declared},
        study=study.model_dump(),
        parameters=dict(system.parameters),
        total_kg_co2e=total,
        per_declared_unit_kg_co2e=per_du,
        stages=ordered,
        ghg=ghg,
        totals=totals,
        biogenic_carbon=bio_mass,
        contributions=contributions,
        cut_off=cut_off,
        cut_off_summary=cut_off_summary,
        data_sources=data_sources,
        method=spec.id,
        method_name=list(spec.name),
        background=study.background,
        provenance={
            "method_label": spec.label,
            "method_source": list(spec.source),
            "method_description": bd.methods[spec.name].get("description"),
            "background_database": bg_info.database,
            "background_version": bg_info.version,
            "background_sha256": bg_info.sha256,
            "background_activities": bg_info.activities,
            "databases": list(db_prov.values()),
            "brightway": {d: dist_version(d) for d in ("bw2data", "bw2calc", "bw2io", "bw_processing")},
            "bw2calc_score": score,
        },
        allocation=allocation,
        transport=transport,
        data_quality=assess_data_quality(system, graph, lca, total_intensity),
        electricity=electricity,
        electricity_summary=electricity_summary,
        scenario=system.scenario.to_dict() if system.scenario is not None else None,
        use_stage=use_stage,
        end_of_life=end_of_life,
        software_version=__version__,
        model_sha256=system.sha256,
        model_file=str(system.path),
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )


def _cut_off_report(system, graph, runs, shares, col, total_intensity, total, bd) -> tuple[list, dict]:
    """Excluded inputs with their estimated shares, and the check against the study's cut-off
    criteria (ISO 14067:2018 6.3.4.3).

    Per excluded input: its share of its process's mass input (mass units) or energy input
    (energy units), both per run, excluded amounts included in the denominator; its GHG
    estimate from the proxy [kg CO2e / reference flow] and that estimate's share of the
    total. Findings: ``nonconformity`` for every criterion broken, ``observation`` for shares
    that cannot be estimated or criteria that were not declared.
    """
    from ..model.units import conversion_factor, dimension_name

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
                estimate = amount * scale * float(total_intensity[col[node.id]])
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
                            "kg_co2e": -drawn * float(total_intensity[col[node.id]])})
        report.append({"process": proc.id, "name": proc.name, "method": alloc.method,
                       "justification": alloc.justification, "basis_unit": BASIS_UNITS[alloc.method],
                       "products": products, "credits": credits})
    return report


def _imported_source(node, database: dict) -> str:
    """Where an activity without a ``source`` field comes from: the file its database was
    imported from (``pcf db import``), or the database name."""
    origin = database.get("source") or database["database"]
    sha = database.get("sha256")
    return f"{database['database']} ({origin}{', sha256 ' + sha[:12] if sha else ''}), activity {node['code']}"


def _biogenic_mass(flow, amount: float, out: dict) -> None:
    key = BIOGENIC_MASS_FLOWS.get(flow["name"])
    if key is not None:
        out[key] += amount
