"""The product system as a graph for the report's system-boundary diagram: foreground
processes with their life-cycle stage and the links between them (which process supplies
which). Background activities and excluded inputs are already in the result
(``contributions``, ``cut_off``); together they draw the system boundary (ISO 14067:2018
6.3.4, 7.3 "system boundary")."""

from __future__ import annotations


def product_system_map(system) -> dict:
    """Foreground processes and the links between them.

    Parameters
    ----------
    system : pcf.model.ProductSystem
        The loaded product system.

    Returns
    -------
    dict
        ``{reference: the process whose output is the reference flow, processes: [{id, name,
        stage, location}] (model order), links: [{from: supplier id, to: consumer id}]}``
        (one link per foreground input; a supplier used twice by one process gives one link).
    """
    processes = [{"id": p.id, "name": p.name, "stage": p.stage, "location": p.location}
                 for p in system.processes.values()]
    links, seen = [], set()
    for p in system.processes.values():
        for inp in p.inputs:
            if inp.kind == "process" and (inp.target, p.id) not in seen:
                seen.add((inp.target, p.id))
                links.append({"from": inp.target, "to": p.id})
    return {"reference": system.model.product.process, "processes": processes, "links": links}
