"""``pcf export-model``: a model's foreground, linked, as a Brightway Excel workbook (here) or an
openLCA JSON-LD zip (:mod:`pcf.exchange.olcajsonld`).

The foreground is linked exactly as ``pcf footprint`` links it (:func:`pcf.graph.link_foreground`):
every amount is a number per run of its process, in the unit of the activity it draws on,
allocation already applied. Each exchange names its target by the fields a Brightway or
Activity Browser user links on: name, reference product, location, unit and database
(biosphere flows: name, categories, unit). The workbook follows bw2io 0.9.17's
``ExcelImporter`` layout (``bw2io/importers/excel.py``): a ``Database`` block, then one
``Activity`` block per activity with an ``Exchanges`` table; a first sheet whose A1 cell is
``skip`` (which ``ExcelImporter`` ignores) states what the export cannot carry.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import ExchangeError
from ..core.files import write_new
from ..graph import Links, link_foreground
from ..lca.feasibility import check_foreground
from ..model import ProductSystem

MODEL_FORMATS: dict[str, str] = {
    "brightway-excel": "Brightway Excel workbook (bw2io ExcelImporter layout), for Brightway and Activity Browser",
    "olca-jsonld": "openLCA JSON-LD zip (olca-schema 2), for openLCA",
}
"""``pcf export-model`` formats: name -> what it is."""

#: Exchange columns of the workbook, in order (bw2io reads any column as an exchange field).
COLUMNS = ("name", "amount", "unit", "location", "reference product", "categories", "database", "type",
           "pcf stage", "uncertainty type", "loc", "scale", "minimum", "maximum", "negative")

NOT_REPRESENTED = (
    "Parameters and expressions: every amount is the number pcf evaluated (the model's parameters, "
    "its scenario and any end-of-life formula are not carried as Brightway parameters).",
    "Scenarios: the workbook is one variant, the model as written unless a scenario was chosen.",
    "Allocation: applied. A multi-output process is written as one activity per product that has an id, "
    "each with its allocated share of the inputs and emissions; credits of avoided products (system "
    "expansion) are negative technosphere inputs of the main product.",
    "Transport legs: tonne-kilometre inputs of the transport activities (chargeable mass x distance).",
    "Supplier footprints (supplier_pcf): activities of this database whose elementary flows give back the "
    "supplier's figures (Carbon dioxide, fossil / from soil or biomass stock, Methane, non-fossil, "
    "Carbon dioxide, in air); aircraft emissions and the supplier's data quality are not carried.",
    "Excluded inputs and their proxies: not written (they are not part of the footprint).",
    "Data quality (data, emission_factor, dqr), electricity source statements, declared unit, "
    "biogenic carbon content, exchange facts and the PCR: not written.",
    "Uncertainty: the model's own uncertainty: fields as stats_arrays columns; pcf's default "
    "distributions (from data quality) are not written.",
    "Life-cycle stage: the activity's stage in 'stage', an input's own stage in 'pcf stage' "
    "(Brightway does not use either).",
    "Characterisation: the score is bw2calc's with the same method; pcf's ISO 14067 split "
    "(fossil, biogenic, dLUC, aircraft) is not part of the file.",
)
"""What a Brightway workbook of a pcf model does not carry (also in docs/model-format.md)."""


@dataclass
class ModelExport:
    """A model's foreground, linked, ready to be written.

    Attributes
    ----------
    database : str
        Name of the exported database (``pcf-model-<product id>``).
    reference : str
        Code of the reference activity.
    reference_amount : float
        The reference flow in the reference activity's unit [unit].
    activities : list of dict
        Brightway activities: ``code``, ``name``, ``reference product``, ``unit``, ``location``,
        ``production amount``, ``stage``, ``exchanges`` (dicts with the :data:`COLUMNS` fields and
        ``input``, the target's ``(database, code)`` in pcf's project).
    notes : list of str
        What the file does not carry, and how to import it.
    """

    database: str
    reference: str
    reference_amount: float
    activities: list = field(default_factory=list)
    notes: list = field(default_factory=list)


def collect(system: ProductSystem) -> ModelExport:
    """Link ``system``'s foreground (as ``pcf footprint`` does) and describe every exchange target.

    Raises
    ------
    BackgroundError
        The background is not installed.
    ModelError
        A link does not resolve, or the foreground cannot deliver its reference flow
        (:func:`pcf.lca.feasibility.check_foreground`).
    ExchangeError
        A name or code that bw2io would read back as something else (a number, a tuple).
    """
    from ..core.bw import brightway

    bd = brightway()
    links = Links.load(system)
    data, graph = link_foreground(system, links)
    check_foreground(system, data, graph.database, graph.reference[1])
    name = f"pcf-model-{system.model.product.id}"
    own = {**data, **links.suppliers}  # supplier footprints travel with the foreground
    outside = {tuple(e["input"]) for act in own.values() for e in act["exchanges"]} - {tuple(k) for k in own}
    targets = {key: _target(bd, key) for key in sorted(outside)}
    targets.update(_own_targets(own, name, targets))
    export = ModelExport(name, graph.reference[1], float(system.reference_amount))
    for key, act in own.items():
        exchanges = []
        for exc in act["exchanges"]:
            target = targets[tuple(exc["input"])]
            row = {**target, "amount": float(exc["amount"]), "type": exc["type"], "input": tuple(exc["input"])}
            if exc.get("pcf_stage"):
                row["pcf stage"] = exc["pcf_stage"]
            row.update({k: exc[k] for k in ("uncertainty type", "loc", "scale", "minimum", "maximum", "negative")
                        if k in exc})
            exchanges.append(row)
        own_target = targets[tuple(key)]
        export.activities.append({"code": key[1], **{k: own_target[k] for k in ("name", "reference product", "unit",
                                                                                "location")},
                                  "production amount": next(float(e["amount"]) for e in act["exchanges"]
                                                            if e["type"] == "production"),
                                  "type": "process", "stage": act.get("stage"), "comment": act.get("source"),
                                  "exchanges": exchanges})
    _check_readable(export, system)
    variant = f"scenario {system.scenario.name!r}" if system.scenario is not None else "the model as written"
    export.notes = [*NOT_REPRESENTED, f"Foreground of {system.path.name} (sha256 {system.sha256}), {variant}, "
                    f"background {graph.background!r}; the footprint is that of "
                    f"{export.reference_amount:g} x activity {export.reference!r}."]
    return export


def _own_targets(own: dict, name: str, outside: dict) -> dict:
    """``key -> exchange fields`` of the exported activities; a reference product is the
    activity's name, with `` [code]`` where the activity would otherwise look the same to
    bw2io's linking (name, reference product, unit, location) as another exported activity or
    as an activity outside that an exchange names (``outside``: key -> exchange fields):
    ``ExcelImporter`` links internally first, so such an input would be taken from the
    foreground."""
    seen: dict[tuple, int] = {}
    for target in outside.values():
        if "reference product" in target:
            sig = (target["name"].lower(), target["location"].lower())
            seen[sig] = seen.get(sig, 0) + 1
    for act in own.values():
        sig = (act["name"].lower(), (act.get("location") or "GLO").lower())
        seen[sig] = seen.get(sig, 0) + 1
    targets = {}
    for key, act in own.items():
        location = act.get("location") or "GLO"
        product = act.get("reference product") or act["name"]
        if seen[(act["name"].lower(), location.lower())] > 1:
            product = f"{product} [{key[1]}]"
        targets[tuple(key)] = {"name": act["name"], "reference product": product, "unit": act["unit"],
                               "location": location, "database": name}
    return targets


def _target(bd, key: tuple) -> dict:
    """Exchange fields of an activity or biosphere flow outside the export."""
    node = bd.get_node(database=key[0], code=key[1])
    if node.get("type", "process") in bd.labels.process_node_types:
        return {"name": node["name"], "reference product": node.get("reference product") or node["name"],
                "unit": node.get("unit"), "location": node.get("location") or "GLO", "database": key[0]}
    return {"name": node["name"], "unit": node.get("unit"), "categories": "::".join(node.get("categories") or ()),
            "database": key[0]}


def _check_readable(export: ModelExport, system: ProductSystem) -> None:
    """Refuse text that bw2io's ``ExcelImporter`` would turn into something else: a number
    (``csv_numerize``), a boolean (``csv_restore_booleans``) or a tuple (``::``,
    ``csv_restore_tuples``; categories excepted). Activities are checked before exchanges,
    so the message names the model's own process where it can.

    Raises
    ------
    ModelError
        ``file:line`` of a process whose id, name or location cannot be written.
    ExchangeError
        Any other such text (a background activity's fields), naming it.
    """
    index = {p.id: i for i, p in enumerate(system.model.processes)}
    for act in export.activities:
        for what in ("code", "name", "reference product", "location", "unit"):
            problem = _unreadable(act[what])
            if problem and act["code"] in index:
                raise system.error(("processes", index[act["code"]], "id" if what == "code" else what),
                                   f"process {act['code']!r}: {what} {problem}")
            if problem:
                raise ExchangeError(f"activity {act['code']!r}: {what} {problem}")
    for act in export.activities:
        for exc in act["exchanges"]:
            for what in ("name", "reference product", "location", "unit"):
                problem = _unreadable(exc.get(what)) if exc.get(what) is not None else None
                if problem:
                    raise ExchangeError(f"activity {act['code']!r}, input {exc['name']!r} of {exc['database']!r}: "
                                        f"{what} {problem}")


def _unreadable(text) -> str | None:
    """Why bw2io would not read ``text`` back as the same text, or None."""
    text = str(text)
    try:
        float(text)
        numeric = True
    except ValueError:
        numeric = False
    if numeric or text.strip().lower() in ("true", "false", "(unknown)") or "::" in text:
        return (f"{text!r} cannot be written to a Brightway workbook: bw2io would read it as a number, a boolean "
                "or a tuple; rename it in the model")
    return None


def brightway_workbook(export: ModelExport) -> bytes:
    """The workbook (xlsx bytes) of :class:`ModelExport` in bw2io 0.9.17's ``ExcelImporter``
    layout: sheet ``Notes`` (A1 ``skip``: not imported), sheet ``Database``.

    Raises
    ------
    ExchangeError
        Text openpyxl cannot store (control characters).
    """
    import openpyxl
    from openpyxl.utils.exceptions import IllegalCharacterError

    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "Notes"
    rows = [["skip", "This sheet is not imported (bw2io ExcelImporter skips a sheet whose A1 is 'skip')."],
            [], ["What this export does not carry"], *[[f"- {n}"] for n in export.notes], [],
            ["How to import (Brightway 2.5, bw2io 0.9)"],
            ["imp = bw2io.ExcelImporter(path); imp.apply_strategies(); "
             "imp.match_database(BACKGROUND, fields=('name', 'reference product', 'location')); "
             "imp.statistics(); imp.write_database()"],
            [f"then bw2calc.LCA({{('{export.database}', '{export.reference}'): {export.reference_amount!r}}}, METHOD)"]]
    sheet = wb.create_sheet("Database")
    body = [["Database", export.database],
            ["description", "pcf model foreground with its background links (pcf export-model)"],
            ["pcf reference activity", export.reference], ["pcf reference amount", export.reference_amount], []]
    for act in export.activities:
        body += [["Activity", act["name"]]]
        body += [[k, act[k]] for k in ("code", "reference product", "unit", "location", "production amount",
                                       "type", "stage", "comment") if act.get(k) is not None]
        body += [["Exchanges"], list(COLUMNS)]
        body += [[exc.get(c) for c in COLUMNS] for exc in act["exchanges"]]
        body += [[]]
    try:
        for ws, lines in ((notes, rows), (sheet, body)):
            for line in lines:
                ws.append(line)
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and cell.value.startswith("="):
                        cell.data_type = "s"  # text, never a formula
    except IllegalCharacterError as exc:
        raise ExchangeError(f"text that an xlsx file cannot hold (control characters): {exc}") from None
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export_model(system: ProductSystem, fmt: str, out: str | Path) -> Path:
    """Write ``system``'s foreground in ``fmt`` to ``out``, atomically (nothing is written on
    error) and never over an existing file.

    Parameters
    ----------
    system : ProductSystem
    fmt : str
        One of :data:`MODEL_FORMATS`.
    out : str or Path
        File to write (``.xlsx`` for ``brightway-excel``, ``.zip`` for ``olca-jsonld``); must not exist.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    ExchangeError
        Unknown format; ``out`` exists; text bw2io or openpyxl cannot read back; a unit that
        openLCA JSON-LD cannot hold (:func:`pcf.exchange.olcaunits.olca_unit`).
    BackgroundError, ModelError
        As :func:`collect`.
    """
    if fmt not in MODEL_FORMATS:
        raise ExchangeError(f"unknown model format {fmt!r}; choose one of {', '.join(MODEL_FORMATS)}").about("fmt")
    out = Path(out)
    exists = ExchangeError(f"{out} already exists; choose another file or remove it first").about("out")
    if out.exists() or out.is_symlink():
        raise exists
    export = collect(system)
    if fmt == "olca-jsonld":
        from ..core.bw import brightway
        from .olcajsonld import jsonld_zip

        content = jsonld_zip(export, brightway())
    else:
        content = brightway_workbook(export)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        write_new(out, content)
    except FileExistsError:
        raise exists from None
    return out
