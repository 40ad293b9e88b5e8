"""Data quality of a footprint: primary data share (PACT) and contribution-weighted DQR (PEF).

The footprint is split into items, each one contribution [kg CO2e per reference flow]: the
direct emissions of a foreground process, one of its inputs drawn from a background activity
(transport legs included), or one credit for an avoided product. The items sum to the total.

Primary data share (PDS)
    Pathfinder Framework v2.0 (PACT Methodology), 4.2.2: "Part of PCF based on primary data
    (CO2e) / PCF (CO2e) = PDS", and "in order for an input to be considered primary data, both
    the activity and emission factor shall be compliant with the primary data definitions".
    An item counts as primary when its activity data is primary (``data``) AND its emission
    factor is (``emission_factor``): a metered kWh multiplied by a grid factor from a database
    is *not* primary data in the PDS. Direct emissions are primary when the process's data is
    (the site states both the activity and the emission). Items are weighted by their
    magnitude |kg CO2e| over the sum of magnitudes, so credits (negative items) count by their
    size and the share stays within 0..1; without negative items this is exactly the
    formula above over the study's CFP (ISO 14067:2018 total, biogenic flows included).
    Supplier-specific footprints carrying their own PDS fit the same sum with a fractional
    ``primary_share`` per item (Pathfinder 4.2.2: weighted average of the suppliers' PDS).

Data quality rating (DQR)
    Per item, the PEF rating ``{ter, ger, tir, p}`` (1 very good .. 5 very poor) and
    DQR = (TeR + GeR + TiR + P) / 4 (Commission Recommendation (EU) 2021/2279, Annex I,
    4.6.5). An input is rated by its own ``dqr`` in the model, else by its activity's
    rating in the background database; direct emissions by their process's ``dqr``. The
    study's DQR is the average weighted by each rated item's |kg CO2e| (PACT data model,
    ``DataQualityIndicators``: "weighted average of all inputs representing >5% of PCF
    emissions"; here every rated item is included, not only those above 5 %), computed per
    criterion; ``coverage`` is the rated items' share of the summed magnitudes, and items
    above 5 % without a rating are listed. Quality level (2021/2279 Annex I, 4.6.5):
    DQR <= 1.5 excellent, <= 2.0 very good, <= 3.0 good, <= 4.0 fair, above poor.
"""

from __future__ import annotations

import math
from pathlib import Path

from ..model.lanes import num


#: Upper bounds of the PEF overall data quality levels (2021/2279 Annex I, 4.6.5) [-].
LEVELS: tuple[tuple[float, str], ...] = ((1.5, "excellent"), (2.0, "very good"), (3.0, "good"),
                                         (4.0, "fair"), (math.inf, "poor"))
#: Contribution above which an unrated item is listed (PACT: inputs > 5 % of the PCF) [share].
SIGNIFICANT = 0.05
PARTS = ("ter", "ger", "tir", "p")
BASIS = ("PACT Methodology (Pathfinder Framework v2.0) 4.2.2: share of the CFP from items whose activity "
         "data and emission factor are both primary; items weighted by |kg CO2e| over the ISO 14067 "
         "total (biogenic flows included)")


def activity_dqr(node) -> dict | None:
    """PEF data quality rating of a background activity, when its database states one.

    Returns
    -------
    dict or None
        ``{ter, ger, tir, p, dqr}``: technological, geographical, time-related
        representativeness and precision (1 best .. 5) [-], and DQR = (TeR + GeR + TiR + P) / 4
        (Commission Recommendation (EU) 2021/2279, Annex I, 4.6.5).
    """
    parts = {k: node.get(f"dqr_{k}") for k in PARTS}
    if any(v is None for v in parts.values()):
        return None
    parts = {k: int(v) for k, v in parts.items()}
    parts["dqr"] = node.get("dqr") if node.get("dqr") is not None else sum(parts.values()) / 4
    return parts


def quality_level(dqr: float) -> str:
    """PEF overall data quality level of a DQR [-]: ``excellent`` (<= 1.5), ``very good``
    (<= 2.0), ``good`` (<= 3.0), ``fair`` (<= 4.0) or ``poor`` (2021/2279 Annex I, 4.6.5)."""
    return next(name for bound, name in LEVELS if dqr <= bound)


def _rating(model_dqr) -> dict | None:
    if model_dqr is None:
        return None
    parts = {k: float(getattr(model_dqr, k)) for k in PARTS}
    parts["dqr"] = sum(parts.values()) / 4
    return parts


