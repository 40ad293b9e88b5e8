"""Use stage and end of life in the result: what the model stated and what each part weighs.

The amounts themselves come from :mod:`pcf.model.endoflife` (formulas, references) and are
inputs of the foreground graph, so they are already inside the total, the stages and the
contributions; this module lists them per reference flow with their kg CO2e.
"""

from __future__ import annotations

from ..model.lanes import num


def use_and_end_of_life(system, graph, runs: dict, shares: dict, col, total_intensity, bd) -> tuple[dict | None, list]:
    """The ``use_stage`` and ``end_of_life`` parts of the result.

    Parameters
    ----------
    system : ProductSystem
    graph : ForegroundGraph
    runs : dict of str to float
        Activity level of every foreground process [runs / reference flow].
    shares : dict of str to float
        Share of its process's burdens the main product carries (1 without co-products).
    col : mapping
        bw2calc activity dict (node id -> column).
    total_intensity : numpy.ndarray
        Characterised intensity of every activity [kg CO2e / unit].
    bd : module
        bw2data.

    Returns
    -------
    use_stage : dict or None
        ``{service_life: {amount, unit} or None, inputs: [{process, activity, database, per,
        amount_per, unit, amount, kg_co2e}], emissions: [{process, substance, origin, per,
        amount_per, amount}]}``: ``amount_per`` [unit / per] as the model gave it, ``amount``
        [unit] and ``kg_co2e`` per reference flow over the service life. None when the model
        states no service life and no ``per`` amounts.
    end_of_life : list of dict
        One entry per ``end_of_life`` material: ``{process, stage, material, mass_kg, approach,
        parameters: {A, B, R1, R2, R3, Qsin/Qp, Qsout/Qp, LHV, XER,heat, XER,elec}, terms:
        [{term, side, activity, database, factor, amount, unit, kg_co2e}], kg_co2e}``;
        ``mass_kg``, ``amount`` and ``kg_co2e`` per reference flow, credits negative.
    """
    def intensity(key) -> tuple[object, float]:
        node = bd.get_node(database=key[0], code=key[1])
        return node, num(total_intensity[col[node.id]])

    use_inputs, use_emissions = [], []
    end_of_life = []
    for p in system.processes.values():
        scale = runs[p.id] * shares[p.id]
        for k, inp in enumerate(p.inputs):
            if inp.per is None:
                continue
            key, amount = graph.inputs[(p.id, k)]
            node, per_unit = intensity(key)
            use_inputs.append({"process": p.id, "activity": graph.links.get(key) or node["code"],
                               "database": node["database"], "per": inp.per, "amount_per": inp.amount_per,
                               "unit": inp.unit, "amount": inp.amount * scale,
                               "kg_co2e": amount * scale * per_unit})
        for flow in list(p.emissions) + list(p.removals):
            if flow.per is not None:
                use_emissions.append({"process": p.id, "substance": flow.substance, "origin": flow.origin,
                                      "per": flow.per, "amount_per": flow.amount_per, "unit": "kg",
                                      "amount": flow.amount * scale})
        for j, entry in enumerate(p.end_of_life):
            terms = []
            for t, term in enumerate(entry.terms):
                key, amount = graph.end_of_life[(p.id, j, t)]
                node, per_unit = intensity(key)
                terms.append({"term": term.term, "side": term.side,
                              "activity": graph.links.get(key) or node["code"], "database": node["database"],
                              "factor": term.factor, "amount": term.input.amount * scale,
                              "unit": term.input.unit, "kg_co2e": amount * scale * per_unit})
            end_of_life.append({"process": p.id, "stage": p.stage, "material": entry.material,
                                "mass_kg": entry.mass * scale, "approach": entry.approach,
                                "parameters": dict(entry.parameters), "terms": terms,
                                "kg_co2e": sum(t["kg_co2e"] for t in terms)})
    use_stage = None
    if system.service_life is not None or use_inputs or use_emissions:
        life = system.service_life
        use_stage = {"service_life": {"amount": life[0], "unit": life[1]} if life else None,
                     "inputs": use_inputs, "emissions": use_emissions}
    return use_stage, end_of_life
