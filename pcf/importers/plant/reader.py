"""Read a filled plant-data workbook into a ``pcf-model/1`` model whose values keep their cell.

The model is a plain nested dict whose leaves read from the workbook are
:class:`pcf.importers.plant.cells.Cited`; :mod:`.emit` writes it as YAML with the cell of
each value in a comment. What each sheet becomes (``docs/model-format.md``, "From a
plant-data workbook"):

- Product -> ``product`` and ``study`` (``background: open-default``);
- Parameters -> ``parameters`` (an amount whose formula is arithmetic over them becomes an
  expression, :mod:`.formulas`); Scenarios -> ``scenarios`` (parameter values);
- Processes -> ``processes[]`` (id, name, stage, location, output, data, comment);
- BOM -> ``inputs[]`` (``supplier_pcf``, ``background`` or ``process``, exactly one);
- Energy -> ``inputs[]`` of a background key with an ``electricity`` statement when a
  source is given;
- Transport -> ``transport[]`` legs (mode, distance, mass) or tonne-kilometre ``inputs[]``;
- Emissions -> ``emissions[]`` (the process's own greenhouse gases) or ``removals[]``;
- Waste, EndOfLife -> ``inputs[]`` of their treatment key, or ``excluded[]`` with the reason;
- Excluded -> ``excluded[]``.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import ValidationError

from ...core.errors import UnitError
from ...core.units import conversion_factor
from ...model.electricity import Electricity
from . import layout
from .cells import CellReader, Cited
from .layout import PRODUCT_FIELDS, PRODUCT_ROW, TABLES, Sheet

Row = dict[str, Cited]


def _plain(value):
    """``value`` with every :class:`Cited` replaced by its value."""
    if isinstance(value, Cited):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class PlantReader(CellReader):
    """The workbook's sheets as rows of :class:`Cited` values, and the model built from them.

    ``model_dir`` is the folder of the model to be written: supplier PCF files, named relative
    to the workbook's folder, are written relative to it.
    """

    model_dir: Path = Path(".")

    def check_layout(self) -> None:
        """Every required sheet is there and every header is the template's.

        Raises
        ------
        WorkbookError
            A required sheet is missing, or a header cell or Product field is not the
            template's (a column inserted, deleted or moved).
        """
        for name in layout.REQUIRED_SHEETS:
            if name not in self.formulas.sheetnames:
                raise self.fail(name, f"the workbook has no sheet {name!r} (sheets: {', '.join(self.formulas.sheetnames)}); "
                                      "start from `pcf template`")
        for sheet in TABLES:
            if sheet.name not in self.formulas.sheetnames:
                continue
            for i, column in enumerate(sheet.columns):
                ref = f"{sheet.letter(column.key)}1"
                head = self.formulas[sheet.name][ref].value
                if str(head or "").split("\n")[0].strip() != column.en:
                    raise self.fail(f"{sheet.name}!{ref}", f"expected the column {column.en!r} here, found "
                                                           f"{str(head or '').splitlines()[0] if head else 'nothing'!r}: "
                                                           "keep the template's columns in place")
        for f in PRODUCT_FIELDS:
            ref = f"A{PRODUCT_ROW[f.key]}"
            if str(self.formulas[layout.PRODUCT][ref].value or "").strip() != f.en:
                raise self.fail(f"{layout.PRODUCT}!{ref}", f"expected the field {f.en!r} here: keep the template's rows")

    def rows(self, sheet: Sheet) -> list[Row]:
        """The filled rows of a table sheet (a row with any non-empty cell), each column read
        by its kind; [] when an optional sheet is absent."""
        if sheet.name not in self.formulas.sheetnames:
            return []
        ws = self.formulas[sheet.name]
        width = len(sheet.columns)
        out = []
        for r in range(2, ws.max_row + 1):
            cells = [ws.cell(row=r, column=c).value for c in range(1, width + 1)]
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells):
                continue
            row = {}
            for column in sheet.columns:
                what = f"{column.en} ({column.zh})"
                value = self.read(sheet.name, f"{sheet.letter(column.key)}{r}", column.kind, what,
                                  column.required, column.choices)
                if value is not None:
                    row[column.key] = value
            out.append(row)
        return out

    def product(self) -> Row:
        """The Product form, field key -> value."""
        out = {}
        for f in PRODUCT_FIELDS:
            value = self.read(layout.PRODUCT, f"C{PRODUCT_ROW[f.key]}", f.kind, f"{f.en} ({f.zh})", f.required, f.choices,
                              "fill it in")
            if value is not None:
                out[f.key] = value
        return out

    def supplier_file(self, given: Cited) -> Cited:
        """A supplier PCF file named relative to the workbook's folder (or absolute), as the
        path relative to the model's folder that the model needs.

        Raises
        ------
        WorkbookError
            No such file.
        """
        path = Path(str(given.value))
        found = path if path.is_absolute() else self.path.parent / path
        if not found.is_file():
            raise self.fail(given.cell, f"no supplier PCF file {str(found)!r}: name a PACT JSON file by its path "
                                        "relative to the workbook's folder")
        relative = Path(os.path.relpath(found.resolve(), self.model_dir.resolve()))
        return Cited(relative.as_posix(), given.cell, given.formula)

    def key_unit(self, key: Cited, unit: Cited) -> None:
        """Refuse a unit that does not convert to the background key's unit (error at the unit)."""
        target = self.choices.keys[key.value]
        try:
            conversion_factor(unit.value, target)
        except UnitError as exc:
            raise self.fail(unit.cell, f"unit {unit.value!r} does not fit background key {key.value!r}, which is "
                                       f"per {target}: {exc}") from None