def assess_data_quality(system, graph, foreground: dict, col, intensity, bd) -> dict:
    """Primary data share and contribution-weighted data quality rating of a solved system.

    Parameters
    ----------
    system : ProductSystem
    graph : ForegroundGraph
        The foreground linked for ``system``.
    foreground : dict
        Foreground node code -> ``{process, runs, direct, drawn}``: its model process, its
        runs per reference flow [-], its own emissions and its background draws
        [kg CO2e / reference flow] (:class:`pcf.lca.inventory.Solution`).
    col : mapping
        Node id -> index of ``intensity``.
    intensity : numpy.ndarray
        Characterised intensity of every activity [kg CO2e / unit of the activity's product].
    bd : bw2data or pcf.lca.prepare.Nodes
        Answers ``get_node(database=, code=)``.

    Returns
    -------
    dict
        ``{primary_data_share [0..1 or None], primary_data_share_percent, primary_kg_co2e,
        abs_kg_co2e, basis, dqr: {ter, ger, tir, p, dqr} or None, level, coverage [0..1],
        unrated_significant: [labels], items: [...]}``, masses per reference flow
        [kg CO2e]; items are described in docs/result-json.md.
    """
    models = {p.id: p for p in system.model.processes}
    nodes: dict[tuple, object] = {}

    def node_of(key):
        if key not in nodes:
            nodes[key] = bd.get_node(database=key[0], code=key[1])
        return nodes[key]

    kg: dict[tuple, float] = {}
    for code, fg in foreground.items():
        pid = fg["process"]
        proc = system.processes[pid]
        s = fg["runs"]
        if code == pid:
            share = proc.allocation.factor if proc.allocation is not None else 1.0
        else:
            share = next(co.factor for co in proc.coproducts if co.id == code)
        direct = fg["direct"]
        if direct:
            kg[("direct", pid, None)] = kg.get(("direct", pid, None), 0.0) + direct
        explained = []
        for k in range(len(proc.inputs)):
            key, amount = graph.inputs[(pid, k)]
            if key[0] == graph.database:
                continue
            value = s * share * amount * num(intensity[col[node_of(key).id]])
            explained.append(value)
            kg[("input", pid, k)] = kg.get(("input", pid, k), 0.0) + value
        for (p, j_eol, t), (key, amount) in graph.end_of_life.items():  # end-of-life terms (credits negative)
            if p == pid:
                value = s * share * amount * num(intensity[col[node_of(key).id]])
                explained.append(value)
                kg[("end_of_life", pid, (j_eol, t))] = kg.get(("end_of_life", pid, (j_eol, t)), 0.0) + value
        if code == pid:
            for (p, k), (key, amount) in graph.credits.items():
                if p == pid:
                    value = -s * amount * num(intensity[col[node_of(key).id]])
                    explained.append(value)
                    kg[("credit", pid, k)] = kg.get(("credit", pid, k), 0.0) + value
        # what the node draws from outside the foreground; a remainder (an exchange this
        # module does not know) is kept as an unrated secondary item
        drawn = fg["drawn"]
        rest = drawn - sum(explained)
        if abs(rest) > 1e-5 * (sum(abs(v) for v in explained) + abs(drawn)) + 1e-12:
            kg[("other", pid, None)] = kg.get(("other", pid, None), 0.0) + rest

    items = [_describe(kind, pid, k, value, system, graph, models, node_of)
             for (kind, pid, k), value in kg.items() if value != 0.0]
    return summarise(items)


