"""Product system -> Brightway foreground graph linked to a background.

:func:`build_foreground` checks every link first (background activity exists, units
convert, substances name biosphere3 flows) and only then writes the foreground database, so
an invalid model leaves nothing behind.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from .background import database_name
from .bw import brightway, pcf_home, quiet
from .errors import BackgroundError, UnitError
from .model import ProductSystem
from .model.units import conversion_factor

#: model ``origin`` -> suffixes of biosphere3 air flow names, tried in order (DESIGN.md).
ORIGIN_SUFFIXES = {
    "fossil": ("fossil",),
    "biogenic": ("non-fossil", "biogenic"),
    "land_use": ("from soil or biomass stock",),
}
#: common names -> biosphere3 names.
SYNONYMS = {
    "hexafluoroethane": "ethane, hexafluoro-, hfc-116",
    "tetrafluoromethane": "methane, tetrafluoro-, r-14",
    "nitrogen trifluoride": "nitrogen fluoride",
    "nitrous oxide": "dinitrogen monoxide",
    "n2o": "dinitrogen monoxide",
    "co2": "carbon dioxide",
    "ch4": "methane",
    "sf6": "sulfur hexafluoride",
    "nf3": "nitrogen fluoride",
}
UPTAKE = ("Carbon dioxide, in air", ("natural resource", "in air"))


@dataclass(frozen=True)
class ForegroundGraph:
    """The written foreground.

    Attributes
    ----------
    database : str
        Brightway database of the foreground (``pcf-fg-<product id>``).
    background : str
        Brightway database of the background.
    reference : tuple
        Key of the reference process.
    origins : dict
        ``(process id, biosphere key) -> {origin: kg}``: the model origin of each direct
        elementary flow, so the ISO 14067 split follows the model where a flow has one
        variant only (e.g. ``Dinitrogen monoxide``).
    """

    database: str
    background: str
    reference: tuple
    origins: dict


def foreground_name(system: ProductSystem) -> str:
    """Brightway database name of a model's foreground."""
    return f"pcf-fg-{system.model.product.id}"


def _air_flows(bd) -> dict[str, tuple]:
    flows = {}
    for flow in bd.Database("biosphere3"):
        if tuple(flow.get("categories", ())) == ("air",):
            flows[flow["name"].lower()] = flow.key
    return flows


def resolve_substance(flows: dict[str, tuple], substance: str, origin: str) -> tuple:
    """biosphere3 key of an air emission.

    Parameters
    ----------
    flows : dict
        Lower-case biosphere3 air-flow name -> key.
    substance : str
        Name without origin suffix, case-insensitive (``carbon dioxide``, ``methane``).
    origin : {"fossil", "biogenic", "land_use"}

    Raises
    ------
    KeyError
        With a message naming close matches.
    """
    name = SYNONYMS.get(substance.lower().strip(), substance.lower().strip())
    for suffix in ORIGIN_SUFFIXES[origin]:
        if f"{name}, {suffix}" in flows:
            return flows[f"{name}, {suffix}"]
    if name in flows:
        return flows[name]
    close = difflib.get_close_matches(name, list(flows), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise KeyError(f"no biosphere3 air flow for substance {substance!r} with origin {origin!r}{hint}")


def build_foreground(system: ProductSystem) -> ForegroundGraph:
    """Write the foreground of ``system`` as a Brightway database linked to its background.

    Parameters
    ----------
    system : ProductSystem

    Returns
    -------
    ForegroundGraph

    Raises
    ------
    BackgroundError
        The background is not installed (run ``pcf setup``).
    ModelError
        ``file:line:`` for an unknown background key (with close matches), a unit that does
        not convert to the background activity's unit, or an unknown substance.
    """
    bd = brightway()
    study = system.model.study
    bg = database_name(study.background)
    if "biosphere3" not in bd.databases or bg not in bd.databases:
        raise BackgroundError(f"background {study.background!r} is not installed in {pcf_home()}: run `pcf setup`")
    bg_units = {a["code"]: a["unit"] for a in bd.Database(bg)}
    flows = _air_flows(bd)
    uptake = bd.get_node(database="biosphere3", name=UPTAKE[0], categories=UPTAKE[1]).key
    fg = foreground_name(system)
    index = {p.id: i for i, p in enumerate(system.model.processes)}
    data: dict[tuple, dict] = {}
    origins: dict[tuple, dict[str, float]] = {}
    for proc in system.processes.values():
        i = index[proc.id]
        exchanges = [{"input": (fg, proc.id), "amount": proc.output_amount, "type": "production"}]
        for k, inp in enumerate(proc.inputs):
            loc = ("processes", i, "inputs", k)
            if inp.kind == "process":
                exchanges.append({"input": (fg, inp.target), "amount": inp.amount, "type": "technosphere"})
                continue
            if inp.target not in bg_units:
                close = difflib.get_close_matches(inp.target, list(bg_units), n=3, cutoff=0.5)
                hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else "; `pcf db list` shows the backgrounds"
                raise system.error(loc + ("background",), f"background activity {inp.target!r} is not in {study.background!r}{hint}")
            try:
                factor = conversion_factor(inp.unit, bg_units[inp.target])
            except UnitError as exc:
                raise system.error(loc + ("unit",), f"{inp.target!r} is given per {bg_units[inp.target]!r}: {exc}") from None
            exchanges.append({"input": (bg, inp.target), "amount": inp.amount * factor, "type": "technosphere"})
        for kind in ("emissions", "removals"):
            for k, flow in enumerate(getattr(proc, kind)):
                if kind == "removals":
                    if SYNONYMS.get(flow.substance.lower(), flow.substance.lower()) != "carbon dioxide":
                        raise system.error(("processes", i, kind, k, "substance"),
                                           "removals are CO2 taken up from air: use substance: carbon dioxide")
                    key = uptake
                    origin = "removal"
                else:
                    try:
                        key = resolve_substance(flows, flow.substance, flow.origin)
                    except KeyError as exc:
                        raise system.error(("processes", i, kind, k, "substance"), exc.args[0]) from None
                    origin = flow.origin
                exchanges.append({"input": key, "amount": flow.amount, "type": "biosphere"})
                bucket = origins.setdefault((proc.id, key), {})
                bucket[origin] = bucket.get(origin, 0.0) + flow.amount
        data[(fg, proc.id)] = {
            "name": proc.name,
            "unit": proc.output_unit,
            "location": proc.location or "GLO",
            "stage": proc.stage,
            "type": "process",
            "exchanges": exchanges,
        }
    db = bd.Database(fg)
    db.register(description=f"pcf foreground of {system.path.name}", pcf_model_sha256=system.sha256)
    with quiet():
        db.write(data)
    return ForegroundGraph(fg, bg, (fg, system.model.product.process), origins)