def read_model(reader: PlantReader) -> tuple[dict, dict[str, int]]:
    """The model (a dict with :class:`Cited` leaves) and the count of rows read per sheet.

    Raises
    ------
    WorkbookError
        Any cell error of :meth:`PlantReader.read`, and: no process, a process id twice, a
        row naming a process that is not on the Processes sheet, a reference process that is
        not there, a BOM row without exactly one source, an electricity statement that does
        not fit its source, a transport row with neither tonne-km nor mode, distance and mass,
        an EndOfLife row of a process outside the end_of_life stage, a Waste or EndOfLife row
        with neither a treatment key nor a reason.
    """
    reader.check_layout()
    parameters = _parameters(reader)
    product = reader.product()
    processes = _processes(reader)
    counts = {layout.PROCESSES: len(processes)}
    builders = ((layout.BOM_SHEET, _bom), (layout.ENERGY_SHEET, _energy), (layout.TRANSPORT_SHEET, _transport),
                (layout.EMISSIONS_SHEET, _emission), (layout.WASTE_SHEET, _treatment), (layout.END_OF_LIFE_SHEET, _treatment),
                (layout.EXCLUDED_SHEET, _excluded))
    for sheet, build in builders:
        rows = reader.rows(sheet)
        counts[sheet.name] = len(rows)
        for row in rows:
            proc = processes.get(row["process"].value)
            if proc is None:
                raise reader.fail(row["process"].cell, f"no process {row['process'].value!r} on the Processes sheet "
                                                       f"(processes: {', '.join(processes)})")
            build(reader, sheet, row, proc, processes)
    ref = product["reference_process"]
    if ref.value not in processes:
        raise reader.fail(ref.cell, f"reference process {ref.value!r} is not on the Processes sheet "
                                    f"(processes: {', '.join(processes)})")
    scenarios = _scenarios(reader, parameters)
    counts[layout.PARAMETERS] = len(parameters)
    counts[layout.SCENARIOS] = len(scenarios)
    model = {"format": "pcf-model/1", "product": _product(reader, product), "study": _study(product),
             "parameters": parameters,
             "processes": [{k: v for k, v in p.items() if v != []} for p in processes.values()],
             "scenarios": scenarios}
    return model, counts


def _parameters(reader: PlantReader) -> dict[str, Cited]:
    """The Parameters sheet: name -> value; fills the reader's maps that turn formulas over
    these values (by cell or by a defined name) into expressions."""
    out: dict[str, Cited] = {}
    for row in reader.rows(layout.PARAMETERS_SHEET):
        name = row["name"]
        if name.value in out:
            raise reader.fail(name.cell, f"parameter {name.value!r} is on the Parameters sheet twice")
        out[name.value] = Cited(row["value"].value, row["value"].cell, row["value"].formula)
        reader.parameter_rows[int(name.cell.split("!")[1][1:])] = name.value
    reader.parameters = {k: v.value for k, v in out.items()}
    for defined, entry in reader.formulas.defined_names.items():
        for sheet, ref in entry.destinations:
            cell = ref.replace("$", "")
            if sheet == layout.PARAMETERS and cell[:1] == "B" and cell[1:].isdigit():
                if int(cell[1:]) in reader.parameter_rows:
                    reader.parameter_names[defined] = reader.parameter_rows[int(cell[1:])]
    return out


def _scenarios(reader: PlantReader, parameters: dict[str, Cited]) -> dict[str, dict]:
    """The Scenarios sheet: scenario -> ``{description, parameters}`` (one row per parameter)."""
    out: dict[str, dict] = {}
    for row in reader.rows(layout.SCENARIOS_SHEET):
        name, parameter = row["scenario"], row["parameter"]
        scenario = out.setdefault(name.value, {"description": row.get("description"), "parameters": {}})
        if scenario["description"] is None and "description" in row:
            scenario["description"] = row["description"]
        if parameter.value not in parameters:
            raise reader.fail(parameter.cell, f"no parameter {parameter.value!r} on the Parameters sheet "
                                              f"(parameters: {', '.join(parameters) or 'none'})")
        if parameter.value in scenario["parameters"]:
            raise reader.fail(parameter.cell, f"scenario {name.value!r} sets {parameter.value!r} twice")
        value = row["value"]  # a number, as parameters are: a formula's stored value, never its expression
        scenario["parameters"][parameter.value] = Cited(value.value, value.cell, value.formula)
    return out