def _describe(kind, pid, k, value, system, graph, models, node_of) -> dict:
    """One item: what it is, whether it is primary data, and its rating."""
    model = models[pid]
    own = model.data or "secondary"
    item = {"process": pid, "kind": kind, "index": k, "background": None, "database": None,
            "reference": None, "name": system.processes[pid].name, "data": own,
            "emission_factor": own, "dqr": _rating(model.dqr), "dqr_source": "model" if model.dqr else None,
            "kg_co2e": value}
    if kind == "other":
        item.update(data="secondary", emission_factor="secondary", dqr=None, dqr_source=None,
                    name=f"other draws of {pid}")
    elif kind in ("input", "credit", "end_of_life"):
        n_inputs = len(model.inputs)
        if kind == "credit":
            stated = model.coproducts[k].avoided
            key = graph.credits[(pid, k)][0]
        elif kind == "end_of_life":  # a term of processes[].end_of_life[j]: k = (entry, term)
            stated = None
            key = graph.end_of_life[(pid, *k)][0]
        else:
            key = graph.inputs[(pid, k)][0]
            stated = model.inputs[k] if k < n_inputs else None
            if k >= n_inputs:
                item.update(kind="transport", index=k - n_inputs)
        node = node_of(key)
        item.update(background=node["code"], database=node["database"], name=node["name"],
                    reference=graph.links.get(key) or node["code"],
                    data=(stated.data if stated is not None and stated.data else own),
                    emission_factor=(stated.emission_factor if stated is not None and stated.emission_factor
                                     else "secondary"))
        if stated is not None and stated.dqr is not None:
            item.update(dqr=_rating(stated.dqr), dqr_source="model")
        else:
            rating = activity_dqr(node)
            item.update(dqr=rating, dqr_source="database" if rating else None)
        if node.get("pcf_supplier"):
            return _supplier_item(item, node["pcf_supplier"], stated)
    item["primary_share"] = 1.0 if item["data"] == "primary" and item["emission_factor"] == "primary" else 0.0
    return item


def _supplier_item(item: dict, supplier: dict, stated) -> dict:
    """An input drawn from a supplier's footprint (``supplier_pcf``).

    The factor is the supplier's own, so ``emission_factor`` is primary unless the input says
    otherwise; the item is primary in the share the supplier states: ``primary_share`` =
    the supplier's ``primaryDataShare`` when the input's activity data are primary, else 0
    (PACT Methodology v3.0 / Pathfinder Framework v2.0 4.2.2: activity data and emission factor
    must both be primary, and a supplier PCF carries its own PDS into the buyer's). The rating is
    the input's ``dqr``, else the supplier's DQI mapped to PEF (:mod:`pcf.model.supplier`),
    else none; the supplier's DQI is kept as given under ``supplier``.
    """
    ef = stated.emission_factor if stated is not None and stated.emission_factor else "primary"
    pds = supplier.get("primary_data_share")
    item.update(emission_factor=ef, reference=f"supplier_pcf {Path(supplier['file']).name}",
                supplier={"file": supplier["file"], "sha256": supplier["sha256"], "id": supplier["id"],
                          "company": supplier["company"], "primary_data_share": pds, "dqi": supplier["dqi"]})
    if item["dqr_source"] != "model":
        item.update(dqr=supplier.get("dqr"), dqr_source="supplier" if supplier.get("dqr") else None)
    primary = item["data"] == "primary" and ef == "primary"
    item["primary_share"] = float(pds) if primary and pds is not None else 0.0
    return item


def summarise(items: list[dict]) -> dict:
    """Primary data share and weighted DQR of described items (see the module docstring).

    Parameters
    ----------
    items : list of dict
        Each with ``kg_co2e`` [kg CO2e per reference flow], ``primary_share`` [0..1] and
        ``dqr`` (``{ter, ger, tir, p, dqr}`` or None); ``weight`` is added to each.

    Returns
    -------
    dict
        The ``data_quality`` field of the result (docs/result-json.md).
    """
    magnitude = sum(abs(i["kg_co2e"]) for i in items)
    for i in items:
        i["weight"] = abs(i["kg_co2e"]) / magnitude if magnitude else 0.0
    items.sort(key=lambda i: -i["weight"])
    pds = sum(i["weight"] * i["primary_share"] for i in items) if magnitude else None
    rated = [i for i in items if i["dqr"] is not None]
    coverage = sum(i["weight"] for i in rated)
    dqr = level = None
    if coverage > 0:
        dqr = {k: sum(i["weight"] * i["dqr"][k] for i in rated) / coverage for k in PARTS}
        dqr["dqr"] = sum(dqr[k] for k in PARTS) / 4
        level = quality_level(dqr["dqr"])
    return {
        "primary_data_share": pds,
        "primary_data_share_percent": 100 * pds if pds is not None else None,
        "primary_kg_co2e": sum(i["kg_co2e"] * i["primary_share"] for i in items),
        "abs_kg_co2e": magnitude,
        "basis": BASIS,
        "dqr": dqr, "level": level, "coverage": coverage,
        "unrated_significant": [_label(i) for i in items if i["dqr"] is None and i["weight"] > SIGNIFICANT],
        "items": items,
    }


def _label(item: dict) -> str:
    """``process: reference`` (or ``process: direct emissions``) of an item."""
    what = item["reference"] or ("direct emissions" if item["kind"] == "direct" else item["name"])
    return f"{item['process']}: {what}"
