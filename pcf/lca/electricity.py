"""Electricity reported on its own, with its source (issue 4.3).

Every electricity input of the foreground is listed with what the model states about it
(``electricity:`` on the input, :mod:`pcf.model.electricity`): grid region and year, direct
generator, or contractual instrument and its evidence; its amount [kWh per reference flow];
the characterised intensity of the activity it links [kg CO2e / kWh]; and its footprint.
The numbers are the model's: the factor of the linked activity counts whatever the source
is. Whether the source is acceptable is the PCR's decision (:mod:`pcf.pcr.electricity`).

An input without a statement counts as electricity when it links an activity outside the
foreground whose code starts with ``electricity_`` (the open default's grid rows) or whose
name starts with ``electricity`` / ``market for electricity`` / ``market group for
electricity`` (ecoinvent names); it is reported as ``grid`` with the activity's location and
year, and ``stated: false``.

References
----------
ISO 14067:2018 6.4.9.4 (electricity; numbering as given by the issue, not verified, see
pcr-sources/NOTES.md section 5); GB/T 24067 consultation draft and ISO/DIS 14067 (2012)
6.3.9.3: the factor covers generation, T&D losses and upstream [S, P-draft].
"""

from __future__ import annotations

from ..model.lanes import num
from ..core.errors import UnitError
from ..core.units import conversion_factor, dimension_name

#: activity-name prefixes (lower case) that mark an unstated input as electricity
ELECTRICITY_NAMES = ("electricity", "market for electricity", "market group for electricity")
SOURCES = ("grid", "direct", "contractual")


def is_grid_electricity(node) -> bool:
    """True when a background activity is taken as grid electricity for an unstated input.

    Parameters
    ----------
    node : bw2data Activity or mapping
        Needs ``code``, ``name``, ``unit``.
    """
    try:
        energy = dimension_name(node.get("unit") or "") == "energy"
    except UnitError:  # units pint does not know are not energy
        energy = False
    name = (node.get("name") or "").lower()
    return energy and (str(node.get("code") or "").startswith("electricity_") or name.startswith(ELECTRICITY_NAMES))


def _year(value) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


def electricity_report(system, graph, runs, col, total_intensity, total: float, bd) -> tuple[list, dict]:
    """Electricity inputs and their summary, per reference flow.

    Parameters
    ----------
    system : ProductSystem
    graph : ForegroundGraph
        ``inputs[(process id, index)] = (key, amount per run in the target's unit)``.
    runs : dict of str to float
        Supply of every foreground node (by code) for one reference flow [runs].
    col : mapping
        Brightway node id -> column of the technosphere matrix.
    total_intensity : numpy.ndarray
        Characterised intensity of every column [kg CO2e / unit of its product].
    total : float
        Footprint [kg CO2e / reference flow], for the shares.
    bd : module
        bw2data.

    Returns
    -------
    inputs : list of dict
        ``{process, process_location, stage, line, name, kwh, source, stated, region, year, mix,
        instrument, generator, connection, evidence, activity: {key, database, model_reference,
        name, location, year, unit}, kg_co2e_per_kwh, kg_co2e, share}``; ``kwh`` [kWh / reference
        flow] and ``kg_co2e`` [kg CO2e / reference flow] count the process's runs and, for a
        multi-output process, the shares its products carry (the same amounts as in
        ``contributions``).
    summary : dict
        ``{total_kwh, kg_co2e, share, kg_co2e_per_kwh, by_source: {grid|direct|contractual:
        {kwh, kg_co2e}}, not_stated}``.
    """
    items = []
    for proc in system.processes.values():
        # runs of every node the process writes, weighted by the burden share each carries
        scale = runs[proc.id] * (proc.allocation.factor if proc.allocation is not None else 1.0)
        scale += sum(runs.get(co.id, 0.0) * co.factor for co in proc.coproducts if co.id is not None)
        for k, inp in enumerate(proc.inputs):
            if inp.electricity is None and inp.kind == "process":
                continue
            key, amount = graph.inputs[(proc.id, k)]
            node = bd.get_node(database=key[0], code=key[1])
            stmt = inp.electricity
            if stmt is None and not is_grid_electricity(node):
                continue
            unit = node.get("unit") or inp.unit  # the unit `amount` is in
            per_unit = num(total_intensity[col[node.id]])  # [kg CO2e / unit]
            kwh = inp.amount * conversion_factor(inp.unit, "kWh") * scale
            kg = amount * scale * per_unit
            item = {
                "process": proc.id, "process_location": proc.location, "stage": proc.stage, "line": inp.line,
                "name": node.get("name"), "kwh": kwh,
                "source": stmt.source if stmt else "grid", "stated": stmt is not None,
                "region": node.get("location") if stmt is None else stmt.region,
                "year": _year(node.get("year")) if stmt is None else stmt.year,
                "mix": stmt.mix if stmt else None,
                "instrument": stmt.instrument if stmt else None,
                "generator": stmt.generator.model_dump(exclude_none=True) if stmt and stmt.generator else None,
                "connection": stmt.connection if stmt else None,
                "evidence": stmt.evidence.model_dump(exclude_none=True) if stmt and stmt.evidence else None,
                "activity": {"key": node.get("code"), "database": node.get("database"),
                             "model_reference": graph.links.get(node.key) or inp.target,
                             "name": node.get("name"), "location": node.get("location"),
                             "year": _year(node.get("year")), "unit": node.get("unit")},
                "kg_co2e_per_kwh": per_unit * conversion_factor("kWh", unit),
                "kg_co2e": kg,
                "share": kg / total if total else None,
            }
            items.append(item)
    total_kwh = sum(i["kwh"] for i in items)
    total_kg = sum(i["kg_co2e"] for i in items)
    by_source = {s: {"kwh": sum(i["kwh"] for i in items if i["source"] == s),
                     "kg_co2e": sum(i["kg_co2e"] for i in items if i["source"] == s)} for s in SOURCES}
    summary = {"total_kwh": total_kwh, "kg_co2e": total_kg, "share": total_kg / total if total else None,
               "kg_co2e_per_kwh": total_kg / total_kwh if total_kwh else None,
               "by_source": by_source, "not_stated": sum(1 for i in items if not i["stated"])}
    return items, summary