def _product(reader: PlantReader, f: Row) -> dict:
    out = {"id": f["product_id"], "name": f["product_name"], "process": f["reference_process"],
           "reference_flow": {"amount": f["reference_amount"], "unit": f["reference_unit"]}}
    if "declared_unit" in f:
        if "declared_per_reference" not in f:
            row = PRODUCT_ROW["declared_per_reference"]
            raise reader.fail(f"{layout.PRODUCT}!C{row}", "a declared unit needs the number of declared units one "
                                                          "reference flow delivers")
        out["declared_unit"] = {"unit": f["declared_unit"], "description": f.get("declared_description", ""),
                                "per_reference_flow": f["declared_per_reference"]}
    return out


def _study(f: Row) -> dict:
    study = {k: f[k] for k in ("standard", "boundary", "pcr", "method") if k in f}
    study["background"] = "open-default"
    return study


def _processes(reader: PlantReader) -> dict[str, dict]:
    rows = reader.rows(layout.PROCESS_SHEET)
    if not rows:
        raise reader.fail(f"{layout.PROCESSES}!A2", "no process: list the processes of the plant, one per row")
    out: dict[str, dict] = {}
    for row in rows:
        pid = row["id"]
        if pid.value in out:
            raise reader.fail(pid.cell, f"process id {pid.value!r} is on the Processes sheet twice")
        proc = {"id": pid, "name": row["name"], "stage": row["stage"]}
        if "location" in row:
            proc["location"] = row["location"]
        proc["output"] = {"amount": row["output_amount"], "unit": row["output_unit"]}
        for key in ("data", "comment"):
            if key in row:
                proc[key] = row[key]
        proc.update(inputs=[], transport=[], emissions=[], removals=[], excluded=[])
        out[pid.value] = proc
    return out


def _note(*parts) -> str | None:
    text = "; ".join(p.value if isinstance(p, Cited) else p for p in parts if p)
    return text or None


def _with_optional(item: dict, row: Row, keys: tuple[str, ...]) -> dict:
    for key in keys:
        if key in row:
            item["id" if key == "input_id" else key] = row[key]
    return item


def _bom(reader: PlantReader, sheet: Sheet, row: Row, proc: dict, processes: dict) -> None:
    given = [k for k in ("supplier_pcf", "background", "from_process") if k in row]
    if len(given) != 1:
        where = f"{sheet.name}!{sheet.letter('supplier_pcf')}{row['process'].cell.split('!')[1][1:]}"
        found = f"found {len(given)}: {', '.join(given)}" if given else "none is given"
        raise reader.fail(where, "give exactly one source of the material: a supplier PCF file, a background key or "
                                 f"the process that makes it ({found})")
    source = given[0]
    if source == "supplier_pcf":
        row = dict(row, supplier_pcf=reader.supplier_file(row["supplier_pcf"]))
    if source == "from_process" and row[source].value not in processes:
        raise reader.fail(row[source].cell, f"no process {row[source].value!r} on the Processes sheet")
    if source == "background":
        reader.key_unit(row["background"], row["unit"])
    target = {"supplier_pcf": "supplier_pcf", "background": "background", "from_process": "process"}[source]
    item = {target: row[source], "amount": row["amount"], "unit": row["unit"]}
    _with_optional(item, row, ("input_id", "stage", "data", "emission_factor"))
    supplier = f"supplier: {row['supplier'].value}" if "supplier" in row else None
    item["comment"] = _note(row["material"], supplier, row.get("comment"))
    proc["inputs"].append(item)


def _electricity(reader: PlantReader, sheet: Sheet, row: Row) -> dict | None:
    fields = ("region", "year", "instrument", "generator", "technology", "connection", "evidence_ids",
              "evidence_issuer", "evidence_period", "evidence_documents")
    if "source" not in row:
        stray = [k for k in fields if k in row]
        if stray:
            raise reader.fail(row[stray[0]].cell, "an electricity statement needs its source (grid, contractual or "
                                                  "direct) in the Electricity source column")
        return None
    out: dict = {"source": row["source"]}
    for key in ("region", "year", "instrument", "connection"):
        if key in row:
            out[key] = row[key]
    if "generator" in row or "technology" in row:
        out["generator"] = {"name": row.get("generator", ""), "technology": row.get("technology", "")}
    evidence = {}
    if "evidence_ids" in row:
        ids = [s.strip() for s in str(row["evidence_ids"].value).split(";") if s.strip()]
        evidence["ids"] = [Cited(i, row["evidence_ids"].cell) for i in ids]
    for key in ("issuer", "period", "documents"):
        if f"evidence_{key}" in row:
            evidence[key] = row[f"evidence_{key}"]
    if evidence:
        out["evidence"] = evidence
    try:
        Electricity.model_validate(_plain(out))
    except ValidationError as exc:
        problem = exc.errors()[0]
        raise reader.fail(row["source"].cell, f"electricity statement: {problem['msg'].removeprefix('Value error, ')}"
                                              ) from None
    return out


def _energy(reader: PlantReader, sheet: Sheet, row: Row, proc: dict, processes: dict) -> None:
    reader.key_unit(row["background"], row["unit"])
    item = {"background": row["background"], "amount": row["amount"], "unit": row["unit"]}
    electricity = _electricity(reader, sheet, row)
    if electricity is not None:
        item["electricity"] = electricity
    _with_optional(item, row, ("input_id", "data"))
    item["comment"] = _note(row["carrier"], row.get("comment"))
    proc["inputs"].append(item)


def _transport(reader: PlantReader, sheet: Sheet, row: Row, proc: dict, processes: dict) -> None:
    r = row["process"].cell.split("!")[1][1:]
    if "tkm" in row:
        both = [k for k in ("distance", "mass") if k in row]
        if both:
            raise reader.fail(row[both[0]].cell, "give tonne-km, or distance and mass, not both")
        key = row.get("background")
        if key is None:
            if "mode" not in row:
                raise reader.fail(f"{sheet.name}!{sheet.letter('background')}{r}", "tonne-km need a background key "
                                                                                   "(or a mode, for its default activity)")
            key = Cited(reader.choices.modes[row["mode"].value], row["mode"].cell)
        reader.key_unit(key, Cited("tkm", row["tkm"].cell))
        item = {"background": key, "amount": row["tkm"], "unit": "tkm"}
        _with_optional(item, row, ("input_id",))
        item["comment"] = _note(row.get("name"), row.get("mode"), row.get("comment"))
        proc["inputs"].append(item)
        return
    for key, letter in (("mode", "mode"), ("distance", "distance"), ("mass", "mass")):
        if key not in row:
            raise reader.fail(f"{sheet.name}!{sheet.letter(letter)}{r}",
                              f"a transport leg needs mode, distance and mass ({key} is missing), or tonne-km")
    leg = {"name": row.get("name", row["mode"]), "mode": row["mode"], "distance": row["distance"]}
    if "distance_unit" in row:
        leg["distance_unit"] = row["distance_unit"]
    leg["mass"] = row["mass"]
    if "mass_unit" in row:
        leg["mass_unit"] = row["mass_unit"]
    if "background" in row:
        leg["activity"] = {"background": row["background"]}
    if "comment" in row:
        leg["comment"] = row["comment"]
    proc["transport"].append(leg)


def _emission(reader: PlantReader, sheet: Sheet, row: Row, proc: dict, processes: dict) -> None:
    item = {"substance": row["substance"]}
    if "origin" in row:
        item["origin"] = row["origin"]
    item.update(amount=row["amount"], unit=row["unit"])
    if "comment" in row:
        item["comment"] = row["comment"]
    removal = "flow" in row and row["flow"].value == "removal"
    proc["removals" if removal else "emissions"].append(item)


def _treatment(reader: PlantReader, sheet: Sheet, row: Row, proc: dict, processes: dict) -> None:
    if sheet.name == layout.END_OF_LIFE and proc["stage"].value != "end_of_life":
        raise reader.fail(row["process"].cell, f"process {row['process'].value!r} is in stage "
                                               f"{proc['stage'].value!r}: end-of-life rows belong to an end_of_life process")
    if "background" in row:
        reader.key_unit(row["background"], row["unit"])
        item = {"background": row["background"], "amount": row["amount"], "unit": row["unit"],
                "comment": _note(row["name"], row.get("comment"))}
        proc["inputs"].append(item)
        return
    if "reason" not in row:
        r = row["process"].cell.split("!")[1][1:]
        raise reader.fail(f"{sheet.name}!{sheet.letter('reason')}{r}", "give the treatment's background key, or the "
                                                                       "reason it is not modelled")
    proc["excluded"].append({"name": row["name"], "amount": row["amount"], "unit": row["unit"],
                             "reason": row["reason"]})


def _excluded(reader: PlantReader, sheet: Sheet, row: Row, proc: dict, processes: dict) -> None:
    item = {"name": row["name"], "amount": row["amount"], "unit": row["unit"], "reason": row["reason"]}
    if "proxy" in row:
        item["proxy"] = {"background": row["proxy"]}
    proc["excluded"].append(item)

